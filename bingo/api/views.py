"""ProofPlay's REST API under /bingo/: validate -> service -> serialize. Bodies as the spec."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django_ratelimit.core import get_usage
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import CookieSessionAuthentication, GuestBearerSessionAuthentication
from bingo import selectors, services, tsa
from bingo.api import serializers as s
from bingo.authentication import SessionIdAuthentication
from bingo.exceptions import SessionRequiredError
from config import errors
from config.errors import RateLimitedError
from config.net import client_ip

VERSION = "2.0.0"
ERRORS = {
    400: s.BingoDetailOut,
    401: s.BingoDetailOut,
    403: s.BingoDetailOut,
    404: s.BingoDetailOut,
    429: s.BingoDetailOut,
}


def _rate_get(group: str, request: HttpRequest) -> str:
    return settings.BINGO_RATE_GET


def _rate_post(group: str, request: HttpRequest) -> str:
    return settings.BINGO_RATE_POST


def check_rate(request: HttpRequest) -> None:
    """60 GET / 15 POST per minute per client IP (BINGO_RATE_GET / BINGO_RATE_POST)."""
    if request.method in ("GET", "HEAD"):
        group, rate = "bingo.get", _rate_get
    else:
        group, rate = "bingo.post", _rate_post
    usage = get_usage(request, group=group, key="ip", rate=rate, method=(None,), increment=True)
    if usage is not None and usage["should_limit"]:
        raise RateLimitedError("Rate limit exceeded", retry_after=max(1, usage["time_left"]))


class ProofPlayView(APIView):
    authentication_classes = [
        SessionIdAuthentication,
        GuestBearerSessionAuthentication,
        CookieSessionAuthentication,
    ]
    rate_limited = True

    def get_exception_handler(self):  # type: ignore[no-untyped-def]
        return errors.proofplay_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if self.rate_limited:
            check_rate(request._request)
        super().initial(request, *args, **kwargs)

    def user(self, request: Request):  # type: ignore[no-untyped-def]
        if not request.user or not request.user.is_authenticated:
            raise SessionRequiredError()
        return request.user

    @staticmethod
    def valid(serializer_class: type, request: Request) -> dict[str, Any]:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def lockout_identity(request: Request) -> str:
    """Which 'session' PIN failures count against: the API session, else the cookie session."""
    if request.auth is not None and getattr(request.auth, "pk", None):
        return f"api:{request.auth.pk}"
    key = getattr(request._request, "session", None) and request._request.session.session_key
    return f"cookie:{key}" if key else f"user:{request.user.pk}"


class SessionView(ProofPlayView):
    @extend_schema(
        request=s.BingoSessionIn, responses={200: s.BingoSessionOut, **ERRORS}, tags=["bingo"]
    )
    def post(self, request: Request) -> Response:
        data = self.valid(s.BingoSessionIn, request)
        result = services.session_create(
            email=data["email"],
            device_key_hash=data["device_key_hash"],
            authenticated_user=request.user if request.user.is_authenticated else None,
            ip=client_ip(request._request) or None,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        return Response({"session_id": result.token, "role": result.role, "email": result.email})


class GameCreateView(ProofPlayView):
    @extend_schema(
        request=s.BingoGameIn,
        responses={200: s.BingoGameCreatedOut, **ERRORS},
        tags=["bingo"],
    )
    def post(self, request: Request) -> Response:
        user = self.user(request)
        data = self.valid(s.BingoGameIn, request)
        game = services.game_create(name=data["name"], creator=user)
        return Response(
            {"game_id": game.public_id, "pin": game.pin, "name": game.name, "status": game.status}
        )


class GameView(ProofPlayView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT, **ERRORS}, tags=["bingo"])
    def get(self, request: Request, game_id: str) -> Response:
        return Response(selectors.game_state(selectors.game_get(game_id=game_id)))


class JoinView(ProofPlayView):
    @extend_schema(
        request=s.BingoJoinIn,
        responses={200: s.BingoJoinOut, **ERRORS},
        tags=["bingo"],
    )
    def post(self, request: Request, game_id: str) -> Response:
        user = self.user(request)
        data = self.valid(s.BingoJoinIn, request)
        card, _ = services.card_join(
            game_id=game_id,
            user=user,
            pin=data["pin"],
            who=lockout_identity(request),
            ip=client_ip(request._request),
            client_seed=data.get("client_seed", ""),
        )
        return Response(
            {"status": "joined", **selectors.card_out(card), "game_name": card.game.name}
        )


class CardView(ProofPlayView):
    @extend_schema(responses={200: s.BingoCardOut, **ERRORS}, tags=["bingo"])
    def get(self, request: Request, game_id: str) -> Response:
        card = services.card_for(game_id=game_id, user=self.user(request))
        return Response({**selectors.card_out(card), "game_id": card.game.public_id})


class MarkView(ProofPlayView):
    @extend_schema(
        request=s.BingoMarkIn,
        responses={200: s.BingoMarkOut, **ERRORS},
        tags=["bingo"],
    )
    def post(self, request: Request, game_id: str) -> Response:
        user = self.user(request)
        data = self.valid(s.BingoMarkIn, request)
        card, bingo = services.card_mark(
            game_id=game_id, user=user, row=data["row"], col=data["col"]
        )
        return Response({"marked": card.marked, "bingo": bingo})


class DrawView(ProofPlayView):
    @extend_schema(
        request=None,
        responses={200: s.BingoDrawOut, **ERRORS},
        tags=["bingo"],
    )
    def post(self, request: Request, game_id: str) -> Response:
        draw = services.draw_next(game_id=game_id, by=self.user(request))
        return Response(
            {
                "number": draw.number,
                "sequence": draw.sequence,
                "seed_hash": draw.seed_hash,
                "anchor_id": draw.anchor_id,
                "drawn_at": draw.drawn_at.isoformat(),
            }
        )


class EndView(ProofPlayView):
    @extend_schema(
        request=None,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
        description="Lobby addition: the creator ends the game; the secret S is then revealed "
        "in /verify.",
        tags=["bingo"],
    )
    def post(self, request: Request, game_id: str) -> Response:
        game = services.game_end(game_id=game_id, by=self.user(request))
        return Response(selectors.game_state(game))


class VerifyView(ProofPlayView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT, **ERRORS}, tags=["bingo"])
    def get(self, request: Request, game_id: str) -> Response:
        return Response(selectors.game_verify(selectors.game_get(game_id=game_id)))


class HealthView(ProofPlayView):
    rate_limited = False
    authentication_classes: list = []

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, tags=["bingo"])
    def get(self, request: Request) -> Response:
        return Response({"status": "ok", "version": VERSION})


def _db_path() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return str(db["NAME"])
    return f"{db['ENGINE'].rsplit('.', 1)[-1]}://{db.get('HOST') or 'localhost'}/{db['NAME']}"


class ReadyView(ProofPlayView):
    rate_limited = False
    authentication_classes: list = []

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT}, tags=["bingo"])
    def get(self, request: Request) -> Response:
        body: dict[str, Any] = {"ok": True, "timestamp": timezone.now().isoformat()}
        body["db_path"] = _db_path()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception:
            body.update(ok=False, detail="Database unavailable")
            return Response(body, status=503)
        return Response(body)


def certificate(request: HttpRequest) -> HttpResponse:
    """The local time-stamping authority's certificate (PEM)."""
    response = HttpResponse(tsa.certificate_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'inline; filename="bingo-tsa-certificate.pem"'
    return response
