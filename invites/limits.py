"""Guessing invite codes and tokens is slowed per IP: only misses count, in the cache."""

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

GROUP = "invites.lookup"


def _usage(request: HttpRequest, *, increment: bool) -> dict | None:
    return get_usage(
        request, group=GROUP, key="ip", rate=settings.INVITES_RATE_LOOKUP, increment=increment
    )


def lookups_exhausted(request: HttpRequest) -> bool:
    """True once this address has had INVITES_RATE_LOOKUP misses in the current window."""
    usage = _usage(request, increment=False)
    return usage is not None and usage["count"] >= usage["limit"]


def lookup_missed(request: HttpRequest) -> None:
    _usage(request, increment=True)
