"""`/watchparty/ws/<session_id>?token=`: chat, signalling, host-driven playback, server-timed sync.

Presence lives in the participant row (connected_count, last_seen) and rooms are relay rooms
(config/relay.py: this process's sockets directly, the others over Redis pub/sub), so two Daphne
processes behave as one. A socket that closes and does not come back within
WATCHPARTY_RECONNECT_GRACE seconds is announced as left by whichever process notices first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import caches
from django_ratelimit.core import _split_rate

from config.errors import DomainError
from config.relay import Relay, call
from config.websocket import JsonConsumer, scope_bearer_token
from watchparty import selectors, services
from watchparty.exceptions import (
    AuthenticationFailedError,
    InvalidMessageError,
    LeftSessionError,
    ParticipantNotFoundError,
    SessionFullError,
    SessionNotFoundError,
    ValidationFailedError,
    WatchPartyRateLimitedError,
)
from watchparty.models import WatchParty
from watchparty.tokens import token_decode

logger = logging.getLogger(__name__)


# Channels' wrapper: the ORM thread, with Django's connection housekeeping around each call.
# Service calls go through `call`, the same plus the service's publications sent from here.
orm = database_sync_to_async

CLOSE_AUTH = 4001  # token missing, invalid or expired
CLOSE_FULL = 4003
CLOSE_NOT_FOUND = 4004  # room does not exist, expired or was closed
CLOSE_POLICY = 4008  # kept misbehaving
MAX_CONSECUTIVE_ERRORS = 20
SIGNALS = ("webrtc_offer", "webrtc_answer", "ice_candidate", "webrtc_request")
SERVER_ONLY = ("user_joined", "user_left", "error", "session_state", "host_transfer_done")
# A close frame with these codes is the member going (the app's leave, the tab closing): they
# leave at once. Anything else (no close frame: 1006; no status: 1005) keeps the seat a while.
CLEAN_CLOSE_CODES = (1000, 1001)
PLAYBACK_ACTIONS = ("play", "pause", "toggle", "seek_forward", "seek_backward")
MAX_SEEK_SECONDS = services.MAX_POSITION


def _close_code(exc: DomainError) -> int:
    if isinstance(exc, SessionNotFoundError):
        return CLOSE_NOT_FOUND
    if isinstance(exc, SessionFullError):
        return CLOSE_FULL
    return CLOSE_AUTH


def _title(exc: DomainError) -> str:
    if exc.code and not exc.code.isupper():
        return exc.code  # already a WatchParty title
    return {413: "Message too large", 429: "Rate limit exceeded"}.get(exc.status, "Invalid message")


def _signal_problem(kind: str, payload: Any) -> str | None:
    """Type checks for the signalling payloads (other keys pass through).

    Two shapes each: the document's flat ones, and WatchParty's app's, which nests the
    browser's object: `{"sdp": RTCSessionDescriptionInit}`, `{"candidate": RTCIceCandidateInit}`.
    """
    if not isinstance(payload, dict):
        return "payload must be an object"
    if kind in ("webrtc_offer", "webrtc_answer"):
        expected = "offer" if kind == "webrtc_offer" else "answer"
        where, desc = "payload.", payload
        if isinstance(payload.get("sdp"), dict):
            where, desc = "payload.sdp.", payload["sdp"]
        if desc.get("type") != expected:
            return f'{where}type must be "{expected}"'
        if not isinstance(desc.get("sdp"), str) or not desc["sdp"]:
            return f"{where}sdp must be a non-empty string"
    elif kind == "ice_candidate":
        where, cand = "payload.", payload
        if isinstance(payload.get("candidate"), dict):
            where, cand = "payload.candidate.", payload["candidate"]
        if not isinstance(cand.get("candidate"), str):
            return f"{where}candidate must be a string"
        for key in ("sdpMid", "usernameFragment"):
            if cand.get(key) is not None and not isinstance(cand[key], str):
                return f"{where}{key} must be a string or null"
        index = cand.get("sdpMLineIndex")
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
            return f"{where}sdpMLineIndex must be an integer or null"
    return None


def _playback_control_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return "payload must be an object"
    if payload.get("action") not in PLAYBACK_ACTIONS:
        return "payload.action must be one of " + ", ".join(PLAYBACK_ACTIONS)
    seek = payload.get("seek_seconds")
    if seek is not None and (
        isinstance(seek, bool)
        or not isinstance(seek, int | float)
        or not math.isfinite(seek)
        or not 0 <= seek <= MAX_SEEK_SECONDS
    ):
        return f"payload.seek_seconds must be a number from 0 to {MAX_SEEK_SECONDS:g} or null"
    return None


def _chat_frames(messages: list[dict], *, session_id: str) -> list[dict]:
    """Stored chat lines as the live `chat` frames that carried them."""
    frames = []
    for payload in messages:
        user_id = payload["user_id"]
        frame = services.envelope("chat", payload, session_id=session_id, user_id=user_id)
        frame["timestamp"] = payload["timestamp"]
        frames.append(frame)
    return frames


def _is_chat_among(event: dict, ids: set[str]) -> bool:
    if event.get("type") != "wp.message" or '"chat"' not in event["text"]:
        return False
    message = json.loads(event["text"])
    return message.get("type") == "chat" and message["payload"].get("id") in ids


class WatchPartyConsumer(JsonConsumer):
    # Room events come through the relay (config/relay.py), not on a layer channel per socket.
    channel_layer_alias = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def connect(self) -> None:
        self.session_id = self.scope["url_route"]["kwargs"]["session_id"]
        self.user_id = ""
        self.participant_pk: int | None = None
        self.errors_in_a_row = 0
        self.lifecycle: asyncio.Task | None = None
        self.relay: Relay | None = None
        self.held: list[dict] | None = None  # room events that arrive before session_state
        self.connection_id = secrets.token_hex(12)  # names this socket's rate-limit counter
        await self.accept()
        try:
            claims = token_decode(scope_bearer_token(self.scope), room=self.session_id)
            party, participant = await call(
                services.connection_open,
                session_id=self.session_id,
                user_id=claims.user_id,
                generation=claims.generation,
            )
        except DomainError as exc:
            await self.send_error(exc)
            await self.close(code=_close_code(exc))
            return
        self.session_id = str(party.pk)
        self.user_id = participant.user_id
        self.display_name = participant.display_name
        self.participant_pk = participant.pk
        self.token_generation = claims.generation
        self.token_expires = claims.expires_at.timestamp()
        self.room_expires = party.expires_at.timestamp()
        self.room = services.room_group(party.pk)
        self.relay = Relay.current()
        # In the room before the snapshot, so nothing is missed; what arrives meanwhile waits,
        # so session_state is always a socket's first message.
        self.held = []
        await self.relay.join(self.room, self)
        state, playback = await orm(self._snapshot)()
        await self.send_json(state)
        if playback is not None:
            await self.send_json(playback)
        # The recent chat again, as ordinary chat frames: a client that knows only the
        # document's types (WatchParty's app) shows the history too.
        history = state["payload"]["chat"]
        for frame in _chat_frames(history, session_id=self.session_id):
            await self.send_json(frame)
        held, self.held = self.held, None
        shown = {m["id"] for m in history} if held else set()
        for event in held:
            if shown and _is_chat_among(event, shown):
                continue  # posted while the snapshot was read: already sent above
            await self.wp_message(event)
        self.lifecycle = asyncio.ensure_future(self._lifecycle())

    def _snapshot(self) -> tuple[dict, dict | None]:
        """What a (late) joiner needs: who is here, the playback state, the last 50 chats."""
        party = WatchParty.objects.get(pk=self.session_id)
        now = datetime.now(UTC)
        people = selectors.participants_alive(party=party)
        playback = selectors.playback_payload(party, now=now)
        me = next((p for p in people if p.user_id == self.user_id), None)
        state = {
            "session": {
                "id": str(party.pk),
                "name": party.name,
                "host_id": party.host_id,
                "max_participants": party.max_participants,
                "expires_at": selectors.ms(party.expires_at),
            },
            "you": {
                "user_id": self.user_id,
                "username": me.display_name if me else "",
                "is_host": party.host_id == self.user_id,
            },
            "participants": [
                selectors.participant_payload(p, host_id=party.host_id, now=now) for p in people
            ],
            "playback": playback,
            "chat": [selectors.chat_payload(m) for m in selectors.chat_recent(party=party)],
            "ice_servers": settings.WATCHPARTY_ICE_SERVERS,
            "server_time": selectors.ms(now),
            "token_expires_at": int(self.token_expires * 1000),
        }
        envelope = services.envelope(
            "session_state", state, session_id=party.pk, user_id=self.user_id
        )
        late = None
        if party.state_seq:
            late = services.envelope(
                "playback_state", playback, session_id=party.pk, user_id=party.host_id
            )
        return envelope, late

    async def _lifecycle(self) -> None:
        """Heartbeat the slot; close at token expiry (4001) and room expiry (4004)."""
        interval = max(0.2, min(20.0, settings.WATCHPARTY_RECONNECT_GRACE / 3))
        next_beat = time.time() + interval
        while True:
            now = time.time()
            if now >= self.token_expires:
                await self.send_error(AuthenticationFailedError("Token expired"), count=False)
                await self.close(code=CLOSE_AUTH)
                return
            if now >= self.room_expires:
                expires = await orm(self._room_expiry)()
                if expires is None or expires <= now:
                    await self.send_error(SessionNotFoundError("This session has expired"), False)
                    await self.close(code=CLOSE_NOT_FOUND)
                    return
                self.room_expires = expires
            if now >= next_beat:
                alive = await call(
                    services.connection_heartbeat, participant_pk=self.participant_pk
                )
                if not alive:
                    if await orm(self._room_expiry)() is None:  # closed or deleted
                        await self.send_error(SessionNotFoundError(), False)
                        await self.close(code=CLOSE_NOT_FOUND)
                    else:
                        await self.send_error(
                            AuthenticationFailedError("Your slot has lapsed"), False
                        )
                        await self.close(code=CLOSE_AUTH)
                    return
                next_beat = now + interval
            await asyncio.sleep(
                max(0.01, min(self.token_expires, self.room_expires, next_beat) - now)
            )

    def _room_expiry(self) -> float | None:
        party = WatchParty.objects.filter(pk=self.session_id, closed_at__isnull=True).first()
        return party.expires_at.timestamp() if party else None

    async def disconnect(self, code: int | None) -> None:
        if self.lifecycle is not None:
            self.lifecycle.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.lifecycle
        if self.relay is not None:
            await self.relay.leave(self.room, self)
        if self.participant_pk is not None:
            pk, self.participant_pk = self.participant_pk, None
            clean = code in CLEAN_CLOSE_CODES
            await call(services.connection_close, participant_pk=pk, clean=clean)
            if not clean:
                # The delayed check: announce the departure if they did not come back in time.
                self.presence_task = asyncio.ensure_future(
                    self._presence_check_later(self.session_id)
                )

    @staticmethod
    async def _presence_check_later(session_id: str) -> None:
        await asyncio.sleep(settings.WATCHPARTY_RECONNECT_GRACE + 0.25)
        try:
            await call(services.presence_check, session_id=session_id)
        except Exception:
            logger.exception("presence check failed for a watch party")

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        task = self.lifecycle
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        await super().close(code=code, reason=reason)

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch without its per-frame trip to a thread to close old connections.

        Every database call here goes through `orm` or `call` (database_sync_to_async), which do
        that housekeeping on the thread they use, so the extra trip only delayed each frame.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # -- errors -------------------------------------------------------------------------------

    async def send_error(self, exc: DomainError, count: bool = True) -> None:
        await self.send_json(self.error_message(exc))
        if count:
            self.errors_in_a_row += 1
            if self.errors_in_a_row > MAX_CONSECUTIVE_ERRORS:
                await self.close(code=CLOSE_POLICY)

    def error_message(self, exc: DomainError) -> dict[str, Any]:
        payload: dict[str, Any] = {"error": _title(exc), "message": exc.message}
        if exc.details:
            payload["details"] = exc.details
        return services.envelope(
            "error", payload, session_id=self.session_id, user_id=self.user_id or ""
        )

    # -- incoming -----------------------------------------------------------------------------

    def _count_message(self) -> tuple[bool, int]:
        """This connection's message count in the current window (settings: `counters`)."""
        limit, period = _split_rate(settings.WATCHPARTY_RATE_WS)
        window = int(time.time() // period)
        key = f"watchparty:ws:{self.connection_id}:{window}"
        cache = caches["counters"]
        try:
            count = cache.incr(key)  # one write when the window's counter exists
        except ValueError:
            count = 1 if cache.add(key, 1, period + 2) else cache.incr(key)
        return count <= limit, limit

    async def counted(self, fn: Any = None, **kwargs: Any) -> Any:
        """Count the message against the socket's limit, then run the service call, if any."""
        allowed, limit = self._count_message()  # in memory: nothing to wait for
        if not allowed:
            raise WatchPartyRateLimitedError(f"Maximum {limit} messages per minute")
        return await call(fn, **kwargs) if fn is not None else None

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.participant_pk is None:
            return
        self.received_ms = selectors.now_ms()
        kind = content.get("type") if isinstance(content, dict) else None
        handler = None
        if isinstance(kind, str) and kind and kind not in SERVER_ONLY:
            handler = getattr(self, f"on_{kind}", None)
        if handler is None:
            await self.counted()  # bad messages count too
            if not isinstance(content, dict):
                raise InvalidMessageError("A message is a JSON object with a type and a payload")
            if not isinstance(kind, str) or not kind:
                raise InvalidMessageError("Message type is required")
            raise InvalidMessageError(f"Unknown message type: {kind[:40]}")
        await handler(content.get("payload"), content)
        self.errors_in_a_row = 0

    async def on_chat(self, payload: Any, content: dict) -> None:
        message = payload.get("message") if isinstance(payload, dict) else None
        await self.counted(
            services.chat_post,
            party_id=self.session_id,
            user_id=self.user_id,
            username=self.display_name,
            message=message,
        )

    async def _signal(self, payload: Any, content: dict) -> None:
        """Offer/answer/candidate: to `target_user_id` (or `target_id`, what WatchParty's app
        sends) if given, else to every other member. The payload goes on unchanged."""
        problem = _signal_problem(content["type"], payload)
        target = content.get("target_user_id")
        alias = content.get("target_id")
        if not problem and alias is not None and target is not None and alias != target:
            problem = "target_id and target_user_id name different members"
        if problem:
            await self.counted()
            raise ValidationFailedError(f"Invalid {content['type']}: {problem}")
        target = alias if target is None else target
        extra = {}
        if target is not None:
            exists = await self.counted(
                services.participant_exists, session_id=self.session_id, user_id=target
            )
            if not exists:
                raise ParticipantNotFoundError()
            extra["target_user_id"] = target
            if alias is not None:
                extra["target_id"] = target
        else:
            await self.counted()
        message = services.envelope(
            content["type"], payload, session_id=self.session_id, user_id=self.user_id, **extra
        )
        event = services.message_event(message, exclude=self.user_id, target=target)
        await self.relay.publish(self.room, event)

    # webrtc_request (ours): a viewer asks the host for an offer, e.g. after reconnecting.
    on_webrtc_offer = on_webrtc_answer = on_ice_candidate = on_webrtc_request = _signal

    async def on_playback_control(self, payload: Any, content: dict) -> None:
        """WatchParty's app's playback buttons: relayed to the other members, not stored; the
        sender's identity is the server's (`from_user`, `from_username`)."""
        await self.counted()
        problem = _playback_control_problem(payload)
        if problem:
            raise ValidationFailedError(f"Invalid playback_control: {problem}")
        out = {**payload, "from_user": self.user_id, "from_username": self.display_name}
        message = services.envelope(
            "playback_control", out, session_id=self.session_id, user_id=self.user_id
        )
        await self.relay.publish(self.room, services.message_event(message, exclude=self.user_id))

    async def on_playback_state(self, payload: Any, content: dict) -> None:
        await self.counted(
            services.playback_set, session_id=self.session_id, user_id=self.user_id, payload=payload
        )

    async def on_sync_report(self, payload: Any, content: dict) -> None:
        await self.counted(
            services.sync_report, session_id=self.session_id, user_id=self.user_id, payload=payload
        )

    async def on_host_transfer(self, payload: Any, content: dict) -> None:
        target = content.get("target_user_id")
        if target is None and isinstance(payload, dict):
            target = payload.get("target_user_id")
        await self.counted(
            services.host_transfer,
            session_id=self.session_id,
            user_id=self.user_id,
            target_user_id=target,
        )

    async def on_time_sync(self, payload: Any, content: dict) -> None:
        """NTP-style ping: the client keeps the smallest-RTT sample to estimate its offset."""
        received = self.received_ms  # before the counting trip, so the offset stays honest
        await self.counted()
        client_time = payload.get("client_time") if isinstance(payload, dict) else None
        if isinstance(client_time, bool) or not isinstance(client_time, int | float):
            client_time = None
        reply = {"client_time": client_time, "server_time": received}
        await self.send_json(
            services.envelope("time_sync", reply, session_id=self.session_id, user_id=self.user_id)
        )

    async def on_token_refresh(self, payload: Any, content: dict) -> None:
        """Present a fresh token (from POST .../token) so the socket outlives the first one."""
        await self.counted()
        token = payload.get("token") if isinstance(payload, dict) else None
        claims = token_decode(token if isinstance(token, str) else None, room=self.session_id)
        if claims.user_id != self.user_id:
            raise AuthenticationFailedError("Token is for another participant")
        if claims.generation != self.token_generation:
            raise LeftSessionError()
        self.token_expires = max(self.token_expires, claims.expires_at.timestamp())
        await self.send_json(
            services.envelope(
                "token_refresh",
                {"expires_at": int(self.token_expires * 1000)},
                session_id=self.session_id,
                user_id=self.user_id,
            )
        )

    async def on_ping(self, payload: Any, content: dict) -> None:
        await self.counted()
        await self.send_json(
            services.envelope("pong", payload, session_id=self.session_id, user_id=self.user_id)
        )

    async def on_leave(self, payload: Any, content: dict) -> None:
        """Leave for good (no 60 s grace): the slot is free, the others hear of it now, and the
        member's tokens are revoked (their other sockets close with 4001)."""
        await self.counted()
        self.participant_pk = None  # the leave zeroes the slot's socket count itself
        await call(services.participant_leave, session_id=self.session_id, user_id=self.user_id)
        await self.close(code=1000)

    # -- from the room relay ------------------------------------------------------------------

    async def wp_message(self, event: dict) -> None:
        if event["exclude"] == self.user_id or event["target"] not in (None, self.user_id):
            return
        if self.held is not None:
            self.held.append(event)
            return
        await self.send(text_data=event["text"])

    async def wp_revoked(self, event: dict) -> None:
        """The member left on another socket: this one's token is revoked too."""
        if event["user_id"] != self.user_id or self.participant_pk is None:
            return
        self.participant_pk = None  # the slot is already recorded as left
        await self.send_error(LeftSessionError(), count=False)
        await self.close(code=CLOSE_AUTH)

    async def wp_closed(self, event: dict) -> None:
        await self.send_error(SessionNotFoundError(event.get("reason")), count=False)
        await self.close(code=CLOSE_NOT_FOUND)

    async def wp_extended(self, event: dict) -> None:
        self.room_expires = event["expires_at"] / 1000
        await self.send_json(
            services.envelope(
                "session_extended",
                {"expires_at": event["expires_at"]},
                session_id=self.session_id,
                user_id="system",
            )
        )
