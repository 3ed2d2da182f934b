"""ProofPlay's `X-Session-Id` header: the same platform API session as `Authorization: Bearer`."""

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts import services
from accounts.models import ApiSession, User


class SessionIdAuthentication(authentication.BaseAuthentication):
    """`X-Session-Id: <session id>`. A bad id is a 401, not an anonymous request."""

    def authenticate(self, request: Request) -> tuple[User, ApiSession] | None:
        token = request.META.get("HTTP_X_SESSION_ID")
        if token is None:
            return None
        session = services.api_session_authenticate(token=token.strip())
        if session is None:
            raise exceptions.AuthenticationFailed("Invalid or expired session")
        return session.user, session

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"
