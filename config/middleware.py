from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from config.errors import PayloadTooLargeError, is_api_path, json_error


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
