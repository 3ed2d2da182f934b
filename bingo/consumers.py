"""`/bingo/ws/games/<id>`: live draws, player count, your own marks, bingo and game end.

On connect (and on `{"type": "state"}`) the socket sends the whole state, so a client that
reconnects after a restart is up to date. Players mark (`{"type": "mark", "row", "col"}`) and
the creator draws / ends (`{"type": "draw"}`, `{"type": "end"}`) through the same services as
the REST API. Errors: `{"type": "error", "detail": message}`.
"""

from __future__ import annotations

import time
from typing import Any

from channels.db import database_sync_to_async

from bingo import events, selectors, services
from bingo.models import Card, Game
from config.errors import BadRequestError, DomainError, RateLimitedError
from config.websocket import JsonConsumer

MESSAGES_PER_WINDOW = 20
WINDOW_SECONDS = 2.0


class GameConsumer(JsonConsumer):
    max_frame_bytes = 4096

    async def connect(self) -> None:
        self.game_id = str(self.scope["url_route"]["kwargs"]["game_id"])[:16]
        self.user = self.scope.get("user")
        self.groups_joined: list[str] = []
        self.window: list[float] = []
        if not await self._game_exists():
            await self.close(code=4404)
            return
        self.groups_joined.append(events.game_group(self.game_id))
        if self.user is not None and self.user.is_authenticated:
            self.groups_joined.append(events.player_group(self.game_id, self.user.pk))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json(await self._state())

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    def error_message(self, exc: DomainError) -> dict[str, Any]:
        return {"type": "error", "detail": exc.message}

    def _throttle(self) -> None:
        now = time.monotonic()
        self.window = [t for t in self.window if now - t < WINDOW_SECONDS]
        if len(self.window) >= MESSAGES_PER_WINDOW:
            raise RateLimitedError("Too many messages", retry_after=WINDOW_SECONDS)
        self.window.append(now)

    def _me(self):  # type: ignore[no-untyped-def]
        if self.user is None or not self.user.is_authenticated:
            raise DomainError("Session required", status=401)
        return self.user

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        self._throttle()
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            raise BadRequestError('Messages are JSON objects with a "type"')
        kind = content["type"]
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "state":
            await self.send_json(await self._state())
        elif kind == "mark":
            row, col = content.get("row"), content.get("col")
            if not all(type(v) is int and 0 <= v <= 4 for v in (row, col)):
                raise BadRequestError("row and col must be integers 0-4")
            card, bingo = await database_sync_to_async(services.card_mark)(
                game_id=self.game_id, user=self._me(), row=row, col=col
            )
            await self.send_json(
                {"type": "marked", "card_id": card.card_id, "marked": card.marked, "bingo": bingo}
            )
        elif kind == "draw":
            await database_sync_to_async(services.draw_next)(game_id=self.game_id, by=self._me())
        elif kind == "end":
            await database_sync_to_async(services.game_end)(game_id=self.game_id, by=self._me())
        else:
            raise BadRequestError(f"Unknown message type: {kind[:40]}")

    # --- group events -------------------------------------------------------------------------

    async def bingo_draw(self, event: dict) -> None:
        await self.send_json({"type": "draw", **event["payload"]})

    async def bingo_players(self, event: dict) -> None:
        await self.send_json({"type": "players", **event["payload"]})

    async def bingo_card(self, event: dict) -> None:
        await self.send_json({"type": "card", **event["payload"]})

    async def bingo_bingo(self, event: dict) -> None:
        await self.send_json({"type": "bingo", **event["payload"]})

    async def bingo_ended(self, event: dict) -> None:
        await self.send_json({"type": "ended", **event["payload"]})

    # --- database -----------------------------------------------------------------------------

    @database_sync_to_async
    def _game_exists(self) -> bool:
        return Game.objects.filter(public_id=self.game_id).exists()

    @database_sync_to_async
    def _state(self) -> dict[str, Any]:
        game = selectors.game_get(game_id=self.game_id)
        state = selectors.game_state(game)
        card = None
        is_creator = False
        if self.user is not None and self.user.is_authenticated:
            found = Card.objects.filter(game=game, user=self.user).first()
            card = selectors.card_out(found) if found else None
            if card is not None:
                card["bingo"] = found.bingo_at is not None
            is_creator = game.creator_id == self.user.pk
        return {"type": "state", **state, "card": card, "is_creator": is_creator}
