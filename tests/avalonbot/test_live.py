"""Against a real Daphne: `avalon_arena --http`, and a restart in the middle of a game."""

import json

import pytest
from django.core.management import call_command

from avalonbot import arena
from avalonbot.client import BotApi, HttpSeats
from avalonbot.models import BotSession, Decision
from tests import servers
from tests.conftest import server_env

KEY = "live-test-key"


@pytest.fixture
def daphne(transactional_db):
    def start(port=None):
        port = port or servers.free_port()
        return servers.Daphne(
            server_env(PORT=str(port), AVALON_API_KEY=KEY, DJANGO_ALLOWED_HOSTS="127.0.0.1"),
            port=port,
        ).start()

    started = []

    def make(port=None):
        started.append(start(port))
        return started[-1]

    yield make
    for server in started:
        server.stop()


def test_arena_http_drives_the_real_api(daphne, capsys):
    server = daphne()
    assert BotApi(f"{server.url}/avalon", KEY).info()["chat"] is False
    call_command(
        "avalon_arena",
        "--games",
        "1",
        "--seed",
        "3",
        "--players",
        "6",
        "--opponents",
        "random",
        "--http",
        "--url",
        f"{server.url}/avalon",
        "--key",
        KEY,
        "--json",
        "--quiet",
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["agents"]["bot"]["good"]["games"] == 1
    # bot seats of the two games with the bot: every one got a session, ended by /gameover
    assert BotSession.objects.count() > 0
    assert not BotSession.objects.filter(status="active").exists()
    assert Decision.objects.count() > 0


def test_a_restart_mid_game_loses_nothing(daphne):
    server = daphne()
    port = server.port
    state = {"server": server, "acts": 0}
    deal = arena.make_deal(21, 7, arena.DEFAULT_ROLES, True)

    class Restarting(HttpSeats):
        def act(self, seat, info):
            state["acts"] += 1
            if state["acts"] == 15:  # kill the process mid-game and start a new one
                state["server"].kill()
                state["server"] = daphne(port)
                self.api = BotApi(f"{state['server'].url}/avalon", KEY)
            return super().act(seat, info)

    record = arena.play(
        deal, "bot", "bot", remote=lambda: Restarting(BotApi(f"{server.url}/avalon", KEY))
    )
    assert state["acts"] > 15 and record.winner in ("good", "evil")
    assert Decision.objects.count() == record.decisions
    assert BotSession.objects.filter(status="ended").count() == 7
