"""Avalon bot: `POST /avalon/v0/session/act` latency at 10 players, all roles, Lady of the Lake.

Bot-vs-bot games are played through the real API on a Daphne (every seat a session); each act
call is timed at the client. Baseline: `GET /avalon/v0/info` on the same server (the HTTP and
framework cost without any thinking). A second row times the decision alone, in process.
Two more rows at 5 players (DeepRole's setting: no special roles, no Lady), search on (the
server's default, AVALON_SEARCH): the act through the API against `info`, and the decision in
process with search against the same decisions without it (the floor).
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
        ten = len(act_ms)
        for i in range(games * 3):
            deal = arena.make_deal(arena.seed_for("bench5", i), 5, (), False)
            arena.play(deal, "bot", "bot", remote=lambda: Timed(api))
        act5_ms, act_ms = act_ms[ten:], act_ms[:ten]
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

    # 5 players: the same decisions with and without search, in process.
    search_ms, plain_ms = [], []
    names5 = [f"P{i}" for i in range(5)]
    for i in range(games * 3):
        game = Game(rules.deal(5, (), rng), rng.randrange(5))
        setups = {s: parse_setup(session_body(game, s, names5)) for s in range(5)}
        own: dict[int, dict[int, bool]] = {s: {} for s in range(5)}
        while game.phase != "finished":
            seat = game.actors()[0]
            info = game_info(game, seat, names5)
            started = time.perf_counter()
            act(setups[seat], info, i, own[seat], search=False)
            plain_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            _view, decision = act(setups[seat], info, i, own[seat], search=True)
            search_ms.append((time.perf_counter() - started) * 1000)
            sel = decision.selected or []
            if game.phase == "pick":
                game.propose(seat, sel)
            elif game.phase == "vote":
                game.vote(seat, decision.button == "yes")
            elif game.phase == "mission":
                own[seat][game.mission] = decision.button == "yes"
                game.play(seat, decision.button == "yes")
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
        Row(
            name="avalon act p95 with search (5 players, no roles, no Lady)",
            value=percentile(act5_ms, 95),
            unit="ms",
            baseline=percentile(info_ms, 95),
            baseline_name="GET /avalon/v0/info p95",
            goal="≤ 2000 ms (ProAvalon's time; DeepRole's setting)",
            notes=f"{len(act5_ms)} acts over {games * 3} games; "
            f"p50 {percentile(act5_ms, 50):.1f} ms, max {max(act5_ms):.1f} ms",
            extra={"act_ms": act5_ms[:2000]},
        ),
        Row(
            name="avalon decision p95 with search in process (5 players)",
            value=percentile(search_ms, 95),
            unit="ms",
            baseline=percentile(plain_ms, 95),
            baseline_name="the same decisions without search",
            goal="≤ 2000 ms; ≤ 200 ms where no search runs",
            notes=f"{len(search_ms)} decisions; max {max(search_ms):.1f} ms "
            f"(without search: max {max(plain_ms):.1f} ms)",
        ),
    ]
