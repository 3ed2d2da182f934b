"""The routes CHROTE's own web UI calls (its server's `/api/...`), served under `/terminals/api/`
beside the documented ones, so a proxy mapping the UI origin's `/api/*` onto `/terminals/api/*`
is all the UI needs. Shapes and statuses are what the UI reads (see docs/terminals.md).

Errors are CHROTE's server's `{"error": "<text>"}`, except the two gates every terminal route
shares, which keep Lobby's CHROTE body: not signed in (401 `UNAUTHORIZED`) and signed in but not
a workspace member (403 `FORBIDDEN` "You are not a member of this workspace").
Cookie writes here need no CSRF token when their Origin is trusted
(`TrustedOriginCookieAuthentication`); the UI never sends one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions as drf
from rest_framework import serializers as drf_serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as account_services
from accounts.authentication import (
    BearerSessionAuthentication,
    TrustedOriginCookieAuthentication,
)
from accounts.models import ApiSession, Role
from accounts.views import oauth_start
from config import errors
from config.errors import ConflictError, ForbiddenError, NotFoundError
from terminals import selectors, services
from terminals.api.ui_signin import pending_invite_store
from terminals.exceptions import (
    AlreadyClaimedError,
    ClaimForbiddenError,
    NoClaimError,
    NotMemberError,
    ReleaseForbiddenError,
    SessionNotFoundError,
)
from terminals.permissions import IsWorkspaceMember, is_member

UI_AUTHENTICATION = [BearerSessionAuthentication, TrustedOriginCookieAuthentication]


def ui_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    if isinstance(exc, NotMemberError | drf.NotAuthenticated | drf.AuthenticationFailed):
        return errors.chrote_handler(exc, context)
    return errors.parsec_handler(exc, context)  # {"error": "<text>"}


class UiView(APIView):
    authentication_classes = UI_AUTHENTICATION
    permission_classes = [IsWorkspaceMember]

    def get_exception_handler(self):  # type: ignore[no-untyped-def]
        return ui_handler


def _text(component: str, _opts: dict[str, Any] | None = None, **fields: Any) -> Any:
    """An inline OpenAPI component (`_opts`: the serializer's own kwargs, e.g. many=True)."""
    return inline_serializer(component, fields=fields, **(_opts or {}))


ERROR_OUT = _text("ChroteUiErrorOut", error=drf_serializers.CharField())
PERSON = _text("ChroteUiPerson", id=drf_serializers.CharField(), name=drf_serializers.CharField())


# --- auth ------------------------------------------------------------------------------------


class AuthMeView(UiView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["terminals UI"],
        responses={
            200: _text(
                "ChroteUiMeOut",
                user=_text(
                    "ChroteUiUser",
                    id=drf_serializers.CharField(),
                    email=drf_serializers.EmailField(),
                    name=drf_serializers.CharField(allow_null=True),
                    avatar_url=drf_serializers.CharField(allow_null=True),
                    role=drf_serializers.CharField(
                        allow_null=True, help_text="null: signed in, not a workspace member"
                    ),
                    _opts={"allow_null": True},
                ),
            )
        },
        operation_id="terminals_ui_auth_me",
        description='The signed-in user, or `{"user": null}`.',
    )
    def get(self, request: Request) -> Response:
        user = request.user
        if not user.is_authenticated or user.is_guest:
            return Response({"user": None})
        return Response(
            {
                "user": {
                    "id": user.public_id,
                    "email": user.email,
                    "name": user.name or None,
                    "avatar_url": user.avatar_url or None,
                    "role": user.role if is_member(user) else None,
                }
            }
        )


class AuthStatusView(UiView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["terminals UI"],
        responses={
            200: _text(
                "ChroteUiStatusOut",
                providers=_text(
                    "ChroteUiProviders",
                    github=drf_serializers.BooleanField(),
                    google=drf_serializers.BooleanField(),
                ),
            )
        },
        operation_id="terminals_ui_auth_status",
    )
    def get(self, request: Request) -> Response:
        configured = settings.SOCIALACCOUNT_PROVIDERS
        return Response(
            {"providers": {"github": "github" in configured, "google": "google" in configured}}
        )


class AuthLogoutView(UiView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["terminals UI"],
        request=None,
        responses={200: _text("ChroteUiLogoutOut", success=drf_serializers.BooleanField())},
        operation_id="terminals_ui_auth_logout",
    )
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, ApiSession):
            account_services.api_session_revoke(session=request.auth)
        else:
            logout(request._request)
        return Response({"success": True})


@require_GET
def auth_start(request: HttpRequest, provider: str) -> HttpResponse:
    """`GET …/auth/<provider>?invite=`: the same sign-in as `/auth/<provider>`; the invite is
    accepted when it completes (`terminals.api.ui_signin`)."""
    pending_invite_store(request, request.GET.get("invite"))
    return oauth_start(request, provider)


# --- sessions --------------------------------------------------------------------------------


class SessionsView(UiView):
    @extend_schema(
        tags=["terminals UI"],
        responses={
            200: _text(
                "ChroteUiSessionsOut",
                sessions=_text(
                    "ChroteUiSession",
                    id=drf_serializers.CharField(),
                    name=drf_serializers.CharField(),
                    windows=drf_serializers.IntegerField(),
                    attached=drf_serializers.BooleanField(),
                    created=drf_serializers.CharField(),
                    _opts={"many": True},
                ),
            ),
            503: ERROR_OUT,
        },
        operation_id="terminals_ui_sessions",
    )
    def get(self, request: Request) -> Response:
        keep = ("id", "name", "windows", "attached", "created")
        return Response({"sessions": [{k: s[k] for k in keep} for s in selectors.sessions_list()]})


class SessionView(UiView):
    @extend_schema(
        tags=["terminals UI"],
        responses={200: _text("ChroteUiSessionOut", session=drf_serializers.DictField())},
        operation_id="terminals_ui_session",
        description='`{"session": <the documented session detail>}`; 404 `Session not found`.',
    )
    def get(self, request: Request, name: str) -> Response:
        return Response({"session": selectors.session_detail(session_name=name)})


class CaptureView(UiView):
    @extend_schema(
        tags=["terminals UI"],
        parameters=[OpenApiParameter("pane", str, description='pane label, default "0"')],
        responses={
            200: _text(
                "ChroteUiCaptureOut",
                session=drf_serializers.CharField(),
                pane=drf_serializers.CharField(),
                content=drf_serializers.CharField(),
                timestamp=drf_serializers.CharField(),
            ),
            404: ERROR_OUT,
            503: ERROR_OUT,
        },
        operation_id="terminals_ui_capture",
    )
    def get(self, request: Request, name: str) -> Response:
        pane = request.query_params.get("pane") or "0"
        try:
            content = selectors.pane_capture(session_name=name, pane=pane)
        except SessionNotFoundError as exc:
            raise NotFoundError("Session or pane not found") from exc
        return Response(
            {
                "session": name,
                "pane": pane,
                "content": content,
                "timestamp": selectors.iso(timezone.now()),
            }
        )


# --- locks (Lobby's claims) ------------------------------------------------------------------


def _person(user: Any) -> dict[str, str]:
    return {"id": user.public_id, "name": user.display_name}


class LocksView(UiView):
    @extend_schema(
        tags=["terminals UI"],
        responses={200: _text("ChroteUiLocksOut", locks=drf_serializers.DictField(child=PERSON))},
        operation_id="terminals_ui_locks",
    )
    def get(self, request: Request) -> Response:
        return Response(
            {"locks": {name: _person(c.user) for name, c in selectors.claims_live().items()}}
        )


class LockView(UiView):
    @extend_schema(
        tags=["terminals UI"],
        request=None,
        responses={
            200: _text(
                "ChroteUiLockOut",
                success=drf_serializers.BooleanField(),
                sessionId=drf_serializers.CharField(),
                lockedBy=PERSON,
                claimedAt=drf_serializers.CharField(),
            ),
            403: ERROR_OUT,
            404: ERROR_OUT,
            409: ERROR_OUT,
        },
        operation_id="terminals_ui_lock",
        description="Claim the session (operator+); an admin takes it over from its holder.",
    )
    def post(self, request: Request, name: str) -> Response:
        try:
            claim = services.claim_acquire(session_name=name, user=request.user)
        except ClaimForbiddenError as exc:
            raise ForbiddenError("Only operators can acquire locks") from exc
        except AlreadyClaimedError as exc:
            if not request.user.has_role(Role.ADMIN):
                holder = selectors.claim_get(session_name=name)
                who = holder.user.display_name if holder else "another user"
                raise ConflictError(f"Session locked by {who}") from exc
            claim = services.claim_take_over(session_name=name, user=request.user)
        return Response(
            {
                "success": True,
                "sessionId": claim.session_name,
                "lockedBy": _person(claim.user),
                "claimedAt": selectors.iso(claim.claimed_at),
            }
        )


class ReleaseView(UiView):
    @extend_schema(
        tags=["terminals UI"],
        request=None,
        responses={
            200: _text(
                "ChroteUiReleaseOut",
                success=drf_serializers.BooleanField(),
                sessionId=drf_serializers.CharField(),
            ),
            403: ERROR_OUT,
            404: ERROR_OUT,
        },
        operation_id="terminals_ui_release",
    )
    def post(self, request: Request, name: str) -> Response:
        try:
            services.claim_release(session_name=name, user=request.user)
        except NoClaimError as exc:
            raise NotFoundError("Session not locked") from exc
        except ReleaseForbiddenError as exc:
            raise ForbiddenError("Cannot release others' locks") from exc
        return Response({"success": True, "sessionId": name})
