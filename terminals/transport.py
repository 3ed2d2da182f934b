"""What the Channels API can't reach on Daphne's sockets: TCP_NODELAY and the 1001 close.

- Keystrokes and their echo are tiny writes: with Nagle's algorithm on (Twisted's default) each
  echo can wait ~40 ms for a delayed ACK. Terminal sockets turn it off when they are accepted.
- On SIGTERM Daphne drops its TCP connections without a close frame, and its WebSocket library
  refuses 1001 from `websocket.close`. So a Twisted "before shutdown" trigger, registered once
  by the first terminal socket of the serving process, writes the 1001 close frame itself on
  every open `/terminals/` socket.

Outside Daphne (tests, commands) no reactor runs: nothing happens.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import Any

logger = logging.getLogger(__name__)

GOING_AWAY = 1001
_registered: list[bool] = []  # once per process


def _terminal_sockets() -> list[tuple[Any, Any]]:
    """(transport, protocol) of this process's open `/terminals/` WebSockets under Daphne."""
    from twisted.internet import reactor

    found = []
    for reader in list(reactor.getReaders()):
        proto = getattr(reader, "protocol", None)
        if type(proto).__name__ != "WebSocketProtocol":
            continue
        if getattr(proto, "path", b"").startswith(b"/terminals/"):
            found.append((reader, proto))
    return found


def on_accept() -> None:
    """Called by every terminal socket once accepted (a no-op outside Daphne)."""
    if "twisted.internet.reactor" not in sys.modules:
        return
    if not _registered:
        _registered.append(True)
        from twisted.internet import reactor

        reactor.addSystemEventTrigger("before", "shutdown", _close_all)
    for transport, proto in _terminal_sockets():
        if not getattr(proto, "_lobby_nodelay", False):
            with contextlib.suppress(AttributeError, OSError):
                transport.setTcpNoDelay(True)
            proto._lobby_nodelay = True


def _close_all() -> Any:
    from twisted.internet import reactor, task

    closed = 0
    for _transport, proto in _terminal_sockets():
        if proto.state == proto.STATE_OPEN:
            proto.sendCloseFrame(code=GOING_AWAY, isReply=False)
            closed += 1
    logger.info("server shutting down: closed %d terminal socket(s) with 1001", closed)
    return task.deferLater(reactor, 0.2 if closed else 0, lambda: None)
