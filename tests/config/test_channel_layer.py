"""The in-memory layer sweeps expired messages at most once a second (config/channel_layer.py)."""

from __future__ import annotations

import channels.layers

from config.channel_layer import InMemoryChannelLayer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_expiry_still_happens_but_at_most_once_per_interval(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    wall = Clock()  # Channels stamps messages with time.time()
    monkeypatch.setattr(channels.layers.time, "time", wall)
    layer = InMemoryChannelLayer(expiry=60)
    layer.clock = Clock()
    sweeps = 0
    real = channels.layers.InMemoryChannelLayer._clean_expired

    def counted(self) -> None:  # type: ignore[no-untyped-def]
        nonlocal sweeps
        sweeps += 1
        real(self)

    monkeypatch.setattr(channels.layers.InMemoryChannelLayer, "_clean_expired", counted)

    await layer.group_add("room", "dead.inmemory!a")
    await layer.group_add("room", "live.inmemory!b")
    await layer.send("dead.inmemory!a", {"type": "never.read"})
    for _ in range(100):  # a busy second: one sweep, not a hundred
        await layer.group_send("room", {"type": "note"})
        await layer.receive("live.inmemory!b")
    assert sweeps == 1

    wall.now += 61  # the unread message has expired...
    await layer.group_send("room", {"type": "note"})
    assert "dead.inmemory!a" in layer.groups["room"]  # ...but the next sweep is not due yet
    layer.clock.now += 1.0
    await layer.receive("live.inmemory!b")
    assert sweeps == 2
    assert "dead.inmemory!a" not in layer.groups["room"]  # dropped, as Channels does
    assert "live.inmemory!b" in layer.groups["room"]
