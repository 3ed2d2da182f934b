"""channels-redis with a connection pool that waits for a free connection instead of failing.

redis-py's default asyncio pool raises MaxConnectionsError past its limit, so a burst of
handshakes (every client of a dead process reconnecting onto a survivor) would fail most
group_add/group_discard calls. A blocking pool queues them for up to `pool_timeout` seconds.
"""

from typing import Any

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from redis.asyncio import BlockingConnectionPool


class RedisChannelLayer(BaseRedisChannelLayer):
    def create_pool(self, index: int) -> BlockingConnectionPool:
        host: dict[str, Any] = dict(self.hosts[index])
        address = host.pop("address")
        host.setdefault("max_connections", 100)
        host.setdefault("timeout", 10)
        return BlockingConnectionPool.from_url(address, **host)
