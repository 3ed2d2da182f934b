"""Channels' two layers, each with one fix for holding many sockets.

- Redis: a connection pool that waits for a free connection instead of failing. redis-py's
  default asyncio pool raises MaxConnectionsError past its limit, so a burst of handshakes
  (every client of a dead process reconnecting onto a survivor) would fail most
  group_add/group_discard calls. A blocking pool queues them for up to `pool_timeout` seconds.
- In memory: expired messages are swept at most once a second. Channels sweeps every channel
  and every group membership of the process on each receive and group send, so with 2,000
  sockets held each message delivered cost a walk over 2,000 channels.
"""

import time
from collections.abc import Callable
from typing import Any

from channels.layers import InMemoryChannelLayer as BaseInMemoryChannelLayer
from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from redis.asyncio import BlockingConnectionPool


class InMemoryChannelLayer(BaseInMemoryChannelLayer):
    """Expiry as Channels does it, swept at most every `sweep_interval` seconds: a message
    outlives its 60 s `expiry` by at most that before it is dropped and its channel leaves its
    groups."""

    sweep_interval = 1.0
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.swept_at = float("-inf")

    def _clean_expired(self) -> None:
        now = self.clock()
        if now - self.swept_at >= self.sweep_interval:
            self.swept_at = now
            super()._clean_expired()


class RedisChannelLayer(BaseRedisChannelLayer):
    def create_pool(self, index: int) -> BlockingConnectionPool:
        host: dict[str, Any] = dict(self.hosts[index])
        address = host.pop("address")
        host.setdefault("max_connections", 100)
        host.setdefault("timeout", 10)
        return BlockingConnectionPool.from_url(address, **host)
