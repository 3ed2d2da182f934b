"""WebSocket plumbing: who is connecting, from which page, and a consumer base that never 500s."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.db import InterfaceError, OperationalError
from redis.exceptions import RedisError

from config.errors import BadRequestError, DomainError, PayloadTooLargeError
from config.net import scope_client_ip
from config.parsers import loads

logger = logging.getLogger(__name__)

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

# A dependency is down (Redis behind the channel layer, the database): the client should retry.
OUTAGE_ERRORS = (RedisError, OSError, TimeoutError, OperationalError, InterfaceError)
# RFC 6455's 1013 "Try Again Later" and 1011 "Internal Error", in the application range: Daphne
# (autobahn) lets an application close only with 1000 or 3000-4999, and raises on any other.
CLOSE_TRY_AGAIN = 4013  # a dependency is unavailable: reconnect in a moment
CLOSE_INTERNAL_ERROR = 4011  # a bug: logged with its traceback


def _origin_tuple(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key == name:
            return value.decode("latin-1")
    return None


def origin_allowed(scope: dict, also: Iterable[str] = ()) -> bool:
    """Compare the Origin's scheme, host and port with the socket's own origin and the allowed list
    (WEBSOCKET_ALLOWED_ORIGINS, plus `also`: origins one app's sockets allow).

    A request without Origin did not come from a browser page, so no page can ride on the
    user's cookies through it: it is allowed, and authenticates like any API client.
    """
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    theirs = _origin_tuple(origin)
    if theirs is None:
        return False
    host = _header(scope, b"host")
    if host:
        scheme = scope.get("scheme", "ws")
        client = (scope.get("client") or ("", 0))[0]
        if client in settings.TRUSTED_PROXIES:
            scheme = _header(scope, b"x-forwarded-proto") or scheme
        if theirs == _origin_tuple(f"{scheme}://{host}"):
            return True
    allowed = (*settings.WEBSOCKET_ALLOWED_ORIGINS, *also)
    return any(theirs == _origin_tuple(origin) for origin in allowed)


class OriginValidator:
    """Refuse the handshake (403) when the Origin is neither same-origin nor allowed.

    `also` returns extra origins for the sockets behind this validator (read per handshake,
    so settings stay the only source).
    """

    def __init__(self, application: Any, also: Callable[[], Iterable[str]] = tuple) -> None:
        self.application = application
        self.also = also

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope, self.also()):
            logger.info("websocket refused: origin %s", _header(scope, b"origin"))
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


def scope_bearer_token(scope: dict) -> str | None:
    """`?token=` in the query string, else `Authorization: Bearer`."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0]
    header = _header(scope, b"authorization") or ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


@database_sync_to_async
def _session_for(token: str, *, allow_guest: bool):  # type: ignore[no-untyped-def]
    from accounts.services import api_session_authenticate

    return api_session_authenticate(token=token, allow_guest=allow_guest)


class TokenAuthMiddleware:
    """After the cookie session: an API session token (`?token=` / Bearer) also names the user.

    Tokens that are not API sessions (WatchParty's room JWTs) are left for the consumer.
    A ProofPlay guest's token names nobody unless `allow_guest` (bingo's sockets only).
    """

    def __init__(self, application: Any, *, allow_guest: bool = False) -> None:
        self.application = application
        self.allow_guest = allow_guest

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        scope = dict(scope)
        scope["client_ip"] = scope_client_ip(scope)
        scope["api_session"] = None
        user = scope.get("user")  # resolved by Channels' AuthMiddleware from the session cookie
        token = scope_bearer_token(scope)
        if token and not (user is not None and user.is_authenticated):
            session = await _session_for(token, allow_guest=self.allow_guest)
            if session is not None:
                scope["user"] = session.user
                scope["api_session"] = session
        return await self.application(scope, receive, send)


def LobbyAuthMiddlewareStack(application: Any, *, allow_guest: bool = False) -> Any:
    return AuthMiddlewareStack(TokenAuthMiddleware(application, allow_guest=allow_guest))


class JsonConsumer(AsyncJsonWebsocketConsumer):
    """Parses frames safely and turns a `DomainError` into the app's socket error message.

    Subclasses implement `receive_json` and may override `error_message` for their spec.
    Frames that are binary, too large, or not JSON become errors; the socket stays open.

    A handshake never ends in an HTTP 500: if `connect` raises (the channel layer's
    `group_add` while Redis is down, the database gone), the socket is accepted and closed
    with 4013 (try again later) for an outage, 4011 for anything else; either is logged.
    If the channel layer fails under an open socket (Redis gone: its messages can no longer
    be received), the socket is closed with 4013 and cleaned up, so the client reconnects
    and rejoins its groups. Leaving the groups during an outage is logged, not raised.
    """

    max_frame_bytes = 64 * 1024
    accepted = False
    closing = False
    connecting = False

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except OUTAGE_ERRORS as exc:  # the channel layer's receive loop, or a handler
            logger.warning("websocket %s closed: a dependency is down: %r", self._path(), exc)
            await self._refuse(CLOSE_TRY_AGAIN)
            if self.connecting:  # what connect set up (tasks, groups, presence) is undone
                with contextlib.suppress(StopConsumer):
                    await self.websocket_disconnect({"code": CLOSE_TRY_AGAIN})

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        self.accepted = True

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.closing = True
        await super().close(code=code, reason=reason)

    async def websocket_connect(self, message: dict) -> None:
        self.connecting = True
        try:
            await super().websocket_connect(message)
        except OUTAGE_ERRORS as exc:
            logger.warning("websocket %s refused: a dependency is down: %r", self._path(), exc)
            await self._refuse(CLOSE_TRY_AGAIN)
        except Exception:
            logger.exception("websocket %s refused: connect failed", self._path())
            await self._refuse(CLOSE_INTERNAL_ERROR)

    async def _refuse(self, code: int) -> None:
        # Closing before accepting would answer the handshake with a bare 403; accepting first
        # lets the client read a close code that says why.
        if self.closing:
            return
        if not self.accepted:
            await self.accept()
        await self.close(code=code)

    async def websocket_disconnect(self, message: dict) -> None:
        try:
            await super().websocket_disconnect(message)
        except OUTAGE_ERRORS as exc:
            logger.warning("websocket %s: cleanup on disconnect failed: %r", self._path(), exc)
            raise StopConsumer() from None

    def _path(self) -> str:
        return str(self.scope.get("path", ""))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            if text_data is None:
                raise BadRequestError("Binary frames are not supported", code="INVALID_MESSAGE")
            if len(text_data) > self.max_frame_bytes or (
                len(text_data.encode("utf-8", "surrogatepass")) > self.max_frame_bytes
            ):
                raise PayloadTooLargeError(
                    f"Message larger than {self.max_frame_bytes} bytes", code="INVALID_MESSAGE"
                )
            try:
                content = loads(text_data)
            except ValueError as exc:
                raise BadRequestError(f"Malformed JSON: {exc}", code="INVALID_MESSAGE") from exc
            await self.receive_json(content)
        except DomainError as exc:
            await self.send_error(exc)

    async def send_error(self, exc: DomainError) -> None:
        await self.send_json(self.error_message(exc))

    def error_message(self, exc: DomainError) -> dict[str, Any]:
        return {"type": "error", "code": exc.code, "message": exc.message}
