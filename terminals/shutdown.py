"""Close every open terminal socket with 1001 ("going away") when Daphne shuts down.

On SIGTERM Daphne drops its TCP connections without a close frame, and its WebSocket library
refuses 1001 from `websocket.close`. So a Twisted "before shutdown" trigger, registered once by
the first terminal socket of the serving process, writes the 1001 close frame itself on every
open `/terminals/` socket. Outside Daphne (tests, commands) no reactor runs: nothing happens.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

logger = logging.getLogger(__name__)

GOING_AWAY = 1001
_registered: list[bool] = []  # once per process


def register() -> None:
    if _registered or "twisted.internet.reactor" not in sys.modules:
        return
    _registered.append(True)
    from twisted.internet import reactor

    reactor.addSystemEventTrigger("before", "shutdown", _close_all)


def _close_all() -> Any:
    from twisted.internet import reactor, task

    closed = 0
    for reader in list(reactor.getReaders()):
        proto = getattr(reader, "protocol", None)
        if type(proto).__name__ != "WebSocketProtocol":
            continue
        if not getattr(proto, "path", b"").startswith(b"/terminals/"):
            continue
        if proto.state == proto.STATE_OPEN:
            proto.sendCloseFrame(code=GOING_AWAY, isReply=False)
            closed += 1
    logger.info("server shutting down: closed %d terminal socket(s) with 1001", closed)
    return task.deferLater(reactor, 0.2 if closed else 0, lambda: None)
