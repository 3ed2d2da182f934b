"""The room relay (config/relay.py): this process's members at once, other processes over Redis.

Two `Relay` objects on one event loop stand for two processes: each has its own Redis
connection and subscriptions, exactly as two Daphnes would.
"""

from __future__ import annotations

import asyncio
import shutil

import pytest

from config.relay import Relay
from tests import servers


class Member:
    def __init__(self, name: str) -> None:
        self.name = name
        self.got: list[dict] = []
        self.arrived = asyncio.Event()

    async def room_note(self, event: dict) -> None:
        self.got.append(event)
        self.arrived.set()

    async def wait(self, timeout: float = 3.0) -> dict:
        await asyncio.wait_for(self.arrived.wait(), timeout)
        self.arrived.clear()
        return self.got[-1]


class Broken(Member):
    async def room_note(self, event: dict) -> None:
        raise RuntimeError("socket gone")


def note(text: str) -> dict:
    return {"type": "room.note", "text": text}


async def test_local_members_get_the_event_in_order_and_a_broken_one_costs_nobody() -> None:
    relay = Relay()  # no Redis: one process
    first, broken, last = Member("first"), Broken("broken"), Member("last")
    for member in (first, broken, last):
        await relay.join("room.a", member)
    await relay.join("room.b", Member("elsewhere"))
    await relay.publish("room.a", note("one"))
    await relay.publish("room.a", note("two"))
    assert [e["text"] for e in first.got] == ["one", "two"]
    assert [e["text"] for e in last.got] == ["one", "two"]
    await relay.leave("room.a", first)
    await relay.publish("room.a", note("three"))
    assert [e["text"] for e in first.got] == ["one", "two"]
    assert relay.members("room.b")[0].got == []


pytestmark_redis = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs redis-server (apt-get install it)"
)


@pytestmark_redis
async def test_two_processes_hear_each_other_once_and_stop_after_the_last_member_leaves(
    redis_url,
) -> None:  # type: ignore[no-untyped-def]
    a, b = Relay(redis_url), Relay(redis_url)
    on_a, on_b = Member("a"), Member("b")
    await a.join("room", on_a)
    await b.join("room", on_b)
    await a.publish("room", note("from a"))
    assert on_a.got == [note("from a")]  # delivered here at once, not again from Redis
    assert (await on_b.wait())["text"] == "from a"
    await b.publish("room", note("from b"))
    assert (await on_a.wait())["text"] == "from b"
    await asyncio.sleep(0.2)
    assert [e["text"] for e in on_a.got] == ["from a", "from b"]
    assert [e["text"] for e in on_b.got] == ["from a", "from b"]

    await b.leave("room", on_b)
    await asyncio.sleep(0.1)
    assert b.pubsub.channels == {}
    await a.publish("room", note("nobody on b"))
    await asyncio.sleep(0.2)
    assert len(on_b.got) == 2
    for relay in (a, b):
        await relay.close()


@pytestmark_redis
async def test_once_join_returns_the_member_hears_every_other_process(redis_url) -> None:  # type: ignore[no-untyped-def]
    """`join` returns when Redis has confirmed the subscription, so a socket that reads the room's
    state after joining misses nothing another process publishes after that read."""
    a, b = Relay(redis_url), Relay(redis_url)
    await b.join("b's own room", Member("b"))  # b's connections are up
    try:
        for i in range(100):
            member = Member(f"m{i}")
            await a.join(f"room.{i}", member)
            await b.publish(f"room.{i}", note(str(i)))
            assert (await member.wait())["text"] == str(i)
    finally:
        for relay in (a, b):
            await relay.close()


@pytestmark_redis
async def test_a_room_joined_while_redis_is_down_is_local_then_shared_once_it_is_back(
    tmp_path,
) -> None:  # type: ignore[no-untyped-def]
    port = servers.free_port()
    url = f"redis://127.0.0.1:{port}/0"
    a, b = Relay(url), Relay(url)
    here, also_here, there = Member("here"), Member("also here"), Member("there")
    await a.join("room", here)  # Redis is not running: no error, the room works locally
    await a.join("room", also_here)
    await a.publish("room", note("local"))
    assert here.got == also_here.got == [note("local")]
    here.arrived.clear()
    with servers.redis_server(tmp_path / "redis", port=port):
        await b.join("room", there)
        deadline = asyncio.get_running_loop().time() + 10
        while True:  # a's reader subscribes once Redis answers
            await b.publish("room", note("shared"))
            try:
                assert (await here.wait(timeout=0.5))["text"] == "shared"
                break
            except TimeoutError:
                assert asyncio.get_running_loop().time() < deadline, "a never subscribed"
        for relay in (a, b):
            await relay.close()
