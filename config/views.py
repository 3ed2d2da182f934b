"""Platform liveness and readiness, and JSON for errors under the API prefixes."""

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from rest_framework.exceptions import NotFound, ParseError

from config.errors import is_api_path, json_error

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 3.0  # seconds: past it a check counts as failed and /ready answers

# The blocking checks run on threads of their own, not the event loop's default pool (which
# also resolves host names): a check stuck on a dead connection must not take those threads.
# A check that outlives CHECK_TIMEOUT is abandoned, not awaited, so /ready always answers.
_check_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ready-check")


def health(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    """`SELECT 1` on a connection of its own, closed afterwards.

    This runs on a worker thread of the event loop's pool, where no request starts or finishes,
    so nothing else ever closes a connection left there. One kept open would break when the
    database restarts and fail every later check on that thread (a process stayed "not ready"
    for 16 minutes after a PostgreSQL restart while its requests were served). Closed each
    time, the next check opens a fresh one: readiness follows the database within a probe.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


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


def _in_thread(check: Callable[[], None]) -> Awaitable[None]:
    """`check` on one of the checks' threads, shielded: a timed-out check is abandoned.

    Cancelling sync_to_async waits for its thread, so a check hung on a dead connection would
    otherwise hold /ready past its timeout for as long as TCP takes to give up (minutes).
    """
    task = asyncio.ensure_future(
        sync_to_async(check, thread_sensitive=False, executor=_check_threads)()
    )
    task.add_done_callback(_collect)
    return asyncio.shield(task)


def _collect(task: asyncio.Future) -> None:
    """An abandoned check may end, or fail, long after /ready answered: nothing to report."""
    if not task.cancelled():
        task.exception()


async def _run_check(name: str, check: Awaitable[None]) -> str:
    try:
        await asyncio.wait_for(check, timeout=CHECK_TIMEOUT)
    except Exception as exc:
        logger.warning("ready check %s failed: %r", name, exc)
        return "unavailable"
    return "ok"


async def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 only when the database, cache and channel layer all answer.

    The checks run together and each is given CHECK_TIMEOUT, so the answer comes within it.
    Nothing is remembered between probes: each one finds out afresh.
    """
    checks = {
        "database": _in_thread(_check_database),
        "cache": _in_thread(_check_cache),
        "channel_layer": _check_channel_layer(),
    }
    outcomes = await asyncio.gather(*(_run_check(n, c) for n, c in checks.items()))
    results = dict(zip(checks, outcomes, strict=True))
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


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page links: send them to the static icon."""
    response = HttpResponseRedirect(static("favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
