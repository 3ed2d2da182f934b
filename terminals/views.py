"""Pages: the session list, a terminal (xterm.js), recordings and their player."""

from __future__ import annotations

from pathlib import Path

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from accounts.models import Role
from config.errors import DomainError
from terminals import selectors, services, tmux
from terminals.permissions import member_required


@member_required
@ensure_csrf_cookie
def session_list(request: HttpRequest) -> HttpResponse:
    error = None
    try:
        sessions = selectors.sessions_list()
    except DomainError as exc:
        sessions, error = [], exc.message
    for entry in sessions:
        entry["viewers"] = selectors.presence_users(session_name=entry["id"])
    return render(
        request,
        "terminals/list.html",
        {
            "sessions": sessions,
            "error": error,
            "is_admin": request.user.has_role(Role.ADMIN),
        },
    )


@member_required
@ensure_csrf_cookie
def terminal(request: HttpRequest, session_id: str) -> HttpResponse:
    if not tmux.valid_name(session_id):
        raise Http404("No such session")
    pane = request.GET.get("pane", "")
    return render(
        request,
        "terminals/terminal.html",
        {
            "session_id": session_id,
            "pane": pane,
            "can_type": request.user.has_role(Role.OPERATOR),
            "is_admin": request.user.has_role(Role.ADMIN),
            "recording": selectors.recording_live(session_name=session_id),
        },
    )


@member_required
def recording_list(request: HttpRequest) -> HttpResponse:
    services.recordings_reconcile()
    return render(
        request, "terminals/recordings.html", {"recordings": selectors.recordings_list()[:200]}
    )


@member_required
def recording_player(request: HttpRequest, recording_id: str) -> HttpResponse:
    rec = selectors.recording_get(recording_id=recording_id)
    if rec is None:
        raise Http404("No such recording")
    return render(request, "terminals/player.html", {"recording": rec})


@member_required
def recording_file(request: HttpRequest, recording_id: str) -> FileResponse:
    rec = selectors.recording_get(recording_id=recording_id)
    if rec is None or not rec.path or not Path(rec.path).is_file():
        raise Http404("No such recording")
    response = FileResponse(
        open(rec.path, "rb"),  # noqa: SIM115 - FileResponse closes it
        content_type="application/x-asciicast",
    )
    response["Content-Disposition"] = f'inline; filename="{rec.pk}.cast"'
    response["Cache-Control"] = "no-store"
    return response
