"""Two Daphne processes on the Redis channel layer and cache: one room, members on both.

A client written from the spec (requests + websockets) drives it; restarting a process loses
only its sockets: the room, the slots and the chat history are rows, and clients reconnect.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time

import pytest
import requests
from websockets.sync.client import connect as ws_connect

from tests import servers
from tests.conftest import server_env

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


_STACK = contextlib.ExitStack()


def connect(url: str, **kw):  # type: ignore[no-untyped-def]
    return _STACK.enter_context(ws_connect(url, **kw))


def ws_url(base: str, sid: str, token: str) -> str:
    return f"{base.replace('http', 'ws', 1)}/watchparty/ws/{sid}?token={token}"


def recv_type(ws, type_: str, timeout: float = 5) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        msg = json.loads(ws.recv(timeout=max(0.05, deadline - time.monotonic())))
        if msg["type"] == type_:
            return msg


def quiet(ws, seconds: float) -> list[dict]:  # type: ignore[no-untyped-def]
    """Everything received within `seconds`."""
    got = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            got.append(json.loads(ws.recv(timeout=left)))
        except TimeoutError:
            break
    return got


def test_two_processes_share_rooms_over_redis_and_survive_restart(redis_url) -> None:  # type: ignore[no-untyped-def]
    env = server_env(
        REDIS_URL=redis_url, WATCHPARTY_BCRYPT_ROUNDS="4", WATCHPARTY_RECONNECT_GRACE="3"
    )
    a = servers.Daphne(env).start()
    b = servers.Daphne(env).start()
    try:
        r = requests.post(
            f"{a.url}/watchparty/api/sessions/create",
            json={"name": "Two Procs", "password": "secure123", "display_name": "Host"},
            timeout=10,
        )
        assert r.status_code == 200
        room = r.json()
        sid = room["id"]
        r = requests.post(
            f"{b.url}/watchparty/api/sessions/join",
            json={"session_id": sid, "password": "secure123", "display_name": "Guest"},
            timeout=10,
        )
        assert r.status_code == 200
        guest_token = r.json()["token"]

        host = connect(ws_url(a.url, sid, room["token"]), open_timeout=5)
        assert recv_type(host, "session_state")["payload"]["you"]["is_host"] is True
        guest = connect(ws_url(b.url, sid, guest_token), open_timeout=5)
        state = recv_type(guest, "session_state")
        guest_id = state["payload"]["you"]["user_id"]
        assert recv_type(host, "user_joined")["payload"] == {
            "user_id": guest_id,
            "username": "Guest",
        }

        guest.send(json.dumps({"type": "chat", "payload": {"message": "from B"}}))
        assert recv_type(host, "chat")["payload"]["message"] == "from B"
        host.send(
            json.dumps({"type": "playback_state", "payload": {"playing": True, "currentTime": 42}})
        )
        assert recv_type(guest, "playback_state")["payload"]["currentTime"] == 42
        host.send(
            json.dumps(
                {
                    "type": "webrtc_offer",
                    "payload": {"type": "offer", "sdp": "v=0"},
                    "target_user_id": guest_id,
                }
            )
        )
        assert recv_type(guest, "webrtc_offer")["target_user_id"] == guest_id

        # the connection drops (no close frame) and comes back through the other process
        # within the grace: nobody hears of it
        guest.socket.shutdown(socket.SHUT_RDWR)
        guest = connect(ws_url(a.url, sid, guest_token), open_timeout=5)
        assert recv_type(guest, "session_state")["payload"]["chat"][0]["message"] == "from B"
        assert not [m for m in quiet(host, 3.5) if m["type"] in ("user_left", "user_joined")]

        # restart every process: the room, the slots and the history are still there
        host.close()
        guest.close()
        a.stop()
        b.stop()
        a = servers.Daphne(env).start()
        host = connect(ws_url(a.url, sid, room["token"]), open_timeout=5)
        payload = recv_type(host, "session_state")["payload"]
        assert [m["message"] for m in payload["chat"]] == ["from B"]
        assert payload["playback"]["playing"] is True and payload["playback"]["currentTime"] > 42
        r = requests.get(
            f"{a.url}/watchparty/api/sessions/{sid}",
            headers={"Authorization": f"Bearer {room['token']}"},
            timeout=10,
        )
        assert r.status_code == 200 and r.json()["name"] == "Two Procs"
        host.close()
    finally:
        _STACK.close()
        a.stop()
        b.stop()
