"""A Redis cache that degrades instead of failing, for limits that may fail open.

`caches["default"]` (rate limits, counters) logs a warning and answers "nothing stored" while
Redis is down, so django-ratelimit fails open (RATELIMIT_FAIL_OPEN). Limits that must fail
closed (PIN and password attempts) use `caches["strict"]`, which raises, and treat an error as
"locked".
"""

import logging
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


class ResilientRedisCache(RedisCache):
    def _degraded(self, op: str, exc: Exception) -> None:
        logger.warning("cache unavailable (%s): %s; failing open", op, exc)

    def add(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except _DOWN as exc:
            self._degraded("add", exc)
            return False

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        try:
            return super().get(key, default, version)
        except _DOWN as exc:
            self._degraded("get", exc)
            return default

    def set(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except _DOWN as exc:
            self._degraded("set", exc)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        try:
            return super().incr(key, delta, version)
        except _DOWN as exc:
            self._degraded("incr", exc)
            raise ValueError("cache unavailable") from exc

    def delete(self, key: Any, version: Any = None) -> bool:
        try:
            return super().delete(key, version)
        except _DOWN as exc:
            self._degraded("delete", exc)
            return False
