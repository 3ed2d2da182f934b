"""Parsec's /host-invites and CHROTE's /terminals/api/users and /terminals/api/invites."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import SuccessOut, UserOut
from accounts.authentication import (
    BearerSessionAuthentication,
    TrustedOriginCookieAuthentication,
)
from accounts.models import Role
from config import errors
from config.errors import ForbiddenError, UnauthorizedError
from config.net import client_ip
from invites import members, selectors, services
from invites.api import serializers as s
from invites.exceptions import (
    HostInviteNotFoundError,
    InvalidInviteTokenError,
    TooManyLookupsError,
)
from invites.limits import lookup_missed, lookups_exhausted
from invites.models import HostInvite


def epoch(dt: datetime | None) -> int | None:
    return int(dt.timestamp()) if dt is not None else None


def validated(serializer: drf_serializers.Serializer) -> dict[str, Any]:
    """The validated data; invalid input is CHROTE's VALIDATION_ERROR, built by config.errors."""
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _errors(*statuses: int, body: str = "chrote") -> dict[int, OpenApiResponse]:
    """The documented error answers of an endpoint, for the OpenAPI schema."""
    text = {
        400: "invalid input",
        401: "not signed in (or a bad session id)",
        403: "not allowed for your role",
        404: "no such (or not your) object",
        429: "too many requests",
    }
    shape = '{"error": code, "message", "details"?}' if body == "chrote" else '{"error": message}'
    return {code: OpenApiResponse(description=f"{text[code]}: {shape}") for code in statuses}


ROLE_BODY = {
    "application/json": {
        "type": "object",
        "required": ["role"],
        "properties": {"role": {"type": "string", "enum": list(Role.values)}},
    }
}


def host_invite_data(request: Request, invite: HostInvite) -> dict[str, Any]:
    return {
        "code": invite.code,
        "peer_id": invite.creator.peer_id,
        "grants": invite.grants,
        "max_grants": invite.max_grants,
        "expires_at": epoch(invite.expires_at),
        "target": invite.target or None,
        "target_label": invite.target_label or None,
        "url": request.build_absolute_uri(f"/g/{invite.code}"),
        "state": str(invite.state),
        "created_at": epoch(invite.created_at),
        "revoked_at": epoch(invite.revoked_at),
    }


class ParsecView(APIView):
    permission_classes = [IsAuthenticated]

    def get_exception_handler(self):  # type: ignore[no-untyped-def]
        return errors.parsec_handler


@method_decorator(
    ratelimit(key="user_or_ip", rate=lambda g, r: settings.INVITES_RATE_CREATE, block=True),
    name="post",
)
class HostInvitesView(ParsecView):
    @extend_schema(
        request=s.HostInviteIn,
        responses={
            201: s.HostInviteOut,
            400: OpenApiResponse(description='{"error": ...}: a value out of range'),
            401: OpenApiResponse(description='{"error": ...}: no or bad session id'),
            **_errors(403, 429, body="parsec"),
        },
        summary="Create a host invite",
        tags=["host invites"],
    )
    def post(self, request: Request) -> Response:
        data = s.HostInviteIn(data=request.data)
        data.is_valid(raise_exception=True)
        invite = services.host_invite_create(
            creator=request.user,
            expires_in=data.validated_data["expires_in"],
            max_grants=data.validated_data["max_grants"],
            target=data.validated_data.get("target") or "",
        )
        return Response({"data": host_invite_data(request, invite)}, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: s.HostInviteListOut, **_errors(401, body="parsec")},
        summary="My host invites",
        tags=["host invites"],
        operation_id="host_invites_list",
    )
    def get(self, request: Request) -> Response:
        invites = selectors.host_invite_list(creator=request.user)[:500]
        return Response({"data": [host_invite_data(request, i) for i in invites]})


class HostInviteView(ParsecView):
    def _invite(self, request: Request, code: str) -> HostInvite:
        invite = selectors.host_invite_get_for_creator(code=code, creator=request.user)
        if invite is None:
            raise HostInviteNotFoundError()
        return invite

    @extend_schema(
        responses={200: s.HostInviteDetailOut, **_errors(401, 404, body="parsec")},
        summary="One of my host invites, with who redeemed it",
        tags=["host invites"],
        operation_id="host_invite_get",
    )
    def get(self, request: Request, code: str) -> Response:
        invite = self._invite(request, code)
        body = host_invite_data(request, invite)
        body["redemptions"] = [
            {
                "user_id": r.user.public_id,
                "name": r.user.display_name,
                "redeemed_at": epoch(r.created_at),
                "ip": r.ip,
            }
            for r in selectors.host_invite_redemptions(invite=invite)
        ]
        return Response({"data": body})

    @extend_schema(
        request=None,
        responses={200: s.HostInviteOut, **_errors(401, 404, body="parsec")},
        summary="Revoke one of my host invites",
        tags=["host invites"],
    )
    def delete(self, request: Request, code: str) -> Response:
        invite = services.host_invite_revoke(invite=self._invite(request, code), by=request.user)
        return Response({"data": host_invite_data(request, invite)})


# --- CHROTE ---------------------------------------------------------------------------------


class ChroteView(APIView):
    required_role: str | None = Role.ADMIN
    # CHROTE's web UI calls these routes too and never sends a CSRF token: a cookie write from a
    # trusted Origin needs none (accounts.authentication.TrustedOriginCookieAuthentication).
    authentication_classes = [BearerSessionAuthentication, TrustedOriginCookieAuthentication]

    def get_exception_handler(self):  # type: ignore[no-untyped-def]
        return errors.chrote_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if self.required_role is None:
            return
        if not request.user.is_authenticated:
            raise UnauthorizedError()
        if not request.user.has_role(self.required_role):
            raise ForbiddenError("Insufficient permissions")


class UsersView(ChroteView):
    @extend_schema(
        responses={
            200: inline_serializer("UsersOut", fields={"users": UserOut(many=True)}),
            **_errors(401, 403),
        },
        summary="List the workspace's users (admin+)",
        tags=["workspace"],
    )
    def get(self, request: Request) -> Response:
        return Response({"users": UserOut(selectors.member_list(), many=True).data})


class UserRoleView(ChroteView):
    @extend_schema(
        request=ROLE_BODY,
        responses={200: s.RoleChangeOut, **_errors(400, 401, 403, 404)},
        summary="Change a user's role (admin+)",
        tags=["workspace"],
    )
    def patch(self, request: Request, user_id: str) -> Response:
        data = validated(s.RoleIn(data=request.data))
        user = members.member_role_change(
            actor=request.user, public_id=user_id, role=data["role"], ip=client_ip(request)
        )
        return Response({"success": True, "user": s.RoleUserOut(user).data})


class UserView(ChroteView):
    @extend_schema(
        request=None,
        responses={200: SuccessOut, **_errors(401, 403, 404)},
        summary="Remove a user from the workspace (admin+)",
        tags=["workspace"],
    )
    def delete(self, request: Request, user_id: str) -> Response:
        members.member_remove(actor=request.user, public_id=user_id, ip=client_ip(request))
        return Response({"success": True})


def workspace_invite_url(request: Request, token: str) -> str:
    return request.build_absolute_uri(f"/terminals/invite/{token}")


class InvitesView(ChroteView):
    @extend_schema(
        request=PolymorphicProxySerializer(
            "WorkspaceInviteCreateIn",
            serializers=[s.WorkspaceInviteIn, s.UiInviteIn],
            resource_type_field_name=None,
        ),
        responses={
            201: PolymorphicProxySerializer(
                "WorkspaceInviteCreateOut",
                serializers=[s.WorkspaceInviteCreatedOut, s.UiInviteCreatedOut],
                resource_type_field_name=None,
            ),
            **_errors(400, 401, 403),
        },
        summary="Create a workspace invite link (admin+)",
        description=(
            "The document's body `{role, expiresIn}`, or CHROTE's UI's `{role, note?, max_uses?,"
            " expires_in_days?}`: a body naming any of `note`, `max_uses`, `expires_in_days` is"
            " the UI's and is answered in its snake_case shape."
        ),
        tags=["workspace"],
    )
    def post(self, request: Request) -> Response:
        if s.is_ui_invite_request(request.data):
            return self.post_ui(request)
        data = validated(s.WorkspaceInviteIn(data=request.data))
        invite, token = services.workspace_invite_create(
            by=request.user, role=data["role"], expires_in=data["expiresIn"]
        )
        body = {
            "id": invite.public_id,
            "token": token,
            "url": workspace_invite_url(request, token),
            "role": invite.role,
            "expiresAt": drf_serializers.DateTimeField().to_representation(invite.expires_at),
            "usedCount": invite.used_count,
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: s.WorkspaceInviteListOut, **_errors(401, 403)},
        summary="List workspace invites (admin+)",
        description=(
            "Signed in by the session cookie (what CHROTE's UI uses), each invite also carries"
            " the UI's snake_case fields: note, uses, max_uses, created_at, expires_at,"
            " created_by, creator_name, creator_email, is_active."
        ),
        tags=["workspace"],
    )
    def get(self, request: Request) -> Response:
        invites = selectors.workspace_invite_list()[:1000]
        if isinstance(request.successful_authenticator, TrustedOriginCookieAuthentication):
            # The browser session (CHROTE's UI's only credential): the document's fields
            # unchanged, plus the UI's snake_case ones beside them.
            return Response({"invites": [s.ui_invite_list_item(i) for i in invites]})
        return Response({"invites": s.WorkspaceInviteOut(invites, many=True).data})

    def post_ui(self, request: Request) -> Response:
        """CHROTE's UI: `{role, note?, max_uses?, expires_in_days?}` (role may be `admin`, made
        by an owner only); the answer is snake_case and its `url` is the UI's sign-in page."""
        data = validated(s.UiInviteIn(data=request.data))
        invite, token = services.workspace_invite_create(by=request.user, **data)
        body = {
            "id": invite.public_id,
            "token": token,
            "url": request.build_absolute_uri("/?" + urlencode({"invite": token})),
            "role": invite.role,
            "note": invite.note or None,
            "max_uses": invite.max_uses,
            "expires_at": drf_serializers.DateTimeField().to_representation(invite.expires_at),
        }
        return Response(body, status=status.HTTP_201_CREATED)


class InviteView(ChroteView):
    @extend_schema(
        request=None,
        responses={200: SuccessOut, **_errors(401, 403, 404)},
        summary="Revoke a workspace invite (admin+)",
        tags=["workspace"],
    )
    def delete(self, request: Request, invite_id: str) -> Response:
        services.workspace_invite_revoke(invite_id=invite_id)
        return Response({"success": True})


class InviteValidateView(ChroteView):
    authentication_classes: list = []
    required_role = None

    @extend_schema(
        responses={200: s.ValidateOut, **_errors(429)},
        summary="Check a workspace invite token (public)",
        tags=["workspace"],
    )
    def get(self, request: Request, token: str) -> Response:
        if lookups_exhausted(request):
            raise TooManyLookupsError(retry_after=60)
        invite, reason = selectors.workspace_invite_check(token=token)
        if invite is None:
            if reason == "not_found":
                lookup_missed(request)
            return Response({"valid": False, "reason": reason})
        return Response({"valid": True, "role": invite.role})


class InviteAcceptView(ChroteView):
    required_role = None  # any signed-in account: accepting is how a non-member joins

    @extend_schema(
        request=None,
        responses={200: s.AcceptOut, **_errors(400, 401, 429)},
        summary="Accept a workspace invite (signed in)",
        tags=["workspace"],
    )
    def post(self, request: Request, token: str) -> Response:
        if not request.user.is_authenticated:
            raise UnauthorizedError()
        if lookups_exhausted(request):
            raise TooManyLookupsError(retry_after=60)
        try:
            accepted = services.workspace_invite_accept(
                token=token, user=request.user, ip=client_ip(request)
            )
        except InvalidInviteTokenError as exc:
            if exc.reason == "not_found":
                lookup_missed(request)
            raise
        return Response({"success": True, "role": accepted.role})
