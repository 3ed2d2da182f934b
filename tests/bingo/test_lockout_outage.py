"""While the lockout cache is down, no PIN is checked: the lockout fails closed."""

import pytest
from django.core.cache import caches
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.bingo.conftest import join

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_down(monkeypatch):  # type: ignore[no-untyped-def]
    def down(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    strict = caches["strict"]
    for method in ("get", "get_many", "add", "incr", "set", "set_many", "delete", "delete_many"):
        monkeypatch.setattr(strict, method, down)


def test_wrong_and_right_pins_are_refused_with_503_while_the_cache_is_down(
    player_factory, game, cache_down
):
    wrong = "0000" if game.pin != "0000" else "1111"
    for pin in (wrong, game.pin):
        r = join(player_factory(), game, pin=pin)
        assert r.status_code == 503
        assert r.json() == {
            "detail": "PIN checks are unavailable right now. Try again in a minute."
        }
        assert r["Retry-After"] == "30"
    assert not game.cards.exists()
