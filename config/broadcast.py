"""Fan-out through the channel layer: the same call reaches every process when Redis is used."""

import logging
import re
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

_GROUP_UNSAFE = re.compile(r"[^A-Za-z0-9.\-]")


def group_name(*parts: str) -> str:
    """A valid group name (ASCII letters, digits, '-', '.'; under 100 chars) from `parts`."""
    name = ".".join(_GROUP_UNSAFE.sub("-", str(part)) for part in parts)
    return name[:99]


def broadcast(group: str, event_type: str, payload: Any = None, **fields: Any) -> None:
    """Send `{"type": event_type, "payload": payload, **fields}` to `group` (sync code).

    Call it from `transaction.on_commit` so nobody hears of a change that was rolled back.
    The consumer method named after `event_type` (dots become underscores) receives it.
    """
    layer = get_channel_layer()
    if layer is None:  # pragma: no cover - CHANNEL_LAYERS is always configured
        return
    message = {"type": event_type, "payload": payload, **fields}
    async_to_sync(layer.group_send)(group, message)


async def abroadcast(group: str, event_type: str, payload: Any = None, **fields: Any) -> None:
    """`broadcast` for async code (consumers)."""
    layer = get_channel_layer()
    await layer.group_send(group, {"type": event_type, "payload": payload, **fields})
