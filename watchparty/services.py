"""Everything that changes a watch party. Broadcasts go out only after the commit."""

from __future__ import annotations

import json
import math
import secrets
import unicodedata
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import bcrypt
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from config import relay
from config.broadcast import group_name
from watchparty import selectors
from watchparty.exceptions import (
    AuthenticationFailedError,
    InvalidPasswordError,
    LeftSessionError,
    NotHostError,
    ParticipantNotFoundError,
    SessionFullError,
    SessionNotFoundError,
    ValidationFailedError,
)
from watchparty.models import ChatMessage, Participant, WatchParty, new_guest_id
from watchparty.tokens import token_decode, token_issue

if TYPE_CHECKING:
    from accounts.models import User

NAME_MIN, NAME_MAX = 3, 50
PASSWORD_MIN, PASSWORD_MAX_BYTES = 6, 72
DISPLAY_NAME_MAX = 50
CHAT_MAX = 2000
MAX_POSITION = 10_000_000.0  # seconds; longer than any film, small enough to stay finite
RATE_MIN, RATE_MAX = 0.0625, 16.0  # what HTML5 media elements accept


# --- groups and the message envelope ---------------------------------------------------------


def room_group(party_id: Any) -> str:
    return group_name("watchparty", "room", str(party_id))


def envelope(type_: str, payload: Any, *, session_id: Any, user_id: str, **extra: Any) -> dict:
    """The documented WebSocket message; `user_id` and `timestamp` are always the server's."""
    return {
        "type": type_,
        "payload": payload,
        "session_id": str(session_id),
        "user_id": user_id,
        "timestamp": selectors.now_ms(),
        **extra,
    }


def message_event(message: dict, *, exclude: str | None = None, target: str | None = None) -> dict:
    """A relay event carrying `message`, encoded once for every socket it reaches.

    It reaches the room, or only `target`'s sockets; never `exclude`'s.
    """
    return {"type": "wp.message", "text": json.dumps(message), "exclude": exclude, "target": target}


def send_room(party_id: Any, message: dict, *, exclude: str | None = None) -> None:
    """To every socket in the room (except user `exclude`'s), from sync code after commit."""
    _publish_on_commit(party_id, message_event(message, exclude=exclude))


def send_user(party_id: Any, user_id: str, message: dict) -> None:
    """To `user_id`'s sockets in the room, from sync code after commit."""
    _publish_on_commit(party_id, message_event(message, target=user_id))


def _publish_on_commit(party_id: Any, event: dict) -> None:
    transaction.on_commit(lambda: relay.publish(room_group(party_id), event))


# --- validation ------------------------------------------------------------------------------


def _clean_text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return None
    return value


def validate_name(value: Any) -> str:
    name = _clean_text(value)
    if name is None or not NAME_MIN <= len(name) <= NAME_MAX:
        raise ValidationFailedError(
            details={"name": f"Name must be between {NAME_MIN} and {NAME_MAX} characters"}
        )
    return name


def _password_problem(value: Any, *, creating: bool) -> str | None:
    if not isinstance(value, str) or not value:
        return "Password is required"
    if "\x00" in value:
        return "Password must not contain NUL characters"
    if len(value.encode("utf-8", "surrogatepass")) > PASSWORD_MAX_BYTES:
        return f"Password must be at most {PASSWORD_MAX_BYTES} bytes"
    if creating and len(value) < PASSWORD_MIN:
        return f"Password must be at least {PASSWORD_MIN} characters"
    return None


def validate_display_name(value: Any) -> str | None:
    if value is None or value == "":
        return None
    name = _clean_text(value)
    if name is None or not 1 <= len(name) <= DISPLAY_NAME_MAX:
        raise ValidationFailedError(
            details={"display_name": f"Display name must be 1 to {DISPLAY_NAME_MAX} characters"}
        )
    return name


def _hash_password(password: str) -> str:
    rounds = settings.WATCHPARTY_BCRYPT_ROUNDS
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def _check_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False


# --- participants ----------------------------------------------------------------------------


def _identity(user: User | None, display_name: str | None) -> tuple[str | None, str]:
    """(fixed user_id or None for a new guest id, name) for a signed-in user or a guest."""
    if user is not None and user.is_authenticated:
        return user.public_id, (display_name or user.display_name)[:DISPLAY_NAME_MAX]
    return None, display_name or f"Guest {secrets.randbelow(10_000):04d}"


def participants_sweep(*, party: WatchParty, now: datetime | None = None) -> list[Participant]:
    """Record as left everyone whose slot lapsed; announce them, pass the host role on."""
    now = now or timezone.now()
    lapsed = list(party.participants.filter(left_at__isnull=True).exclude(selectors.alive_q(now)))
    return _record_left(party, lapsed, now=now)


def _record_left(
    party: WatchParty, candidates: list[Participant], *, now: datetime
) -> list[Participant]:
    """Mark `candidates` as left, announce `user_left` for each, pass the host role on.

    The conditional UPDATE makes exactly one process announce each departure.
    """
    gone = []
    for p in candidates:
        if Participant.objects.filter(pk=p.pk, left_at__isnull=True).update(
            left_at=now, announced=False, connected_count=0
        ):
            gone.append(p)
            if p.announced:
                payload = {"user_id": p.user_id, "username": p.display_name}
                send_room(
                    party.pk,
                    envelope("user_left", payload, session_id=party.pk, user_id=p.user_id),
                )
    if any(p.user_id == party.host_id for p in gone):
        successor = selectors.participants_alive(party=party).exclude(user_id=party.host_id).first()
        if successor is not None:
            _set_host(party, successor, previous=party.host_id, by=None)
    return gone


def _set_host(party: WatchParty, new_host: Participant, *, previous: str, by: str | None) -> None:
    WatchParty.objects.filter(pk=party.pk).update(host_id=new_host.user_id)
    party.host_id = new_host.user_id
    payload = {
        "host_id": new_host.user_id,
        "username": new_host.display_name,
        "previous_host_id": previous,
    }
    send_room(
        party.pk,
        envelope("host_transfer", payload, session_id=party.pk, user_id=by or new_host.user_id),
    )


def _take_slot(
    party: WatchParty, *, user_id: str | None, name: str, user: User | None
) -> Participant:
    """A live slot for `user_id` (existing or new); SessionFullError when there is none."""
    now = timezone.now()
    token_expiry = now + timedelta(seconds=settings.WATCHPARTY_TOKEN_TTL)
    participants_sweep(party=party, now=now)
    existing = party.participants.filter(user_id=user_id).first() if user_id else None
    if existing is not None and existing.left_at is None:
        existing.display_name = name
        existing.last_seen = max(existing.last_seen, now)
        existing.token_expires_at = token_expiry
        existing.save(update_fields=["display_name", "last_seen", "token_expires_at"])
        return existing
    if selectors.participants_alive(party=party).count() >= party.max_participants:
        raise SessionFullError()
    if existing is not None:  # came back after leaving
        existing.display_name = name
        existing.left_at = None
        existing.announced = False
        existing.connected_count = 0
        existing.last_seen = now
        existing.token_expires_at = token_expiry
        existing.save()
        return existing
    while True:
        candidate = user_id or new_guest_id()
        if not party.participants.filter(user_id=candidate).exists():
            break
    return Participant.objects.create(
        party=party,
        user_id=candidate,
        display_name=name,
        account=user if user is not None and user.is_authenticated else None,
        joined_at=now,
        last_seen=now,
        token_expires_at=token_expiry,
    )


def _token_for(party: WatchParty, participant: Participant) -> str:
    token, expires = token_issue(
        room=str(party.pk),
        user_id=participant.user_id,
        name=participant.display_name,
        is_host=party.host_id == participant.user_id,
        generation=participant.token_generation,
    )
    if participant.token_expires_at < expires:
        Participant.objects.filter(pk=participant.pk).update(token_expires_at=expires)
        participant.token_expires_at = expires
    return token


# --- rooms -----------------------------------------------------------------------------------


def party_create(
    *, name: Any, password: Any, display_name: Any = None, user: User | None = None
) -> tuple[WatchParty, Participant, str]:
    """Create a room; its creator is the host. bcrypt runs before the transaction opens."""
    details = {}
    try:
        clean_name = validate_name(name)
    except ValidationFailedError as exc:
        details.update(exc.details or {})
    if problem := _password_problem(password, creating=True):
        details["password"] = problem
    try:
        clean_display = validate_display_name(display_name)
    except ValidationFailedError as exc:
        details.update(exc.details or {})
    if details:
        raise ValidationFailedError(details=details)
    password_hash = _hash_password(password)
    return _party_insert(clean_name, password_hash, clean_display, user)


@transaction.atomic
def _party_insert(
    name: str, password_hash: str, display_name: str | None, user: User | None
) -> tuple[WatchParty, Participant, str]:
    now = timezone.now().replace(microsecond=0)
    fixed_id, username = _identity(user, display_name)
    party = WatchParty(
        name=name,
        password_hash=password_hash,
        host_id="",
        created_by=user if user is not None and user.is_authenticated else None,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.WATCHPARTY_SESSION_TTL),
        max_participants=settings.WATCHPARTY_MAX_PARTICIPANTS,
    )
    party.save()
    participant = _take_slot(party, user_id=fixed_id, name=username, user=user)
    party.host_id = participant.user_id
    party.save(update_fields=["host_id"])
    return party, participant, _token_for(party, participant)


def party_join(
    *, session_id: Any, password: Any, display_name: Any = None, user: User | None = None
) -> tuple[WatchParty, Participant, str]:
    details = {}
    if session_id is None or session_id == "":
        details["session_id"] = "Session id is required"
    elif not isinstance(session_id, str):
        details["session_id"] = "Session id must be a string"
    if problem := _password_problem(password, creating=False):
        details["password"] = problem
    try:
        clean_display = validate_display_name(display_name)
    except ValidationFailedError as exc:
        details.update(exc.details or {})
    if details:
        raise ValidationFailedError(details=details)
    party = selectors.party_get_open(session_id=session_id)
    if not _check_password(password, party.password_hash):
        raise InvalidPasswordError()
    return _admit(party.pk, user=user, display_name=clean_display)


@transaction.atomic
def _admit(
    party_id: Any, *, user: User | None, display_name: str | None
) -> tuple[WatchParty, Participant, str]:
    party = selectors.party_get_open(session_id=party_id, lock=True)
    fixed_id, username = _identity(user, display_name)
    participant = _take_slot(party, user_id=fixed_id, name=username, user=user)
    return party, participant, _token_for(party, participant)


def party_admit(*, session_id: Any, user: User) -> tuple[WatchParty, Participant, str]:
    """Let a signed-in user in without the password (an invite was redeemed)."""
    return _admit(session_id, user=user, display_name=None)


def party_authorize(*, session_id: Any, token: str | None) -> tuple[WatchParty, Participant]:
    """The room and the participant a Bearer token names. 401 before 404: a token for another
    room (or none) learns nothing about this one."""
    claims = token_decode(token, room=str(session_id))
    party = selectors.party_get_open(session_id=session_id)
    participant = selectors.participant_get(party=party, user_id=claims.user_id)
    if participant is not None and participant.token_generation != claims.generation:
        raise LeftSessionError()
    if participant is None or participant.left_at is not None:
        raise AuthenticationFailedError("You are no longer in this session")
    return party, participant


@transaction.atomic
def token_refresh(*, session_id: Any, token: str | None) -> tuple[str, datetime]:
    """A fresh token for a still-valid one; the slot's lifetime follows the new token."""
    party, participant = party_authorize(session_id=session_id, token=token)
    participants_sweep(party=party)
    participant.refresh_from_db()
    if participant.left_at is not None:
        raise AuthenticationFailedError("You are no longer in this session")
    new_token = _token_for(party, participant)
    return new_token, participant.token_expires_at


@transaction.atomic
def party_details_get(*, session_id: Any, token: str | None) -> dict[str, Any]:
    party, _ = party_authorize(session_id=session_id, token=token)
    participants_sweep(party=party)
    party.refresh_from_db()
    return selectors.party_details(party=party)


# --- sockets ---------------------------------------------------------------------------------


@transaction.atomic
def connection_open(
    *, session_id: Any, user_id: str, generation: int = 0
) -> tuple[WatchParty, Participant]:
    """A socket opened for `user_id`'s token: count it, and announce them if they were away.

    A token from before the member's explicit leave (an older `generation`) is refused.
    """
    party = selectors.party_get_open(session_id=session_id, lock=True)
    now = timezone.now()
    participants_sweep(party=party, now=now)
    participant = selectors.participant_get(party=party, user_id=user_id)
    if participant is None:
        raise AuthenticationFailedError("You are not in this session")
    if participant.token_generation != generation:
        raise LeftSessionError()
    if participant.left_at is not None:  # not revoked; lapsed or closed: rejoin if there's room
        participant = _take_slot(
            party, user_id=user_id, name=participant.display_name, user=participant.account
        )
    was_connected = participant.connected_count > 0
    Participant.objects.filter(pk=participant.pk).update(
        connected_count=F("connected_count") + 1, last_seen=now
    )
    participant.refresh_from_db()
    if participant.announced and not was_connected:
        _send_presence(party.pk, participant, connected=True)
    if not participant.announced:
        Participant.objects.filter(pk=participant.pk).update(announced=True)
        participant.announced = True
        payload = {"user_id": participant.user_id, "username": participant.display_name}
        # To the others only: the member who joined learns it from session_state.
        send_room(
            party.pk,
            envelope("user_joined", payload, session_id=party.pk, user_id=user_id),
            exclude=user_id,
        )
    party.refresh_from_db()
    return party, participant


def connection_heartbeat(*, participant_pk: int) -> bool:
    """Keep a live socket's slot fresh. False once the slot has been given up."""
    return bool(
        Participant.objects.filter(pk=participant_pk, left_at__isnull=True).update(
            last_seen=timezone.now()
        )
    )


def _send_presence(party_id: Any, participant: Participant, *, connected: bool) -> None:
    """A member's socket dropped or came back within the grace: shown live, not as left/joined."""
    payload = {
        "user_id": participant.user_id,
        "username": participant.display_name,
        "connected": connected,
    }
    send_room(
        party_id,
        envelope("presence", payload, session_id=party_id, user_id=participant.user_id),
    )


@transaction.atomic
def connection_close(*, participant_pk: int, clean: bool = False) -> None:
    """A socket closed. `clean` (a close frame with 1000 or 1001: the app leaving, the tab
    closing) leaves the room at once when it was the member's last socket; otherwise the slot
    waits out the reconnect grace. Neither revokes the token: a reloaded tab comes back."""
    now = timezone.now()
    Participant.objects.filter(pk=participant_pk, connected_count__gt=0).update(
        connected_count=F("connected_count") - 1
    )
    Participant.objects.filter(pk=participant_pk, left_at__isnull=True).update(last_seen=now)
    participant = Participant.objects.filter(pk=participant_pk).first()
    if participant is None or participant.connected_count != 0 or participant.left_at is not None:
        return
    if clean:
        party = WatchParty.objects.get(pk=participant.party_id)
        _record_left(party, [participant], now=now)
    elif participant.announced:
        _send_presence(participant.party_id, participant, connected=False)


@transaction.atomic
def presence_check(*, session_id: Any) -> None:
    """The delayed check after a disconnect: whoever did not come back within the grace left."""
    party = WatchParty.objects.filter(pk=session_id).first()
    if party is not None:
        participants_sweep(party=party)


@transaction.atomic
def participant_leave(*, session_id: Any, user_id: str) -> None:
    """An explicit leave (the `leave` message): the slot is free at once, every token issued
    so far is revoked (the generation moves on), and the member's other sockets close."""
    party = WatchParty.objects.filter(pk=session_id).first()
    if party is None:
        return
    participant = selectors.participant_get(party=party, user_id=user_id)
    if participant is None:
        return
    Participant.objects.filter(pk=participant.pk).update(token_generation=F("token_generation") + 1)
    _record_left(party, [participant], now=timezone.now())
    _send_control(party.pk, "wp.revoked", user_id=user_id)


# --- what people do in a room ----------------------------------------------------------------


def chat_post(*, party_id: Any, user_id: str, username: str, message: Any) -> ChatMessage:
    """Store a member's chat line and send it to the room.

    The caller is the member's socket, which vouches for them: it was authorized when it opened
    and closes when the room closes or expires, the token expires or the slot lapses. So a line
    costs one insert and no lookups; a room deleted under the socket refuses it.
    """
    text = message.strip() if isinstance(message, str) else None
    if not text or len(text) > CHAT_MAX:
        raise ValidationFailedError(
            f"Chat messages are 1 to {CHAT_MAX} characters",
            details={"message": f"Message must be 1 to {CHAT_MAX} characters"},
        )
    try:  # one statement, committed when it returns: no transaction of our own to open
        chat = ChatMessage.objects.create(
            party_id=party_id, user_id=user_id, username=username, message=text
        )
    except IntegrityError as exc:
        raise SessionNotFoundError() from exc
    payload = selectors.chat_payload(chat)
    send_room(party_id, envelope("chat", payload, session_id=party_id, user_id=user_id))
    return chat


def _number(payload: dict, key: str, low: float, high: float, details: dict) -> float | None:
    if key not in payload:
        return None
    value = payload[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        details[key] = f"{key} must be a number"
        return None
    if not low <= value <= high:
        details[key] = f"{key} must be between {low:g} and {high:g}"
        return None
    return float(value)


def _media_url_ok(url: str) -> bool:
    if not url:
        return True
    return len(url) <= 2000 and url.lower().startswith(("http://", "https://", "/"))


@transaction.atomic
def playback_set(*, session_id: Any, user_id: str, payload: Any) -> dict[str, Any]:
    """The host's play/pause/seek/rate/volume/source; stored, then broadcast with server time."""
    if not isinstance(payload, dict):
        raise ValidationFailedError("payload must be an object")
    party = selectors.party_get_open(session_id=session_id, lock=True)
    if party.host_id != user_id:
        raise NotHostError("Only the host can control playback")
    details: dict[str, str] = {}
    playing = payload.get("playing", party.playing)
    if not isinstance(playing, bool):
        details["playing"] = "playing must be true or false"
    position = _number(payload, "currentTime", 0.0, MAX_POSITION, details)
    volume = _number(payload, "volume", 0.0, 1.0, details)
    rate = _number(payload, "rate", RATE_MIN, RATE_MAX, details)
    media_url = payload.get("media_url", party.media_url)
    if not isinstance(media_url, str) or not _media_url_ok(media_url):
        details["media_url"] = "media_url must be an http(s) URL"
    source = payload.get("source", party.source)
    if source not in WatchParty.Source.values:
        details["source"] = "source must be 'video' or 'screen'"
    if details:
        raise ValidationFailedError("Invalid playback state", details=details)
    now = timezone.now()
    party.position = selectors.playback_position(party, now) if position is None else position
    if media_url != party.media_url and position is None:
        party.position = 0.0
    party.playing = playing
    party.volume = party.volume if volume is None else volume
    party.rate = party.rate if rate is None else rate
    party.media_url = media_url
    party.source = source
    party.state_at = now
    party.state_seq += 1
    party.save(
        update_fields=[
            "position",
            "playing",
            "volume",
            "rate",
            "media_url",
            "source",
            "state_at",
            "state_seq",
        ]
    )
    out = selectors.playback_payload(party, now=now)
    send_room(party.pk, envelope("playback_state", out, session_id=party.pk, user_id=user_id))
    return out


@transaction.atomic
def sync_report(*, session_id: Any, user_id: str, payload: Any) -> dict[str, Any]:
    """A viewer's position; its drift from the host's timeline goes to the host, live."""
    if not isinstance(payload, dict):
        raise ValidationFailedError("payload must be an object")
    details: dict[str, str] = {}
    position = _number(payload, "position", 0.0, MAX_POSITION, details)
    if position is None and "position" not in details:
        details["position"] = "position is required"
    now = timezone.now()
    at = now
    sampled = _number(payload, "server_time", 0, 1e15, details)
    if sampled is not None and abs(sampled / 1000 - now.timestamp()) < 30:
        at = datetime.fromtimestamp(sampled / 1000, tz=now.tzinfo)
    if details:
        raise ValidationFailedError("Invalid sync report", details=details)
    party = selectors.party_get_open(session_id=session_id)
    participant = selectors.participant_get(party=party, user_id=user_id)
    if participant is None or participant.left_at is not None:
        raise AuthenticationFailedError("You are not in this session")
    drift = round(position - selectors.playback_position(party, at), 3)
    Participant.objects.filter(pk=participant.pk).update(
        report_position=position, report_drift=drift, report_at=now, last_seen=now
    )
    report = {
        "user_id": user_id,
        "username": participant.display_name,
        "position": position,
        "drift": drift,
        "connected": True,
        "server_time": selectors.ms(now),
    }
    if party.host_id != user_id:
        send_user(
            party.pk,
            party.host_id,
            envelope("sync_report", report, session_id=party.pk, user_id=user_id),
        )
    return report


@transaction.atomic
def host_transfer(*, session_id: Any, user_id: str, target_user_id: Any) -> None:
    party = selectors.party_get_open(session_id=session_id, lock=True)
    if party.host_id != user_id:
        raise NotHostError("Only the host can hand over the host role")
    if not isinstance(target_user_id, str):
        raise ValidationFailedError(details={"target_user_id": "target_user_id is required"})
    target = selectors.participants_alive(party=party).filter(user_id=target_user_id).first()
    if target is None:
        raise ParticipantNotFoundError()
    if target.user_id != user_id:
        # Keep the timeline continuous across the hand-over.
        party.position = selectors.playback_position(party, timezone.now())
        party.state_at = timezone.now()
        party.save(update_fields=["position", "state_at"])
        _set_host(party, target, previous=user_id, by=user_id)


def participant_exists(*, session_id: Any, user_id: Any) -> bool:
    if not isinstance(user_id, str):
        return False
    return (
        Participant.objects.filter(party_id=session_id, user_id=user_id)
        .filter(selectors.alive_q())
        .exists()
    )


# --- moderation (admin) ----------------------------------------------------------------------


def _send_control(party_id: Any, event: str, **fields: Any) -> None:
    _publish_on_commit(party_id, {"type": event, **fields})


@transaction.atomic
def party_close(*, party: WatchParty) -> None:
    """End a room now: it answers 404 and every socket in it closes."""
    if party.closed_at is None:
        WatchParty.objects.filter(pk=party.pk).update(closed_at=timezone.now())
        _send_control(party.pk, "wp.closed", reason="The host or an admin closed this session")


@transaction.atomic
def party_extend(*, party: WatchParty, hours: int = 24) -> datetime:
    base = max(party.expires_at, timezone.now())
    expires = base + timedelta(hours=hours)
    WatchParty.objects.filter(pk=party.pk).update(expires_at=expires)
    _send_control(party.pk, "wp.extended", expires_at=selectors.ms(expires))
    return expires


@transaction.atomic
def chat_delete(*, message: ChatMessage) -> None:
    """Moderation: the message disappears from history and from every open room page."""
    if message.deleted_at is None:
        ChatMessage.objects.filter(pk=message.pk).update(deleted_at=timezone.now())
        payload = {"id": message.public_id}
        send_room(
            message.party_id,
            envelope("chat_deleted", payload, session_id=message.party_id, user_id="system"),
        )
