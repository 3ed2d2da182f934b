"""Request limits Lobby enforces itself (README "Limits"); the Twisted half is config/server.py.

- `too_large_response`: the 413 a body over LOBBY_MAX_BODY_BYTES gets, in the body shape of the
  API its path belongs to (config/errors.py decides), text for pages.
- `SocketsPerAddress`: at most LOBBY_WS_PER_IP open WebSockets per client address, on every
  socket route. Counted per process: with N Daphnes behind the proxy an address may hold N times
  as many, and the proxy's `limit_conn` is the site-wide cap.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

from channels.security.websocket import WebsocketDenier
from django.conf import settings

from config.errors import PayloadTooLargeError, error_for_exception, is_api_path, style_for_path
from config.net import scope_client_ip

logger = logging.getLogger(__name__)


def too_large_response(path: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """(status, headers, body) refusing a request body that is over the limit."""
    api = is_api_path(path)
    result = error_for_exception(PayloadTooLargeError(), style_for_path(path)) if api else None
    if result is None:
        return 413, [(b"content-type", b"text/plain; charset=utf-8")], b"Request body too large"
    status, body, headers = result
    encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    return status, [(b"content-type", b"application/json"), *encoded], json.dumps(body).encode()


class SocketsPerAddress:
    """Refuse the handshake (403) of a WebSocket from an address already holding the cap.

    A socket counts from its handshake until its consumer has finished (Daphne cancels one that
    outlives its socket by --application-close-timeout), so the count never leaks. The address
    is `scope_client_ip`: X-Forwarded-For only from a trusted proxy. A trusted proxy's own
    address (a socket it sent without X-Forwarded-For) is not capped: it speaks for many
    clients, and caps its connections itself. 0 turns the cap off.
    """

    def __init__(self, application: Any) -> None:
        self.application = application
        self.open: Counter[str] = Counter()  # this process's sockets by address

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.application(scope, receive, send)
        address = scope_client_ip(scope)
        cap = settings.LOBBY_WS_PER_IP
        if not cap or address in settings.TRUSTED_PROXIES:
            return await self.application(scope, receive, send)
        if self.open[address] >= cap:
            logger.warning("websocket refused: %s holds %d sockets", address, self.open[address])
            return await WebsocketDenier()(scope, receive, send)
        self.open[address] += 1
        try:
            return await self.application(scope, receive, send)
        finally:
            self.open[address] -= 1
            if self.open[address] <= 0:
                del self.open[address]
