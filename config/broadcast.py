"""Fan-out through the channel layer: the same call reaches every process when Redis is used.

A broadcast tells sockets about a change that is already committed. If it fails (Redis down,
the layer's pool exhausted, a timeout) the change still stands and the request that made it
has succeeded: the failure is logged and swallowed, never turned into the reply. Sockets that
missed the event catch up from the stored state when they reconnect or ask for it.
"""

import asyncio
import logging
import re
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

_GROUP_UNSAFE = re.compile(r"[^A-Za-z0-9.\-]")

# Longest a broadcast may hold up the request that committed the change. Redis refusing
# connections fails within the layer's retries (well under a second); this bounds a Redis that
# accepts connections but does not answer, and a pool whose callers queue (up to 10 s).
BROADCAST_TIMEOUT = 5.0

# What an unreachable or unanswering Redis raises: logged in one line, no traceback.
_OUTAGE = (RedisError, OSError, TimeoutError)


def group_name(*parts: str) -> str:
    """A valid group name (ASCII letters, digits, '-', '.'; under 100 chars) from `parts`."""
    name = ".".join(_GROUP_UNSAFE.sub("-", str(part)) for part in parts)
    return name[:99]


def broadcast(group: str, event_type: str, payload: Any = None, **fields: Any) -> None:
    """Send `{"type": event_type, "payload": payload, **fields}` to `group` (sync code).

    Call it from `transaction.on_commit` so nobody hears of a change that was rolled back.
    The consumer method named after `event_type` (dots become underscores) receives it.
    Never raises: a failure is logged (see the module docstring).
    """
    async_to_sync(abroadcast)(group, event_type, payload, **fields)


async def abroadcast(group: str, event_type: str, payload: Any = None, **fields: Any) -> None:
    """`broadcast` for async code (consumers). Never raises either."""
    layer = get_channel_layer()
    if layer is None:  # pragma: no cover - CHANNEL_LAYERS is always configured
        return
    message = {"type": event_type, "payload": payload, **fields}
    try:
        await asyncio.wait_for(layer.group_send(group, message), BROADCAST_TIMEOUT)
    except _OUTAGE as exc:
        logger.warning(
            "broadcast %s to %s failed (channel layer unavailable): %r", event_type, group, exc
        )
    except Exception:
        logger.exception("broadcast %s to %s failed", event_type, group)
