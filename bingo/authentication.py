"""ProofPlay's `X-Session-Id` header: the same platform API session as `Authorization: Bearer`."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
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


class SessionIdScheme(OpenApiAuthenticationExtension):
    """OpenAPI: the X-Session-Id header as a security scheme."""

    target_class = "bingo.authentication.SessionIdAuthentication"
    name = "ProofPlaySession"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {"type": "apiKey", "in": "header", "name": "X-Session-Id"}
