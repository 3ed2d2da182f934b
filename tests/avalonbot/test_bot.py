"""The belief bot: hard facts, determinism, legality, explanations."""

import random

import pytest

from avalonbot.arena import fit_roles
from avalonbot.bot.agents import HeuristicAgent, ObserveAgent, RandomAgent, check_legal
from avalonbot.bot.belief import belief, hypotheses
from avalonbot.bot.policy import BeliefAgent, act
from avalonbot.bot.view import parse_setup, parse_view
from avalonbot.engine import rules
from avalonbot.engine.game import Game
from avalonbot.engine.proavalon import game_info, session_body


def _view(game, seat, names=None):
    names = names or [f"P{i}" for i in range(game.n)]
    return parse_view(parse_setup(session_body(game, seat, names)), game_info(game, seat, names))


def test_merlin_knows_the_evil_set_and_evil_knows_each_other():
    roles = rules.role_list(
        7, ["percival", "morgana"]
    )  # merlin, percival, servant*2, assassin, morgana, minion
    game = Game(roles)
    merlin = belief(_view(game, 0))
    assert merlin.p_evil() == pytest.approx([0, 0, 0, 0, 1, 1, 1])
    assassin = belief(_view(game, 4))
    assert assassin.p_evil()[4:] == pytest.approx([1, 1, 1])
    assert sum(assassin.p_merlin()) == pytest.approx(1)
    percival = belief(_view(game, 1))
    pm = percival.p_merlin()
    assert pm[0] + pm[5] == pytest.approx(1)  # Merlin is one of the two he sees
    assert percival.p_evil()[0] + percival.p_evil()[5] == pytest.approx(1)


def test_mordred_hides_from_merlin_and_oberon_from_evil():
    roles = rules.role_list(10, rules.SPECIAL_ROLES)
    game = Game(roles)
    merlin = belief(_view(game, 0))
    mordred = roles.index("mordred")
    p = merlin.p_evil()
    assert p[mordred] < 1 and sum(p) == pytest.approx(4)
    assassin = belief(_view(game, roles.index("assassin")))
    assert assassin.p_evil()[roles.index("oberon")] < 1


def test_failed_mission_fail_count_is_a_hard_fact():
    roles = rules.role_list(5, [])  # merlin, servant, servant, assassin, minion
    game = Game(roles)
    game.propose(0, [3, 4])
    for s in range(5):
        game.vote(s, True)
    game.play(3, False)
    game.play(4, False)  # two fails: both evil for sure
    hyps = hypotheses(_view(game, 1))
    assert {mask for mask, _ in hyps} == {0b11000}


def test_lady_result_is_a_hard_fact_for_the_holder():
    game = Game(rules.role_list(7, []), first_leader=1, lady_enabled=True)
    info_view = _view(game, 2)
    info_view.lady_results = {4: True, 1: False}
    b = belief(info_view)
    assert b.p_evil()[4] == pytest.approx(1) and b.p_evil()[1] == pytest.approx(0)


def test_same_seed_same_state_same_decision_and_beliefs_explain():
    game = Game(rules.deal(8, ["percival", "morgana"], random.Random(3)))
    names = [f"P{i}" for i in range(8)]
    setup = parse_setup(session_body(game, game.leader, names))
    info = game_info(game, game.leader, names)
    a = act(setup, info, 42)[1]
    b = act(setup, info, 42)[1]
    assert (a.button, a.selected) == (b.button, b.selected)
    assert a.beliefs and all({"evil", "p", "merlin"} <= set(x) for x in a.beliefs)


@pytest.mark.parametrize(
    "agent",
    [BeliefAgent(), BeliefAgent(search=False), RandomAgent(), HeuristicAgent(), ObserveAgent()],
)
def test_every_agent_answers_legally_through_whole_games(agent):
    rng = random.Random(9)
    for n in range(5, 11):
        roles = rules.deal(n, ["percival", "morgana", "oberon"][: 2 if n < 7 else 3], rng)
        game = Game(roles, first_leader=rng.randrange(n), lady_enabled=True)
        while game.phase != "finished":
            seat = game.actors()[0]
            view = _view(game, seat)
            decision = agent.decide(view, rng)
            check_legal(view, decision)
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


def test_good_bot_never_proposes_a_known_spy_as_merlin():
    roles = rules.role_list(8, [])
    game = Game(roles, first_leader=0)  # seat 0 is Merlin and leads
    decision = BeliefAgent().decide(_view(game, 0), random.Random(1))
    assert not set(decision.selected) & {s for s in range(8) if game.evil(s)}


def test_bot_answers_legally_in_states_random_players_create():
    """Random play reaches histories the bot would never make; its answers stay legal."""
    rng = random.Random(17)
    bot, other = BeliefAgent(), RandomAgent()
    for n in range(5, 11):
        for _ in range(2):
            roles = rules.deal(n, fit_roles(n, rules.SPECIAL_ROLES), rng)
            game = Game(roles, first_leader=rng.randrange(n), lady_enabled=True)
            while game.phase != "finished":
                seat = game.actors()[0]
                view = _view(game, seat)
                check_legal(view, bot.decide(view, random.Random(seat)))
                decision = other.decide(view, rng)
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


def test_own_mission_card_is_a_hard_fact():
    """The assassin does not see Oberon; having played success on a failed team, it knows
    Oberon was one of its two team-mates."""
    roles = rules.role_list(10, rules.SPECIAL_ROLES)
    game = Game(roles)
    assassin, oberon = roles.index("assassin"), roles.index("oberon")
    other = next(s for s in range(10) if not game.evil(s))
    game.propose(game.leader, [assassin, oberon, other])
    for s in range(10):
        game.vote(s, True)
    for s in game.team:
        game.play(s, s != oberon)
    view = _view(game, assassin)
    assert belief(view).p_evil()[oberon] < 0.99  # without its own card it is not sure
    view.own_cards = {0: True}
    p = belief(view).p_evil()
    assert p[oberon] + p[other] == pytest.approx(1)
    assert p[oberon] > 0.4


def test_services_remember_own_cards(db, settings, monkeypatch):
    from avalonbot import services

    settings.AVALON_API_KEY = ["k"]
    roles = rules.role_list(10, rules.SPECIAL_ROLES)
    game = Game(roles)
    names = [f"P{i}" for i in range(10)]
    assassin, oberon = roles.index("assassin"), roles.index("oberon")
    other = next(s for s in range(10) if not game.evil(s))
    body = session_body(game, assassin, names)
    session = services.session_create(setup=parse_setup(body), body=body)
    game.propose(game.leader, [assassin, oberon, other])
    for s in range(10):
        game.vote(s, True)
    answer = services.session_act(
        session_id=session.public_id, game_info=game_info(game, assassin, names)
    )
    for s in game.team:
        game.play(s, s != oberon if s != assassin else answer["buttonPressed"] == "yes")
    game.propose(game.leader, list(range(rules.team_size(10, 1))))
    seen = {}
    real_act = services.act

    def spy(setup, info, seed, own_cards=None):
        seen["own_cards"] = own_cards
        return real_act(setup, info, seed, own_cards)

    monkeypatch.setattr(services, "act", spy)
    services.session_act(session_id=session.public_id, game_info=game_info(game, assassin, names))
    assert seen["own_cards"] == {0: answer["buttonPressed"] == "yes"}
