"""Live output: one tmux control-mode client per session that has subscribers *in this process*.

Each process streams only for its own sockets and hands output straight to them, so with two
processes behind Redis both stream and nothing is delivered twice; claims and presence (which
every process must hear) go through the channel layer. A session nobody watches costs nothing:
the client is stopped when its last listener leaves.

The registry is per event loop: it holds live asyncio tasks and subprocesses of this process,
never state another process needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Callable
from typing import Protocol

from terminals import tmux

logger = logging.getLogger(__name__)


class Listener(Protocol):
    async def stream_event(self, session_name: str, event: tmux.ControlEvent) -> None: ...


REPAINT_INTERVAL = 0.2  # seconds between repaints of a pane whose socket is behind
QUIET = 0.05  # a pane silent this long has nothing in flight: a repaint then is exact


class OutputFlow:
    """One socket's share of a pane's output, so that a flood cannot pile up behind it.

    The socket gets `rate` characters a second, in bursts of up to `burst`. Past that (`yes`,
    `cat` of a large file) its output is dropped and the pane is repainted every
    REPAINT_INTERVAL instead, as mosh does. Live output resumes after a repaint taken while the
    pane was quiet, so nothing in flight is shown twice. What a socket holds stays bounded
    however fast the pane writes and however slowly its browser reads, and the viewer sees where
    the pane is now rather than a backlog; the lines skipped are in tmux's scrollback.
    """

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = burst
        self.stamp = clock()
        self.behind = False
        self.last_output = float("-inf")
        self.repainter: asyncio.Task | None = None

    def admit(self, size: int) -> bool:
        """Whether `size` characters of output go to the socket now; if not, it is behind."""
        self.last_output = self.clock()
        if self.behind:
            return False
        self._refill()
        if self.tokens >= size:
            self.tokens -= size
            return True
        self.behind = True
        return False

    def quiet(self) -> bool:
        return self.clock() - self.last_output >= QUIET

    def repainted(self, size: int, *, exact: bool) -> None:
        """A repaint of `size` characters went out; an `exact` one (nothing in flight) ends
        the lag."""
        self._refill()
        self.tokens -= size
        if exact and self.tokens > 0:
            self.behind = False

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now


class _Stream:
    def __init__(self, name: str) -> None:
        self.name = name
        self.listeners: list[Listener] = []
        self.client = tmux.ControlClient(name)
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        await self.client.start()
        self.task = asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self) -> None:
        try:
            async for event in self.client.events():
                if event.kind == "sessions":  # created or killed outside Lobby: tell the lists
                    await _announce_sessions()
                    continue
                for listener in list(self.listeners):
                    try:
                        await listener.stream_event(self.name, event)
                    except Exception:
                        logger.exception("stream listener failed session=%s", self.name)
                if event.kind == "exit":
                    break
        finally:
            registry = _registry()
            if registry.streams.get(self.name) is self:
                del registry.streams[self.name]

    async def stop(self) -> None:
        await self.client.stop()
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


async def _announce_sessions() -> None:
    from channels.db import database_sync_to_async

    from terminals import services

    try:
        await database_sync_to_async(services.announce_sessions)()
    except Exception:
        logger.exception("announcing the session list failed")


class _Registry:
    def __init__(self) -> None:
        self.streams: dict[str, _Stream] = {}
        self.lock = asyncio.Lock()


_registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Registry] = (
    weakref.WeakKeyDictionary()
)


def _registry() -> _Registry:
    loop = asyncio.get_running_loop()
    registry = _registries.get(loop)
    if registry is None:
        registry = _registries[loop] = _Registry()
    return registry


async def subscribe(session_name: str, listener: Listener) -> None:
    """Make sure the session is streaming in this process and `listener` hears it."""
    registry = _registry()
    async with registry.lock:
        stream = registry.streams.get(session_name)
        if stream is None or (stream.task is not None and stream.task.done()):
            stream = _Stream(session_name)
            await stream.start()
            registry.streams[session_name] = stream
            logger.debug("stream started session=%s", session_name)
        if listener not in stream.listeners:
            stream.listeners.append(listener)


async def unsubscribe(session_name: str, listener: Listener) -> None:
    """Stop `listener` hearing the session; the last one out stops the tmux client."""
    registry = _registry()
    async with registry.lock:
        stream = registry.streams.get(session_name)
        if stream is None:
            return
        if listener in stream.listeners:
            stream.listeners.remove(listener)
        if not stream.listeners:
            del registry.streams[session_name]
            await stream.stop()
            logger.debug("stream stopped session=%s", session_name)


async def send_bytes(session_name: str, pane_id: str, data: bytes) -> None:
    """Write keys through this process's control client for the session if it has one
    (no process spawned per keystroke), else with a `tmux send-keys` subprocess."""
    stream = _registry().streams.get(session_name)
    if stream is not None and stream.task is not None and not stream.task.done():
        await stream.client.send_bytes(pane_id, data)
        return
    await asyncio.to_thread(tmux.send_bytes, pane_id, data)


def active_streams() -> list[str]:
    """Sessions this process streams now (for tests and the admin)."""
    return sorted(_registry().streams)
