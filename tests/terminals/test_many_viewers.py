"""Fifty viewers open one terminal at the same moment, from one address, against a real Daphne
(`config.server`, with its per-address socket cap) and a real tmux session."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import libtmux
import pytest
import websockets

from accounts.models import Role
from terminals.models import Viewer
from tests import servers
from tests.conftest import server_env, session_cookie_for
from tests.terminals.conftest import capture_text, in_own_loop, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

VIEWERS = 50


@pytest.fixture
def private_tmux() -> Iterator[libtmux.Server]:
    server = libtmux.Server(socket_name=f"lobby-test-{uuid.uuid4().hex[:12]}")
    yield server
    if server.is_alive():
        server.kill()


def test_fifty_viewers_join_one_terminal_at_once(private_tmux, user_factory):
    session = private_tmux.new_session(
        session_name="main", window_command="env PS1='$ ' sh", x=80, y=20
    )
    wait_until(lambda: "$" in capture_text(session), what="prompt")
    viewers = [user_factory(role=Role.VIEWER, name=f"Viewer {i}") for i in range(VIEWERS)]
    cookies = [f"sessionid={session_cookie_for(user)}" for user in viewers]
    port = servers.free_port()
    server = servers.Daphne(
        server_env(PORT=str(port), TERMINALS_TMUX_SOCKET=private_tmux.socket_name or ""), port
    ).start()
    url = f"ws://127.0.0.1:{port}/terminals/ws/terminal/main"
    outcome: dict[str, Any] = {}

    async def join(cookie: str) -> tuple[float, dict, dict, Any]:
        started = time.monotonic()
        sock = await websockets.connect(url, additional_headers={"Cookie": cookie})
        connected = json.loads(await asyncio.wait_for(sock.recv(), 10))
        screen = json.loads(await asyncio.wait_for(sock.recv(), 10))
        return time.monotonic() - started, connected, screen, sock

    @in_own_loop
    async def all_at_once() -> None:
        results = await asyncio.gather(*(join(c) for c in cookies), return_exceptions=True)
        outcome["results"] = results
        socks = [r[3] for r in results if not isinstance(r, BaseException)]
        outcome["viewer_rows"] = await asyncio.to_thread(
            wait_until, lambda: Viewer.objects.count() == len(socks), 10, "viewer rows"
        )
        await asyncio.gather(*(s.close() for s in socks), return_exceptions=True)

    try:
        all_at_once()
    finally:
        server.stop()
    results = outcome["results"]
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert [r[1]["type"] for r in results] == ["connected"] * VIEWERS
    assert {r[1]["userId"] for r in results} == {user.public_id for user in viewers}
    assert all(r[1]["role"] == "viewer" for r in results)
    assert all(r[2]["type"] == "output" and "$" in r[2]["data"] for r in results)
    slowest = max(r[0] for r in results)
    assert slowest < 5.0, f"the slowest viewer took {slowest:.2f}s to see the screen"
