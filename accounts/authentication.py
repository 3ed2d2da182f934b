"""DRF authentication: bearer API sessions and the browser's session cookie (with CSRF)."""

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
    """`Authorization: Bearer <session id>`. A bad token is a 401, not an anonymous request."""

    def token(self, request: Request) -> str | None:
        return bearer_token(request)

    def authenticate(self, request: Request) -> tuple[User, ApiSession] | None:
        token = self.token(request)
        if token is None:
            return None
        session = services.api_session_authenticate(token=token)
        if session is None:
            raise exceptions.AuthenticationFailed("Invalid or expired session")
        return session.user, session

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"


class CookieSessionAuthentication(authentication.SessionAuthentication):
    """The browser session cookie; writes need the CSRF token."""
