"""Domain errors and the four documented error bodies, built in one place.

Services raise `DomainError` subclasses; views never build error dicts. Which body a response
gets is decided by the API it belongs to (`style_for_path`), or by a view that names its style:

- Parsec (device login, host invites):  {"error": message}
- ProofPlay (bingo):                     {"detail": message}
- CHROTE (auth, terminals):              {"error": code, "message": message, "details"?: {...}}
- WatchParty:                            {"error": title, "message": message, "details"?: {...}}
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions as drf
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """An error a client caused. `code` is CHROTE's code / WatchParty's title."""

    status: int = 400
    code: str = "BAD_REQUEST"
    message: str = "Bad request"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.message = message if message is not None else type(self).message
        self.code = code or type(self).code
        self.status = status or type(self).status
        self.details = dict(details) if details else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})  # extra top-level fields (CHROTE's claimedBy, expiresAt)
        super().__init__(self.message)


class BadRequestError(DomainError):
    pass


class UnauthorizedError(DomainError):
    status, code, message = 401, "UNAUTHORIZED", "Authentication required"


class ForbiddenError(DomainError):
    status, code, message = 403, "FORBIDDEN", "Permission denied"


class NotFoundError(DomainError):
    status, code, message = 404, "NOT_FOUND", "Not found"


class ConflictError(DomainError):
    status, code, message = 409, "CONFLICT", "Conflict"


class RateLimitedError(DomainError):
    status, code, message = 429, "RATE_LIMITED", "Too many requests"

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kw: Any) -> None:
        headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} | dict(kw.pop("headers", {}))
        super().__init__(message, headers=headers, **kw)


class PayloadTooLargeError(DomainError):
    status, code, message = 413, "PAYLOAD_TOO_LARGE", "Request body too large"


class UnavailableError(DomainError):
    status, code, message = 503, "UNAVAILABLE", "Service temporarily unavailable"


# ---------------------------------------------------------------------------------------------
# Body styles

PARSEC, PROOFPLAY, CHROTE, WATCHPARTY, DEFAULT = "parsec", "proofplay", "chrote", "watchparty", ""
# The Avalon bot API documents no error body; it uses CHROTE's shape with its own codes.
AVALON = "avalon"

VALIDATION_ERROR = "VALIDATION_ERROR"

# Generic codes/titles for errors that did not come from a service.
_CHROTE_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    503: "UNAVAILABLE",
}
_WATCHPARTY_TITLES = {
    400: "Validation failed",
    401: "Authentication failed",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Payload too large",
    415: "Unsupported media type",
    429: "Rate limit exceeded",
    503: "Service unavailable",
}

# URL prefixes and the API whose error body they use; first match wins.
_PREFIX_STYLES: tuple[tuple[str, str], ...] = (
    ("/auth/codes", PARSEC),
    ("/auth/sessions", PARSEC),
    ("/host-invites", PARSEC),
    ("/auth/", CHROTE),
    ("/bingo/", PROOFPLAY),
    ("/watchparty/", WATCHPARTY),
    ("/terminals/", CHROTE),
    ("/avalon/", AVALON),
    ("/api/", CHROTE),
)


def style_for_path(path: str) -> str:
    for prefix, style in _PREFIX_STYLES:
        if path.startswith(prefix) or path == prefix.rstrip("/"):
            return style
    return DEFAULT


def is_api_path(path: str) -> bool:
    return style_for_path(path) != DEFAULT


def error_body(
    style: str,
    *,
    status: int,
    message: str,
    code: str | None = None,
    details: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    if style == PARSEC:
        body: dict[str, Any] = {"error": message}
    elif style in (PROOFPLAY, DEFAULT):
        body = {"detail": message}
    else:
        generic = _WATCHPARTY_TITLES if style == WATCHPARTY else _CHROTE_CODES
        body = {"error": code or generic.get(status, "ERROR"), "message": message}
        if details:
            body["details"] = dict(details)
    if extra:
        body.update(extra)
    return body


def _flatten(detail: Any) -> str:
    """DRF's nested ValidationError detail as one readable sentence."""
    if isinstance(detail, Mapping):
        parts = []
        for field, value in detail.items():
            text = _flatten(value)
            parts.append(text if field == "non_field_errors" else f"{field}: {text}")
        return "; ".join(parts)
    if isinstance(detail, list | tuple):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)


def _field_details(detail: Any) -> dict[str, str] | None:
    if isinstance(detail, Mapping):
        return {str(k): _flatten(v) for k, v in detail.items()}
    return None


def _generic_code(style: str, status: int) -> str | None:
    if style == WATCHPARTY:
        return _WATCHPARTY_TITLES.get(status)
    return _CHROTE_CODES.get(status)


def error_for_exception(
    exc: Exception, style: str
) -> tuple[int, dict[str, Any], dict[str, str]] | None:
    """(status, body, headers) for an exception a client caused; None for a real server error."""
    if isinstance(exc, DomainError):
        code = exc.code
        if style == WATCHPARTY and code in _CHROTE_CODES.values():
            code = None  # a shared error (e.g. UnauthorizedError) gets WatchParty's own title
        body = error_body(
            style,
            status=exc.status,
            message=exc.message,
            code=code,
            details=exc.details,
            extra=exc.extra,
        )
        return exc.status, body, exc.headers
    if isinstance(exc, Ratelimited):
        exc = RateLimitedError(retry_after=60)
        return error_for_exception(exc, style)
    if isinstance(exc, RequestDataTooBig):
        return error_for_exception(PayloadTooLargeError(), style)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if not isinstance(exc, drf.APIException):
        return None

    status = exc.status_code
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(math.ceil(exc.wait))
    details = None
    code = _generic_code(style, status)
    if isinstance(exc, drf.ValidationError):
        details = _field_details(exc.detail)
        message = _flatten(exc.detail) or "Invalid input data"
        if style == CHROTE:
            code = VALIDATION_ERROR  # CHROTE's documented code for invalid input
    elif isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed) and style in (
        CHROTE,
        AVALON,
    ):
        message = "Authentication required"
    else:
        message = _flatten(exc.detail)
    body = error_body(style, status=status, message=message, code=code, details=details)
    return status, body, headers


def handler_for(style: str) -> Callable[[Exception, Mapping[str, Any]], Response | None]:
    """A DRF exception handler that renders `style`'s body (for `APIView.get_exception_handler`)."""

    def handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
        result = error_for_exception(exc, style)
        if result is None:
            return None
        status, body, headers = result
        from rest_framework.views import set_rollback  # DRF's views import our auth classes

        set_rollback()
        return Response(body, status=status, headers=headers)

    return handler


parsec_handler = handler_for(PARSEC)
proofplay_handler = handler_for(PROOFPLAY)
chrote_handler = handler_for(CHROTE)
avalon_handler = handler_for(AVALON)
watchparty_handler = handler_for(WATCHPARTY)


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: the body of the API the request's URL belongs to."""
    request = context.get("request")
    style = style_for_path(request.path) if request is not None else DEFAULT
    return handler_for(style)(exc, context)


def json_error(request: HttpRequest, exc: Exception, style: str | None = None) -> JsonResponse:
    """A plain-Django JSON error response (middleware, handler404, ...)."""
    style = style_for_path(request.path) if style is None else style
    result = error_for_exception(exc, style)
    if result is None:  # pragma: no cover - only called with client errors
        raise exc
    status, body, headers = result
    response = JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def ratelimited_view(request: HttpRequest, exception: Exception) -> JsonResponse:
    """RATELIMIT_VIEW: django-ratelimit's `Ratelimited` outside DRF views becomes a 429."""
    return json_error(request, RateLimitedError(retry_after=60))
