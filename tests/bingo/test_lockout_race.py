"""The PIN lockout is atomic: of 40 wrong PINs sent at once, exactly 5 are compared.

The service is called from 40 threads released together by a barrier, each with its own
database connection, against each cache the lockout can live in: the database cache (the
embedded default), local memory, and a real redis-server (what REDIS_URL selects). The
local-memory cache is given a 1 ms round trip per call, as a networked cache has: without it the
threads rarely overlap inside the check, and the test could not tell a racy lockout from an
atomic one.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection

from bingo import services
from bingo.exceptions import IncorrectPinError, PinLockedError
from bingo.models import Game

pytestmark = pytest.mark.django_db(transaction=True)

PARALLEL = 40


class RoundTripLocMemCache(LocMemCache):
    """Local memory with a network cache's latency on every call."""

    def _round_trip(self) -> None:
        time.sleep(0.001)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        self._round_trip()
        return super().get(*args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        self._round_trip()
        return super().get_many(*args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> Any:
        self._round_trip()
        return super().add(*args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:
        self._round_trip()
        return super().set(*args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> Any:
        self._round_trip()
        return super().incr(*args, **kwargs)


@pytest.fixture(params=["database", "locmem", "redis"])
def lockout_cache(request, settings):  # type: ignore[no-untyped-def]
    if request.param == "locmem":
        settings.CACHES = {
            **settings.CACHES,
            "strict": {
                "BACKEND": "tests.bingo.test_lockout_race.RoundTripLocMemCache",
                "LOCATION": "lockout-race",
            },
        }
    elif request.param == "redis":
        settings.CACHES = {
            **settings.CACHES,
            "strict": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": request.getfixturevalue("redis_url"),
                "KEY_PREFIX": "lockout-race",
            },
        }
    yield request.param
    services._lockout_cache().clear()


def guess_in_parallel(game: Game, user, pin: str, *, who) -> Counter:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(PARALLEL)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def guess(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            services.card_join(
                game_id=game.public_id, user=user, pin=pin, who=who(n), ip="198.51.100.4"
            )
            outcome = "joined"
        except IncorrectPinError:
            outcome = "checked"
        except PinLockedError:
            outcome = "locked"
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(PARALLEL)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so in-process caches race as well
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        sys.setswitchinterval(interval)
    return outcomes


def wrong_pin(game: Game) -> str:
    return "0000" if game.pin != "0000" else "1111"


def test_40_parallel_wrong_pins_from_one_session_get_exactly_5_checked(lockout_cache, game, user):
    outcomes = guess_in_parallel(game, user, wrong_pin(game), who=lambda n: "api:attacker")
    assert outcomes == Counter(checked=5, locked=35)
    with pytest.raises(PinLockedError):  # and the lock holds for the right PIN too
        services.card_join(
            game_id=game.public_id, user=user, pin=game.pin, who="api:attacker", ip="192.0.2.1"
        )
    assert not game.cards.exists()


def test_40_parallel_wrong_pins_from_rotating_sessions_get_exactly_5_checked(
    lockout_cache, game, user
):
    outcomes = guess_in_parallel(game, user, wrong_pin(game), who=lambda n: f"api:{n}")
    assert outcomes == Counter(checked=5, locked=35)
    assert not game.cards.exists()
