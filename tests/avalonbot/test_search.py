"""The bot's look-ahead: bounded by its time budget on any clock, deterministic, fast."""

import random
import time

from avalonbot.bot import policy
from avalonbot.bot.agents import check_legal
from avalonbot.bot.belief import belief
from avalonbot.bot.policy import BeliefAgent, act
from avalonbot.bot.search import Deadline, SearchConfig, search_pick
from avalonbot.bot.view import parse_setup, parse_view
from avalonbot.engine import rules
from avalonbot.engine.game import Game
from avalonbot.engine.proavalon import game_info, session_body


class SlowClock:
    """A clock that moves `tick` seconds every time it is read: the world looks slow."""

    def __init__(self, tick: float) -> None:
        self.now, self.tick, self.reads = 1000.0, tick, 0

    def __call__(self) -> float:
        self.reads += 1
        self.now += self.tick
        return self.now


def _view(game, seat):
    names = [f"P{i}" for i in range(game.n)]
    return parse_view(parse_setup(session_body(game, seat, names)), game_info(game, seat, names))


def _servant_leads():
    # merlin, servant, servant, assassin, minion; seat 1 (a servant) leads the first mission
    game = Game(rules.role_list(5, []), first_leader=1)
    return game, _view(game, 1)


def test_search_stops_at_the_deadline_under_a_slow_clock():
    _game, view = _servant_leads()
    clock = SlowClock(tick=0.3)
    config = SearchConfig(iterations=100_000, budget_s=1.5, clock=clock)
    started = clock.now
    decision = BeliefAgent(search=True, config=config).decide(view, random.Random(3))
    check_legal(view, decision)
    elapsed = clock.now - (started + clock.tick)  # from the read that started the deadline
    # One read per iteration: it stops on the first read past the budget, so the decision's
    # time on this clock is the budget plus at most one tick (one iteration's worth).
    assert elapsed <= config.budget_s + clock.tick + 1e-9
    assert clock.reads <= config.budget_s / clock.tick + 2
    assert "(deadline)" in decision.note


def test_a_deadline_already_past_keeps_the_policys_own_answer():
    _game, view = _servant_leads()
    clock = SlowClock(tick=10.0)  # the first read after the start is past any budget
    config = SearchConfig(iterations=100_000, budget_s=2.0, clock=clock)
    searched = BeliefAgent(search=True, config=config).decide(view, random.Random(5))
    plain = BeliefAgent(search=False).decide(view, random.Random(5))
    assert searched.selected == plain.selected
    assert "search 0 it (deadline)" in searched.note


def test_search_compares_candidates_on_the_same_draws_and_is_deterministic():
    _game, view = _servant_leads()
    b = belief(view)
    teams = [(1, 2), (0, 1), (1, 3)]
    runs = [
        search_pick(
            view,
            b,
            teams,
            (1, 2),
            random.Random(11),
            SearchConfig(iterations=40),
            Deadline(60.0),
        )
        for _ in range(2)
    ]
    assert runs[0].values == runs[1].values and runs[0].iterations == 40
    assert set(runs[0].values) == set(teams)
    assert all(0.0 <= v <= 1.0 for v in runs[0].values.values())


def test_same_seed_same_state_same_decision_with_search():
    game = Game(rules.deal(5, [], random.Random(8)), first_leader=2)
    names = [f"P{i}" for i in range(5)]
    setup = parse_setup(session_body(game, 2, names))
    info = game_info(game, 2, names)
    a = act(setup, info, 99, search=True)[1]
    b = act(setup, info, 99, search=True)[1]
    assert (a.button, a.selected, a.note) == (b.button, b.selected, b.note)
    assert "search" in a.note or "p_clean" in a.note


def _play_timed(n: int, games: int, seed: int) -> dict[str, list[float]]:
    rng = random.Random(seed)
    names = [f"P{i}" for i in range(n)]
    times: dict[str, list[float]] = {}
    for i in range(games):
        game = Game(rules.deal(n, [], rng), rng.randrange(n))
        setups = {s: parse_setup(session_body(game, s, names)) for s in range(n)}
        own: dict[int, dict[int, bool]] = {s: {} for s in range(n)}
        while game.phase != "finished":
            seat = game.actors()[0]
            info = game_info(game, seat, names)
            phase = game.phase
            started = time.perf_counter()
            _, d = act(setups[seat], info, i, own[seat], search=True)
            times.setdefault(phase, []).append(time.perf_counter() - started)
            sel = d.selected or []
            if phase == "pick":
                game.propose(seat, sel)
            elif phase == "vote":
                game.vote(seat, d.button == "yes")
            elif phase == "mission":
                own[seat][game.mission] = d.button == "yes"
                game.play(seat, d.button == "yes")
            else:
                game.assassinate(seat, sel[0])
    return times


def test_act_with_search_stays_within_proavalons_budget_at_five_players():
    times = _play_timed(5, games=3, seed=4)
    every = sorted(t for ts in times.values() for t in ts)
    p95 = every[int(0.95 * (len(every) - 1))]
    assert p95 <= 2.0 and max(every) <= 2.0, (p95, max(every))
    # Where no search runs (ordinary votes, good cards, the shot) an answer is well under 200 ms.
    assert max(times["assassination"]) <= 0.2


def test_avalon_search_setting_sets_the_bots_default(settings):
    from django.apps import apps

    config = apps.get_app_config("avalonbot")
    try:
        settings.AVALON_SEARCH = False
        config.ready()
        assert policy.SEARCH_DEFAULT is False and BeliefAgent().search is False
        settings.AVALON_SEARCH = True
        config.ready()
        assert policy.SEARCH_DEFAULT is True and BeliefAgent().search is True
    finally:
        policy.SEARCH_DEFAULT = True
