"""Reads only."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from watchparty.exceptions import SessionNotFoundError
from watchparty.models import ChatMessage, Participant, WatchParty

CHAT_HISTORY = 50


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_ms() -> int:
    return ms(timezone.now())


def parse_party_id(value: Any) -> uuid.UUID | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def party_get_open(*, session_id: Any, lock: bool = False) -> WatchParty:
    """The room if it exists, is not closed and has not expired; else SessionNotFoundError."""
    party_id = parse_party_id(session_id) if not isinstance(session_id, uuid.UUID) else session_id
    if party_id is None:
        raise SessionNotFoundError()
    qs = WatchParty.objects.select_for_update() if lock else WatchParty.objects.all()
    try:
        return qs.get(pk=party_id, closed_at__isnull=True, expires_at__gt=timezone.now())
    except WatchParty.DoesNotExist:
        raise SessionNotFoundError() from None


def alive_q(now: datetime | None = None) -> Q:
    """A participant holds a slot: not left, seen within the grace period, token not expired."""
    now = now or timezone.now()
    grace = timedelta(seconds=settings.WATCHPARTY_RECONNECT_GRACE)
    return Q(left_at__isnull=True, last_seen__gte=now - grace, token_expires_at__gt=now)


def participants_alive(*, party: WatchParty) -> QuerySet[Participant]:
    return party.participants.filter(alive_q())


def participant_get(*, party: WatchParty, user_id: str) -> Participant | None:
    return party.participants.filter(user_id=user_id).first()


def chat_recent(*, party: WatchParty, limit: int = CHAT_HISTORY) -> list[ChatMessage]:
    rows = list(
        party.messages.filter(deleted_at__isnull=True).order_by("-created_at", "-id")[:limit]
    )
    rows.reverse()
    return rows


def chat_payload(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.public_id,
        "user_id": message.user_id,
        "username": message.username,
        "message": message.message,
        "timestamp": ms(message.created_at),
    }


def playback_position(party: WatchParty, at: datetime) -> float:
    """Where the host's player is at `at`: the stored position advanced while playing."""
    position = party.position
    if party.playing and party.state_at is not None:
        elapsed = max(0.0, (at - party.state_at).total_seconds())
        position += elapsed * party.rate
    return position if math.isfinite(position) else 0.0


def playback_payload(party: WatchParty, *, now: datetime | None = None) -> dict[str, Any]:
    """The current playback state, `currentTime` true at `server_time` (ms)."""
    now = now or timezone.now()
    return {
        "playing": party.playing,
        "currentTime": round(playback_position(party, now), 3),
        "volume": party.volume,
        "rate": party.rate,
        "media_url": party.media_url,
        "source": party.source,
        "server_time": ms(now),
        "seq": party.state_seq,
    }


def participant_payload(p: Participant, *, host_id: str, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    fresh = now - timedelta(seconds=settings.WATCHPARTY_RECONNECT_GRACE)
    return {
        "user_id": p.user_id,
        "username": p.display_name,
        "is_host": p.user_id == host_id,
        "connected": p.connected_count > 0 and p.last_seen >= fresh,
        "drift": p.report_drift,
        "position": p.report_position,
        "reported_at": ms(p.report_at) if p.report_at else None,
    }


def party_details(*, party: WatchParty) -> dict[str, Any]:
    """GET /api/sessions/:id, as documented."""
    return {
        "id": str(party.id),
        "name": party.name,
        "host_id": party.host_id,
        "participants": list(participants_alive(party=party).values_list("user_id", flat=True)),
        "max_participants": party.max_participants,
        "created_at": iso(party.created_at),
        "expires_at": iso(party.expires_at),
    }


def chat_message_get(*, public_id: str) -> ChatMessage | None:
    return ChatMessage.objects.filter(public_id=public_id).first()


def parties_for_user(*, user: Any) -> list[WatchParty]:
    """Open rooms a signed-in user has a slot in (or created), newest first."""
    if user is None or not user.is_authenticated:
        return []
    now = timezone.now()
    return list(
        WatchParty.objects.filter(closed_at__isnull=True, expires_at__gt=now)
        .filter(Q(created_by=user) | Q(participants__account=user))
        .distinct()
        .order_by("-created_at")[:20]
    )
