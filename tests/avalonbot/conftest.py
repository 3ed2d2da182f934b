import random

import pytest

from avalonbot.engine import rules
from avalonbot.engine.game import Game


def names_for(n: int) -> list[str]:
    return [f"P{i}" for i in range(n)]


@pytest.fixture
def make_game():
    def make(n: int = 5, specials=(), lady: bool = False, seed: int = 0, leader: int = 0) -> Game:
        roles = rules.deal(n, specials, random.Random(seed))
        return Game(roles, first_leader=leader, lady_enabled=lady)

    return make


@pytest.fixture
def api_key(settings) -> str:
    settings.AVALON_API_KEY = ["test-key-1", "test-key-2"]
    return "test-key-1"
