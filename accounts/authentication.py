"""DRF authentication: bearer API sessions and the browser's session cookie (with CSRF)."""

from django.conf import settings
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts import services
from accounts.models import ApiSession, User


def bearer_token(request: Request) -> str | None:
    header = authentication.get_authorization_header(request).decode("latin-1")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


class BearerSessionAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <session id>`. A bad token is a 401, not an anonymous request.

    A ProofPlay guest's session is a bad token here: guests exist on `/bingo/` only, whose
    views use `GuestBearerSessionAuthentication`.
    """

    allow_guest = False

    def token(self, request: Request) -> str | None:
        return bearer_token(request)

    def authenticate(self, request: Request) -> tuple[User, ApiSession] | None:
        token = self.token(request)
        if token is None:
            return None
        session = services.api_session_authenticate(token=token, allow_guest=self.allow_guest)
        if session is None:
            raise exceptions.AuthenticationFailed("Invalid or expired session")
        return session.user, session

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"


class GuestBearerSessionAuthentication(BearerSessionAuthentication):
    """Bearer sessions, ProofPlay guests' included (bingo's API)."""

    allow_guest = True


class CookieSessionAuthentication(authentication.SessionAuthentication):
    """The browser session cookie; writes need the CSRF token."""


def origin_is_trusted(request: Request) -> bool:
    """The request's `Origin` is exactly one of `CSRF_TRUSTED_ORIGINS` and the browser does not
    call it cross-site. A missing or `null` Origin is never trusted; wildcard entries of the list
    (Django's `https://*.example.com`) are not used here."""
    origin = request.META.get("HTTP_ORIGIN", "").strip().lower().rstrip("/")
    if not origin or origin == "null":
        return False
    if request.META.get("HTTP_SEC_FETCH_SITE", "").strip().lower() == "cross-site":
        return False
    trusted = {o.strip().lower().rstrip("/") for o in settings.CSRF_TRUSTED_ORIGINS if "*" not in o}
    return origin in trusted


class TrustedOriginCookieAuthentication(CookieSessionAuthentication):
    """The session cookie for CHROTE's web UI, which never sends a CSRF token: a write whose
    Origin is a trusted origin (and not cross-site, by Sec-Fetch-Site) is accepted without one;
    any other keeps Django's CSRF check (token and Origin). Used by the UI's routes only."""

    def enforce_csrf(self, request: Request) -> None:
        if origin_is_trusted(request):
            return
        super().enforce_csrf(request)
