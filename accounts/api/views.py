from django.conf import settings
from django.contrib.auth import logout
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import limits, services
from accounts.api import serializers as s
from accounts.exceptions import UnknownAuthCodeError
from accounts.models import ApiSession
from config import errors
from config.net import client_ip


def epoch(dt) -> int:  # type: ignore[no-untyped-def]
    return int(dt.timestamp())


class ParsecView(APIView):
    """Parsec's API: `{"data": ...}` on success, `{"error": ...}` on failure."""

    def get_exception_handler(self):  # type: ignore[no-untyped-def]
        return errors.parsec_handler


class ChroteView(APIView):
    def get_exception_handler(self):  # type: ignore[no-untyped-def]
        return errors.chrote_handler


@method_decorator(
    ratelimit(key="ip", rate=lambda g, r: settings.DEVICE_CODE_RATE, block=True), name="post"
)
class AuthCodesView(ParsecView):
    authentication_classes: list = []

    @extend_schema(
        request=s.AuthCodeIn,
        responses={201: s.AuthCodeOut, 400: OpenApiResponse(description='{"error": ...}')},
        summary="Start a device login (Parsec auth code)",
        tags=["device login"],
    )
    def post(self, request: Request) -> Response:
        data = s.AuthCodeIn(data=request.data)
        data.is_valid(raise_exception=True)
        code, secret = services.device_code_create(
            game_id=data.validated_data["game_id"],
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        body = {
            "verification_uri": request.build_absolute_uri("/activate"),
            "user_code": code.user_code,
            "hash": secret,
            "expires_at": epoch(code.expires_at),
            "interval": code.interval,
        }
        return Response({"data": body}, status=status.HTTP_201_CREATED)


class AuthSessionsView(ParsecView):
    authentication_classes: list = []

    @extend_schema(
        request=s.AuthSessionIn,
        responses={
            201: s.AuthSessionOut,
            202: s.PendingOut,
            401: OpenApiResponse(description="Invalid, denied, expired or redeemed auth code"),
            429: OpenApiResponse(
                description="Polled faster than `interval`, or too many unknown hashes from "
                "this address (Retry-After)"
            ),
        },
        summary="Poll a device login for its session id",
        tags=["device login"],
    )
    def post(self, request: Request) -> Response:
        data = s.AuthSessionIn(data=request.data)
        data.is_valid(raise_exception=True)
        # Before any lookup: an address over its guess limit learns nothing, not even a hit.
        limits.poll_gate(request)
        try:
            result = services.device_code_poll(secret=data.validated_data["auth_code_hash"])
        except UnknownAuthCodeError:
            limits.poll_missed(request)  # 429 once this address goes over the limit
            raise
        if result.pending:
            pending = {"status": "pending", "interval": result.interval}
            return Response({"data": pending}, status=status.HTTP_202_ACCEPTED)
        session = result.session
        body = {
            "id": result.token,
            "user_id": session.user_id,
            "roles": ["host"],
            "host_peer_id": session.user.peer_id,
            "expires_at": epoch(session.expires_at),
        }
        return Response({"data": body}, status=status.HTTP_201_CREATED)


class MeView(ChroteView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: s.UserOut}, summary="The signed-in user", tags=["auth"])
    def get(self, request: Request) -> Response:
        return Response(s.UserOut(request.user).data)


class LogoutView(ChroteView):
    @extend_schema(request=None, responses={200: s.SuccessOut}, summary="Sign out", tags=["auth"])
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, ApiSession):
            services.api_session_revoke(session=request.auth)
        else:
            logout(request._request)
        return Response({"success": True})
