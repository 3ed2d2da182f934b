"""Both CHROTE sockets on the real ASGI stack, against a private tmux server."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from accounts.models import Role, User
from config.asgi import application
from config.broadcast import abroadcast, group_name
from terminals import streams
from terminals.models import Claim, KeyEvent, Viewer
from tests.conftest import session_cookie_for
from tests.terminals.conftest import in_own_loop

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://testserver")


def communicator(path: str, user: User | None = None, origin=ORIGIN) -> WebsocketCommunicator:
    headers = [(b"host", b"testserver")]
    if origin:
        headers.append(origin)
    if user is not None:
        headers.append((b"cookie", f"sessionid={session_cookie_for(user)}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def expect(comm: WebsocketCommunicator, predicate, timeout: float = 5.0) -> dict:
    """The first message matching `predicate` (others are skipped) within `timeout`."""
    async with asyncio.timeout(timeout):
        while True:
            message = await comm.receive_json_from(timeout=timeout)
            if predicate(message):
                return message


async def expect_output(comm, text: str, timeout: float = 5.0) -> str:
    seen = ""
    async with asyncio.timeout(timeout):
        while text not in seen:
            message = await comm.receive_json_from(timeout=timeout)
            if message["type"] == "output":
                seen += message["data"]
    return seen


async def closed_with(comm: WebsocketCommunicator, timeout: float = 5) -> int:
    """The close code the server sent (messages before it are skipped); then the client goes."""
    async with asyncio.timeout(timeout):
        while True:
            output = await comm.receive_output(timeout=timeout)
            if output["type"] == "websocket.close":
                break
    await comm.disconnect()
    return output["code"]


@pytest.fixture
def people(user_factory):
    return {
        "op": user_factory(role=Role.OPERATOR, name="Olga"),
        "op2": user_factory(role=Role.OPERATOR, name="Otto"),
        "viewer": user_factory(role=Role.VIEWER, name="Vera"),
        "admin": user_factory(role=Role.ADMIN, name="Ada"),
    }


def claim(session_name: str, user: User, seconds: int = 600) -> Claim:
    return Claim.objects.create(
        session_name=session_name, user=user, expires_at=timezone.now() + timedelta(seconds=seconds)
    )


# --- per-session socket ------------------------------------------------------------------------


@in_own_loop
async def test_terminal_socket_without_user_closes_4001(make_session):
    make_session("main")
    comm = communicator("/terminals/ws/terminal/main")
    connected, _ = await comm.connect()
    assert connected
    assert await closed_with(comm) == 4001


@in_own_loop
async def test_terminal_socket_unknown_session_closes_4004(make_session, people):
    make_session("main")
    for path in ["/terminals/ws/terminal/nope", "/terminals/ws/terminal/main?pane=9"]:
        comm = communicator(path, people["viewer"])
        await comm.connect()
        assert await closed_with(comm) == 4004


@in_own_loop
async def test_terminal_socket_refuses_foreign_origin(make_session, people):
    make_session("main")
    comm = communicator(
        "/terminals/ws/terminal/main", people["op"], origin=(b"origin", b"http://evil.example")
    )
    connected, _ = await comm.connect()
    assert not connected
    comm = communicator(
        "/terminals/ws/terminal/main", people["op"], origin=(b"origin", b"https://testserver")
    )
    connected, _ = await comm.connect()
    assert not connected  # scheme differs


@in_own_loop
async def test_terminal_socket_sends_connected_then_screen_with_scrollback(make_session, people):
    session = make_session("main", height=8)
    session.active_window.active_pane.send_keys("seq 1 50; echo done-$((6*7))", enter=True)
    from tests.terminals.conftest import capture_text, wait_until

    wait_until(lambda: "done-42" in capture_text(session), what="seq")
    comm = communicator("/terminals/ws/terminal/main", people["viewer"])
    assert (await comm.connect())[0]
    connected = await comm.receive_json_from(timeout=5)
    assert connected["type"] == "connected"
    assert connected["sessionId"] == "main"
    assert connected["userId"] == people["viewer"].public_id
    assert connected["role"] == "viewer"
    screen = await comm.receive_json_from(timeout=5)
    assert screen["type"] == "output" and screen["pane"] == "0"
    assert screen["timestamp"].endswith("Z")
    lines = screen["data"].split("\r\n")
    assert any(line.strip() == "1" for line in lines)  # scrolled off the 8-row screen
    assert "done-42" in screen["data"]
    await comm.disconnect()


@in_own_loop
async def test_terminal_socket_send_keys_rules_and_live_output(make_session, people):
    make_session("main")
    op = communicator("/terminals/ws/terminal/main", people["op"])
    viewer = communicator("/terminals/ws/terminal/main", people["viewer"])
    for comm in (op, viewer):
        assert (await comm.connect())[0]
        await expect(comm, lambda m: m["type"] == "output")

    await viewer.send_json_to({"type": "sendKeys", "keys": "echo no\r"})
    error = await expect(viewer, lambda m: m["type"] == "error")
    assert error == {
        "type": "error",
        "code": "NOT_OPERATOR",
        "message": "Only operators can send keys",
    }
    await op.send_json_to({"type": "sendKeys", "keys": "echo no\r", "pane": "0"})
    error = await expect(op, lambda m: m["type"] == "error")
    assert error == {
        "type": "error",
        "code": "NOT_CLAIMED",
        "message": "You must claim the session before sending keys",
    }
    assert not KeyEvent.objects.exists()

    claim("main", people["op"])
    await op.send_json_to({"type": "sendKeys", "keys": "echo hi-$((20+3))\r", "pane": "0"})
    await expect_output(op, "hi-23")
    await expect_output(viewer, "hi-23")
    event = KeyEvent.objects.get()
    assert event.user == people["op"] and event.session_name == "main" and event.pane == "0"
    assert bytes(event.data) == b"echo hi-$((20+3))\r"
    for comm in (op, viewer):
        await comm.disconnect()


@in_own_loop
async def test_terminal_socket_bad_messages(make_session, people):
    make_session("main")
    claim("main", people["op"])
    comm = communicator("/terminals/ws/terminal/main", people["op"])
    await comm.connect()
    await expect(comm, lambda m: m["type"] == "output")
    cases = [
        ("{not json", "INVALID_MESSAGE"),
        ("[]", "INVALID_MESSAGE"),
        (json.dumps({"type": 5}), "INVALID_MESSAGE"),
        (json.dumps({"type": "dance"}), "UNKNOWN_TYPE"),
        (json.dumps({"type": "sendKeys"}), "INVALID_MESSAGE"),
        (json.dumps({"type": "sendKeys", "keys": ["x"]}), "INVALID_MESSAGE"),
        (json.dumps({"type": "sendKeys", "keys": ""}), "INVALID_MESSAGE"),
        (json.dumps({"type": "sendKeys", "keys": "x" * (64 * 1024 + 1)}), "INVALID_MESSAGE"),
        (json.dumps({"type": "sendKeys", "keys": "x", "pane": "7"}), "SESSION_NOT_FOUND"),
    ]
    for frame, code in cases:
        await comm.send_to(text_data=frame)
        error = await expect(comm, lambda m: m["type"] == "error")
        assert error["code"] == code, frame[:40]
    assert not KeyEvent.objects.exists()
    await comm.send_to(bytes_data=b"\x00")
    assert (await expect(comm, lambda m: m["type"] == "error"))["code"] == "INVALID_MESSAGE"
    await comm.disconnect()


@in_own_loop
async def test_terminal_socket_64_kib_paste_is_accepted_at_the_limit(raw_sink, people):
    _, out = raw_sink("sink")
    claim("sink", people["op"])
    comm = communicator("/terminals/ws/terminal/sink", people["op"])
    await comm.connect()
    await expect(comm, lambda m: m["type"] == "output")
    payload = "é;\\;$(x)\x1b[A" * 100
    payload = (
        (payload * (65536 // len(payload.encode()) + 1)).encode()[:65536].decode("utf-8", "ignore")
    )
    await comm.send_json_to({"type": "sendKeys", "keys": payload})
    expected = payload.encode()
    from tests.terminals.conftest import wait_until

    await asyncio.to_thread(wait_until, lambda: out.stat().st_size >= len(expected), 20, "paste")
    assert out.read_bytes() == expected
    assert KeyEvent.objects.get().size == len(expected)
    await comm.disconnect()


@in_own_loop
async def test_terminal_socket_heartbeat_timeout_closes_4000(make_session, people, settings):
    settings.TERMINALS_HEARTBEAT_TIMEOUT = 0.6
    make_session("main")
    comm = communicator("/terminals/ws/terminal/main", people["viewer"])
    await comm.connect()
    await expect(comm, lambda m: m["type"] == "output")
    for _ in range(3):  # heartbeats keep it open past the timeout
        await asyncio.sleep(0.3)
        await comm.send_json_to({"type": "heartbeat"})
    last = time.monotonic()
    assert await closed_with(comm) == 4000
    assert time.monotonic() - last >= 0.4


@in_own_loop
async def test_a_demotion_closes_open_sockets_4001_so_they_reconnect_as_who_they_are_now(
    make_session, people
):
    make_session("main")
    op = people["op"]
    comm = communicator("/terminals/ws/terminal/main", op)
    await comm.connect()
    await expect(comm, lambda m: m["type"] == "output")
    await abroadcast(
        group_name("user", op.public_id),
        "user.changed",
        {"role": "viewer", "active": True, "member": True},
    )
    assert await closed_with(comm) == 4001


@in_own_loop
async def test_removal_from_the_workspace_closes_open_sockets_4003(make_session, people):
    make_session("main")
    viewer = people["viewer"]
    comm = communicator("/terminals/ws", viewer)
    await comm.connect()
    await expect(comm, lambda m: m["type"] == "sessions")
    await abroadcast(
        group_name("user", viewer.public_id),
        "user.changed",
        {"role": "viewer", "active": True, "member": False},
    )
    assert await closed_with(comm) == 4003


@in_own_loop
async def test_session_killed_closes_terminal_socket_4004(make_session, people, tmux_server):
    make_session("main")
    comm = communicator("/terminals/ws/terminal/main", people["viewer"])
    await comm.connect()
    await expect(comm, lambda m: m["type"] == "output")
    await asyncio.to_thread(tmux_server.kill_session, "main")
    assert await closed_with(comm) == 4004


@in_own_loop
async def test_stream_stops_when_the_last_subscriber_leaves(make_session, people):
    make_session("main")
    a = communicator("/terminals/ws/terminal/main", people["viewer"])
    b = communicator("/terminals/ws/terminal/main", people["op"])
    for comm in (a, b):
        await comm.connect()
        await expect(comm, lambda m: m["type"] == "output")
    assert streams.active_streams() == ["main"]
    await expect(b, lambda m: m["type"] == "presence" and len(m["users"]) == 2)
    assert Viewer.objects.filter(session_name="main").count() == 2
    await a.disconnect()
    assert streams.active_streams() == ["main"]
    await b.disconnect()
    assert streams.active_streams() == []
    assert not Viewer.objects.exists()


# --- multi-session socket ----------------------------------------------------------------------


@in_own_loop
async def test_ws_without_user_closes_4001(tmux_server):
    comm = communicator("/terminals/ws")
    await comm.connect()
    assert await closed_with(comm) == 4001


@in_own_loop
async def test_ws_subscribe_presence_output_and_unsubscribe(make_session, people):
    make_session("main")
    comm = communicator("/terminals/ws", people["viewer"])
    assert (await comm.connect())[0]
    sessions = await comm.receive_json_from(timeout=5)
    assert sessions["type"] == "sessions"
    assert sessions["sessions"][0]["id"] == "main"
    assert sessions["sessions"][0]["claim"] is None
    await comm.send_json_to({"type": "subscribe", "sessionId": "main"})
    screen = await expect(comm, lambda m: m["type"] == "output")
    assert screen["sessionId"] == "main" and "$" in screen["data"]
    presence = await expect(comm, lambda m: m["type"] == "presence")
    assert presence == {
        "type": "presence",
        "sessionId": "main",
        "users": [
            {"id": people["viewer"].public_id, "name": "Vera", "avatarUrl": ""},
        ],
    }
    await comm.send_json_to({"type": "unsubscribe", "sessionId": "main"})
    await expect(comm, lambda m: m["type"] == "sessions")
    assert not Viewer.objects.exists()
    assert streams.active_streams() == []
    await comm.disconnect()


@in_own_loop
async def test_ws_send_keys_claim_release_rules(make_session, people):
    make_session("main")
    op = communicator("/terminals/ws", people["op"])
    op2 = communicator("/terminals/ws", people["op2"])
    viewer = communicator("/terminals/ws", people["viewer"])
    for comm in (op, op2, viewer):
        await comm.connect()
        await comm.send_json_to({"type": "subscribe", "sessionId": "main"})
        await expect(comm, lambda m: m["type"] == "output")

    await viewer.send_json_to({"type": "sendKeys", "sessionId": "main", "keys": "x"})
    assert await expect(viewer, lambda m: m["type"] == "error") == {
        "type": "error",
        "code": "FORBIDDEN",
        "message": "Viewers cannot send keys",
    }
    # unclaimed: any operator may type (the multi-session socket's rule)
    await op2.send_json_to(
        {"type": "sendKeys", "sessionId": "main", "keys": "echo free-$((1+1))\r"}
    )
    await expect_output(viewer, "free-2")

    await op.send_json_to({"type": "claim", "sessionId": "main"})
    claimed = await expect(viewer, lambda m: m["type"] == "claimed")
    assert claimed["sessionId"] == "main"
    assert claimed["by"] == {"id": people["op"].public_id, "name": "Olga"}
    assert claimed["expiresAt"].endswith("Z")

    await op2.send_json_to({"type": "sendKeys", "sessionId": "main", "keys": "x"})
    assert (await expect(op2, lambda m: m["type"] == "error"))["code"] == "CLAIM_REQUIRED"
    await op2.send_json_to({"type": "claim", "sessionId": "main"})
    error = await expect(op2, lambda m: m["type"] == "error")
    assert error["code"] == "ALREADY_CLAIMED"
    assert error["claimedBy"] == people["op"].public_id
    await op2.send_json_to({"type": "release", "sessionId": "main"})
    assert (await expect(op2, lambda m: m["type"] == "error"))["code"] == "FORBIDDEN"
    await viewer.send_json_to({"type": "claim", "sessionId": "main"})
    assert (await expect(viewer, lambda m: m["type"] == "error"))["code"] == "FORBIDDEN"

    await op.send_json_to({"type": "sendKeys", "sessionId": "main", "keys": "echo mine-$((2+2))\r"})
    await expect_output(viewer, "mine-4")
    assert KeyEvent.objects.count() == 2

    await op.send_json_to({"type": "release", "sessionId": "main"})
    assert await expect(viewer, lambda m: m["type"] == "released") == {
        "type": "released",
        "sessionId": "main",
    }
    assert not Claim.objects.exists()
    for comm in (op, op2, viewer):
        await comm.disconnect()


@in_own_loop
async def test_ws_bad_messages(make_session, people):
    make_session("main")
    comm = communicator("/terminals/ws", people["op"])
    await comm.connect()
    await expect(comm, lambda m: m["type"] == "sessions")
    cases = [
        ("nope", "INVALID_MESSAGE"),
        (json.dumps({"type": "subscribe"}), "INVALID_MESSAGE"),
        (json.dumps({"type": "subscribe", "sessionId": 3}), "INVALID_MESSAGE"),
        (json.dumps({"type": "subscribe", "sessionId": "ghost"}), "SESSION_NOT_FOUND"),
        (json.dumps({"type": "claim", "sessionId": "ghost"}), "SESSION_NOT_FOUND"),
        (json.dumps({"type": "sendKeys", "sessionId": "ghost", "keys": "x"}), "SESSION_NOT_FOUND"),
        (json.dumps({"type": "release", "sessionId": "main"}), "NOT_FOUND"),
        (json.dumps({"type": "fly"}), "UNKNOWN_TYPE"),
    ]
    for frame, code in cases:
        await comm.send_to(text_data=frame)
        assert (await expect(comm, lambda m: m["type"] == "error"))["code"] == code, frame
    await comm.send_json_to({"type": "heartbeat"})
    assert await comm.receive_nothing(timeout=0.2)
    await comm.disconnect()


@in_own_loop
async def test_claim_expiry_is_released_and_announced(make_session, people, settings):
    make_session("main")
    settings.TERMINALS_CLAIM_TTL = 1
    comm = communicator("/terminals/ws", people["viewer"])
    await comm.connect()
    await comm.send_json_to({"type": "subscribe", "sessionId": "main"})
    await expect(comm, lambda m: m["type"] == "output")
    holder = communicator("/terminals/ws", people["op"])
    await holder.connect()
    await holder.send_json_to({"type": "claim", "sessionId": "main"})
    await expect(comm, lambda m: m["type"] == "claimed")
    released = await expect(comm, lambda m: m["type"] == "released", timeout=5)
    assert released == {"type": "released", "sessionId": "main"}
    assert not Claim.objects.exists()
    for c in (comm, holder):
        await c.disconnect()


@in_own_loop
async def test_ws_subscriber_sees_sessions_updates_on_claim(make_session, people):
    make_session("main")
    comm = communicator("/terminals/ws", people["viewer"])
    await comm.connect()
    await expect(comm, lambda m: m["type"] == "sessions")
    claim_row = await asyncio.to_thread(lambda: None)  # noqa: F841 - keep ordering explicit
    from terminals import services

    await asyncio.to_thread(services.claim_acquire, session_name="main", user=people["op"])
    update = await expect(comm, lambda m: m["type"] == "sessions")
    assert update["sessions"][0]["claim"]["userId"] == people["op"].public_id
    await comm.disconnect()


@in_own_loop
async def test_ws_closes_4001_when_the_user_is_deactivated(make_session, people):
    make_session("main")
    viewer = people["viewer"]
    comm = communicator("/terminals/ws", viewer)
    await comm.connect()
    await expect(comm, lambda m: m["type"] == "sessions")
    await abroadcast(
        group_name("user", viewer.public_id), "user.changed", {"role": "operator", "active": True}
    )
    await comm.send_json_to({"type": "claim", "sessionId": "main"})
    # promoted by the event, and the database agrees only if it was really changed: it wasn't
    assert (await expect(comm, lambda m: m["type"] == "error"))["code"] == "FORBIDDEN"
    User.objects.filter(pk=viewer.pk).update(role=Role.OPERATOR)
    await comm.send_json_to({"type": "claim", "sessionId": "main"})
    assert (await expect(comm, lambda m: m["type"] == "claimed"))["by"]["id"] == viewer.public_id
    await abroadcast(
        group_name("user", viewer.public_id), "user.changed", {"role": "operator", "active": False}
    )
    assert await closed_with(comm) == 4001


@in_own_loop
async def test_the_claim_holders_size_wins_and_watchers_hear_it(make_session, people):
    make_session("main", width=80, height=24)
    claim("main", people["op"])
    holder = communicator("/terminals/ws/terminal/main", people["op"])
    watcher = communicator("/terminals/ws/terminal/main", people["viewer"])
    for comm in (holder, watcher):
        await comm.connect()
        connected = await expect(comm, lambda m: m["type"] == "connected")
        assert (connected["cols"], connected["rows"]) == (80, 24)
    await watcher.send_json_to({"type": "resize", "cols": 40, "rows": 10})  # ignored
    await holder.send_json_to({"type": "resize", "cols": 120, "rows": 30})
    resized = await expect(watcher, lambda m: m["type"] == "resize")
    assert (resized["cols"], resized["rows"]) == (120, 30)
    await holder.send_json_to({"type": "resize", "cols": 1, "rows": 10})
    assert (await expect(holder, lambda m: m["type"] == "error"))["code"] == "INVALID_MESSAGE"
    await holder.send_json_to({"type": "resize", "cols": "wide", "rows": 10})
    assert (await expect(holder, lambda m: m["type"] == "error"))["code"] == "INVALID_MESSAGE"
    for comm in (holder, watcher):
        await comm.disconnect()


@in_own_loop
async def test_sessions_made_outside_lobby_reach_the_list(make_session, people, tmux_server):
    make_session("main")
    watcher = communicator("/terminals/ws/terminal/main", people["viewer"])
    await watcher.connect()
    await expect(watcher, lambda m: m["type"] == "output")
    lobby = communicator("/terminals/ws", people["viewer"])
    await lobby.connect()
    await expect(lobby, lambda m: m["type"] == "sessions")
    await asyncio.to_thread(tmux_server.new_session, session_name="outside")
    update = await expect(
        lobby, lambda m: m["type"] == "sessions" and len(m["sessions"]) == 2, timeout=5
    )
    assert sorted(s["id"] for s in update["sessions"]) == ["main", "outside"]
    for comm in (watcher, lobby):
        await comm.disconnect()


@in_own_loop
async def test_deactivated_user_is_closed_at_the_next_heartbeat_without_an_event(
    make_session, people
):
    make_session("main")
    viewer = people["viewer"]
    comm = communicator("/terminals/ws/terminal/main", viewer)
    await comm.connect()
    await expect(comm, lambda m: m["type"] == "output")
    User.objects.filter(pk=viewer.pk).update(is_active=False)
    await comm.send_json_to({"type": "heartbeat"})
    assert await closed_with(comm) == 4001


def test_any_frame_gets_an_answer_and_the_socket_stays_open(make_session, people):
    """Fuzz both sockets with arbitrary JSON and text: every frame is answered with an error (or
    accepted), nothing is typed without authority, and the socket stays usable."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    make_session("main")
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=10,
    )
    types = st.sampled_from(["sendKeys", "subscribe", "claim", "release", "resize", "x", ""])
    envelopes = st.fixed_dictionaries(
        {"type": types},
        optional={"sessionId": json_values, "keys": json_values, "pane": json_values},
    )
    frames = st.one_of(envelopes.map(json.dumps), json_values.map(json.dumps), st.text(min_size=1))
    frames_seen: list[str] = []

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(frames)
    def collect(frame: str) -> None:
        frames_seen.append(frame)

    collect()

    @in_own_loop
    async def run() -> None:
        for path in ["/terminals/ws/terminal/main", "/terminals/ws"]:
            comm = communicator(path, people["viewer"])
            await comm.connect()
            first = "sessions" if path.endswith("/ws") else "output"
            await expect(comm, lambda m, first=first: m["type"] == first)
            for frame in frames_seen:
                await comm.send_to(text_data=frame)
            await comm.send_json_to({"type": "heartbeat"})
            await comm.send_to(bytes_data=b"the end")  # answered last: all frames were handled
            await expect(
                comm, lambda m: m.get("message") == "Binary frames are not supported", timeout=20
            )
            assert not KeyEvent.objects.exists()  # a viewer never typed
            await comm.disconnect()

    run()


@in_own_loop
async def test_sockets_when_tmux_is_unreachable(people, settings):
    settings.TERMINALS_TMUX_SOCKET = "/etc/hostname/not-a-socket"
    comm = communicator("/terminals/ws/terminal/main", people["viewer"])
    await comm.connect()
    assert await closed_with(comm) == 4013
    comm = communicator("/terminals/ws", people["op"])
    assert (await comm.connect())[0]
    await comm.send_json_to({"type": "subscribe", "sessionId": "main"})
    error = await expect(comm, lambda m: m["type"] == "error")
    assert error == {"type": "error", "code": "UNAVAILABLE", "message": "CHROTE API not available"}
    await comm.send_json_to({"type": "claim", "sessionId": "main"})
    assert (await expect(comm, lambda m: m["type"] == "error"))["code"] == "UNAVAILABLE"
    assert not Claim.objects.exists()
    await comm.disconnect()


# --- floods: a socket's share of the output (terminals.streams.OutputFlow) ----------------------

REPAINT = "\x1b[0m\x1b[H\x1b[2J"
FLOOD_CHARS = 3_000_000


async def _ride_out_a_flood(comm, session, data_of) -> tuple[int, int, str]:  # type: ignore[no-untyped-def]
    """Flood the pane with FLOOD_CHARS characters, then print a marker; read the socket until the
    marker is on it. Returns (characters received, repaints received, last output)."""
    session.active_window.active_pane.send_keys(
        f"yes 0123456789abcdef | head -c {FLOOD_CHARS}; echo flood-done-$((6*7))", enter=True
    )
    received = repaints = 0
    last = ""
    async with asyncio.timeout(30):
        while "flood-done-42" not in last:
            data = data_of(await comm.receive_json_from(timeout=30))
            if data is None:
                continue
            received += len(data)
            repaints += data.startswith(REPAINT)
            last = data if data.startswith(REPAINT) else last + data
    return received, repaints, last


@in_own_loop
async def test_a_flood_reaches_the_socket_as_its_share_then_repaints_then_live(
    make_session, people, settings
):
    settings.TERMINALS_OUTPUT_RATE = 50_000
    settings.TERMINALS_OUTPUT_BURST = 50_000
    session = make_session("main")
    comm = communicator("/terminals/ws/terminal/main", people["viewer"])
    assert (await comm.connect())[0]
    await expect(comm, lambda m: m["type"] == "output")  # the screen on connect
    started = time.monotonic()

    def output(message: dict) -> str | None:
        return message["data"] if message["type"] == "output" else None

    received, repaints, last = await _ride_out_a_flood(comm, session, output)
    elapsed = time.monotonic() - started
    # the burst, the rate for as long as it lasted, and the repaints (a screen each, 5 a second)
    screen = 80 * 24 * 4
    assert received <= 50_000 + 50_000 * elapsed + screen * (5 * elapsed + 2)
    assert received < FLOOD_CHARS / 10
    assert repaints >= 1
    assert last.startswith(REPAINT) or "flood-done-42" in last
    # once the pane has been quiet (a repaint then is exact), output is live again, not repaints
    while not await comm.receive_nothing(timeout=1.0):  # repaints come every 0.2 s until then
        await comm.receive_json_from()
    session.active_window.active_pane.send_keys("echo after-$((1+1))", enter=True)
    seen = await expect(
        comm, lambda m: m["type"] == "output" and "after-2" in m["data"], timeout=10
    )
    assert not seen["data"].startswith(REPAINT)
    await comm.disconnect()


@in_own_loop
async def test_a_flood_on_the_sessions_socket_is_bounded_too(make_session, people, settings):
    settings.TERMINALS_OUTPUT_RATE = 50_000
    settings.TERMINALS_OUTPUT_BURST = 50_000
    session = make_session("main")
    comm = communicator("/terminals/ws", people["viewer"])
    assert (await comm.connect())[0]
    await comm.send_json_to({"type": "subscribe", "sessionId": "main"})
    await expect(comm, lambda m: m["type"] == "output")

    def output(message: dict) -> str | None:
        if message["type"] == "output" and message["sessionId"] == "main":
            return message["data"]
        return None

    received, repaints, _ = await _ride_out_a_flood(comm, session, output)
    assert received < FLOOD_CHARS / 10
    assert repaints >= 1
    await comm.disconnect()
