"""`python -m config.server`: Daphne, with the HTTP limits it has no option for.

The command line is Daphne's own (`python -m config.server -b 127.0.0.1 -p 8000
config.asgi:application`, every `daphne` option works). What it adds, per connection:

- Header deadline (LOBBY_HTTP_HEADER_TIMEOUT, 5 s): the request line and headers must be in
  within that time of the connection opening (on a kept-alive connection: of the next request's
  first byte; between requests Twisted's idle timeout, 60 s, still applies). Twisted's own
  timeout is an idle one that every byte resets, so a client trickling a header byte a second,
  a silent connection or a half-sent WebSocket upgrade held a connection for a minute or more.
- Body deadline (LOBBY_HTTP_BODY_TIMEOUT, 30 s) from the end of the headers to the end of the
  body, for the same reason.
- Body size (LOBBY_MAX_BODY_BYTES): Twisted reads the whole body before Daphne calls the
  application, so no ASGI or Django middleware can refuse one unread. A `Content-Length` over
  the limit is answered 413 as soon as the headers are in (before `100 Continue`); a chunked
  body is cut off once what has arrived passes the limit. The 413's body is the API's
  (config.limits.too_large_response). Lobby then stops reading, and closes after LINGER seconds.

Daphne's `Server.run()` builds its HTTP factory and listens on `self.http_factory`;
`LobbyServer` sets the factory's `protocol` (Twisted's documented hook for the protocol class a
factory builds) to `LimitedHTTPChannel` as it is assigned, before anything listens. That
channel is a plain `twisted.web.http.HTTPChannel` (the default factory would only add HTTP/2
over TLS, which Daphne does not serve here).
"""

from __future__ import annotations

from daphne.server import Server  # isort:skip  # first: it installs Twisted's asyncio reactor

import logging
import sys
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit

from daphne.cli import CommandLineInterface
from django.conf import settings
from twisted.web import http

from config.limits import too_large_response

logger = logging.getLogger("config.server")  # also when run as __main__

LINGER = 2.0  # seconds a refused connection stays open so the client can read its 413

_HEAD, _BODY, _HANDLING = "head", "body", "handling"


def _path_of(target: bytes) -> str:
    try:
        return unquote(urlsplit(target.decode("ascii")).path)
    except (UnicodeDecodeError, ValueError):
        return "/"


class LimitedHTTPChannel(http.HTTPChannel):
    """Twisted's HTTP/1.1 channel with a header deadline, a body deadline and a body limit."""

    def connectionMade(self) -> None:
        self._lobby_phase = _HEAD
        self._lobby_target: bytes | None = None
        self._lobby_refused = False
        self._lobby_deadline: Any = None
        super().connectionMade()
        self._lobby_arm(settings.LOBBY_HTTP_HEADER_TIMEOUT)

    # --- deadlines ------------------------------------------------------------------------
    def _lobby_arm(self, seconds: float) -> None:
        self._lobby_disarm()
        if seconds and seconds > 0:
            self._lobby_deadline = self.callLater(seconds, self._lobby_expired)

    def _lobby_disarm(self) -> None:
        if self._lobby_deadline is not None:
            if self._lobby_deadline.active():
                self._lobby_deadline.cancel()
            self._lobby_deadline = None

    def _lobby_expired(self) -> None:
        self._lobby_deadline = None
        logger.info(
            "http %s deadline passed: closing %s", self._lobby_phase, self.transport.getPeer()
        )
        self.timeoutConnection()  # Twisted's: close, and abort if that does not finish

    # --- the request's progress -----------------------------------------------------------
    def lineReceived(self, line: bytes) -> None:
        if self._lobby_phase == _HEAD and self._lobby_target is None and line:
            parts = line.split(b" ")
            self._lobby_target = parts[1] if len(parts) == 3 else b"/"
        super().lineReceived(line)

    def allHeadersReceived(self) -> None:
        self._lobby_disarm()
        request = self.requests[-1]
        lengths = request.requestHeaders.getRawHeaders(b"content-length") or []
        # Twisted has already refused a Content-Length that is not one run of digits.
        declared = int(lengths[0]) if len(lengths) == 1 and lengths[0].isdigit() else None
        if declared is not None and declared > settings.LOBBY_MAX_BODY_BYTES:
            self._lobby_too_large()
            return
        self._lobby_phase = _BODY
        if self.length != 0:
            self._lobby_arm(settings.LOBBY_HTTP_BODY_TIMEOUT)
        super().allHeadersReceived()

    def rawDataReceived(self, data: bytes) -> None:
        if self._lobby_refused:
            return  # a refused body is never read into the request
        super().rawDataReceived(data)
        if self._lobby_phase == _BODY and self.requests:
            content = getattr(self.requests[-1], "content", None)
            if content is not None and content.tell() > settings.LOBBY_MAX_BODY_BYTES:
                self._lobby_too_large()  # a chunked body, over the limit so far

    def allContentReceived(self) -> None:
        self._lobby_disarm()
        self._lobby_phase = _HANDLING
        super().allContentReceived()

    def requestDone(self, request: Any) -> None:
        # Between requests Twisted's idle timeout runs (it also lets a large response drain to
        # a slow reader); the next request's header deadline starts with its first byte.
        self._lobby_phase, self._lobby_target = _HEAD, None
        super().requestDone(request)

    def dataReceived(self, data: bytes) -> None:
        if self._lobby_refused:
            return
        if self._lobby_phase == _HEAD and self._lobby_deadline is None:
            self._lobby_arm(settings.LOBBY_HTTP_HEADER_TIMEOUT)
        super().dataReceived(data)

    def connectionLost(self, reason: Any) -> None:
        self._lobby_disarm()
        super().connectionLost(reason)

    # --- refusing a body ------------------------------------------------------------------
    def _lobby_too_large(self) -> None:
        path = _path_of(self._lobby_target or b"/")
        status, headers, body = too_large_response(path)
        logger.info("http body over %d bytes refused: %s", settings.LOBBY_MAX_BODY_BYTES, path)
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode("ascii")]
        lines += [name + b": " + value for name, value in headers]
        lines += [b"content-length: " + str(len(body)).encode(), b"connection: close"]
        self._lobby_refused = True
        self.setTimeout(None)
        self.transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        self.transport.loseWriteConnection()  # the response, then FIN
        self.transport.pauseProducing()  # nothing more of the body is read
        self._lobby_disarm()
        self._lobby_deadline = self.callLater(LINGER, self.transport.abortConnection)


class LobbyServer(Server):
    """Daphne's server, whose HTTP connections are `LimitedHTTPChannel`s."""

    @property
    def http_factory(self) -> Any:
        return self._lobby_http_factory

    @http_factory.setter
    def http_factory(self, factory: Any) -> None:
        factory.protocol = LimitedHTTPChannel
        self._lobby_http_factory = factory


class LobbyCommandLine(CommandLineInterface):
    description = "Lobby's HTTP/WebSocket server (Daphne with request limits)"
    server_class = LobbyServer

    def __init__(self) -> None:
        super().__init__()
        # Daphne closes every socket after a day by default; a terminal or a watch party may
        # stay open longer (CHROTE's UI does not subscribe again). Dead peers still go: pings.
        self.parser.set_defaults(websocket_timeout=-1)


def main() -> None:
    LobbyCommandLine().run(sys.argv[1:])


if __name__ == "__main__":
    main()
