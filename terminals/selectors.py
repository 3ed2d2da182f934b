"""Reads: claims, viewers, key log, recordings, and the session shapes the API prints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from terminals import tmux
from terminals.exceptions import SessionNotFoundError, TmuxUnavailableError
from terminals.models import Claim, KeyEvent, Recording, Viewer


def iso(dt: datetime | None) -> str | None:
    """UTC with milliseconds and a Z, as the spec prints times."""
    if dt is None:
        return None
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def claim_get(*, session_name: str) -> Claim | None:
    """The live claim on a session (an expired row is no claim)."""
    return (
        Claim.objects.select_related("user")
        .filter(session_name=session_name, expires_at__gt=timezone.now())
        .first()
    )


def claims_live() -> dict[str, Claim]:
    return {
        c.session_name: c
        for c in Claim.objects.select_related("user").filter(expires_at__gt=timezone.now())
    }


def claim_summary(claim: Claim | None) -> dict[str, Any] | None:
    if claim is None:
        return None
    return {
        "userId": claim.user.public_id,
        "userName": claim.user.display_name,
        "expiresAt": iso(claim.expires_at),
    }


def viewers_live(*, session_name: str) -> QuerySet[Viewer]:
    cutoff = timezone.now() - timedelta(seconds=settings.TERMINALS_PRESENCE_TTL)
    return (
        Viewer.objects.select_related("user")
        .filter(session_name=session_name, seen_at__gt=cutoff, user__is_active=True)
        .order_by("connected_at", "id")
    )


def presence_users(*, session_name: str) -> list[dict[str, str]]:
    """Distinct users watching a session, first comer first: `{id, name, avatarUrl}`."""
    seen: dict[str, dict[str, str]] = {}
    for v in viewers_live(session_name=session_name):
        seen.setdefault(
            v.user.public_id,
            {"id": v.user.public_id, "name": v.user.display_name, "avatarUrl": v.user.avatar_url},
        )
    return list(seen.values())


def _tmux_call(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return fn(*args, **kwargs)
    except tmux.TmuxNotFoundError as exc:
        raise SessionNotFoundError() from exc
    except tmux.TmuxError as exc:
        raise TmuxUnavailableError() from exc


def sessions_list() -> list[dict[str, Any]]:
    """`GET /api/sessions` entries: id, name, windows, created, attached, claim."""
    sessions = _tmux_call(tmux.list_sessions)
    claims = claims_live()
    return [
        {
            "id": s.name,
            "name": s.name,
            "windows": s.windows,
            "created": iso(s.created),
            "attached": s.attached,
            "claim": claim_summary(claims.get(s.name)),
        }
        for s in sessions
    ]


def sessions_brief() -> list[dict[str, Any]]:
    """The socket's `sessions` message entries: id, name, windows, claim (and viewers)."""
    return [
        {
            "id": s["id"],
            "name": s["name"],
            "windows": s["windows"],
            "created": s["created"],
            "attached": s["attached"],
            "claim": s["claim"],
            "viewers": len(presence_users(session_name=s["id"])),
        }
        for s in sessions_list()
    ]


def session_detail(*, session_name: str) -> dict[str, Any]:
    if not tmux.valid_name(session_name):
        raise SessionNotFoundError()
    windows = _tmux_call(tmux.list_windows, session_name)
    if not windows:
        raise SessionNotFoundError()
    out_windows = []
    for w in windows:
        panes = []
        for p in w.panes:
            content = _tmux_call(tmux.capture, p.id, scrollback=True)
            panes.append(
                {"index": p.index, "content": content, "width": p.width, "height": p.height}
            )
        out_windows.append({"index": w.index, "name": w.name, "active": w.active, "panes": panes})
    return {
        "id": session_name,
        "name": session_name,
        "windows": out_windows,
        "viewers": [
            {"userId": u["id"], "name": u["name"]}
            for u in presence_users(session_name=session_name)
        ],
        "claim": claim_summary(claim_get(session_name=session_name)),
    }


def pane_get(*, session_name: str, pane: str | None) -> tmux.PaneInfo:
    if not tmux.valid_name(session_name):
        raise SessionNotFoundError()
    return _tmux_call(tmux.resolve_pane, session_name, pane)


def pane_screen(*, pane: tmux.PaneInfo) -> str:
    """The pane repainted for a socket that starts showing it: scrollback, screen, cursor."""
    return _tmux_call(tmux.screen, pane)


def pane_repaint(*, pane_id: str) -> str:
    """The pane's screen now, for a socket already showing it (one that fell behind a flood)."""
    return _tmux_call(tmux.repaint, pane_id)


def pane_capture(*, session_name: str, pane: str) -> str:
    info = pane_get(session_name=session_name, pane=pane)
    return _tmux_call(tmux.capture, info.id, scrollback=True)


def session_exists(*, session_name: str) -> bool:
    try:
        return tmux.session_exists(session_name)
    except tmux.TmuxError as exc:
        raise TmuxUnavailableError() from exc


def key_events_list(*, session_name: str | None = None) -> QuerySet[KeyEvent]:
    qs = KeyEvent.objects.select_related("user")
    if session_name:
        qs = qs.filter(session_name=session_name)
    return qs


def recordings_list() -> QuerySet[Recording]:
    return Recording.objects.select_related("started_by")


def recording_get(*, recording_id: str) -> Recording | None:
    try:
        return Recording.objects.select_related("started_by").get(pk=recording_id)
    except (Recording.DoesNotExist, ValidationError, ValueError):  # malformed UUIDs too
        return None


def recording_live(*, session_name: str) -> Recording | None:
    return Recording.objects.filter(session_name=session_name, ended_at__isnull=True).first()
