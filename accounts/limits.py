"""Guessing device-login hashes is slowed per client address: only unknown hashes count.

A device polling its own (known) hash never counts against the limit. Once an address has had
more than AUTH_POLL_MISS_RATE misses in the window, every poll from it is a 429 until the window
ends, a correct guess included: otherwise a 202 would still tell a guesser it had found one.

The counter is django-ratelimit's (`get_usage`, in the shared cache, keyed by
`config.net.client_ip`, so it holds behind a trusted proxy). The gate every poll passes is a
separate marker, set when the counter goes over: one cache read, where `get_usage` would be an
add and a read (on the embedded database cache an add also counts the cache table: about 6x the
cost, measured).
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from config.errors import RateLimitedError
from config.net import ratelimit_ip

GROUP = "accounts.poll_miss"
MESSAGE = "Too many unknown auth codes from this address: try again later"


def _blocked_key(address: str) -> str:
    return f"{GROUP}.blocked:{address}"


def poll_gate(request: HttpRequest) -> None:
    """RateLimitedError (429, Retry-After) while this address is over its miss limit."""
    until = cache.get(_blocked_key(ratelimit_ip(request)))
    if until is not None:
        raise RateLimitedError(MESSAGE, retry_after=until - time.time())


def poll_missed(request: HttpRequest) -> None:
    """Count an unknown hash; RateLimitedError once this address goes over the limit."""
    usage = get_usage(
        request, group=GROUP, key="ip", rate=settings.AUTH_POLL_MISS_RATE, increment=True
    )
    if usage is None or not usage["should_limit"]:
        return
    left = max(1, usage["time_left"])
    cache.set(_blocked_key(ratelimit_ip(request)), time.time() + left, timeout=left)
    raise RateLimitedError(MESSAGE, retry_after=left)
