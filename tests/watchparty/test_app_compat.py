"""WatchParty's own web app against Lobby (issue 15): what the app sends and expects, beside the
document's shapes, written from the shapes alone and checked through the real ASGI stack."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from config.asgi import application
from tests.conftest import session_cookie_for
from tests.watchparty.test_consumers import Client, create, room_with
from watchparty import services
from watchparty.models import Participant

CREATE = "/watchparty/api/sessions/create"
JOIN = "/watchparty/api/sessions/join"
APP = "http://localhost:5173"
ICE = [
    {"urls": "stun:stun.example.org:3478"},
    {"urls": "turn:turn.example.org:3478", "username": "u", "credential": "p"},
]

OFFER_SDP = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
APP_CANDIDATE = {
    "candidate": "candidate:842163049 1 udp 1677729535 127.0.0.1 50001 typ srflx",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "c0ffee",
}


# Sockets need real commits (on_commit publishes); REST tests use the faster `db`.
async_db = pytest.mark.django_db(transaction=True)


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


# --- 1. token claims -------------------------------------------------------------------------


def test_room_token_carries_the_app_s_identity_claims(create_party, join_party) -> None:  # type: ignore[no-untyped-def]
    room = create_party(display_name="Hosty")
    host = claims_of(room["token"])
    assert {k: host[k] for k in ("user_id", "username", "session_id", "is_host")} == {
        "user_id": host["sub"],
        "username": "Hosty",
        "session_id": room["id"],
        "is_host": True,
    }
    assert host["room"] == room["id"] and host["name"] == "Hosty"  # Lobby's own stay
    guest = claims_of(join_party(room["id"], display_name="Viewy")["token"])
    assert (guest["user_id"], guest["username"], guest["session_id"], guest["is_host"]) == (
        guest["sub"],
        "Viewy",
        room["id"],
        False,
    )
    assert Participant.objects.get(user_id=guest["user_id"]).display_name == "Viewy"


# --- 2. create / join, share_url, CORS, cookie, socket Origin ---------------------------------


def test_create_and_join_answer_ice_servers_and_ignore_unknown_fields(api, db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.WATCHPARTY_ICE_SERVERS = ICE
    r = api.post(
        CREATE,
        {"name": "App Night", "password": "secure123", "admin_code": "letmein"},
        format="json",
    )
    assert r.status_code == 200
    room = r.json()
    assert room == {
        "id": room["id"],
        "name": "App Night",
        "share_url": f"http://testserver/watchparty/join/{room['id']}",
        "token": room["token"],
        "ice_servers": ICE,
    }
    r = api.post(
        JOIN,
        {"session_id": room["id"], "password": "secure123", "admin_code": "x", "extra": [1]},
        format="json",
    )
    assert r.status_code == 200
    assert r.json() == {
        "id": room["id"],
        "name": "App Night",
        "token": r.json()["token"],
        "ice_servers": ICE,
    }
    assert Participant.objects.filter(party_id=room["id"]).count() == 2


def test_share_url_points_at_the_app_when_configured(api, db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.WATCHPARTY_APP_URL = "https://party.example.com"
    r = api.post(CREATE, {"name": "App Night", "password": "secure123"}, format="json")
    assert r.status_code == 200
    assert r.json()["share_url"] == f"https://party.example.com/join/{r.json()['id']}"


def test_app_origin_is_enough_for_cors_on_join_and_details(api, db, settings, create_party) -> None:  # type: ignore[no-untyped-def]
    settings.CORS_ALLOWED_ORIGINS = settings.WATCHPARTY_CORS_ORIGINS = [APP]
    room = create_party()
    for method, path in (("POST", JOIN), ("GET", f"/watchparty/api/sessions/{room['id']}")):
        r = api.options(
            path,
            HTTP_ORIGIN=APP,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,authorization",
        )
        assert r.status_code == 200
        assert r["Access-Control-Allow-Origin"] == APP
        assert r["Access-Control-Allow-Credentials"] == "true"
    r = api.get(
        f"/watchparty/api/sessions/{room['id']}",
        HTTP_ORIGIN=APP,
        HTTP_AUTHORIZATION=f"Bearer {room['token']}",
    )
    assert r.status_code == 200 and r["Access-Control-Allow-Origin"] == APP
    r = api.get("/terminals/api/sessions", HTTP_ORIGIN=APP)  # another app: no CORS
    assert "Access-Control-Allow-Origin" not in r


def test_app_request_with_a_lobby_cookie_is_a_guest_not_a_csrf_failure(
    create_party, user_factory, settings
) -> None:  # type: ignore[no-untyped-def]
    """On the same site the browser sends Lobby's session cookie with the app's credentials;
    the app cannot send Lobby's CSRF token. From the app's origin that is a guest; from any
    other origin the cookie still needs the token."""
    settings.CORS_ALLOWED_ORIGINS = settings.WATCHPARTY_CORS_ORIGINS = [APP]
    room = create_party()
    user = user_factory()
    client = APIClient(enforce_csrf_checks=True)
    client.cookies[settings.SESSION_COOKIE_NAME] = session_cookie_for(user)
    body = {"session_id": room["id"], "password": "secure123"}
    r = client.post(JOIN, body, format="json", HTTP_ORIGIN="http://evil.example")
    assert r.status_code == 403 and r.json()["error"] == "Forbidden"
    r = client.post(JOIN, body, format="json", HTTP_ORIGIN=APP)
    assert r.status_code == 200
    guest_id = claims_of(r.json()["token"])["user_id"]
    assert guest_id.startswith("user_") and guest_id != user.public_id
    assert Participant.objects.get(user_id=guest_id).account is None
    assert not Participant.objects.filter(account=user).exists()


def _handshake(path: str, origin: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application, path, headers=[(b"origin", origin.encode()), (b"host", b"testserver")]
    )


@async_db
async def test_app_origin_opens_watch_party_sockets_only(settings, caplog) -> None:  # type: ignore[no-untyped-def]
    settings.WATCHPARTY_CORS_ORIGINS = [APP]
    caplog.set_level("INFO", logger="config.websocket")
    sid, _, tok = await create()
    comm = _handshake(f"/watchparty/ws/{sid}?token={tok}", APP)
    assert (await comm.connect(timeout=5))[0]
    assert (await comm.receive_json_from(timeout=3))["type"] == "session_state"
    await comm.disconnect()
    assert not caplog.records
    paths = ("/terminals/ws", "/terminals/ws/terminal/x", "/bingo/ws/games/x")
    for path in paths:
        refused = _handshake(path, APP)
        connected, _ = await refused.connect(timeout=5)
        assert not connected, path
    # refused by the Origin check at the handshake, before any consumer ran
    assert [r.getMessage() for r in caplog.records] == [f"websocket refused: origin {APP}"] * 3
    other = _handshake(f"/watchparty/ws/{sid}?token={tok}", "http://localhost:5174")
    assert not (await other.connect(timeout=5))[0]


# --- 3. signalling as the app sends it --------------------------------------------------------


async def three_in_a_room() -> tuple[str, list[str], list[Client]]:
    sid, members = await room_with(3)
    clients = [await Client(sid, tok).open() for _, tok in members]
    for c in clients:
        await c.drain(0.1)
    return sid, [m[0] for m in members], clients


@async_db
async def test_app_signalling_is_routed_by_target_id_and_relayed_unchanged() -> None:
    sid, (host_id, a_id, _b_id), clients = await three_in_a_room()
    host, a, b = clients
    offer = {"sdp": {"type": "offer", "sdp": OFFER_SDP}}
    await host.comm.send_json_to(
        {
            "type": "webrtc_offer",
            "payload": offer,
            "target_id": a_id,
            "session_id": sid,
            "user_id": "forged",
            "timestamp": 1,
        }
    )
    got = await a.recv("webrtc_offer")
    assert got["payload"] == offer
    assert got["user_id"] == host_id and got["session_id"] == sid
    assert got["target_id"] == a_id and got["target_user_id"] == a_id
    assert await b.nothing() and await host.nothing()

    answer = {"sdp": {"type": "answer", "sdp": "v=0\r\n"}}
    await a.send("webrtc_answer", answer, target_id=host_id)
    got = await host.recv("webrtc_answer")
    assert (got["payload"], got["user_id"]) == (answer, a_id)
    assert await b.nothing()

    await host.send("ice_candidate", {"candidate": APP_CANDIDATE}, target_id=a_id)
    got = await a.recv("ice_candidate")
    assert got["payload"] == {"candidate": APP_CANDIDATE} and got["user_id"] == host_id
    end_of_candidates = {"candidate": {**APP_CANDIDATE, "candidate": ""}}
    await host.send("ice_candidate", end_of_candidates, target_id=a_id)
    assert (await a.recv("ice_candidate"))["payload"] == end_of_candidates
    assert await b.nothing()

    await host.send("webrtc_offer", offer)  # no target: every other member
    assert (await a.recv("webrtc_offer"))["payload"] == offer
    assert (await b.recv("webrtc_offer"))["payload"] == offer
    assert await host.nothing()
    for c in clients:
        await c.close()


SDP_TYPE = 'payload.sdp.type must be "offer"'
SDP_SDP = "payload.sdp.sdp must be a non-empty string"
CAND = "payload.candidate."


@async_db
@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        ("webrtc_offer", {"sdp": {"type": "answer", "sdp": "v=0"}}, SDP_TYPE),
        ("webrtc_offer", {"sdp": {"type": "offer"}}, SDP_SDP),
        ("webrtc_answer", {"sdp": {"type": "answer", "sdp": ""}}, SDP_SDP),
        ("webrtc_answer", {"sdp": {"type": "answer", "sdp": 5}}, SDP_SDP),
        ("ice_candidate", {"candidate": {"candidate": 5}}, CAND + "candidate must be a string"),
        (
            "ice_candidate",
            {"candidate": {"candidate": "c", "sdpMid": 0}},
            CAND + "sdpMid must be a string or null",
        ),
        (
            "ice_candidate",
            {"candidate": {"candidate": "c", "sdpMLineIndex": "0"}},
            CAND + "sdpMLineIndex must be an integer or null",
        ),
        (
            "ice_candidate",
            {"candidate": {"candidate": "c", "sdpMLineIndex": True}},
            CAND + "sdpMLineIndex must be an integer or null",
        ),
        (
            "ice_candidate",
            {"candidate": {"candidate": "c", "usernameFragment": 7}},
            CAND + "usernameFragment must be a string or null",
        ),
    ],
)
async def test_bad_app_signalling_payload_is_an_error_and_goes_nowhere(
    kind: str, payload: dict, message: str
) -> None:
    sid, (_, a_id, _), clients = await three_in_a_room()
    host, a, b = clients
    await host.send(kind, payload, target_id=a_id)
    err = await host.recv("error")
    assert err["payload"] == {
        "error": "Validation failed",
        "message": f"Invalid {kind}: {message}",
    }
    assert err["session_id"] == sid
    assert await a.nothing() and await b.nothing()
    for c in clients:
        await c.close()


@async_db
async def test_target_id_must_name_a_member_and_agree_with_target_user_id() -> None:
    _sid, (_, a_id, b_id), clients = await three_in_a_room()
    host, a, b = clients
    offer = {"sdp": {"type": "offer", "sdp": OFFER_SDP}}
    await host.send("webrtc_offer", offer, target_id="user_nobody")
    assert (await host.recv("error"))["payload"] == {
        "error": "Participant not found",
        "message": "No such participant in this session",
    }
    await host.send("webrtc_offer", offer, target_id=a_id, target_user_id=b_id)
    assert (await host.recv("error"))["payload"]["message"] == (
        "Invalid webrtc_offer: target_id and target_user_id name different members"
    )
    await host.send("webrtc_offer", offer, target_id=a_id, target_user_id=a_id)
    assert (await a.recv("webrtc_offer"))["payload"] == offer
    assert await b.nothing()
    for c in clients:
        await c.close()


@async_db
async def test_app_signalling_keeps_the_frame_size_limit() -> None:
    _sid, (_, a_id, _), clients = await three_in_a_room()
    host, a, _b = clients
    huge = {"sdp": {"type": "offer", "sdp": "v=0\r\n" + "a=x\r\n" * 14000}}
    await host.comm.send_to(
        text_data=json.dumps({"type": "webrtc_offer", "payload": huge, "target_id": a_id})
    )
    assert (await host.recv("error"))["payload"]["error"] == "Message too large"
    assert await a.nothing()
    for c in clients:
        await c.close()


# --- 4. playback_control -------------------------------------------------------------------


@async_db
async def test_playback_control_goes_to_the_others_with_the_sender_s_identity() -> None:
    sid, (host_id, a_id, _), clients = await three_in_a_room()
    host, a, b = clients
    await a.send(
        "playback_control",
        {"action": "seek_forward", "seek_seconds": 10, "from_user": host_id, "from_username": "X"},
    )
    expected = {
        "action": "seek_forward",
        "seek_seconds": 10,
        "from_user": a_id,
        "from_username": "Member 1",
    }
    for c in (host, b):
        got = await c.recv("playback_control")
        assert got["payload"] == expected
        assert got["user_id"] == a_id and got["session_id"] == sid
    assert await a.nothing()
    for action in ("play", "pause", "toggle", "seek_backward"):
        await host.send("playback_control", {"action": action, "seek_seconds": None})
        got = await a.recv("playback_control")
        assert got["payload"]["action"] == action and got["payload"]["from_user"] == host_id
        await b.recv("playback_control")
    for c in clients:
        await c.close()


ACTION = "payload.action must be one of play, pause, toggle, seek_forward, seek_backward"
SEEK = "payload.seek_seconds must be a number from 0 to 1e+07 or null"


@async_db
@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"action": "rewind"}, ACTION),
        ({}, ACTION),
        ("play", "payload must be an object"),
        ({"action": "seek_forward", "seek_seconds": "10"}, SEEK),
        ({"action": "seek_forward", "seek_seconds": -1}, SEEK),
        ({"action": "seek_forward", "seek_seconds": True}, SEEK),
    ],
)
async def test_bad_playback_control_is_an_error_and_goes_nowhere(
    payload: Any, message: str
) -> None:
    _sid, _ids, clients = await three_in_a_room()
    host, a, b = clients
    await a.send("playback_control", payload)
    assert (await a.recv("error"))["payload"] == {
        "error": "Validation failed",
        "message": f"Invalid playback_control: {message}",
    }
    assert await host.nothing() and await b.nothing()
    for c in clients:
        await c.close()


@async_db
async def test_playback_control_counts_against_the_socket_limit(settings) -> None:  # type: ignore[no-untyped-def]
    settings.WATCHPARTY_RATE_WS = "3/m"
    _sid, _ids, clients = await three_in_a_room()
    host, a, _b = clients
    for _ in range(3):
        await a.send("playback_control", {"action": "toggle"})
        await host.recv("playback_control")
    await a.send("playback_control", {"action": "toggle"})
    assert (await a.recv("error"))["payload"] == {
        "error": "Rate limit exceeded",
        "message": "Maximum 3 messages per minute",
    }
    assert await host.nothing()
    for c in clients:
        await c.close()


# --- 5. history as chat ------------------------------------------------------------------------


@async_db
async def test_history_arrives_as_ordinary_chat_frames_after_session_state() -> None:
    sid, [(host_id, host_tok), (guest_id, guest_tok)] = await room_with(2)
    for i in range(55):
        who, name = (host_id, "Host") if i % 2 == 0 else (guest_id, "Member 1")
        await database_sync_to_async(services.chat_post)(
            party_id=sid, user_id=who, username=name, message=f"line {i}"
        )
    guest = await Client(sid, guest_tok).open()
    frames = await guest.drain()
    assert [f["type"] for f in frames] == ["chat"] * 50  # only the history: no duplicates
    assert [f["payload"]["message"] for f in frames] == [f"line {i}" for i in range(5, 55)]
    assert frames == [
        {
            "type": "chat",
            "payload": p,
            "session_id": sid,
            "user_id": p["user_id"],
            "timestamp": p["timestamp"],
        }
        for p in guest.state["payload"]["chat"]
    ]
    assert frames[0]["user_id"] == guest_id  # line 5: your own earlier message is yours
    await guest.close()

    host = await Client(sid, host_tok).open()
    history = await host.drain()
    await host.send("chat", {"message": "live"})
    live = await host.recv("chat")
    assert set(live) == set(history[0]) and set(live["payload"]) == set(history[0]["payload"])
    await host.close()


@async_db
async def test_history_comes_after_the_late_playback_state() -> None:
    sid, [(_, host_tok), (_, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    await host.send("playback_state", {"playing": False, "currentTime": 7})
    await host.recv("playback_state")
    await host.send("chat", {"message": "popcorn?"})
    await host.recv("chat")
    guest = await Client(sid, guest_tok).open()
    assert [m["type"] for m in await guest.drain()] == ["playback_state", "chat"]
    await guest.close()
    await host.close()


# --- 6. join and leave ------------------------------------------------------------------------


@async_db
async def test_user_joined_never_reaches_the_member_who_joined() -> None:
    """Not even their other open socket (here: a slot that was recorded as left while a tab
    stayed open, so the next socket announces them again)."""
    sid, [(_, host_tok), (guest_id, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    tab_a = await Client(sid, guest_tok).open()
    assert (await host.recv("user_joined"))["payload"]["user_id"] == guest_id
    await database_sync_to_async(Participant.objects.filter(user_id=guest_id).update)(
        announced=False
    )
    tab_b = await Client(sid, guest_tok).open()
    assert (await host.recv("user_joined"))["payload"]["user_id"] == guest_id
    assert await tab_a.nothing() and await tab_b.nothing()
    for c in (tab_a, tab_b, host):
        await c.close()


@async_db
@pytest.mark.parametrize("code", [1000, 1001])
async def test_a_clean_close_leaves_at_once(code: int, settings) -> None:  # type: ignore[no-untyped-def]
    settings.WATCHPARTY_RECONNECT_GRACE = 60.0
    sid, [(host_id, host_tok), (guest_id, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    guest = await Client(sid, guest_tok).open()
    await host.recv("user_joined")
    await host.comm.disconnect(code=code)  # the host's tab closes
    left = await guest.recv("user_left")  # now, not after the 60 s grace
    assert left["payload"] == {"user_id": host_id, "username": left["payload"]["username"]}
    handover = await guest.recv("host_transfer")
    assert handover["payload"]["host_id"] == guest_id
    host_row = await database_sync_to_async(Participant.objects.get)(user_id=host_id)
    assert host_row.left_at is not None and host_row.connected_count == 0
    assert await guest.nothing()
    await guest.close()


@async_db
async def test_an_abnormal_drop_keeps_the_seat(settings) -> None:  # type: ignore[no-untyped-def]
    settings.WATCHPARTY_RECONNECT_GRACE = 60.0
    sid, [(_, host_tok), (guest_id, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    guest = await Client(sid, guest_tok).open()
    await host.recv("user_joined")
    await guest.drop()
    presence = await host.recv("presence")
    assert presence["payload"] == {"user_id": guest_id, "username": "Member 1", "connected": False}
    assert await host.nothing(0.5)
    row = await database_sync_to_async(Participant.objects.get)(user_id=guest_id)
    assert row.left_at is None
    await host.close()


@async_db
async def test_closing_one_of_two_tabs_cleanly_is_not_a_leave() -> None:
    sid, [(_, host_tok), (guest_id, guest_tok)] = await room_with(2)
    host = await Client(sid, host_tok).open()
    tab_a = await Client(sid, guest_tok).open()
    await host.recv("user_joined")
    tab_b = await Client(sid, guest_tok).open()
    await tab_a.close()
    assert await host.nothing()
    row = await database_sync_to_async(Participant.objects.get)(user_id=guest_id)
    assert row.left_at is None and row.connected_count == 1
    await tab_b.close()
    assert (await host.recv("user_left"))["payload"]["user_id"] == guest_id
    await host.close()
