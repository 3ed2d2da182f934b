"""Real Daphne processes: restart (claims and key log survive, sockets come back to the screen)
and two processes behind a real Redis (both stream, nothing is delivered twice)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import libtmux
import pytest
import requests
from websockets.sync.client import connect

from accounts.models import Role
from terminals.models import Claim, KeyEvent
from tests import servers
from tests.conftest import server_env, session_cookie_for
from tests.terminals.conftest import capture_text, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def private_tmux() -> Iterator[libtmux.Server]:
    server = libtmux.Server(socket_name=f"lobby-test-{uuid.uuid4().hex[:12]}")
    yield server
    if server.is_alive():
        server.kill()


def daphne(tmux: libtmux.Server, port: int | None = None, **env: str) -> servers.Daphne:
    port = port or servers.free_port()
    return servers.Daphne(
        server_env(PORT=str(port), TERMINALS_TMUX_SOCKET=tmux.socket_name or "", **env), port=port
    ).start()


def ws(base: str, path: str, user) -> object:  # type: ignore[no-untyped-def]
    url = base.replace("http://", "ws://") + path
    cookie = f"sessionid={session_cookie_for(user)}"
    return connect(url, additional_headers={"Cookie": cookie}, open_timeout=5, close_timeout=2)


def recv_until(sock, predicate, timeout: float = 8.0) -> list[dict]:  # type: ignore[no-untyped-def]
    """Messages received until one matches `predicate` (included), within `timeout`."""
    deadline = time.monotonic() + timeout
    got = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out; got {[m.get('type') for m in got]}")
        message = json.loads(sock.recv(timeout=remaining))
        got.append(message)
        if predicate(message):
            return got


def output_of(messages: list[dict]) -> str:
    return "".join(m["data"] for m in messages if m["type"] == "output")


def shell(tmux: libtmux.Server, name: str) -> libtmux.Session:
    session = tmux.new_session(session_name=name, window_command="env PS1='$ ' sh", x=80, y=20)
    wait_until(lambda: "$" in capture_text(session), what="prompt")
    return session


def test_restart_keeps_claims_and_key_log_and_sockets_get_the_screen_back(
    private_tmux, user_factory, bearer
):
    shell(private_tmux, "main")
    op = user_factory(role=Role.OPERATOR, name="Olga")
    server = daphne(private_tmux)
    try:
        r = requests.post(
            f"{server.url}/terminals/api/sessions/main/claim",
            headers={"Authorization": f"Bearer {bearer(op)}"},
            timeout=5,
        )
        assert r.status_code == 200, r.text
        sock = ws(server.url, "/terminals/ws/terminal/main", op)
        recv_until(sock, lambda m: m["type"] == "output")
        sock.send(json.dumps({"type": "sendKeys", "keys": "echo before-$((6*7))\r"}))
        recv_until(sock, lambda m: m["type"] == "output" and "before-42" in m["data"])
        port = server.port
        server.stop()  # SIGTERM: every socket hears 1001
        with pytest.raises(Exception) as closed:
            recv_until(sock, lambda m: False, timeout=5)
        assert getattr(closed.value, "rcvd", None) is not None, closed.value
        assert closed.value.rcvd.code == 1001
    finally:
        server.stop()

    assert Claim.objects.get(session_name="main").user == op
    assert bytes(KeyEvent.objects.get().data) == b"echo before-$((6*7))\r"

    server = daphne(private_tmux, port=port)
    try:
        sock = ws(server.url, "/terminals/ws/terminal/main", op)
        got = recv_until(sock, lambda m: m["type"] == "output")
        assert got[0]["type"] == "connected"
        assert "before-42" in output_of(got)  # the screen is back
        got = recv_until(sock, lambda m: m["type"] == "claimed")
        assert got[-1]["by"]["id"] == op.public_id
        sock.send(json.dumps({"type": "sendKeys", "keys": "echo after-$((7*7))\r"}))
        recv_until(sock, lambda m: m["type"] == "output" and "after-49" in m["data"])
        assert KeyEvent.objects.count() == 2
        sock.close()
    finally:
        server.stop()


@pytest.mark.redis
def test_two_processes_behind_redis_both_stream_once(private_tmux, user_factory, redis_url):
    shell(private_tmux, "main")
    op = user_factory(role=Role.OPERATOR, name="Olga")
    viewer = user_factory(role=Role.VIEWER, name="Vera")
    a = daphne(private_tmux, REDIS_URL=redis_url)
    b = daphne(private_tmux, REDIS_URL=redis_url)
    try:
        watcher = ws(b.url, "/terminals/ws/terminal/main", viewer)
        recv_until(watcher, lambda m: m["type"] == "output")
        driver = ws(a.url, "/terminals/ws", op)
        recv_until(driver, lambda m: m["type"] == "sessions")
        driver.send(json.dumps({"type": "subscribe", "sessionId": "main"}))
        recv_until(driver, lambda m: m["type"] == "output")
        # presence crosses processes (both users watching, seen from B)
        recv_until(watcher, lambda m: m["type"] == "presence" and len(m["users"]) == 2)
        driver.send(json.dumps({"type": "claim", "sessionId": "main"}))
        claimed = recv_until(watcher, lambda m: m["type"] == "claimed")[-1]
        assert claimed["by"]["id"] == op.public_id

        driver.send(
            json.dumps({"type": "sendKeys", "sessionId": "main", "keys": "echo $((1000+337))\r"})
        )
        seen_b = output_of(recv_until(watcher, lambda m: "1337" in m.get("data", "")))
        seen_a = output_of(recv_until(driver, lambda m: "1337" in m.get("data", "")))
        assert "1337" in seen_a
        # a marker after it proves nothing was delivered twice in between
        driver.send(
            json.dumps({"type": "sendKeys", "sessionId": "main", "keys": "echo $((2000+1))\r"})
        )
        more_b = output_of(recv_until(watcher, lambda m: "2001" in m.get("data", "")))
        assert (seen_b + more_b).count("1337") == 1

        driver.send(json.dumps({"type": "release", "sessionId": "main"}))
        assert recv_until(watcher, lambda m: m["type"] == "released")[-1] == {
            "type": "released",
            "sessionId": "main",
        }
        watcher.close()
        driver.close()
    finally:
        a.stop()
        b.stop()


def test_a_client_written_from_the_spec(private_tmux, user_factory, settings):
    """Local sign-in (allauth) with requests, then the REST API with the session cookie and CSRF,
    then both sockets with that cookie and a same-origin Origin, against a real Daphne."""
    shell(private_tmux, "main")
    port = servers.free_port()
    origin = f"http://127.0.0.1:{port}"
    server = daphne(private_tmux, port=port, DJANGO_CSRF_TRUSTED_ORIGINS=origin)
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the server checks it
    user_factory(email="olga@example.com", password="pw-Lobby-123", role=Role.OPERATOR)
    try:
        http = requests.Session()
        http.get(f"{origin}/accounts/login/", timeout=5)
        r = http.post(
            f"{origin}/accounts/login/",
            data={
                "login": "olga@example.com",
                "password": "pw-Lobby-123",
                "csrfmiddlewaretoken": http.cookies["csrftoken"],
            },
            headers={"Referer": f"{origin}/accounts/login/"},
            timeout=5,
            allow_redirects=False,
        )
        assert r.status_code == 302, r.text[:500]
        assert "sessionid" in http.cookies
        csrf = {"X-CSRFToken": http.cookies["csrftoken"], "Referer": f"{origin}/terminals/"}

        sessions = http.get(f"{origin}/terminals/api/sessions", timeout=5).json()["sessions"]
        assert [s["id"] for s in sessions] == ["main"]
        r = http.post(f"{origin}/terminals/api/sessions/main/claim", timeout=5)
        assert r.status_code == 403  # cookie-authenticated writes need the CSRF token
        r = http.post(f"{origin}/terminals/api/sessions/main/claim", headers=csrf, timeout=5)
        assert r.status_code == 200 and r.json()["success"] is True
        capture = http.get(
            f"{origin}/terminals/api/tmux/sessions/main/panes/0/capture", timeout=5
        ).json()
        assert capture["session"] == "main" and capture["pane"] == "0"

        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        url = origin.replace("http://", "ws://")
        headers = {"Cookie": cookie, "Origin": origin}
        with connect(f"{url}/terminals/ws/terminal/main", additional_headers=headers) as term:
            got = recv_until(term, lambda m: m["type"] == "output")
            assert got[0]["type"] == "connected" and got[0]["role"] == "operator"
            term.send(json.dumps({"type": "sendKeys", "keys": "echo spec-$((8*8))\r"}))
            recv_until(term, lambda m: m["type"] == "output" and "spec-64" in m["data"])
            term.send(json.dumps({"type": "heartbeat"}))
        with connect(f"{url}/terminals/ws", additional_headers=headers) as multi:
            recv_until(multi, lambda m: m["type"] == "sessions")
            multi.send(json.dumps({"type": "release", "sessionId": "main"}))
            recv_until(multi, lambda m: m["type"] == "released")
        with pytest.raises(Exception, match="403"):
            connect(
                f"{url}/terminals/ws",
                additional_headers={"Cookie": cookie, "Origin": "http://evil.example"},
            )
        r = http.delete(f"{origin}/terminals/api/sessions/main/claim", headers=csrf, timeout=5)
        assert r.status_code == 404
    finally:
        server.stop()
