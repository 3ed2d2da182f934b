"""Room fan-out: straight to this process's sockets, once to each other process over Redis.

A Channels group holds one channel per socket, so an event for a room of ten is ten layer sends,
ten consumer wake-ups and ten encodings of the same JSON. The relay knows which of a room's
sockets live in this process and runs their handler for the event at once. When processes share
Redis (REDIS_URL), the event is also published once on the room's pub/sub channel, to which every
process with members in the room is subscribed: one PUBLISH, pushed to the subscribers as it
arrives, where a channel-layer group send takes three round trips and a poll. Without Redis
there is no other process, so nothing leaves this one.

Members are consumers; an event `{"type": "a.b", ...}` runs `member.a_b(event)`, as a Channels
event would. Handlers must not wait for long: they run one after another for the whole room.
Delivery is at most once, as with channel-layer groups: a process that loses Redis for a moment
misses what was published meanwhile (its clients get the room's state when they reconnect).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
import weakref
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings
from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

CONFIRM_TIMEOUT = 2.0  # seconds `join` waits for Redis to confirm a subscription
PUBLISH_TIMEOUT = 2.0  # seconds a publication may wait for Redis before it is given up

# What an unreachable or unanswering Redis raises. A publication that fails is logged, never
# raised: it reports a change that is already committed, and the request that made it stands.
_OUTAGE = (RedisError, OSError, TimeoutError)

_relays: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Relay] = weakref.WeakKeyDictionary()


class Relay:
    """The rooms of one event loop (one per Daphne process)."""

    def __init__(self, redis_url: str = "") -> None:
        self.rooms: dict[str, dict[Any, None]] = {}  # room -> members, in joining order
        self.redis = Redis.from_url(redis_url, socket_connect_timeout=2) if redis_url else None
        self.origin = secrets.token_hex(8)  # tells this process's own publications apart
        self.pubsub: Any = None
        self.subscribed: set[str] = set()
        self.reader: asyncio.Task | None = None
        self.behind = False  # some room in `subscribed` may lack its subscription
        self.lock = asyncio.Lock()  # subscriptions change in order
        self.confirming: dict[str, asyncio.Future] = {}  # channel -> Redis has confirmed it
        self.wake = asyncio.Event()  # for the reader: a subscription was made or has failed

    @classmethod
    def current(cls) -> Relay:
        loop = asyncio.get_running_loop()
        relay = _relays.get(loop)
        if relay is None:
            relay = _relays[loop] = cls(settings.REDIS_URL)
        return relay

    @staticmethod
    def channel(room: str) -> str:
        return f"lobby:relay:{room}"

    # -- membership ---------------------------------------------------------------------------

    async def join(self, room: str, member: Any) -> None:
        self.rooms.setdefault(room, {})[member] = None
        if self.redis is not None and room not in self.subscribed:
            async with self.lock:
                if room in self.rooms and room not in self.subscribed:
                    self.subscribed.add(room)
                    await self._subscribe(room)

    async def _subscribe(self, room: str) -> None:
        """Subscribe, and return once Redis has confirmed it: a socket that reads the room's
        state after joining then misses nothing another process publishes after that read.

        If Redis does not answer, the reader subscribes once it is back. Meanwhile the room works
        within this process: a Redis outage costs only the other processes' members, never a
        socket.
        """
        if self.pubsub is None:
            self.pubsub = self.redis.pubsub()
        if self.reader is None:
            self.reader = asyncio.ensure_future(self._read())
        channel = self.channel(room)
        confirmed = self.confirming[channel] = asyncio.get_running_loop().create_future()
        try:
            await self.pubsub.subscribe(channel)
            self.wake.set()
            await asyncio.wait_for(confirmed, CONFIRM_TIMEOUT)
        except (RedisError, OSError):
            logger.warning("relay: Redis unavailable; %s is local until it is back", room)
            self.behind = True
            self.wake.set()
        except TimeoutError:
            logger.warning("relay: Redis has not confirmed %s within %ss", room, CONFIRM_TIMEOUT)
        finally:
            self.confirming.pop(channel, None)

    async def leave(self, room: str, member: Any) -> None:
        members = self.rooms.get(room)
        if members is None or member not in members:
            return
        del members[member]
        if members:
            return
        del self.rooms[room]
        if room in self.subscribed:
            async with self.lock:
                if room not in self.rooms and room in self.subscribed:  # nobody came back
                    self.subscribed.discard(room)
                    try:
                        await self.pubsub.unsubscribe(self.channel(room))
                    except RedisError:  # gone with the connection; not renewed on reconnect
                        logger.info("relay: unsubscribe from %s failed", room, exc_info=True)

    def members(self, room: str) -> list[Any]:
        return list(self.rooms.get(room, ()))

    # -- events -------------------------------------------------------------------------------

    async def publish(self, room: str, event: dict) -> None:
        """Run the event's handler on this process's members now, then tell the other processes."""
        await self.deliver(room, event)
        if self.redis is None:
            return
        message = json.dumps({"room": room, "origin": self.origin, "event": event})
        try:
            await asyncio.wait_for(self.redis.publish(self.channel(room), message), PUBLISH_TIMEOUT)
        except _OUTAGE as exc:
            logger.warning("relay: Redis unavailable (%r); %s reached this process only", exc, room)

    async def deliver(self, room: str, event: dict) -> None:
        handler_name = event["type"].replace(".", "_")
        for member in self.members(room):
            try:
                await getattr(member, handler_name)(event)
            except Exception:  # one broken socket must not cost the others the event
                logger.exception("relay: %s failed for a member of %s", handler_name, room)

    async def _read(self) -> None:
        while True:
            try:
                if self.behind:  # a subscription failed: make up for it now
                    have = self.pubsub.channels
                    missing = [r for r in self.subscribed if self._channel_key(r) not in have]
                    if missing:
                        await self.pubsub.subscribe(*(self.channel(room) for room in missing))
                    self.behind = False
                if self.pubsub.connection is None:  # nothing subscribed yet
                    self.wake.clear()
                    await self.wake.wait()
                    continue
                message = await self.pubsub.get_message(timeout=None)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError):
                # redis-py reconnects and renews what it had on the next read; the rest, above
                logger.warning("relay: Redis subscription lost; reconnecting", exc_info=True)
                self.behind = True
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            if message["type"] == "subscribe":
                confirmed = self.confirming.get(message["channel"].decode())
                if confirmed is not None and not confirmed.done():
                    confirmed.set_result(None)
                continue
            if message["type"] != "message":
                continue
            try:
                data = json.loads(message["data"])
            except (TypeError, ValueError):
                continue
            if data.get("origin") != self.origin and data.get("room") in self.rooms:
                await self.deliver(data["room"], data["event"])

    async def close(self) -> None:
        """Stop listening and let the Redis connections go (a process that exits needs none)."""
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        if self.pubsub is not None:
            await self.pubsub.aclose()
        if self.redis is not None:
            await self.redis.aclose()

    def _channel_key(self, room: str) -> bytes:
        """How redis-py keys its subscriptions (`PubSub.channels`)."""
        return self.channel(room).encode()


_outbox = threading.local()


def publish(room: str, event: dict) -> None:
    """`apublish` for sync code, e.g. from `transaction.on_commit` in a service.

    Under `call` the event waits for the call to return and goes out from the event loop.
    Otherwise, inside Daphne the call runs on the server's event loop, where this process's
    sockets are; elsewhere (a management command) there are none, and only the other processes
    hear of it.
    """
    events = getattr(_outbox, "events", None)
    if events is not None:
        events.append((room, event))
    else:
        async_to_sync(apublish)(room, event)


async def call(fn: Callable[..., Any], /, **kwargs: Any) -> Any:
    """`database_sync_to_async(fn)(**kwargs)`, then publish what `fn` published, from here.

    The thread does not wait for the event loop at each publication (a round trip that costs
    more than a chat's insert); the events leave in order once `fn` has returned, committed.
    """

    def run() -> tuple[Any, list, BaseException | None]:
        _outbox.events = events = []
        try:
            return fn(**kwargs), events, None
        except Exception as exc:  # what it committed before failing is still published
            return None, events, exc
        finally:
            _outbox.events = None

    result, events, error = await database_sync_to_async(run)()
    for room, event in events:
        await apublish(room, event)
    if error is not None:
        raise error
    return result


async def apublish(room: str, event: dict) -> None:
    """Publish to `room` (see `Relay.publish`). Never raises for Redis: a failure is logged."""
    relay = _relays.get(asyncio.get_running_loop())
    if relay is not None:
        await relay.publish(room, event)
    elif settings.REDIS_URL:  # no sockets on this loop: only other processes can have members
        message = json.dumps({"room": room, "origin": "", "event": event})
        try:
            async with Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=PUBLISH_TIMEOUT
            ) as redis:
                await redis.publish(Relay.channel(room), message)
        except _OUTAGE as exc:
            logger.warning("relay: Redis unavailable (%r); %s reached no other process", exc, room)
