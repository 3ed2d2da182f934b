"""Avalon bot: `POST /avalon/v0/session/act` latency at 10 players, all roles, Lady of the Lake.

Bot-vs-bot games are played through the real API on a Daphne (every seat a session); each act
call is timed at the client. Baseline: `GET /avalon/v0/info` on the same server (the HTTP and
framework cost without any thinking). A second row times the decision alone, in process.
"""

from __future__ import annotations

import random
import time

from bench.common import Context, Row, lobby_env, manage, percentile
from tests.servers import Daphne

KEY = "bench-avalon-key"


def run(ctx: Context) -> list[Row]:
    from avalonbot import arena
    from avalonbot.bot.policy import act
    from avalonbot.bot.view import parse_setup
    from avalonbot.client import BotApi, HttpSeats
    from avalonbot.engine import rules
    from avalonbot.engine.game import Game
    from avalonbot.engine.proavalon import game_info, session_body

    env = lobby_env(ctx.workdir, AVALON_API_KEY=KEY)
    manage(env, "lobby_setup")
    daphne = Daphne(env).start()
    games = 1 if ctx.quick else 4
    act_ms: list[float] = []
    info_ms: list[float] = []
    try:
        api = BotApi(f"{daphne.url}/avalon", KEY)

        class Timed(HttpSeats):
            def act(self, seat: int, info: dict) -> dict:
                started = time.perf_counter()
                answer = super().act(seat, info)
                act_ms.append((time.perf_counter() - started) * 1000)
                return answer

        for i in range(games):
            deal = arena.make_deal(arena.seed_for("bench", i), 10, rules.SPECIAL_ROLES, True)
            arena.play(deal, "bot", "bot", remote=lambda: Timed(api))
        for _ in range(max(50, len(act_ms))):
            started = time.perf_counter()
            api.info()
            info_ms.append((time.perf_counter() - started) * 1000)
    finally:
        daphne.stop()

    # The decision alone, in process, at every phase of whole 10-player games.
    think_ms: list[float] = []
    rng = random.Random(7)
    names = [f"P{i}" for i in range(10)]
    for i in range(games):
        game = Game(rules.deal(10, rules.SPECIAL_ROLES, rng), rng.randrange(10), lady_enabled=True)
        setups = {s: parse_setup(session_body(game, s, names)) for s in range(10)}
        while game.phase != "finished":
            seat = game.actors()[0]
            info = game_info(game, seat, names)
            started = time.perf_counter()
            _view, decision = act(setups[seat], info, i)
            think_ms.append((time.perf_counter() - started) * 1000)
            sel = decision.selected or []
            if game.phase == "pick":
                game.propose(seat, sel)
            elif game.phase == "vote":
                game.vote(seat, decision.button == "yes")
            elif game.phase == "mission":
                game.play(seat, decision.button == "yes")
            elif game.phase == "lady":
                game.use_lady(seat, sel[0])
            else:
                game.assassinate(seat, sel[0])

    p95 = percentile(act_ms, 95)
    return [
        Row(
            name="avalon act p95 (10 players, all roles, Lady)",
            value=p95,
            unit="ms",
            baseline=percentile(info_ms, 95),
            baseline_name="GET /avalon/v0/info p95",
            goal="≤ 200 ms (ProAvalon allows 20 s)",
            notes=f"{len(act_ms)} acts over {games} games; p50 {percentile(act_ms, 50):.1f} ms, "
            f"max {max(act_ms):.1f} ms",
            extra={"act_ms": act_ms[:2000]},
        ),
        Row(
            name="avalon decision p95 in process (10 players)",
            value=percentile(think_ms, 95),
            unit="ms",
            baseline=percentile(act_ms, 95),
            baseline_name="the same through HTTP",
            goal="most of the act time is thinking, not plumbing",
            notes=f"{len(think_ms)} decisions; p50 {percentile(think_ms, 50):.1f} ms",
        ),
    ]
