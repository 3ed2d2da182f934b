"""CHROTE's two sockets: `/terminals/ws` (many sessions) and `/terminals/ws/terminal/<id>`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from accounts.events import user_group
from accounts.models import Role, User
from config.errors import DomainError
from config.websocket import CLOSE_TRY_AGAIN, JsonConsumer
from terminals import selectors, services, streams, tmux, transport
from terminals.exceptions import (
    NotOperatorError,
    SessionNotFoundError,
    TmuxCommandError,
    TmuxUnavailableError,
    ValidationError,
    ViewerCannotSendError,
)
from terminals.permissions import is_member

logger = logging.getLogger(__name__)

# tmux unreachable: 4013, the platform's "try again later" (Daphne cannot send 1013 itself).
CLOSE_AUTH, CLOSE_NOT_FOUND, CLOSE_HEARTBEAT = 4001, 4004, 4000
CLOSE_UNAVAILABLE = CLOSE_TRY_AGAIN
CLOSE_NOT_MEMBER = 4003  # signed in, but not a member of the workspace
# 1001 on shutdown is written by terminals/transport.py (Daphne refuses it from the app).


def _now_iso() -> str:
    return selectors.iso(timezone.now()) or ""


def _invalid(message: str) -> DomainError:
    return ValidationError(message, code="INVALID_MESSAGE")


def _session_id(content: dict[str, Any]) -> str:
    value = content.get("sessionId")
    if not isinstance(value, str) or not value:
        raise _invalid("sessionId must be a non-empty string")
    return value


@database_sync_to_async
def _reload_user(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


@sync_to_async(thread_sensitive=True)
def _keys_authorize(**kwargs: Any) -> Any:
    """`services.keys_authorize` on the shared database thread, keeping its connection open
    between keystrokes (`database_sync_to_async` would reopen it each time: with SQLite's
    pragmas that is most of a keystroke's cost). A broken connection is closed, so the next
    call opens a fresh one."""
    try:
        return services.keys_authorize(**kwargs)
    except (OperationalError, InterfaceError):
        connection.close()
        raise


@sync_to_async(thread_sensitive=False)
def _tmux_pane(session_name: str, pane: str | None) -> tmux.PaneInfo:
    return selectors.pane_get(session_name=session_name, pane=pane)


_tmux_screen = sync_to_async(selectors.pane_screen, thread_sensitive=False)
_tmux_repaint = sync_to_async(selectors.pane_repaint, thread_sensitive=False)


Send = Callable[[str], Awaitable[None]]


class TerminalsConsumerBase(JsonConsumer):
    """Shared: auth, the user's group (role changes), claim-expiry timers, presence rows."""

    max_frame_bytes = 512 * 1024  # a 64 KiB paste, JSON-escaped, fits
    not_operator: type[Exception] = ViewerCannotSendError

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        transport.on_accept()

    async def connect(self) -> None:
        self.user: User | None = None
        self.groups_joined: set[str] = set()
        self.claim_timers: dict[str, asyncio.Task] = {}
        self.tasks: list[asyncio.Task] = []
        self.flows: dict[str, streams.OutputFlow] = {}  # per watched session
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_AUTH)
            return
        self.user = await _reload_user(user.pk)
        if self.user is None:
            await self.accept()
            await self.close(code=CLOSE_AUTH)
            return
        if not is_member(self.user):
            await self.accept()
            await self.close(code=CLOSE_NOT_MEMBER)
            return
        await self.join(user_group(self.user))
        await self.start()

    async def start(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def join(self, group: str) -> None:
        if group not in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.add(group)

    async def leave(self, group: str) -> None:
        if group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.groups_joined.discard(group)

    async def disconnect(self, code: int) -> None:
        for task in [*getattr(self, "tasks", []), *getattr(self, "claim_timers", {}).values()]:
            task.cancel()
        for group in list(getattr(self, "groups_joined", ())):
            await self.leave(group)
        await self.cleanup()

    async def cleanup(self) -> None:
        pass

    def spawn(self, coro: Any) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks = [t for t in self.tasks if not t.done()]
        self.tasks.append(task)
        return task

    # -- output, within the socket's share (streams.OutputFlow) ---------------------------------

    async def pass_output(
        self, session_name: str, data: str, send: Send, pane_id: Callable[[], str | None]
    ) -> None:
        """Send live output of the watched pane, or fall behind and repaint instead."""
        flow = self.flows.get(session_name)
        if flow is None:
            flow = self.flows[session_name] = streams.OutputFlow(
                settings.TERMINALS_OUTPUT_RATE, settings.TERMINALS_OUTPUT_BURST
            )
        if flow.admit(len(data)):
            await send(data)
        elif flow.repainter is None or flow.repainter.done():
            flow.repainter = self.spawn(self._repaint_until_live(session_name, flow, send, pane_id))

    async def _repaint_until_live(
        self,
        session_name: str,
        flow: streams.OutputFlow,
        send: Send,
        pane_id: Callable[[], str | None],
    ) -> None:
        while flow.behind and self.flows.get(session_name) is flow:
            await asyncio.sleep(streams.REPAINT_INTERVAL)
            target = pane_id()
            if target is None:
                return
            quiet, mark = flow.quiet(), flow.last_output
            try:
                screen = await _tmux_repaint(pane_id=target)
            except DomainError:  # the pane went; its stream's events say so
                return
            await send(screen)
            flow.repainted(len(screen), exact=quiet and flow.last_output == mark)

    async def presence_loop(self) -> None:
        """Keep this socket's presence rows fresh (rows of a dead process age out), and close
        it if its user was deactivated or removed without a `user.changed` event."""
        interval = max(1.0, settings.TERMINALS_PRESENCE_TTL / 3)
        while True:
            await asyncio.sleep(interval)
            await database_sync_to_async(services.viewers_touch)(channel_name=self.channel_name)
            if not await self.user_still_active():
                return

    async def user_still_active(self) -> bool:
        if self.user is None:
            return False
        fresh = await _reload_user(self.user.pk)
        if fresh is None:
            await self.close(code=CLOSE_AUTH)
            return False
        if not is_member(fresh):
            await self.close(code=CLOSE_NOT_MEMBER)
            return False
        self.user.role = fresh.role
        return True

    # --- claims expire even if nobody acts: a timer per watched session
    def arm_claim_timer(self, session_name: str, expires_at: datetime | None) -> None:
        old = self.claim_timers.pop(session_name, None)
        if old is not None:
            old.cancel()
        if expires_at is not None:
            self.claim_timers[session_name] = asyncio.get_running_loop().create_task(
                self._claim_timer(session_name, expires_at)
            )

    async def _claim_timer(self, session_name: str, expires_at: datetime) -> None:
        while True:
            delay = (expires_at - timezone.now()).total_seconds()
            await asyncio.sleep(max(0.0, delay) + 0.05)
            await database_sync_to_async(services.claim_expire)(session_name=session_name)
            claim = await database_sync_to_async(selectors.claim_get)(session_name=session_name)
            if claim is None:
                return
            expires_at = claim.expires_at  # renewed by activity: wait for the new expiry

    async def watch_claim(self, session_name: str) -> None:
        claim = await database_sync_to_async(selectors.claim_get)(session_name=session_name)
        self.arm_claim_timer(session_name, claim.expires_at if claim else None)
        if claim is not None:
            await self.send_json(
                {
                    "type": "claimed",
                    "sessionId": session_name,
                    "by": {"id": claim.user.public_id, "name": claim.user.display_name},
                    "expiresAt": selectors.iso(claim.expires_at),
                }
            )

    # --- channel-layer events
    async def user_changed(self, event: dict[str, Any]) -> None:
        payload = event.get("payload") or {}
        if self.user is None:
            return
        if not payload.get("active", True):
            await self.close(code=CLOSE_AUTH)
            return
        if not payload.get("member", True):
            await self.close(code=CLOSE_NOT_MEMBER)
            return
        role = payload.get("role")
        if role in Role.values:
            if Role(role).rank < Role(self.user.role).rank:
                # Demoted: nothing the old role allowed may go on; the client reconnects as who
                # they are now.
                await self.close(code=CLOSE_AUTH)
                return
            self.user.role = role
            await self.role_changed()

    async def role_changed(self) -> None:
        pass

    async def terminals_claimed(self, event: dict[str, Any]) -> None:
        payload = event["payload"]
        self.arm_claim_timer(
            payload["sessionId"],
            datetime.fromisoformat(payload["expiresAt"].replace("Z", "+00:00")),
        )
        await self.send_json({"type": "claimed", **payload})

    async def terminals_released(self, event: dict[str, Any]) -> None:
        payload = event["payload"]
        self.arm_claim_timer(payload["sessionId"], None)
        await self.send_json({"type": "released", **payload})

    async def terminals_presence(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "presence", **event["payload"]})

    async def send_keys(
        self,
        session_name: str,
        keys: object,
        pane: str | None,
        own: bool,
        pane_info: tmux.PaneInfo | None = None,
    ) -> None:
        if self.user is None:
            return
        _, info, data = await _keys_authorize(
            session_name=session_name,
            user=self.user,
            keys=keys,
            pane=pane,
            pane_info=pane_info,
            own_claim_required=own,
            not_operator=self.not_operator,
        )
        try:
            await streams.send_bytes(session_name, info.id, data)
        except tmux.TmuxNotFoundError as exc:
            raise SessionNotFoundError() from exc
        except tmux.TmuxError as exc:
            logger.warning("send-keys failed session=%s: %s", session_name, exc)
            raise TmuxCommandError() from exc


class SessionsConsumer(TerminalsConsumerBase):
    """`/terminals/ws`: subscribe to any number of sessions, claim, release, send keys."""

    async def start(self) -> None:
        self.subscriptions: dict[str, tmux.PaneInfo] = {}  # session -> its streamed pane
        await self.accept()
        await self.join(services.lobby_group())
        self.spawn(self.presence_loop())
        with contextlib.suppress(DomainError):
            sessions = await sync_to_async(selectors.sessions_brief)()
            await self.send_json({"type": "sessions", "sessions": sessions})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.user is None:
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            raise _invalid("A message is an object with a string 'type'")
        kind = content["type"]
        if kind == "heartbeat":
            await self.heartbeat()
        elif kind == "subscribe":
            await self.subscribe(_session_id(content))
        elif kind == "unsubscribe":
            await self.unsubscribe(_session_id(content))
        elif kind == "sendKeys":
            name = _session_id(content)
            await self.send_keys(
                name, content.get("keys"), None, own=False, pane_info=self.subscriptions.get(name)
            )
        elif kind == "claim":
            name = _session_id(content)
            try:
                claim = await database_sync_to_async(services.claim_acquire)(
                    session_name=name, user=self.user
                )
            except DomainError as exc:
                if exc.extra.get("claimedBy"):
                    exc.code = "ALREADY_CLAIMED"
                raise
            if name not in self.subscriptions:  # subscribers hear it through the group
                await self.send_json(
                    {
                        "type": "claimed",
                        "sessionId": name,
                        "by": {"id": self.user.public_id, "name": self.user.display_name},
                        "expiresAt": selectors.iso(claim.expires_at),
                    }
                )
        elif kind == "release":
            name = _session_id(content)
            await database_sync_to_async(services.claim_release)(session_name=name, user=self.user)
            if name not in self.subscriptions:
                await self.send_json({"type": "released", "sessionId": name})
        else:
            raise DomainError("Unknown message type", code="UNKNOWN_TYPE")

    def error_message(self, exc: DomainError) -> dict[str, Any]:
        message = {"type": "error", "code": exc.code, "message": exc.message}
        message.update(exc.extra)
        return message

    async def heartbeat(self) -> None:
        if self.user is None:
            return
        await database_sync_to_async(self._heartbeat_sync)(list(self.subscriptions))

    def _heartbeat_sync(self, names: list[str]) -> None:
        services.viewers_touch(channel_name=self.channel_name)
        for name in names:
            services.claim_renew(session_name=name, user=self.user)

    async def subscribe(self, name: str) -> None:
        if self.user is None:
            return
        if name in self.subscriptions:
            return
        pane = await _tmux_pane(name, None)
        try:
            await streams.subscribe(name, self)
        except tmux.TmuxError as exc:
            raise TmuxUnavailableError() from exc
        self.subscriptions[name] = pane
        await self.join(services.session_group(name))
        screen = await _tmux_screen(pane=pane)
        await self.send_json({"type": "output", "sessionId": name, "data": screen})
        await self.watch_claim(name)
        await database_sync_to_async(services.viewer_join)(
            session_name=name, user=self.user, channel_name=self.channel_name
        )

    async def unsubscribe(self, name: str) -> None:
        if name not in self.subscriptions:
            return
        del self.subscriptions[name]
        self.flows.pop(name, None)
        self.arm_claim_timer(name, None)
        await self.leave(services.session_group(name))
        await streams.unsubscribe(name, self)
        await database_sync_to_async(services.viewer_leave)(
            channel_name=self.channel_name, session_name=name
        )

    async def stream_event(self, session_name: str, event: tmux.ControlEvent) -> None:
        pane = self.subscriptions.get(session_name)
        if pane is None:
            return
        if event.kind == "output" and event.pane_id == pane.id:
            await self.pass_output(
                session_name,
                event.data,
                send=lambda data: self.send_json(
                    {"type": "output", "sessionId": session_name, "data": data}
                ),
                pane_id=lambda: self.watched_pane_id(session_name),
            )
        elif event.kind == "layout":
            with contextlib.suppress(DomainError):
                self.subscriptions[session_name] = await _tmux_pane(session_name, None)
        elif event.kind == "exit":
            self.subscriptions.pop(session_name, None)
            await self.leave(services.session_group(session_name))
            self.arm_claim_timer(session_name, None)
            await self.send_json(
                {
                    "type": "error",
                    "code": "SESSION_NOT_FOUND",
                    "message": "Session ended",
                    "sessionId": session_name,
                }
            )

    def watched_pane_id(self, session_name: str) -> str | None:
        pane = self.subscriptions.get(session_name)
        return pane.id if pane is not None else None

    async def terminals_sessions(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "sessions", **event["payload"]})

    async def cleanup(self) -> None:
        for name in list(getattr(self, "subscriptions", {})):
            await streams.unsubscribe(name, self)
        if self.user is not None:
            await database_sync_to_async(services.viewer_leave)(channel_name=self.channel_name)


class TerminalConsumer(TerminalsConsumerBase):
    """`/terminals/ws/terminal/<id>?pane=`: one session, its screen, then its live output."""

    not_operator = NotOperatorError

    def error_message(self, exc: DomainError) -> dict[str, Any]:
        # this socket documents INVALID_MESSAGE for anything malformed or out of range
        code = "INVALID_MESSAGE" if exc.code == "VALIDATION_ERROR" else exc.code
        return {"type": "error", "code": code, "message": exc.message}

    async def start(self) -> None:
        if self.user is None:
            return
        self.session_name: str = self.scope["url_route"]["kwargs"]["session_id"]
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.pane_arg: str | None = (query.get("pane") or [None])[0]
        self.streaming = False
        try:
            self.pane = await _tmux_pane(self.session_name, self.pane_arg)
        except SessionNotFoundError:
            await self.accept()
            await self.close(code=CLOSE_NOT_FOUND)
            return
        except DomainError:
            await self.accept()
            await self.close(code=CLOSE_UNAVAILABLE)
            return
        await self.accept()
        self.pane_label = self.pane_arg or tmux.pane_label(self.pane)
        try:
            await streams.subscribe(self.session_name, self)
        except tmux.TmuxError:
            await self.close(code=CLOSE_UNAVAILABLE)
            return
        self.streaming = True
        await self.join(services.session_group(self.session_name))
        await self.send_json(
            {
                "type": "connected",
                "sessionId": self.session_name,
                "userId": self.user.public_id,
                "role": self.user.role,
                "pane": self.pane_label,
                "cols": self.pane.width,
                "rows": self.pane.height,
                "heartbeatInterval": settings.TERMINALS_HEARTBEAT_TIMEOUT * 2 / 3,
            }
        )
        await self.send_output(await _tmux_screen(pane=self.pane))
        await self.watch_claim(self.session_name)
        await database_sync_to_async(services.viewer_join)(
            session_name=self.session_name, user=self.user, channel_name=self.channel_name
        )
        self.last_heartbeat = time.monotonic()
        self.spawn(self.heartbeat_watchdog())
        self.spawn(self.presence_loop())

    async def send_output(self, data: str) -> None:
        await self.send_json(
            {
                "type": "output",
                "sessionId": self.session_name,
                "pane": self.pane_label,
                "data": data,
                "timestamp": _now_iso(),
            }
        )

    async def heartbeat_watchdog(self) -> None:
        timeout = settings.TERMINALS_HEARTBEAT_TIMEOUT
        while True:
            remaining = self.last_heartbeat + timeout - time.monotonic()
            if remaining <= 0:
                logger.info("heartbeat missed session=%s", self.session_name)
                await self.close(code=CLOSE_HEARTBEAT)
                return
            await asyncio.sleep(remaining)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.user is None or not self.streaming:
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            raise _invalid("A message is an object with a string 'type'")
        kind = content["type"]
        if kind == "heartbeat":
            self.last_heartbeat = time.monotonic()
            if not await self.user_still_active():
                return
            await database_sync_to_async(services.claim_renew)(
                session_name=self.session_name, user=self.user
            )
        elif kind == "sendKeys":
            pane = content.get("pane")
            if pane is not None and not isinstance(pane, str | int):
                raise _invalid("pane must be a string")
            pane = str(pane) if pane is not None else self.pane_label
            if not isinstance(content.get("keys"), str):
                raise _invalid("keys must be a string")
            known = self.pane if pane == self.pane_label else None
            await self.send_keys(
                self.session_name, content["keys"], pane, own=True, pane_info=known
            )
        elif kind == "resize":
            cols, rows = content.get("cols"), content.get("rows")
            if not isinstance(cols, int) or not isinstance(rows, int) or isinstance(cols, bool):
                raise _invalid("cols and rows must be integers")
            await database_sync_to_async(services.pane_resize)(
                session_name=self.session_name,
                user=self.user,
                pane=self.pane_label,
                cols=cols,
                rows=rows,
            )
        else:
            raise DomainError("Unknown message type", code="UNKNOWN_TYPE")

    async def send_keys(
        self,
        session_name: str,
        keys: object,
        pane: str | None,
        own: bool,
        pane_info: tmux.PaneInfo | None = None,
    ) -> None:
        try:
            await super().send_keys(session_name, keys, pane, own, pane_info)
        except ValidationError as exc:
            exc.code = "INVALID_MESSAGE"
            raise
        except SessionNotFoundError as exc:
            exc.message = "Session or pane not found"
            raise

    async def stream_event(self, session_name: str, event: tmux.ControlEvent) -> None:
        if event.kind == "output" and event.pane_id == self.pane.id:
            await self.pass_output(
                session_name,
                event.data,
                send=self.send_output,
                pane_id=lambda: self.pane.id if self.streaming else None,
            )
        elif event.kind == "layout":
            try:
                pane = await _tmux_pane(self.session_name, self.pane_arg)
            except DomainError:
                return
            if (pane.width, pane.height) != (self.pane.width, self.pane.height):
                await self.send_json(
                    {
                        "type": "resize",
                        "sessionId": self.session_name,
                        "pane": self.pane_label,
                        "cols": pane.width,
                        "rows": pane.height,
                    }
                )
            self.pane = pane
        elif event.kind == "exit":
            await self.close(code=CLOSE_NOT_FOUND)

    async def cleanup(self) -> None:
        if getattr(self, "streaming", False):
            self.streaming = False
            await streams.unsubscribe(self.session_name, self)
        if self.user is not None:
            await database_sync_to_async(services.viewer_leave)(channel_name=self.channel_name)
