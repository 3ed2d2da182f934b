"""The apps on two Daphne processes (Redis channel layer and cache, PostgreSQL) behind nginx.

A watch party with members on both processes; bingo draws on one and live updates on a socket of
the other; a terminal subscribed on both; bingo's PIN lockout counted once across processes.
Real sockets (the `websockets` client) straight to each Daphne, so each test knows which
process a member is on.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import libtmux
import pytest
import requests
from websockets.sync.client import ClientConnection, connect

from deploy.cluster import Cluster
from tests.cluster.conftest import cluster_shell, start_cluster

pytestmark = pytest.mark.redis

ADMIN_EMAIL = "caller@example.com"
APP_ENV = {
    "BINGO_ADMIN_EMAILS": ADMIN_EMAIL,
    "BINGO_RATE_GET": "100000/m",
    "BINGO_RATE_POST": "100000/m",
    "WATCHPARTY_RATE_CREATE": "100000/h",
    "WATCHPARTY_RATE_JOIN": "100000/m",
    "WATCHPARTY_BCRYPT_ROUNDS": "4",
    "LOBBY_LOG_LEVEL": "WARNING",
}

SETUP = f"""
import json
from accounts.models import Role, User
from accounts.services import api_session_create
from bingo import services as bingo
admin = User.objects.create_user(email={ADMIN_EMAIL!r}, password='caller-Lobby-123')
games = [bingo.game_create(name=f'Cluster Bingo {{i}}', creator=admin) for i in range(4)]
op = User.objects.create_user(
    email='olga@example.com', password='olga-Lobby-123', role=Role.OPERATOR, name='Olga',
    is_member=True,
)
print(json.dumps({{
    'admin': api_session_create(user=admin, label='cluster')[1],
    'games': [[g.public_id, g.pin] for g in games],
    'operator': api_session_create(user=op, label='cluster')[1],
}}))
"""


# --- helpers the fault tests share ---------------------------------------------------------------


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://", 1) + path


def ws_open(base: str, path: str) -> ClientConnection:
    """An open client socket; usable in `with` (closes it) or closed by the test."""
    ws = connect(ws_url(base, path), open_timeout=10, close_timeout=2, max_size=None)
    return ws.__enter__()  # entered now: some tests hold sockets across a process kill


def recv_until(
    ws: ClientConnection, predicate: Callable[[dict], bool], timeout: float = 10.0
) -> dict:
    """The first message matching `predicate` within `timeout` (others are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("no matching message in time")
        message = json.loads(ws.recv(timeout=remaining))
        if predicate(message):
            return message


def output_until(ws: ClientConnection, text: str, timeout: float = 10.0) -> str:
    """Terminal output accumulated until `text` appears in it."""
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{text!r} not in the output: {seen[-500:]!r}")
        message = json.loads(ws.recv(timeout=remaining))
        if message.get("type") == "output":
            seen += message["data"]
    return seen


def app_cluster(tmp_path_factory) -> Iterator[tuple[Cluster, dict[str, Any], libtmux.Server]]:  # type: ignore[no-untyped-def]
    """A cluster with a bingo admin, games, an operator, and a private tmux server."""
    tmux_name = f"lobby-cluster-{uuid.uuid4().hex[:10]}"
    tmux = libtmux.Server(socket_name=tmux_name)
    c = start_cluster(tmp_path_factory, TERMINALS_TMUX_SOCKET=tmux_name, **APP_ENV)
    try:
        info = json.loads(cluster_shell(c, SETUP).splitlines()[-1])
        yield c, info, tmux
    finally:
        c.stop()
        if tmux.is_alive():
            tmux.kill()
        tmux_socket_path(tmux_name).unlink(missing_ok=True)
        shutil.rmtree(c.data, ignore_errors=True)


def tmux_socket_path(name: str) -> Path:
    """Where tmux puts a `-L name` socket (tmux leaves the file behind after kill-server)."""
    return Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}" / name


def bingo_player(base: str, name: str) -> str:
    r = requests.post(
        f"{base}/bingo/auth/session",
        json={"email": f"{name}@example.com", "device_key_hash": f"device-{name}"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()["session_id"]


def bingo_join(base: str, session: str, game_id: str, pin: str) -> requests.Response:
    return requests.post(
        f"{base}/bingo/games/{game_id}/join",
        json={"pin": pin},
        headers={"X-Session-Id": session},
        timeout=10,
    )


def bingo_draw(base: str, admin: str, game_id: str) -> dict:
    r = requests.post(
        f"{base}/bingo/games/{game_id}/draw", headers={"X-Session-Id": admin}, timeout=15
    )
    assert r.status_code == 200, r.text
    return r.json()


def party_create(base: str) -> dict:
    r = requests.post(
        f"{base}/watchparty/api/sessions/create",
        json={"name": "Cluster Night", "password": "secure123"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()


def party_join(base: str, session_id: str) -> dict:
    r = requests.post(
        f"{base}/watchparty/api/sessions/join",
        json={"session_id": session_id, "password": "secure123"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()


def party_across(a: str, b: str) -> tuple[dict, dict, ClientConnection, ClientConnection]:
    """A room created on `a` with a member joined through `b`: the room, the host's
    session_state, and both sockets. The member's opens once the host's is in the room."""
    room = party_create(a)
    member = party_join(b, room["id"])
    host_ws = ws_open(a, f"/watchparty/ws/{room['id']}?token={room['token']}")
    host_state = recv_until(host_ws, lambda m: m["type"] == "session_state")
    member_ws = ws_open(b, f"/watchparty/ws/{room['id']}?token={member['token']}")
    return room, host_state, host_ws, member_ws


def tmux_shell(tmux: libtmux.Server, name: str) -> libtmux.Session:
    session = tmux.new_session(session_name=name, window_command="env PS1='$ ' sh", x=80, y=24)
    deadline = time.monotonic() + 5
    while "$" not in "\n".join(session.active_window.active_pane.capture_pane()):
        assert time.monotonic() < deadline, "no shell prompt"
        time.sleep(0.02)
    return session


def wrong_pin(pin: str) -> str:
    return str((int(pin) + 1) % 10 ** len(pin)).zfill(len(pin))


# --- tests -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def apps(tmp_path_factory):  # type: ignore[no-untyped-def]
    yield from app_cluster(tmp_path_factory)


def test_watch_party_members_on_both_processes_hear_each_other(apps):
    cluster, _, _ = apps
    a, b = (s.url for s in cluster.servers)
    room, _, host_ws, member_ws = party_across(a, b)
    with host_ws, member_ws:
        state = recv_until(member_ws, lambda m: m["type"] == "session_state")["payload"]
        member_id = state["you"]["user_id"]
        assert state["session"]["host_id"] != member_id
        assert len(state["participants"]) == 2
        joined = recv_until(host_ws, lambda m: m["type"] == "user_joined")
        assert joined["payload"]["user_id"] == member_id

        member_ws.send(json.dumps({"type": "chat", "payload": {"message": "hello from B"}}))
        chat = recv_until(host_ws, lambda m: m["type"] == "chat")
        assert chat["payload"]["message"] == "hello from B"
        assert chat["user_id"] == member_id

        host_ws.send(
            json.dumps({"type": "playback_state", "payload": {"playing": True, "currentTime": 42}})
        )
        playback = recv_until(member_ws, lambda m: m["type"] == "playback_state")
        assert playback["payload"]["playing"] is True
        assert 42 <= playback["payload"]["currentTime"] < 45

    # A late joiner on the other process gets the stored chat and the running playback.
    late = party_join(a, room["id"])
    with ws_open(b, f"/watchparty/ws/{room['id']}?token={late['token']}") as late_ws:
        state = recv_until(late_ws, lambda m: m["type"] == "session_state")["payload"]
        assert [c["message"] for c in state["chat"]] == ["hello from B"]
        assert state["playback"]["playing"] is True


def test_bingo_draws_on_one_process_reach_a_socket_on_the_other(apps):
    cluster, info, _ = apps
    a, b = (s.url for s in cluster.servers)
    game_id, pin = info["games"][0]
    player = bingo_player(b, "across")
    assert bingo_join(b, player, game_id, pin).status_code == 200
    with ws_open(b, f"/bingo/ws/games/{game_id}?token={player}") as ws:
        state = recv_until(ws, lambda m: m["type"] == "state")
        assert state["card"] is not None and state["draws"] == []
        drawn = [bingo_draw(a, info["admin"], game_id) for _ in range(3)]
        for expected in drawn:
            live = recv_until(ws, lambda m: m["type"] == "draw")
            assert (live["sequence"], live["number"]) == (expected["sequence"], expected["number"])
        # and the state any process gives a reconnecting client holds them all
        ws.send(json.dumps({"type": "state"}))
        state = recv_until(ws, lambda m: m["type"] == "state")
        assert [d["number"] for d in state["draws"]] == [d["number"] for d in drawn]


def test_a_terminal_subscribed_on_both_processes_sees_keys_typed_through_either(apps):
    cluster, info, tmux = apps
    a, b = (s.url for s in cluster.servers)
    tmux_shell(tmux, "shared")
    token = info["operator"]
    on_a = ws_open(a, f"/terminals/ws?token={token}")
    on_b = ws_open(b, f"/terminals/ws?token={token}")
    with on_a, on_b:
        for ws in (on_a, on_b):
            sessions = recv_until(ws, lambda m: m["type"] == "sessions")
            assert "shared" in {s["id"] for s in sessions["sessions"]}
            ws.send(json.dumps({"type": "subscribe", "sessionId": "shared"}))
            output_until(ws, "$")
        on_a.send(
            json.dumps({"type": "sendKeys", "sessionId": "shared", "keys": "echo A$((6*7))\r"})
        )
        output_until(on_b, "A42")
        output_until(on_a, "A42")

        # B claims (A hears it across processes) and types through its per-session socket.
        on_b.send(json.dumps({"type": "claim", "sessionId": "shared"}))
        claimed = recv_until(on_a, lambda m: m["type"] == "claimed")
        assert claimed["sessionId"] == "shared" and claimed["by"]["name"] == "Olga"
        with ws_open(b, f"/terminals/ws/terminal/shared?token={token}") as term:
            assert recv_until(term, lambda m: m["type"] == "connected")["sessionId"] == "shared"
            term.send(json.dumps({"type": "sendKeys", "keys": "echo B$((7*7))\r"}))
            output_until(on_a, "B49")
            output_until(term, "B49")
        on_b.send(json.dumps({"type": "release", "sessionId": "shared"}))
        assert recv_until(on_a, lambda m: m["type"] == "released")["sessionId"] == "shared"


def test_bingo_pin_lockout_is_counted_once_across_processes(apps):
    cluster, info, _ = apps
    urls = [s.url for s in cluster.servers]
    game_id, pin = info["games"][1]
    player = bingo_player(urls[0], "guesser")
    for i in range(5):  # 5 failures, alternating processes: one count, not one per process
        r = bingo_join(urls[i % 2], player, game_id, wrong_pin(pin))
        assert r.status_code == 400
        assert r.json() == {"detail": "Incorrect PIN"}
    for url in urls:  # now even the right PIN is refused, by either process
        r = bingo_join(url, player, game_id, pin)
        assert r.status_code == 400
        assert r.json()["detail"].startswith("Too many failed attempts")


def test_through_nginx_every_app_answers(apps):
    cluster, info, _ = apps
    game_id, _ = info["games"][2]
    with ws_open(cluster.url, f"/bingo/ws/games/{game_id}") as ws:
        assert recv_until(ws, lambda m: m["type"] == "state")["game"]["id"] == game_id
    room = party_create(cluster.url)
    with ws_open(cluster.url, f"/watchparty/ws/{room['id']}?token={room['token']}") as ws:
        assert recv_until(ws, lambda m: m["type"] == "session_state")["payload"]["you"]["is_host"]
    with ws_open(cluster.url, f"/terminals/ws?token={info['operator']}") as ws:
        assert recv_until(ws, lambda m: m["type"] == "sessions")
