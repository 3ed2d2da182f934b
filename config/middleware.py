import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from config.errors import (
    UnavailableError,
    error_body,
    is_api_path,
    json_error,
    style_for_path,
)
from config.limits import too_large_response

logger = logging.getLogger(__name__)

# Every method a Lobby route answers. TRACE, CONNECT, WebDAV's and made-up ones are refused.
ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class MethodAllowlist:
    """ASGI: 405 for a method no route answers, before Django or the static files see it.

    Wraps the whole HTTP application (config.asgi) so /static/ is covered too. The body is the
    API's documented error body under an API prefix, plain text elsewhere.
    """

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        if scope["type"] != "http" or scope["method"] in ALLOWED_METHODS:
            return await self.application(scope, receive, send)
        path = scope.get("path", "")
        message = f'Method "{scope["method"]}" not allowed.'
        if is_api_path(path):
            body = json.dumps(error_body(style_for_path(path), status=405, message=message))
            content_type = b"application/json"
        else:
            body, content_type = message, b"text/plain; charset=utf-8"
        payload = body.encode()
        await send(
            {
                "type": "http.response.start",
                "status": 405,
                "headers": [
                    (b"allow", ", ".join(ALLOWED_METHODS).encode()),
                    (b"content-type", content_type),
                    (b"content-length", str(len(payload)).encode()),
                    (b"x-content-type-options", b"nosniff"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
        return None


class TrustedProxyMiddleware:
    """X-Forwarded-Proto counts only from a peer in TRUSTED_PROXIES: from anyone else it is
    deleted here, first, so SECURE_PROXY_SSL_HEADER (request.is_secure(): CSRF's Origin check,
    absolute URLs, the https redirect, HSTS) never takes a client's word for it.
    X-Forwarded-For needs no such step: config.net reads it under the same rule."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("REMOTE_ADDR", "") not in settings.TRUSTED_PROXIES:
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)


def csp_header(policy: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *sources]) for name, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Content-Security-Policy from settings.SECURE_CSP on every response that has none.

    The policy is the same for every page (no nonces: every script is a static file), so the
    header is built once. SECURE_CSP has the shape of Django 6's setting of that name.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = csp_header(settings.SECURE_CSP)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Content-Security-Policy", self.header)
        return response


class BodySizeLimitMiddleware:
    """Refuse a declared body over LOBBY_MAX_BODY_BYTES with 413 before anything reads it.

    Bodies without a Content-Length are bounded by DATA_UPLOAD_MAX_MEMORY_SIZE, whose
    RequestDataTooBig the error handlers also render as 413.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.LOBBY_MAX_BODY_BYTES:
            status, headers, body = too_large_response(request.path)
            response = HttpResponse(body, status=status)
            for name, value in headers:
                response[name.decode("latin-1")] = value.decode("latin-1")
            return response
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A database that is down or restarting answers 503, not 500; Django reconnects by itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable on %s: %s", request.path, exception)
        if is_api_path(request.path):
            response = json_error(request, UnavailableError())
        else:
            response = HttpResponse(
                "Lobby's database is unavailable; try again in a moment.",
                status=503,
                content_type="text/plain",
            )
        response["Retry-After"] = "5"
        return response
