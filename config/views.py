"""Platform liveness and readiness, and JSON for errors under the API prefixes."""

import asyncio
import logging
import secrets

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework.exceptions import NotFound, ParseError

from config.errors import is_api_path, json_error

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 3.0


def health(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    cache = caches["strict"]  # the one that raises when the cache is down
    key = f"ready:{secrets.token_hex(8)}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was written")
    cache.delete(key)


async def _check_channel_layer() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel("ready.")
    await layer.send(channel, {"type": "ready.ping"})
    message = await layer.receive(channel)
    if message.get("type") != "ready.ping":
        raise RuntimeError("channel layer returned another message")


async def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 only when the database, cache and channel layer all answer."""
    checks = {
        "database": sync_to_async(_check_database, thread_sensitive=False)(),
        "cache": sync_to_async(_check_cache, thread_sensitive=False)(),
        "channel_layer": _check_channel_layer(),
    }
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check, timeout=CHECK_TIMEOUT)
            results[name] = "ok"
        except Exception as exc:
            logger.warning("ready check %s failed: %r", name, exc)
            results[name] = "unavailable"
    healthy = all(value == "ok" for value in results.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": results}
    return JsonResponse(body, status=200 if healthy else 503)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return json_error(request, NotFound())
    return render(request, "404.html", status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 for what Django refuses before any view (a Host header not allowed, ...)."""
    if is_api_path(request.path):
        return json_error(request, ParseError("Bad request"))
    return HttpResponse("Bad request", status=400, content_type="text/plain")


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return JsonResponse({"error": "Internal server error"}, status=500)
    return render(request, "500.html", status=500)
