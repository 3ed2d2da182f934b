from django.http import HttpRequest, JsonResponse
from django.urls import path

from config.urls import handler404, handler500  # noqa: F401
from config.urls import urlpatterns as lobby_urlpatterns


def bare(request: HttpRequest) -> JsonResponse:
    """The least a Django view can do: the baseline for /health and device polling."""
    return JsonResponse({"status": "ok"})


urlpatterns = [path("bench/bare", bare), *lobby_urlpatterns]
