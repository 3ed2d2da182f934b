"""CHROTE Multiplayer REST: sessions, claims, pane capture (+ create/kill, recordings)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import errors
from terminals import selectors, services
from terminals.api import serializers as s
from terminals.exceptions import SessionNotFoundError, TmuxUnavailableError
from terminals.permissions import IsWorkspaceMember


class ChroteView(APIView):
    permission_classes = [IsWorkspaceMember]

    def get_exception_handler(self):  # type: ignore[no-untyped-def]
        return errors.chrote_handler


def recording_out(rec: Any) -> dict[str, Any]:
    return {
        "id": str(rec.pk),
        "sessionId": rec.session_name,
        "pane": rec.pane,
        "startedBy": rec.started_by.public_id if rec.started_by else None,
        "startedAt": selectors.iso(rec.started_at),
        "endedAt": selectors.iso(rec.ended_at),
        "width": rec.width,
        "height": rec.height,
        "url": f"/terminals/recordings/{rec.pk}",
    }


class SessionListView(ChroteView):
    @extend_schema(
        tags=["terminals"],
        responses={200: s.ChroteSessionListOut, 503: s.ChroteErrorOut},
        operation_id="terminals_sessions_list",
    )
    def get(self, request: Request) -> Response:
        return Response({"sessions": selectors.sessions_list()})

    @extend_schema(
        tags=["terminals"],
        request=s.ChroteSessionCreateIn,
        responses={
            201: s.ChroteSessionOut,
            400: s.ChroteErrorOut,
            403: s.ChroteErrorOut,
            409: s.ChroteErrorOut,
        },
        operation_id="terminals_sessions_create",
        description="Create a tmux session (admin+).",
    )
    def post(self, request: Request) -> Response:
        data = s.ChroteSessionCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.session_create(user=request.user, **data.validated_data)
        return Response(entry, status=201)


class SessionDetailView(ChroteView):
    @extend_schema(
        tags=["terminals"],
        responses={200: s.ChroteSessionDetailOut, 404: s.ChroteErrorOut, 503: s.ChroteErrorOut},
        operation_id="terminals_sessions_detail",
    )
    def get(self, request: Request, session_id: str) -> Response:
        return Response(selectors.session_detail(session_name=session_id))

    @extend_schema(
        tags=["terminals"],
        responses={200: s.ChroteSuccessOut, 403: s.ChroteErrorOut, 404: s.ChroteErrorOut},
        operation_id="terminals_sessions_kill",
        description="Kill a tmux session (admin+).",
    )
    def delete(self, request: Request, session_id: str) -> Response:
        services.session_kill(name=session_id, user=request.user)
        return Response({"success": True})


class ClaimView(ChroteView):
    @extend_schema(
        tags=["terminals"],
        request=None,
        responses={200: s.ChroteClaimResponse, 403: s.ChroteClaimedErrorOut, 404: s.ChroteErrorOut},
        operation_id="terminals_sessions_claim",
    )
    def post(self, request: Request, session_id: str) -> Response:
        claim = services.claim_acquire(session_name=session_id, user=request.user)
        return Response(
            {
                "success": True,
                "claim": {
                    "sessionId": claim.session_name,
                    "userId": claim.user.public_id,
                    "expiresAt": selectors.iso(claim.expires_at),
                },
            }
        )

    @extend_schema(
        tags=["terminals"],
        responses={200: s.ChroteSuccessOut, 403: s.ChroteErrorOut, 404: s.ChroteErrorOut},
        operation_id="terminals_sessions_release",
    )
    def delete(self, request: Request, session_id: str) -> Response:
        services.claim_release(session_name=session_id, user=request.user)
        return Response({"success": True})


def _capture_handler(exc: Exception, context: dict) -> Response | None:
    """The capture proxy's documented errors are `{"error": "<message>"}`; the rest are CHROTE's."""
    if isinstance(exc, SessionNotFoundError | TmuxUnavailableError):
        return errors.parsec_handler(exc, context)
    return errors.chrote_handler(exc, context)


class CaptureView(ChroteView):
    def get_exception_handler(self):  # type: ignore[no-untyped-def]
        return _capture_handler

    @extend_schema(
        tags=["terminals"],
        responses={
            200: s.ChroteCaptureOut,
            404: s.ChroteCaptureErrorOut,
            503: s.ChroteCaptureErrorOut,
        },
        operation_id="terminals_tmux_capture",
    )
    def get(self, request: Request, session: str, pane: str) -> Response:
        content = selectors.pane_capture(session_name=session, pane=pane)
        return Response(
            {
                "session": session,
                "pane": pane,
                "content": content,
                "timestamp": selectors.iso(timezone.now()),
            }
        )


class RecordingListView(ChroteView):
    @extend_schema(
        tags=["terminals"],
        responses={200: s.ChroteRecordingListOut},
        operation_id="terminals_recordings_list",
    )
    def get(self, request: Request) -> Response:
        services.recordings_reconcile()
        return Response({"recordings": [recording_out(r) for r in selectors.recordings_list()]})


class SessionRecordingView(ChroteView):
    @extend_schema(
        tags=["terminals"],
        request=s.ChroteRecordingStartIn,
        responses={
            201: s.ChroteRecordingOut,
            403: s.ChroteErrorOut,
            404: s.ChroteErrorOut,
            409: s.ChroteErrorOut,
        },
        operation_id="terminals_recording_start",
        description="Record a pane as asciicast v2 (the claim holder or admin+).",
    )
    def post(self, request: Request, session_id: str) -> Response:
        data = s.ChroteRecordingStartIn(data=request.data)
        data.is_valid(raise_exception=True)
        rec = services.recording_start(
            session_name=session_id, user=request.user, pane=data.validated_data.get("pane") or None
        )
        return Response(recording_out(rec), status=201)

    @extend_schema(
        tags=["terminals"],
        responses={200: s.ChroteRecordingOut, 403: s.ChroteErrorOut, 404: s.ChroteErrorOut},
        operation_id="terminals_recording_stop",
    )
    def delete(self, request: Request, session_id: str) -> Response:
        rec = services.recording_stop(
            recording=selectors.recording_live(session_name=session_id), user=request.user
        )
        return Response(recording_out(rec))
