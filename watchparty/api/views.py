"""WatchParty's REST API, verbatim: validate -> service -> the documented body."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import reverse
from django_ratelimit.core import _split_rate, get_usage
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import CookieSessionAuthentication, bearer_token
from config import errors
from config.errors import DomainError, UnavailableError
from watchparty import services
from watchparty.api import serializers as s
from watchparty.exceptions import ValidationFailedError, WatchPartyRateLimitedError
from watchparty.selectors import iso


def _period_words(period: int) -> str:
    return {1: "second", 60: "minute", 3600: "hour", 86400: "day"}.get(period, f"{period} seconds")


def rate_limit(
    request: Request,
    *,
    group: str,
    rate: str,
    key: str | Callable,
    what: str,
    fail_closed: bool = False,
) -> dict[str, str]:
    """Count this request in the cache; the X-RateLimit-* headers, or 429 with them.

    While the cache is down the count is lost: ordinary limits then let the request through
    (logged by config.cache); a `fail_closed` limit (password attempts) refuses it with 503.
    """
    usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
    if usage is None:
        if fail_closed:
            raise UnavailableError(
                "Password checks are unavailable right now. Try again in a minute.",
                headers={"Retry-After": "30"},
            )
        return {}
    limit, period = _split_rate(rate)
    time_left = max(1, usage["time_left"])
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(0, limit - usage["count"])),
        "X-RateLimit-Reset": str(math.ceil(time.time()) + time_left),
    }
    if usage["should_limit"]:
        raise WatchPartyRateLimitedError(
            f"Maximum {limit} {what} per {_period_words(period)}",
            headers=headers | {"Retry-After": str(time_left)},
        )
    return headers


class LobbyPageCookieAuthentication(CookieSessionAuthentication):
    """The session cookie names the user on Lobby's own pages (which send the CSRF token).

    WatchParty's own app, from an origin in WATCHPARTY_CORS_ORIGINS, sends credentials and so,
    on the same site as Lobby, the cookie too; it cannot send Lobby's CSRF token. Its requests
    are a guest's, as the app expects, rather than a CSRF failure. An origin that is not listed
    still gets the CSRF check (and its 403).
    """

    def authenticate(self, request: Request):  # type: ignore[no-untyped-def]
        if request.headers.get("Origin") in settings.WATCHPARTY_CORS_ORIGINS:
            return None
        return super().authenticate(request)


class WatchPartyPageCookieScheme(OpenApiAuthenticationExtension):
    target_class = LobbyPageCookieAuthentication
    name = "cookieAuthLobbyPages"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The session cookie, from Lobby's pages only (not WatchParty's app).",
        }


def share_url(request: Request, party_id: Any) -> str:
    """WatchParty's app's join page when WATCHPARTY_APP_URL is set, else Lobby's."""
    if settings.WATCHPARTY_APP_URL:
        return f"{settings.WATCHPARTY_APP_URL}/join/{party_id}"
    return request.build_absolute_uri(reverse("watchparty:join-page", args=[party_id]))


class WatchPartyView(APIView):
    """Body style {"error", "message", "details"?}; cookie auth only (JWTs are read by hand)."""

    authentication_classes = [LobbyPageCookieAuthentication]

    def get_exception_handler(self):  # type: ignore[no-untyped-def]
        return errors.watchparty_handler

    @staticmethod
    def body(request: Request) -> dict[str, Any]:
        if not isinstance(request.data, dict):
            raise ValidationFailedError("Request body must be a JSON object")
        return request.data


class HealthView(WatchPartyView):
    authentication_classes: list = []

    @extend_schema(responses=s.HealthOut, summary="WatchParty liveness")
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class CreateView(WatchPartyView):
    @extend_schema(request=s.CreateIn, responses={200: s.CreateOut, 400: None, 429: None})
    def post(self, request: Request) -> Response:
        headers = rate_limit(
            request,
            group="watchparty.create",
            rate=settings.WATCHPARTY_RATE_CREATE,
            key="ip",
            what="session creations",
        )
        try:
            data = self.body(request)
            party, _, token = services.party_create(
                name=data.get("name"),
                password=data.get("password"),
                display_name=data.get("display_name"),
                user=request.user,
            )
        except DomainError as exc:
            exc.headers = headers | exc.headers
            raise
        out = s.create_out(party, token, share_url(request, party.id))
        return Response(out, headers=headers)


def _join_key(group: str, request: Request) -> str:
    data = request.data if isinstance(request.data, dict) else {}
    return str(data.get("session_id", ""))[:64].lower()


class JoinView(WatchPartyView):
    @extend_schema(
        request=s.JoinIn, responses={200: s.JoinOut, 401: None, 403: None, 404: None, 429: None}
    )
    def post(self, request: Request) -> Response:
        headers = rate_limit(
            request,
            group="watchparty.join",
            rate=settings.WATCHPARTY_RATE_JOIN,
            key=_join_key,
            what="join attempts for this session",
            fail_closed=True,  # the join limit is what bounds password guessing
        )
        try:
            data = self.body(request)
            party, _, token = services.party_join(
                session_id=data.get("session_id"),
                password=data.get("password"),
                display_name=data.get("display_name"),
                user=request.user,
            )
        except DomainError as exc:
            exc.headers = headers | exc.headers
            raise
        return Response(s.join_out(party, token), headers=headers)


class DetailsView(WatchPartyView):
    authentication_classes: list = []

    @extend_schema(responses={200: s.DetailsOut, 401: None, 404: None})
    def get(self, request: Request, session_id: str) -> Response:
        details = services.party_details_get(session_id=session_id, token=bearer_token(request))
        return Response(details)


class TokenRefreshView(WatchPartyView):
    authentication_classes: list = []

    @extend_schema(
        request=None,
        responses={200: s.TokenOut, 401: OpenApiResponse(description="invalid token")},
        summary="Exchange a still-valid room token for a fresh one",
    )
    def post(self, request: Request, session_id: str) -> Response:
        token, expires = services.token_refresh(session_id=session_id, token=bearer_token(request))
        return Response({"token": token, "expires_at": iso(expires)})
