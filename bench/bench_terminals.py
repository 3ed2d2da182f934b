"""Terminals: keystroke -> echoed output on the socket, against a raw tmux send-keys/capture loop;
and the server's CPU with 20 idle sessions x 10 subscribers, against the same server idle."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import uuid
from pathlib import Path

from bench.common import Context, Row, lobby_env, manage, median, percentile
from tests.servers import Daphne

SETUP = """
import json
from accounts.models import Role, User
from accounts.services import api_session_create
op = User.objects.create_user(email="bench-op@example.com", role=Role.OPERATOR)
_, token = api_session_create(user=op, label="bench")
print(json.dumps({"token": token}))
"""

CHARS = "abcdefghijklmnopqrstuvwxyz"


def _tmux(socket: str, *args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, *args], capture_output=True, text=True, timeout=5, check=True
    ).stdout


def _raw_loop(socket: str, pane: str, n: int) -> list[float]:
    """The bare baseline: send one key with tmux, read the pane back until it shows it."""
    samples = []
    for i in range(n):
        char = CHARS[i % len(CHARS)]
        if i % 60 == 59:
            _tmux(socket, "send-keys", "-H", "-t", pane, "0d")
        started = time.perf_counter()
        _tmux(socket, "send-keys", "-H", "-t", pane, f"{ord(char):02x}")
        while True:
            lines = [x for x in _tmux(socket, "capture-pane", "-p", "-t", pane).splitlines() if x]
            if lines and lines[-1].endswith(char):
                break
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def _socket_loop(url: str, n: int) -> list[float]:
    import websockets

    samples = []
    async with websockets.connect(url, open_timeout=5, max_size=None) as ws:
        while True:  # connected, then the screen
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if message["type"] == "output":
                break
        for i in range(n):
            char = CHARS[i % len(CHARS)]
            if i % 60 == 59:
                await ws.send(json.dumps({"type": "sendKeys", "keys": "\r"}))
            started = time.perf_counter()
            await ws.send(json.dumps({"type": "sendKeys", "keys": char}))
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if message["type"] == "output" and message["data"].endswith(char):
                    break
                if message["type"] == "error":
                    raise RuntimeError(message)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


async def _idle_subscribers(base: str, names: list[str], per: int, window: float, pid: int):  # type: ignore[no-untyped-def]
    import websockets

    sockets = []
    try:
        for name in names:
            for _ in range(per):
                ws = await websockets.connect(
                    f"{base}/terminals/ws/terminal/{name}", open_timeout=10
                )
                sockets.append(ws)
        for ws in sockets:  # drain connected + screen (+ presence) before measuring
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if message["type"] == "output":
                    break
        await asyncio.sleep(2)  # presence broadcasts settle

        async def drain(ws) -> None:  # type: ignore[no-untyped-def]
            try:
                while True:
                    await ws.recv()
            except Exception:
                return

        drains = [asyncio.ensure_future(drain(ws)) for ws in sockets]
        before = _cpu_seconds(pid)
        await asyncio.sleep(window)
        used = _cpu_seconds(pid) - before
        for d in drains:
            d.cancel()
        return used / window * 100
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


def run(ctx: Context) -> list[Row]:
    socket = f"lobby-bench-{uuid.uuid4().hex[:8]}"
    env = lobby_env(
        ctx.workdir,
        TERMINALS_TMUX_SOCKET=socket,
        TERMINALS_HEARTBEAT_TIMEOUT="600",
        TERMINALS_PRESENCE_TTL="600",
    )
    manage(env, "migrate", "-v", "0")
    manage(env, "createcachetable")
    token = json.loads(manage(env, "shell", "-v", "0", "-c", SETUP).strip().splitlines()[-1])[
        "token"
    ]
    n = 40 if ctx.quick else 200
    window = 3.0 if ctx.quick else 10.0
    _tmux(socket, "new-session", "-d", "-s", "echo", "-x", "200", "-y", "50", "cat")
    _tmux(socket, "new-session", "-d", "-s", "raw", "-x", "200", "-y", "50", "cat")
    names = [f"idle{i:02d}" for i in range(20)]
    for name in names:
        _tmux(socket, "new-session", "-d", "-s", name, "sh")
    daphne = Daphne(env).start()
    try:
        import requests

        r = requests.post(
            f"{daphne.url}/terminals/api/sessions/echo/claim",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        r.raise_for_status()
        raw = _raw_loop(socket, "=raw:", n)
        ws_base = daphne.url.replace("http://", "ws://")
        ours = asyncio.run(_socket_loop(f"{ws_base}/terminals/ws/terminal/echo?token={token}", n))

        assert daphne.proc is not None
        pid = daphne.proc.pid
        before = _cpu_seconds(pid)
        time.sleep(window)
        idle_base = (_cpu_seconds(pid) - before) / window * 100
        tokened = [f"{n}?token={token}" for n in names]
        busy = asyncio.run(_idle_subscribers(ws_base, tokened, 10, window, pid))
    finally:
        daphne.stop()
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=5)

    p50, p95 = median(ours), percentile(ours, 95)
    raw50, raw95 = median(raw), percentile(raw, 95)
    return [
        Row(
            name="keystroke -> echo on the socket (p50)",
            value=p50,
            unit="ms",
            baseline=raw50,
            baseline_name="tmux send-keys + capture loop",
            goal="ratio ≤ 3, ≤ 30 ms",
            notes=f"p95 {p95:.1f} ms (raw p95 {raw95:.1f} ms), n={n}",
            extra={"p50": p50, "p95": p95, "raw_p50": raw50, "raw_p95": raw95},
        ),
        Row(
            name="20 idle sessions x 10 subscribers: server CPU",
            value=busy,
            unit="% core",
            baseline=max(idle_base, 0.01),
            baseline_name="same server, no sockets",
            goal="< 5 % of a core",
            notes=f"measured over {window:.0f} s; 200 sockets, 20 control-mode readers",
        ),
    ]
