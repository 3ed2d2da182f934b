"""A Redis outage in one process: what is committed stays answered (config/broadcast.py,
config/relay.py). Against a real redis-server that each test starts, uses, then stops."""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from config import relay
from config.broadcast import broadcast
from tests import servers

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs redis-server (apt-get install it)"
)


class RedisProcess:
    """A redis-server the test can stop."""

    def __init__(self, workdir: Path) -> None:
        self.stack = contextlib.ExitStack()
        self.url = self.stack.enter_context(servers.redis_server(workdir))

    def stop(self) -> None:
        self.stack.close()


@pytest.fixture
def redis_process(tmp_path) -> Iterator[RedisProcess]:  # type: ignore[no-untyped-def]
    process = RedisProcess(tmp_path / "redis")
    yield process
    process.stop()


@pytest.fixture
def redis_layer(settings, redis_process):  # type: ignore[no-untyped-def]
    """The channel layer on `redis_process`, configured as config/settings.py does."""
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "config.channel_layer.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": redis_process.url,
                        "socket_connect_timeout": 2,
                        "retry_on_error": [RedisConnectionError],
                        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
                    }
                ],
                "prefix": "lobby-test",
            },
        }
    }
    return redis_process


def test_a_broadcast_while_redis_is_down_is_logged_and_does_not_raise(redis_layer, caplog):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("game.1", channel)
    broadcast("game.1", "bingo.draw", {"number": 7})  # Redis up: it is heard
    assert async_to_sync(layer.receive)(channel) == {
        "type": "bingo.draw",
        "payload": {"number": 7},
    }

    redis_layer.stop()
    with caplog.at_level(logging.WARNING, logger="config.broadcast"):
        assert broadcast("game.1", "bingo.draw", {"number": 8}) is None
    [record] = [r for r in caplog.records if r.name == "config.broadcast"]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(
        "broadcast bingo.draw to game.1 failed (channel layer unavailable): "
    )
    assert record.exc_info is None  # one line per failure during an outage, no traceback


def test_a_broadcast_that_fails_otherwise_is_logged_with_its_traceback(monkeypatch, caplog):
    class Broken:
        async def group_send(self, group: str, message: dict) -> None:
            raise ValueError("not serialisable")

    monkeypatch.setattr("config.broadcast.get_channel_layer", Broken)
    with caplog.at_level(logging.ERROR, logger="config.broadcast"):
        assert broadcast("game.1", "bingo.draw", {"number": 9}) is None
    [record] = [r for r in caplog.records if r.name == "config.broadcast"]
    assert record.getMessage() == "broadcast bingo.draw to game.1 failed"
    assert record.exc_info is not None and record.exc_info[0] is ValueError


def test_a_publication_from_sync_code_while_redis_is_down_is_logged_and_does_not_raise(
    settings, redis_process, caplog
):
    """What a watch-party service publishes after commit from a request (no socket of the
    room in this process, so no relay on the loop) goes straight to Redis."""
    settings.REDIS_URL = redis_process.url
    listener = redis.Redis.from_url(redis_process.url, socket_timeout=5).pubsub()
    listener.subscribe(relay.Relay.channel("wp.room"))
    assert listener.get_message(timeout=5)["type"] == "subscribe"
    relay.publish("wp.room", {"type": "wp.message", "text": "hi"})
    message = listener.get_message(timeout=5)
    assert message is not None and message["type"] == "message"
    listener.close()

    redis_process.stop()
    with caplog.at_level(logging.WARNING, logger="config.relay"):
        assert relay.publish("wp.room", {"type": "wp.message", "text": "lost"}) is None
    [record] = [r for r in caplog.records if r.name == "config.relay"]
    assert record.levelno == logging.WARNING
    assert record.getMessage().endswith("wp.room reached no other process")
