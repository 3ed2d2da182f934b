"""How the platform's credentials appear in the OpenAPI schema (drf-spectacular extensions)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerSessionScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerSessionAuthentication"
    name = "apiSession"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API session id (device login's session id, ProofPlay's session).",
        }


class GuestBearerSessionScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.GuestBearerSessionAuthentication"
    name = "proofPlayBearer"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "On /bingo/ only: an API session id, a ProofPlay guest's included.",
        }


class CookieSessionScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.CookieSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


class TrustedOriginCookieScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.TrustedOriginCookieAuthentication"
    name = "cookieAuthTrustedOrigin"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The session cookie; writes need no CSRF token from a trusted Origin.",
        }
