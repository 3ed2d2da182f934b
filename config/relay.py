"""Room fan-out: straight to this process's sockets, once to each other process through the layer.

A Channels group holds one channel per socket, so an event for a room of ten is ten layer sends,
ten consumer wake-ups and ten encodings of the same JSON. The relay knows which of a room's
sockets live in this process and runs their handler for the event at once; every other process
with members in the room gets the event once, on its own process channel, and does the same.
With the in-memory layer there is no other process, so nothing leaves this one.

Members are consumers; an event `{"type": "a.b", ...}` runs `member.a_b(event)`, as a Channels
event would. Handlers must not wait for long: they run one after another for the whole room.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from config.broadcast import group_name

logger = logging.getLogger(__name__)

# channels-redis forgets a group member after a day (group_expiry) and Redis forgets everything
# when it restarts without persistence: re-add this process to its rooms this often.
REFRESH_SECONDS = 60.0

_relays: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Relay] = weakref.WeakKeyDictionary()


class Relay:
    """The rooms of one event loop (one per Daphne process)."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.shared = layer is not None and not isinstance(layer, InMemoryChannelLayer)
        self.rooms: dict[str, dict[Any, None]] = {}  # room -> members, in joining order
        self.channel: str | None = None  # this process's channel, once a room needs it
        self.tasks: list[asyncio.Task] = []
        self.lock = asyncio.Lock()  # membership changes reach the layer in order

    @classmethod
    def current(cls) -> Relay:
        loop = asyncio.get_running_loop()
        relay = _relays.get(loop)
        if relay is None:
            relay = _relays[loop] = cls(get_channel_layer())
        return relay

    # -- membership ---------------------------------------------------------------------------

    async def join(self, room: str, member: Any) -> None:
        self.rooms.setdefault(room, {})[member] = None
        if self.shared:
            async with self.lock:
                await self._start()
                # every join re-adds, which also renews the group's expiry
                await self.layer.group_add(group_name("relay", room), self.channel)

    async def leave(self, room: str, member: Any) -> None:
        members = self.rooms.get(room)
        if members is None or member not in members:
            return
        del members[member]
        if not members:
            del self.rooms[room]
            if self.shared and self.channel is not None:
                async with self.lock:
                    if room not in self.rooms:  # nobody joined again meanwhile
                        await self.layer.group_discard(group_name("relay", room), self.channel)

    def members(self, room: str) -> list[Any]:
        return list(self.rooms.get(room, ()))

    # -- events -------------------------------------------------------------------------------

    async def publish(self, room: str, event: dict) -> None:
        """Run the event's handler on this process's members now, then tell the other processes."""
        await self.deliver(room, event)
        if self.shared:
            message = {**event, "relay_room": room, "relay_origin": self.channel or ""}
            await self.layer.group_send(group_name("relay", room), message)

    async def deliver(self, room: str, event: dict) -> None:
        handler_name = event["type"].replace(".", "_")
        for member in self.members(room):
            try:
                await getattr(member, handler_name)(event)
            except Exception:  # one broken socket must not cost the others the event
                logger.exception("relay: %s failed for a member of %s", handler_name, room)

    # -- the process channel ------------------------------------------------------------------

    async def _start(self) -> None:
        if self.channel is None:
            self.channel = await self.layer.new_channel("relay")
            self.tasks = [
                asyncio.ensure_future(self._read()),
                asyncio.ensure_future(self._refresh()),
            ]

    async def _read(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("relay: channel layer receive failed; retrying", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            if message.pop("relay_origin", None) == self.channel:
                continue  # delivered here already, before it was sent
            room = message.pop("relay_room", None)
            if isinstance(room, str):
                await self.deliver(room, message)

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            for room in list(self.rooms):
                try:
                    async with self.lock:
                        if room in self.rooms:
                            await self.layer.group_add(group_name("relay", room), self.channel)
                except Exception:
                    logger.warning("relay: could not renew %s; will retry", room, exc_info=True)


async def apublish(room: str, event: dict) -> None:
    await Relay.current().publish(room, event)


def publish(room: str, event: dict) -> None:
    """`apublish` for sync code, e.g. from `transaction.on_commit` in a service.

    Inside Daphne the call runs on the server's event loop, where this process's sockets are;
    elsewhere (a management command) there are none, and only the other processes hear of it.
    """
    async_to_sync(apublish)(room, event)
