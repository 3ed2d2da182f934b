"""ProofPlay's `X-Session-Id` header: the same platform API session as `Authorization: Bearer`."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.request import Request

from accounts.authentication import GuestBearerSessionAuthentication


class SessionIdAuthentication(GuestBearerSessionAuthentication):
    """`X-Session-Id: <session id>`. A bad id is a 401, not an anonymous request."""

    def token(self, request: Request) -> str | None:
        token = request.META.get("HTTP_X_SESSION_ID")
        return None if token is None else token.strip()


class SessionIdScheme(OpenApiAuthenticationExtension):
    """OpenAPI: the X-Session-Id header as a security scheme."""

    target_class = "bingo.authentication.SessionIdAuthentication"
    name = "ProofPlaySession"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {"type": "apiKey", "in": "header", "name": "X-Session-Id"}
