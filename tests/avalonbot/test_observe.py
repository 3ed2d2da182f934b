"""ObserveBot (DeepRole's deductive baseline): acts on one uniformly drawn possible assignment."""

import random

import pytest

from avalonbot.bot.agents import NO, YES, ObserveAgent, check_legal
from avalonbot.bot.belief import hypotheses
from avalonbot.bot.view import parse_setup, parse_view
from avalonbot.engine import rules
from avalonbot.engine.game import Game
from avalonbot.engine.proavalon import game_info, session_body


def _view(game, seat):
    names = [f"P{i}" for i in range(game.n)]
    return parse_view(parse_setup(session_body(game, seat, names)), game_info(game, seat, names))


def _five(first_leader=0):
    # merlin, servant, servant, assassin, minion
    return Game(rules.role_list(5, []), first_leader=first_leader)


def _mission(game, team, fails):
    """Propose `team`, everyone approves, the first `fails` evil members fail."""
    game.propose(game.leader, team)
    for s in range(game.n):
        game.vote(s, True)
    left = fails
    for s in list(game.team):
        fail = game.evil(s) and left > 0
        left -= int(fail)
        game.play(s, not fail)


def test_good_observebot_never_proposes_a_player_evil_in_every_possible_assignment():
    game = _five(first_leader=0)
    _mission(game, [3, 4], 2)  # two fail cards on a two-player team: 3 and 4 are evil for sure
    # The leader is now seat 1, a servant.
    assert game.leader == 1 and game.roles[1] == rules.SERVANT
    view = _view(game, 1)
    assert {mask for mask, _m in hypotheses(view)} == {0b11000}
    for seed in range(40):
        decision = ObserveAgent().decide(view, random.Random(seed))
        check_legal(view, decision)
        assert not set(decision.selected) & {3, 4}, decision.selected


def test_good_observebot_rejects_a_team_that_is_dirty_in_every_possible_assignment():
    game = _five(first_leader=0)
    _mission(game, [1, 3], 1)  # one fail card: seat 1 or seat 3 is evil
    game.propose(game.leader, [1, 3, 4])
    view = _view(game, 2)  # a servant, not on the team
    hyps = hypotheses(view)
    assert hyps and all(mask & (1 << 1 | 1 << 3) for mask, _m in hyps)
    votes = {ObserveAgent().decide(view, random.Random(seed)).button for seed in range(60)}
    assert votes == {NO}


def test_observebot_vote_rate_matches_the_possible_assignments():
    game = _five(first_leader=0)
    game.propose(0, [0, 2])  # Merlin leads, proposes himself and a servant
    view = _view(game, 1)  # servant: no facts yet, every evil pair without itself is possible
    hyps = hypotheses(view)
    p_clean = sum(1 for mask, _m in hyps if not mask & 0b101) / len(hyps)
    # Of the C(4,2) = 6 evil pairs without itself only {3, 4} avoids seats 0 and 2.
    assert p_clean == pytest.approx(1 / 6)
    approvals = sum(
        ObserveAgent().decide(view, random.Random(seed)).button == YES for seed in range(600)
    )
    assert 0.11 < approvals / 600 < 0.23


def test_observebot_always_approves_the_fifth_proposal():
    game = _five(first_leader=0)
    for _ in range(4):
        game.propose(game.leader, [3, 4])
        for s in range(5):
            game.vote(s, False)
    game.propose(game.leader, [3, 4])
    assert game.pick == 4
    view = _view(game, 1)
    assert all(ObserveAgent().decide(view, random.Random(seed)).button == YES for seed in range(20))


def test_evil_observebot_fails_every_mission_and_approves_teams_with_a_spy():
    game = _five(first_leader=0)
    game.propose(0, [0, 4])  # Merlin leads with the minion on his team
    assassin = 3
    view = _view(game, assassin)
    for seed in range(20):
        assert ObserveAgent().decide(view, random.Random(seed)).button == YES
    for s in range(5):
        game.vote(s, True)
    mission_view = _view(game, 4)
    assert ObserveAgent().decide(mission_view, random.Random(0)).button == NO
    game.play(0, True)
    game.play(4, False)
    game.propose(game.leader, [0, 1, 2])  # a clean team led by a servant: evil rejects it
    view = _view(game, assassin)
    assert all(ObserveAgent().decide(view, random.Random(s)).button == NO for s in range(20))
