"""A client written from watchparty-api.md alone (requests + websockets) against a real Daphne."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from websockets.sync.client import connect

from watchparty.models import WatchParty

pytestmark = pytest.mark.django_db(transaction=True)


_STACK = contextlib.ExitStack()


def ws(base: str, sid: str, token: str):  # type: ignore[no-untyped-def]
    """A sync websockets client, entered as the library wants (closed at the test's end)."""
    url = f"{base.replace('http', 'ws', 1)}/watchparty/ws/{sid}?token={token}"
    return _STACK.enter_context(connect(url, open_timeout=5))


def recv(sock, type_: str, timeout: float = 5) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        msg = json.loads(sock.recv(timeout=max(0.05, deadline - time.monotonic())))
        if msg["type"] == type_:
            return msg


def drain(sock, seconds: float = 0.3) -> list[dict]:  # type: ignore[no-untyped-def]
    out = []
    while True:
        try:
            out.append(json.loads(sock.recv(timeout=seconds)))
        except TimeoutError:
            return out


def test_spec_client_end_to_end(live_server_url) -> None:  # type: ignore[no-untyped-def]
    with _STACK:
        _spec_client(live_server_url)


def _spec_client(live_server_url: str) -> None:
    api = f"{live_server_url}/watchparty/api/sessions"
    assert requests.get(f"{live_server_url}/watchparty/health", timeout=5).json() == {
        "status": "ok"
    }

    r = requests.post(
        f"{api}/create", json={"name": "Spec Night", "password": "secure123"}, timeout=10
    )
    assert r.status_code == 200 and r.headers["X-RateLimit-Limit"] == "5"
    assert r.headers["X-RateLimit-Remaining"] == "4"
    room = r.json()
    sid = room["id"]
    assert room["share_url"] == f"{live_server_url}/watchparty/join/{sid}"
    assert requests.get(room["share_url"], timeout=5).status_code == 200

    r = requests.post(f"{api}/join", json={"session_id": sid, "password": "nope-nope"}, timeout=10)
    assert r.status_code == 401
    assert r.json() == {"error": "Authentication failed", "message": "Invalid password"}
    assert r.headers["X-RateLimit-Remaining"] == "9"

    tokens = [room["token"]]
    for i in range(9):
        r = requests.post(
            f"{api}/join",
            json={"session_id": sid, "password": "secure123", "display_name": f"P{i + 1}"},
            timeout=10,
        )
        assert r.status_code == 200, r.text
        tokens.append(r.json()["token"])
    budget_left = r.headers["X-RateLimit-Remaining"]
    r = requests.post(f"{api}/join", json={"session_id": sid, "password": "secure123"}, timeout=10)
    if budget_left == "0":  # the 11th attempt on this room within the window
        assert r.status_code == 429
        assert r.json()["error"] == "Rate limit exceeded"
        assert r.headers["X-RateLimit-Remaining"] == "0" and int(r.headers["Retry-After"]) > 0
    else:  # the window rolled over mid-test: the room is full instead
        assert r.status_code == 403

    detail = requests.get(
        f"{api}/{sid}", headers={"Authorization": f"Bearer {tokens[3]}"}, timeout=5
    ).json()
    assert len(detail["participants"]) == 10 and detail["max_participants"] == 10

    # a full room: another room's join budget is fresh, the slots are not
    r = requests.post(
        f"{api}/create", json={"name": "Full House", "password": "secure123"}, timeout=10
    )
    full = r.json()
    for _ in range(9):
        assert (
            requests.post(
                f"{api}/join", json={"session_id": full["id"], "password": "secure123"}, timeout=10
            ).status_code
            == 200
        )
    r = requests.post(
        f"{api}/join", json={"session_id": full["id"], "password": "secure123"}, timeout=10
    )
    assert r.status_code == 403 and r.json()["error"] == "Session full"

    # ten sockets: every message type
    socks = [ws(live_server_url, sid, t) for t in tokens]
    ids = [recv(s, "session_state")["payload"]["you"]["user_id"] for s in socks]
    for s in socks:
        drain(s)
    host, a, b = socks[0], socks[1], socks[2]
    a.send(json.dumps({"type": "chat", "payload": {"message": "hi all"}, "user_id": "forged"}))
    for s in socks:
        msg = recv(s, "chat")
        assert msg["user_id"] == ids[1] and msg["payload"]["username"] == "P1"
    a.send(json.dumps({"type": "playback_state", "payload": {"playing": True, "currentTime": 3}}))
    assert recv(a, "error")["payload"]["error"] == "Forbidden"
    host.send(
        json.dumps(
            {
                "type": "playback_state",
                "payload": {"playing": True, "currentTime": 125.5, "volume": 0.8},
            }
        )
    )
    for s in socks:
        assert recv(s, "playback_state")["payload"]["currentTime"] == 125.5
    host.send(
        json.dumps(
            {
                "type": "webrtc_offer",
                "payload": {"type": "offer", "sdp": "v=0"},
                "target_user_id": ids[2],
            }
        )
    )
    assert recv(b, "webrtc_offer")["user_id"] == ids[0]
    b.send(
        json.dumps(
            {
                "type": "webrtc_answer",
                "payload": {"type": "answer", "sdp": "v=0"},
                "target_user_id": ids[0],
            }
        )
    )
    assert recv(host, "webrtc_answer")["user_id"] == ids[2]
    host.send(
        json.dumps(
            {
                "type": "ice_candidate",
                "payload": {"candidate": "c", "sdpMid": "0", "sdpMLineIndex": 0},
            }
        )
    )
    for s in socks[1:]:
        assert recv(s, "ice_candidate")["payload"]["candidate"] == "c"
    assert not [m for m in drain(host) if m["type"] == "ice_candidate"]
    a.send("{broken")
    assert recv(a, "error")["payload"]["error"] == "Invalid message"

    # a dropped connection (no close frame) reconnects silently; late join state is current
    socks[5].socket.shutdown(socket.SHUT_RDWR)
    socks[5] = ws(live_server_url, sid, tokens[5])
    state = recv(socks[5], "session_state")["payload"]
    assert state["chat"][-1]["message"] == "hi all"
    assert recv(socks[5], "playback_state")["payload"]["currentTime"] >= 125.5
    assert recv(socks[5], "chat")["payload"]["message"] == "hi all"  # history, as chat frames
    assert not [m for m in drain(host, 0.5) if m["type"] in ("user_left", "user_joined")]

    # closing the socket (a close frame, 1000) leaves at once, as the document's lifecycle
    # says; the same token comes back and is announced again
    socks[6].close()
    left = recv(host, "user_left")
    assert left["payload"] == {"user_id": ids[6], "username": "P6"} and left["user_id"] == ids[6]
    socks[6] = ws(live_server_url, sid, tokens[6])
    recv(socks[6], "session_state")
    assert recv(host, "user_joined")["payload"] == {"user_id": ids[6], "username": "P6"}
    assert not [m for m in drain(socks[6]) if m["type"] == "user_joined"]
    for s in socks:
        s.close()

    # expiry: the room answers 404 and its sockets close with 4004
    WatchParty.objects.filter(pk=sid).update(expires_at=timezone.now() + timedelta(seconds=1.5))
    late = ws(live_server_url, sid, tokens[1])
    recv(late, "session_state")
    err = recv(late, "error", timeout=5)
    assert err["payload"]["error"] == "Session not found"
    with pytest.raises(Exception):  # noqa: B017 - ConnectionClosed of either kind
        late.recv(timeout=5)
    assert late.close_code == 4004
    r = requests.get(f"{api}/{sid}", headers={"Authorization": f"Bearer {tokens[1]}"}, timeout=5)
    assert r.status_code == 404

    # three more creations from this address, then the documented 429
    for _ in range(3):
        assert (
            requests.post(
                f"{api}/create", json={"name": "More", "password": "secure123"}, timeout=10
            ).status_code
            == 200
        )
    r = requests.post(
        f"{api}/create", json={"name": "Too many", "password": "secure123"}, timeout=10
    )
    assert r.status_code == 429
    assert r.json() == {
        "error": "Rate limit exceeded",
        "message": "Maximum 5 session creations per hour",
    }
    assert int(r.headers["X-RateLimit-Reset"]) > time.time()


def test_spec_client_cors_preflight_and_socket_rate_limit() -> None:
    """Over real HTTP, on a server configured like a deployment with a separate front end."""
    from tests import servers
    from tests.conftest import server_env

    front = "http://localhost:5173"
    daphne = servers.Daphne(
        server_env(WATCHPARTY_CORS_ORIGINS=front, WATCHPARTY_RATE_WS="5/m")
    ).start()
    try:
        api = f"{daphne.url}/watchparty/api/sessions"
        r = requests.options(
            f"{api}/create",
            headers={
                "Origin": front,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, authorization",
            },
            timeout=5,
        )
        assert r.status_code == 200
        assert r.headers["Access-Control-Allow-Origin"] == front
        assert r.headers["Access-Control-Allow-Credentials"] == "true"
        allowed = {m.strip() for m in r.headers["Access-Control-Allow-Methods"].split(",")}
        assert {"GET", "POST", "PUT", "DELETE", "OPTIONS"} <= allowed
        assert {"content-type", "authorization"} <= {
            h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")
        }
        r = requests.options(
            f"{api}/create",
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
            timeout=5,
        )
        assert "Access-Control-Allow-Origin" not in r.headers

        r = requests.post(
            f"{api}/create",
            json={"name": "Rate me", "password": "secure123"},
            headers={"Origin": front},
            timeout=10,
        )
        assert r.headers["Access-Control-Allow-Origin"] == front
        assert "x-ratelimit-remaining" in r.headers["Access-Control-Expose-Headers"].lower()
        room = r.json()
        ws_base = daphne.url.replace("http", "ws", 1)
        url = f"{ws_base}/watchparty/ws/{room['id']}?token={room['token']}"
        with connect(url, open_timeout=5) as sock:
            recv(sock, "session_state")
            for i in range(5):
                sock.send(json.dumps({"type": "ping", "payload": {"n": i}}))
                assert recv(sock, "pong")["payload"] == {"n": i}
            sock.send(json.dumps({"type": "chat", "payload": {"message": "sixth"}}))
            err = recv(sock, "error")
            assert err["payload"] == {
                "error": "Rate limit exceeded",
                "message": "Maximum 5 messages per minute",
            }
    finally:
        daphne.stop()
