"""ProAvalon's bot API (proavalon-bot-api.md + proavalon-gameinfo.md). Success is always 200."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from avalonbot import services
from avalonbot.api.serializers import (
    AvalonActIn,
    AvalonActOut,
    AvalonEndIn,
    AvalonInfoOut,
    AvalonSessionIn,
    AvalonSessionOut,
)
from avalonbot.capabilities import info
from avalonbot.exceptions import BadGameError
from config import errors


class AvalonView(APIView):
    # ProAvalon sends a raw key in Authorization: the platform's Bearer class must not see it.
    authentication_classes: list = []
    permission_classes: list = []

    def get_exception_handler(self):  # type: ignore[no-untyped-def]
        return errors.avalon_handler

    def authorize(self, request: Request) -> tuple:
        return services.api_key_check(header=request.headers.get("Authorization"))


class InfoView(AvalonView):
    @extend_schema(summary="Bot information and capabilities", auth=[], responses=AvalonInfoOut)
    def get(self, request: Request) -> Response:
        return Response(info())

    @extend_schema(
        summary="Bot information (POST form)", auth=[], request=None, responses=AvalonInfoOut
    )
    def post(self, request: Request) -> Response:  # some clients POST
        return Response(info())


class SessionView(AvalonView):
    @extend_schema(
        summary="Start a game session", request=AvalonSessionIn, responses=AvalonSessionOut
    )
    def post(self, request: Request) -> Response:
        api_key, label = self.authorize(request)
        data = AvalonSessionIn(data=request.data)
        if not data.is_valid():
            raise BadGameError(data.error_message)
        session = services.session_create(**data.validated_data, api_key=api_key, key_label=label)
        return Response({"sessionID": session.public_id}, status=200)


class ActView(AvalonView):
    @extend_schema(summary="Get the bot's action", request=AvalonActIn, responses=AvalonActOut)
    def post(self, request: Request) -> Response:
        self.authorize(request)
        data = AvalonActIn(data=request.data)
        data.is_valid(raise_exception=True)
        answer = services.session_act(
            session_id=data.validated_data["sessionID"],
            game_info=data.validated_data["gameInfo"],
        )
        return Response(answer, status=200)


class EndView(AvalonView):
    """Both `/v0/session/delete` (the document) and `/v0/session/gameover` (the real client)."""

    reason_default = "complete"

    @extend_schema(summary="End a game session", request=AvalonEndIn, responses={200: None})
    def post(self, request: Request) -> Response:
        self.authorize(request)
        data = AvalonEndIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.session_end(
            session_id=data.validated_data["sessionID"],
            reason=data.validated_data.get("reason", self.reason_default),
            game_info=data.validated_data.get("gameInfo"),
        )
        return Response({}, status=200)


class GameOverView(EndView):
    reason_default = "gameover"
