"""The socket, end to end through the real ASGI stack (WebsocketCommunicator)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from config.asgi import application
from watchparty import services
from watchparty.models import ChatMessage, Participant, WatchParty

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


@database_sync_to_async
def create(name: str = "Movie Night", password: str = "secure123", **kw: Any):  # type: ignore[no-untyped-def]
    party, participant, token = services.party_create(name=name, password=password, **kw)
    return str(party.pk), participant.user_id, token


@database_sync_to_async
def join(session_id: str, password: str = "secure123", **kw: Any):  # type: ignore[no-untyped-def]
    _party, participant, token = services.party_join(session_id=session_id, password=password, **kw)
    return participant.user_id, token


class Client:
    def __init__(self, session_id: str, token: str | None, path: str | None = None) -> None:
        query = f"?token={token}" if token is not None else ""
        self.comm = WebsocketCommunicator(
            application, path or f"/watchparty/ws/{session_id}{query}", headers=ORIGIN
        )
        self.state: dict | None = None

    async def open(self, expect_state: bool = True) -> Client:
        connected, _ = await self.comm.connect(timeout=5)
        assert connected
        if expect_state:
            self.state = await self.recv("session_state")
        return self

    async def recv(self, type_: str | None = None, timeout: float = 3) -> dict:
        msg = await self.comm.receive_json_from(timeout=timeout)
        if type_ is not None:
            assert msg["type"] == type_, msg
        return msg

    async def recv_until(self, type_: str, timeout: float = 3) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            msg = await self.recv(timeout=max(0.05, deadline - time.monotonic()))
            if msg["type"] == type_:
                return msg

    async def send(self, type_: str, payload: Any = None, **extra: Any) -> None:
        await self.comm.send_json_to({"type": type_, "payload": payload, **extra})

    async def drain(self, quiet: float = 0.2) -> list[dict]:
        """Everything queued until the socket has been quiet for `quiet` seconds."""
        out = []
        while not await self.comm.receive_nothing(timeout=quiet):
            out.append(await self.recv())
        return out

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.comm.receive_nothing(timeout=timeout)

    async def closed_with(self, timeout: float = 3) -> int:
        deadline = time.monotonic() + timeout
        while True:
            out = await self.comm.receive_output(timeout=max(0.05, deadline - time.monotonic()))
            if out["type"] == "websocket.close":
                return out.get("code", 1000)

    async def close(self) -> None:
        await self.comm.disconnect()  # a close frame with 1000

    async def drop(self) -> None:
        """The connection is lost without a close frame (Daphne reports 1006)."""
        await self.comm.disconnect(code=1006)


async def room_with(n: int) -> tuple[str, list[tuple[str, str]]]:
    """A room and n members' (user_id, token), the host first."""
    sid, host_id, host_token = await create()
    members = [(host_id, host_token)]
    for i in range(n - 1):
        members.append(await join(sid, display_name=f"Member {i + 1}"))
    return sid, members


async def test_connect_sends_state_and_announces_join() -> None:
    sid, [(host_id, host_tok), (guest_id, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    assert host.state["user_id"] == host_id
    assert host.state["session_id"] == sid
    assert isinstance(host.state["timestamp"], int)
    payload = host.state["payload"]
    assert payload["you"] == {
        "user_id": host_id,
        "username": payload["you"]["username"],
        "is_host": True,
    }
    assert payload["session"]["host_id"] == host_id
    assert {p["user_id"] for p in payload["participants"]} == {host_id, guest_id}
    assert payload["chat"] == [] and payload["playback"]["playing"] is False
    guest = await Client(sid, guest_tok).open()
    joined = await host.recv("user_joined")
    assert joined["payload"] == {"user_id": guest_id, "username": "Member 1"}
    assert joined["user_id"] == guest_id and joined["session_id"] == sid
    assert await guest.nothing()
    await guest.close()
    await host.close()


@pytest.mark.parametrize("token", [None, "garbage"])
async def test_bad_token_gets_error_and_4001(token) -> None:  # type: ignore[no-untyped-def]
    sid, _, _ = await create()
    client = Client(sid, token)
    await client.open(expect_state=False)
    err = await client.recv("error")
    assert err["payload"]["error"] == "Authentication failed"
    assert await client.closed_with() == 4001


async def test_token_for_another_room_is_refused() -> None:
    _sid_a, _, tok_a = await create()
    sid_b, _, _ = await create(name="Room B")
    client = await Client(sid_b, tok_a).open(expect_state=False)
    err = await client.recv("error")
    assert err["payload"] == {
        "error": "Authentication failed",
        "message": "Token is not valid for this session",
    }
    assert await client.closed_with() == 4001


async def test_foreign_origin_is_refused_even_with_a_valid_token() -> None:
    sid, _, tok = await create()
    comm = WebsocketCommunicator(
        application,
        f"/watchparty/ws/{sid}?token={tok}",
        headers=[(b"origin", b"https://evil.example"), (b"host", b"testserver")],
    )
    connected, _ = await comm.connect(timeout=5)
    assert not connected


async def test_opening_does_not_look_the_room_token_up_as_an_api_session(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The auth middleware would try every `?token=` as an API session (a database lookup);
    watch-party sockets are routed past it."""

    async def looked_up(token: str) -> None:
        raise AssertionError("the room token was looked up as an API session")

    monkeypatch.setattr("config.websocket._session_for", looked_up)
    sid, _, tok = await create()
    client = await Client(sid, tok).open()
    assert client.state["type"] == "session_state"
    await client.close()


async def test_the_room_token_names_the_member_not_the_session_cookie() -> None:
    """Watch-party sockets skip the cookie and auth middleware: a signed-in browser's cookie
    on a guest's socket changes nothing, and only the token is the credential."""

    @database_sync_to_async
    def signed_in_cookie() -> bytes:
        from django.test import Client as HttpClient

        from accounts.models import User

        http = HttpClient()
        http.force_login(User.objects.create_user("ada@example.com", password="pw-123456"))
        return f"sessionid={http.cookies['sessionid'].value}".encode()

    sid, _, _ = await create()
    guest_id, guest_tok = await join(sid)
    cookie = await signed_in_cookie()
    comm = WebsocketCommunicator(
        application,
        f"/watchparty/ws/{sid}?token={guest_tok}",
        headers=[*ORIGIN, (b"cookie", cookie)],
    )
    assert (await comm.connect(timeout=5))[0]
    state = await comm.receive_json_from(timeout=3)
    assert state["type"] == "session_state"
    assert state["payload"]["you"]["user_id"] == guest_id
    await comm.disconnect()
    no_token = WebsocketCommunicator(
        application, f"/watchparty/ws/{sid}", headers=[*ORIGIN, (b"cookie", cookie)]
    )
    assert (await no_token.connect(timeout=5))[0]
    err = await no_token.receive_json_from(timeout=3)
    assert err["type"] == "error" and err["payload"]["error"] == "Authentication failed"
    await no_token.disconnect()


async def test_expired_room_closes_with_4004() -> None:
    sid, _, tok = await create()
    await database_sync_to_async(WatchParty.objects.filter(pk=sid).update)(
        expires_at=timezone.now()
    )
    client = await Client(sid, tok).open(expect_state=False)
    assert (await client.recv("error"))["payload"]["error"] == "Session not found"
    assert await client.closed_with() == 4004


async def test_open_socket_closes_when_the_room_expires() -> None:
    sid, _, tok = await create()
    await database_sync_to_async(WatchParty.objects.filter(pk=sid).update)(
        expires_at=timezone.now() + timezone.timedelta(seconds=1)
    )
    client = await Client(sid, tok).open()
    err = await client.recv("error", timeout=4)
    assert err["payload"] == {"error": "Session not found", "message": "This session has expired"}
    assert await client.closed_with() == 4004


async def test_chat_is_stored_and_broadcast_with_server_identity() -> None:
    sid, [(host_id, host_tok), (guest_id, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    guest = await Client(sid, guest_tok).open()
    await host.recv("user_joined")
    await guest.comm.send_json_to(
        {
            "type": "chat",
            "payload": {"message": "<b>Hello</b> everyone!"},
            "session_id": sid,
            "user_id": host_id,  # a lie: the server sets user_id
            "timestamp": 1,
        }
    )
    for client in (host, guest):
        msg = await client.recv("chat")
        assert msg["user_id"] == guest_id and msg["session_id"] == sid
        assert msg["timestamp"] > 1_700_000_000_000
        p = msg["payload"]
        assert p["id"].startswith("msg_")
        assert p["user_id"] == guest_id and p["username"] == "Member 1"
        assert p["message"] == "<b>Hello</b> everyone!"
    stored = await database_sync_to_async(ChatMessage.objects.get)()
    assert stored.user_id == guest_id and stored.message == "<b>Hello</b> everyone!"
    await host.close()
    await guest.close()


async def test_chat_length_edges() -> None:
    sid, [(_, tok)] = await room_with(1)
    client = await Client(sid, tok).open()
    await client.send("chat", {"message": "x" * 2000})
    assert len((await client.recv("chat"))["payload"]["message"]) == 2000
    await client.send("chat", {"message": "x" * 2001})
    err = await client.recv("error")
    assert err["payload"]["error"] == "Validation failed"
    assert "message" in err["payload"]["details"]
    for bad in ({"message": "   "}, {"message": 5}, "hi", None):
        await client.send("chat", bad)
        assert (await client.recv("error"))["payload"]["error"] == "Validation failed"
    assert await database_sync_to_async(ChatMessage.objects.count)() == 1
    await client.close()


async def test_playback_is_host_only() -> None:
    sid, [(host_id, host_tok), (_, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    guest = await Client(sid, guest_tok).open()
    await host.recv("user_joined")
    await guest.send("playback_state", {"playing": True, "currentTime": 10, "volume": 0.8})
    err = await guest.recv("error")
    assert err["payload"]["error"] == "Forbidden"
    assert await host.nothing()
    await host.send("playback_state", {"playing": True, "currentTime": 125.5, "volume": 0.8})
    for client in (host, guest):
        msg = await client.recv("playback_state")
        assert msg["user_id"] == host_id
        p = msg["payload"]
        assert (p["playing"], p["currentTime"], p["volume"]) == (True, 125.5, 0.8)
        assert abs(p["server_time"] - time.time() * 1000) < 5000
    for bad in ({"currentTime": -1}, {"playing": "yes"}, {"volume": 2}, {"currentTime": "1e999"}):
        await host.send("playback_state", bad)
        assert (await host.recv("error"))["payload"]["error"] == "Validation failed"
    await guest.close()
    await host.close()


async def test_late_joiner_gets_advanced_playback_and_recent_chat() -> None:
    sid, [(host_id, host_tok), (_, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    await host.send(
        "playback_state",
        {"playing": True, "currentTime": 100.0, "media_url": "https://example.com/film.mp4"},
    )
    await host.recv("playback_state")
    for i in range(55):
        await database_sync_to_async(services.chat_post)(
            party_id=sid, user_id=host_id, username="Host", message=f"line {i}"
        )
    # pretend the state was set 30 s ago
    await database_sync_to_async(WatchParty.objects.filter(pk=sid).update)(
        state_at=timezone.now() - timezone.timedelta(seconds=30)
    )
    guest = await Client(sid, guest_tok).open()
    chat = guest.state["payload"]["chat"]
    assert len(chat) == 50
    assert chat[0]["message"] == "line 5" and chat[-1]["message"] == "line 54"
    late = await guest.recv("playback_state")
    assert late["payload"]["playing"] is True
    assert 129.5 <= late["payload"]["currentTime"] <= 132
    assert late["payload"]["media_url"] == "https://example.com/film.mp4"
    await guest.close()
    await host.close()


async def test_signalling_targeted_and_to_all_others() -> None:
    sid, members = await room_with(3)
    clients = [await Client(sid, tok).open() for _, tok in members]
    for c in clients[:-1]:  # drain user_joined
        await c.drain()
    (host_id, _), (a_id, _), (_b_id, _) = members
    host, a, b = clients
    offer = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
    await host.send("webrtc_offer", offer, target_user_id=a_id)
    msg = await a.recv("webrtc_offer")
    assert msg["payload"] == offer and msg["user_id"] == host_id
    assert msg["target_user_id"] == a_id
    assert await b.nothing() and await host.nothing()
    await a.send("webrtc_answer", {"type": "answer", "sdp": "v=0"}, target_user_id=host_id)
    assert (await host.recv("webrtc_answer"))["user_id"] == a_id
    cand = {
        "candidate": "candidate:1 1 UDP 2130706431 127.0.0.1 5 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
    await host.send("ice_candidate", cand)
    assert (await a.recv("ice_candidate"))["payload"] == cand
    assert (await b.recv("ice_candidate"))["payload"] == cand
    assert await host.nothing()
    await host.send("webrtc_offer", offer, target_user_id="user_nobody")
    assert (await host.recv("error"))["payload"]["error"] == "Participant not found"
    for kind, bad in (
        ("webrtc_offer", {"type": "answer", "sdp": "v=0"}),
        ("webrtc_offer", {"type": "offer"}),
        ("webrtc_answer", {"type": "answer", "sdp": 5}),
        ("ice_candidate", {"candidate": None}),
        ("ice_candidate", {"candidate": "c", "sdpMLineIndex": "0"}),
        ("ice_candidate", "candidate:1"),
    ):
        await host.send(kind, bad)
        assert (await host.recv("error"))["payload"]["error"] == "Validation failed"
    assert await a.nothing() and await b.nothing()
    for c in clients:
        await c.close()


async def test_bad_frames_get_errors_and_the_socket_stays_up() -> None:
    sid, [(_, tok)] = await room_with(1)
    client = await Client(sid, tok).open()
    await client.send("dance", {})
    assert (await client.recv("error"))["payload"]["error"] == "Invalid message"
    await client.send("user_joined", {})
    assert (await client.recv("error"))["payload"]["error"] == "Invalid message"
    await client.comm.send_to(text_data="{not json")
    err = await client.recv("error")
    assert err["payload"]["error"] == "Invalid message" and err["session_id"] == sid
    await client.comm.send_to(
        text_data=json.dumps({"type": "chat", "payload": {"message": "x" * 70000}})
    )
    assert (await client.recv("error"))["payload"]["error"] == "Message too large"
    await client.comm.send_to(bytes_data=b"\x00\x01")
    assert (await client.recv("error"))["payload"]["error"] == "Invalid message"
    await client.comm.send_to(text_data="[1,2]")
    assert (await client.recv("error"))["payload"]["error"] == "Invalid message"
    await client.send("chat", {"message": "still here"})
    assert (await client.recv("chat"))["payload"]["message"] == "still here"
    await client.close()


async def test_a_client_that_keeps_misbehaving_is_closed() -> None:
    sid, [(_, tok)] = await room_with(1)
    client = await Client(sid, tok).open()
    for _ in range(21):
        await client.send("dance", {})
    assert await client.closed_with() == 4008


async def test_socket_message_rate_limit(settings) -> None:  # type: ignore[no-untyped-def]
    settings.WATCHPARTY_RATE_WS = "5/m"
    sid, [(_, tok)] = await room_with(1)
    client = await Client(sid, tok).open()
    for i in range(5):
        await client.send("ping", {"n": i})
        assert (await client.recv("pong"))["payload"] == {"n": i}
    await client.send("chat", {"message": "one too many"})
    err = await client.recv("error")
    assert err["payload"] == {
        "error": "Rate limit exceeded",
        "message": "Maximum 5 messages per minute",
    }
    assert await database_sync_to_async(ChatMessage.objects.count)() == 0
    await client.close()


async def test_reconnect_within_grace_is_silent_and_leaving_is_announced(settings) -> None:  # type: ignore[no-untyped-def]
    settings.WATCHPARTY_RECONNECT_GRACE = 2.0
    sid, [(_, host_tok), (guest_id, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    guest = await Client(sid, guest_tok).open()
    await host.recv("user_joined")
    await guest.drop()
    guest = await Client(sid, guest_tok).open()
    seen = await host.drain(2.5)  # neither user_left nor user_joined: a live presence flag
    assert [(m["type"], m["payload"]["connected"]) for m in seen] == [
        ("presence", False),
        ("presence", True),
    ]
    await guest.drop()
    left = await host.recv_until("user_left", timeout=6)
    assert left["payload"] == {"user_id": guest_id, "username": "Member 1"}
    p = await database_sync_to_async(Participant.objects.get)(user_id=guest_id)
    assert p.left_at is not None and p.connected_count == 0
    await host.close()


async def test_explicit_leave_frees_the_slot_at_once() -> None:
    sid, [(_, host_tok), (guest_id, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    guest = await Client(sid, guest_tok).open()
    await host.recv("user_joined")
    await guest.send("leave", {})
    assert await guest.closed_with() == 1000
    assert (await host.recv_until("user_left"))["payload"]["user_id"] == guest_id
    await host.close()


async def test_token_expiry_closes_with_4001_and_refresh_keeps_it_open(settings) -> None:  # type: ignore[no-untyped-def]
    settings.WATCHPARTY_TOKEN_TTL = 2
    sid, _, tok = await create()
    client = await Client(sid, tok).open()
    err = await client.recv("error", timeout=4)
    assert err["payload"] == {"error": "Authentication failed", "message": "Token expired"}
    assert await client.closed_with() == 4001

    sid, _, tok = await create()
    client = await Client(sid, tok).open()
    settings.WATCHPARTY_TOKEN_TTL = 3600
    new_token, _ = await database_sync_to_async(services.token_refresh)(session_id=sid, token=tok)
    await client.send("token_refresh", {"token": new_token})
    assert (await client.recv("token_refresh"))["payload"]["expires_at"] > time.time() * 1000 + 3000
    assert await client.nothing(2.5)
    await client.close()


async def test_time_sync_sync_report_and_host_transfer() -> None:
    sid, [(host_id, host_tok), (guest_id, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    guest = await Client(sid, guest_tok).open()
    await host.recv("user_joined")
    t0 = time.time() * 1000
    await guest.send("time_sync", {"client_time": t0})
    pong = await guest.recv("time_sync")
    assert pong["payload"]["client_time"] == t0
    assert abs(pong["payload"]["server_time"] - t0) < 5000
    await host.send("playback_state", {"playing": False, "currentTime": 50})
    await host.recv("playback_state")
    await guest.recv("playback_state")
    await guest.send("sync_report", {"position": 48.5})
    report = await host.recv("sync_report")
    assert report["payload"]["user_id"] == guest_id
    assert report["payload"]["drift"] == -1.5
    assert report["payload"]["connected"] is True
    assert await guest.nothing()
    await guest.send("host_transfer", {}, target_user_id=host_id)
    assert (await guest.recv("error"))["payload"]["error"] == "Forbidden"
    await host.send("host_transfer", {}, target_user_id=guest_id)
    for c in (host, guest):
        msg = await c.recv("host_transfer")
        assert msg["payload"]["host_id"] == guest_id
        assert msg["payload"]["previous_host_id"] == host_id
    await host.send("playback_state", {"playing": True})
    assert (await host.recv("error"))["payload"]["error"] == "Forbidden"
    await guest.send("playback_state", {"playing": True})
    assert (await host.recv("playback_state"))["user_id"] == guest_id
    await host.close()
    await guest.close()


async def test_admin_chat_delete_reaches_everyone() -> None:
    sid, [(_host_id, host_tok)] = await room_with(1)
    client = await Client(sid, host_tok).open()
    await client.send("chat", {"message": "rude"})
    msg_id = (await client.recv("chat"))["payload"]["id"]
    message = await database_sync_to_async(ChatMessage.objects.get)(public_id=msg_id)
    await database_sync_to_async(services.chat_delete)(message=message)
    assert (await client.recv("chat_deleted"))["payload"] == {"id": msg_id}
    await client.close()
    again = await Client(sid, host_tok).open()
    assert again.state["payload"]["chat"] == []
    await again.close()


async def test_ten_clients_fan_out() -> None:
    sid, members = await room_with(10)
    clients = [await Client(sid, tok).open() for _, tok in members]
    await asyncio.sleep(0)
    for c in clients:
        await c.drain(0.1)
    await clients[3].send("chat", {"message": "hello ten"})
    for c in clients:
        assert (await c.recv("chat"))["payload"]["message"] == "hello ten"
    for c in clients:
        await c.close()


async def test_deleted_room_closes_its_sockets_at_the_next_heartbeat(settings) -> None:  # type: ignore[no-untyped-def]
    settings.WATCHPARTY_RECONNECT_GRACE = 0.9  # heartbeat every 0.3 s
    sid, _, tok = await create()
    client = await Client(sid, tok).open()
    await database_sync_to_async(WatchParty.objects.filter(pk=sid).delete)()
    err = await client.recv("error", timeout=3)
    assert err["payload"]["error"] == "Session not found"
    assert await client.closed_with() == 4004


async def test_heartbeat_keeps_a_quiet_socket_s_slot(settings) -> None:  # type: ignore[no-untyped-def]
    settings.WATCHPARTY_RECONNECT_GRACE = 0.9
    sid, [(_, host_tok), (guest_id, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    guest = await Client(sid, guest_tok).open()
    await host.recv("user_joined")
    assert await host.nothing(2.0)  # three grace periods of silence: nobody left
    p = await database_sync_to_async(Participant.objects.get)(user_id=guest_id)
    assert p.left_at is None and p.connected_count == 1
    await guest.close()
    await host.close()


async def test_what_happens_while_a_socket_opens_arrives_after_its_session_state(
    monkeypatch,
) -> None:  # type: ignore[no-untyped-def]
    """The socket is in the room before the snapshot is read; a chat posted meanwhile waits."""
    from watchparty.consumers import WatchPartyConsumer

    sid, [(host_id, _), (guest_id, guest_tok)] = await room_with(2)
    snapshot = WatchPartyConsumer._snapshot

    def snapshot_during_a_chat(self):  # type: ignore[no-untyped-def]
        if self.user_id == guest_id:
            services.chat_post(party_id=sid, user_id=host_id, username="Host", message="meanwhile")
        return snapshot(self)

    monkeypatch.setattr(WatchPartyConsumer, "_snapshot", snapshot_during_a_chat)
    guest = Client(sid, guest_tok)
    connected, _ = await guest.comm.connect(timeout=5)
    assert connected
    first = await guest.recv()
    assert first["type"] == "session_state"
    assert [c["message"] for c in first["payload"]["chat"]] == ["meanwhile"]
    # once as a history frame; the live copy that waited is not sent again
    chats = [m for m in await guest.drain() if m["type"] == "chat"]
    assert [m["payload"]["message"] for m in chats] == ["meanwhile"]
    await guest.close()


# --- item 12: leaving revokes the token ------------------------------------------------------


async def test_after_leave_the_token_no_longer_opens_the_socket() -> None:
    sid, [(_, host_tok), (guest_id, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    guest = await Client(sid, guest_tok).open()
    await host.recv("user_joined")
    await guest.send("leave", {})
    assert await guest.closed_with() == 1000
    assert (await host.recv_until("user_left"))["payload"]["user_id"] == guest_id

    again = await Client(sid, guest_tok).open(expect_state=False)
    err = await again.recv("error")
    assert err["payload"] == {
        "error": "Authentication failed",
        "message": "You left this session",
    }
    assert await again.closed_with() == 4001
    assert await host.nothing()  # no user_joined: the attacker is not back in
    p = await database_sync_to_async(Participant.objects.get)(user_id=guest_id)
    assert p.left_at is not None and p.connected_count == 0 and not p.announced

    new_id, new_tok = await join(sid, display_name="Back")
    fresh = await Client(sid, new_tok).open()
    assert fresh.state["payload"]["you"]["user_id"] == new_id
    assert (await host.recv("user_joined"))["payload"] == {"user_id": new_id, "username": "Back"}
    await fresh.close()
    await host.close()


async def test_a_signed_in_member_s_old_token_stays_revoked_after_joining_again() -> None:
    """A signed-in user keeps their user id across joins: only the new token opens the socket."""

    @database_sync_to_async
    def member() -> Any:
        from accounts.models import User

        return User.objects.create_user("ada@example.com", password="pw-123456")

    sid, _, _ = await create()
    user = await member()
    user_id, old_tok = await join(sid, user=user)
    old = await Client(sid, old_tok).open()
    await old.send("leave", {})
    assert await old.closed_with() == 1000

    same_id, new_tok = await join(sid, user=user)
    assert same_id == user_id and new_tok != old_tok
    replay = await Client(sid, old_tok).open(expect_state=False)
    assert (await replay.recv("error"))["payload"]["message"] == "You left this session"
    assert await replay.closed_with() == 4001
    current = await Client(sid, new_tok).open()
    assert current.state["payload"]["you"]["user_id"] == user_id
    await current.send("token_refresh", {"token": old_tok})
    assert (await current.recv("error"))["payload"]["error"] == "Authentication failed"
    await current.close()


async def test_leaving_closes_the_member_s_other_sockets() -> None:
    sid, [(_, host_tok), (guest_id, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    tab_a = await Client(sid, guest_tok).open()
    await host.recv("user_joined")
    tab_b = await Client(sid, guest_tok).open()
    await tab_a.send("leave", {})
    assert await tab_a.closed_with() == 1000
    err = await tab_b.recv_until("error")
    assert err["payload"] == {"error": "Authentication failed", "message": "You left this session"}
    assert await tab_b.closed_with() == 4001
    assert (await host.recv_until("user_left"))["payload"]["user_id"] == guest_id
    await host.close()


async def test_a_cleanly_closed_socket_s_token_reconnects() -> None:
    """A tab reload closes with 1001: the member left (announced at once), and the same token
    brings them back; only an explicit `leave` revokes it."""
    sid, [(_, host_tok), (guest_id, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    guest = await Client(sid, guest_tok).open()
    await host.recv("user_joined")
    await guest.comm.disconnect(code=1001)
    assert (await host.recv("user_left"))["payload"] == {
        "user_id": guest_id,
        "username": "Member 1",
    }
    guest = await Client(sid, guest_tok).open()
    assert guest.state["payload"]["you"]["user_id"] == guest_id
    assert (await host.recv("user_joined"))["payload"]["user_id"] == guest_id
    await guest.close()
    await host.close()
