"""The client's address: from the socket, or from X-Forwarded-For only behind a trusted proxy."""

from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest


def _valid(addr: str) -> bool:
    try:
        ip_address(addr)
    except ValueError:
        return False
    return True


def client_ip_from(remote: str, forwarded_for: str | None) -> str:
    """Walk X-Forwarded-For from the right, skipping trusted proxies; never trust it otherwise."""
    trusted = settings.TRUSTED_PROXIES
    if not trusted or remote not in trusted or not forwarded_for:
        return remote
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _valid(hop):
            break
        if hop not in trusted:
            return hop
    return remote


def client_ip(request: HttpRequest) -> str:
    return client_ip_from(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR")
    )


def ratelimit_ip(request: HttpRequest) -> str:
    """RATELIMIT_IP_META_KEY for django-ratelimit's `key="ip"`."""
    return client_ip(request) or "unknown"


def scope_client_ip(scope: dict) -> str:
    """The same rule for an ASGI (WebSocket) scope."""
    client = scope.get("client") or ("", 0)
    headers = dict(scope.get("headers") or [])
    forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1") or None
    return client_ip_from(client[0] or "", forwarded)
