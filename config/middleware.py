import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from config.errors import PayloadTooLargeError, UnavailableError, is_api_path, json_error

logger = logging.getLogger(__name__)


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
            if is_api_path(request.path):
                return json_error(request, PayloadTooLargeError())
            return HttpResponse("Request body too large", status=413, content_type="text/plain")
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
