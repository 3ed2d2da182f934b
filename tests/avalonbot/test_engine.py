"""Rules engine: table tests for every player count, and property tests of random legal play."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avalonbot.engine import rules
from avalonbot.engine.game import (
    ASSASSINATION,
    EVIL,
    FINISHED,
    GOOD,
    LADY,
    MISSION,
    PICK,
    VOTE,
    Game,
    IllegalActionError,
)

TABLE = {
    # n: (team sizes, evil count, two-fail fourth mission)
    5: ((2, 3, 2, 3, 3), 2, False),
    6: ((2, 3, 4, 3, 4), 2, False),
    7: ((2, 3, 3, 4, 4), 3, True),
    8: ((3, 4, 4, 5, 5), 3, True),
    9: ((3, 4, 4, 5, 5), 3, True),
    10: ((3, 4, 4, 5, 5), 4, True),
}


@pytest.mark.parametrize("n", sorted(TABLE))
def test_team_sizes_evil_count_and_fails_required(n):
    sizes, evil, two_fail = TABLE[n]
    assert rules.TEAM_SIZES[n] == sizes
    assert rules.EVIL_COUNT[n] == evil
    assert [rules.fails_required(n, m) for m in range(5)] == [1, 1, 1, 2 if two_fail else 1, 1]
    roles = rules.role_list(n, rules.SPECIAL_ROLES[:1])
    assert len(roles) == n
    assert sum(rules.is_evil(r) for r in roles) == evil
    assert roles.count(rules.MERLIN) == 1 and roles.count(rules.ASSASSIN) == 1


@pytest.mark.parametrize("n", [5, 6])
def test_too_many_evil_roles_for_small_games_is_rejected(n):
    with pytest.raises(rules.RulesError):
        rules.validate_setup(n, [rules.MORGANA, rules.MORDRED])


def test_all_roles_fit_at_ten_and_unknown_role_rejected():
    assert rules.validate_setup(10, rules.SPECIAL_ROLES) == rules.SPECIAL_ROLES
    with pytest.raises(rules.RulesError):
        rules.validate_setup(7, ["lancelot"])
    with pytest.raises(rules.RulesError):
        rules.validate_setup(4, [])


def test_who_sees_whom_as_the_board_game():
    roles = [
        rules.MERLIN,
        rules.PERCIVAL,
        rules.SERVANT,
        rules.SERVANT,
        rules.ASSASSIN,
        rules.MORGANA,
        rules.MORDRED,
        rules.OBERON,
        rules.SERVANT,
        rules.SERVANT,
    ]
    # (a 9-evil-role deal is illegal for 10 players only by count; sees() is per seat)
    merlin = rules.sees(roles, 0)
    assert merlin["spies"] == {4, 5, 7}  # not Mordred, Oberon included
    percival = rules.sees(roles, 1)
    assert percival["merlins"] == {0, 5} and not percival["spies"]
    assert rules.sees(roles, 2) == {"spies": frozenset(), "merlins": frozenset()}
    assert rules.sees(roles, 4)["spies"] == {5, 6}  # evil see evil but Oberon
    assert rules.sees(roles, 6)["spies"] == {4, 5}
    assert rules.sees(roles, 7)["spies"] == frozenset()  # Oberon sees nobody


def _roles(n, specials=()):
    return rules.role_list(n, specials)


def test_illegal_deal_and_leader_rejected():
    with pytest.raises(rules.RulesError):
        Game([rules.SERVANT] * 5)
    with pytest.raises(rules.RulesError):
        Game(_roles(5), first_leader=5)


@pytest.mark.parametrize("n", sorted(TABLE))
def test_team_size_enforced_for_every_mission(n):
    game = Game(_roles(n))
    for mission in range(3):
        size = TABLE[n][0][mission]
        leader = game.leader
        with pytest.raises(IllegalActionError):
            game.propose(leader, list(range(size + 1)))
        with pytest.raises(IllegalActionError):
            game.propose(leader, [0] * size)
        with pytest.raises(IllegalActionError):
            game.propose((leader + 1) % n, list(range(size)))
        game.propose(leader, list(range(size)))
        for seat in range(n):
            game.vote(seat, True)
        assert game.phase == MISSION
        for seat in game.team:
            game.play(seat, True)
        assert game.results[-1].succeeded
    assert game.phase == ASSASSINATION


def test_good_player_cannot_fail_and_one_fail_fails():
    game = Game(_roles(5))  # seats 0-2 good, 3-4 evil
    game.propose(0, [0, 3])
    for seat in range(5):
        game.vote(seat, True)
    with pytest.raises(IllegalActionError):
        game.play(0, False)
    game.play(0, True)
    game.play(3, False)
    assert game.results[-1].fails == 1 and not game.results[-1].succeeded


def _approve_team(game, team):
    game.propose(game.leader, team)
    for seat in range(game.n):
        game.vote(seat, True)


@pytest.mark.parametrize("n", [7, 8, 9, 10])
def test_fourth_mission_needs_two_fails_at_seven_plus(n):
    game = Game(_roles(n))
    evil = [s for s in range(n) if game.evil(s)]
    good = [s for s in range(n) if not game.evil(s)]
    # missions 1-3: success, fail, fail? keep it open: S, F, S
    for mission, fail in ((0, False), (1, True), (2, False)):
        size = rules.team_size(n, mission)
        team = [evil[0], *good[: size - 1]]
        _approve_team(game, team)
        for seat in game.team:
            game.play(seat, not (fail and seat == evil[0]))
    size = rules.team_size(n, 3)
    _approve_team(game, [evil[0], evil[1], *good[: size - 2]])
    for seat in game.team:
        game.play(seat, seat != evil[0])  # one fail only
    assert game.results[-1].succeeded and game.results[-1].fails == 1
    assert game.phase == ASSASSINATION


def test_five_rejections_lose_the_game_for_good():
    game = Game(_roles(6))
    for pick in range(5):
        assert game.pick == pick
        game.propose(game.leader, [0, 1])
        for seat in range(6):
            game.vote(seat, False)
    assert game.phase == FINISHED and game.winner == EVIL
    assert game.reason == "five proposals rejected"


def test_leader_rotates_after_every_proposal_and_mission():
    game = Game(_roles(5), first_leader=3)
    game.propose(3, [0, 1])
    for seat in range(5):
        game.vote(seat, seat < 2)  # 2 of 5: rejected
    assert game.leader == 4 and game.pick == 1 and game.phase == PICK
    _approve_team(game, [0, 1])
    for seat in game.team:
        game.play(seat, True)
    assert game.leader == 0 and game.mission == 1 and game.pick == 0


def test_tied_vote_is_rejected():
    game = Game(_roles(6))
    game.propose(0, [0, 1])
    for seat in range(6):
        game.vote(seat, seat % 2 == 0)
    assert game.phase == PICK and game.pick == 1


def test_assassination_of_merlin_wins_for_evil_else_good():
    for shoot_merlin in (True, False):
        roles = _roles(5)  # merlin, servant, servant, assassin, minion
        game = Game(roles)
        for mission in range(3):
            _approve_team(game, list(range(rules.team_size(5, mission))))
            for seat in game.team:
                game.play(seat, True)
        assert game.phase == ASSASSINATION and game.actors() == [3]
        with pytest.raises(IllegalActionError):
            game.assassinate(3, 4)  # a known spy
        game.assassinate(3, 0 if shoot_merlin else 1)
        assert game.winner == (EVIL if shoot_merlin else GOOD)


def test_lady_after_missions_two_to_four_with_history():
    game = Game(_roles(8), first_leader=2, lady_enabled=True)
    assert game.lady_holder == 1 and game.lady_history == [1]
    _approve_team(game, [0, 1, 2])
    for seat in game.team:
        game.play(seat, True)
    assert game.phase == PICK  # no Lady after the first mission
    _approve_team(game, [0, 1, 2, 3])
    for seat in game.team:
        game.play(seat, True)
    assert game.phase == LADY and game.actors() == [1]
    with pytest.raises(IllegalActionError):
        game.use_lady(1, 1)  # the holder is in the history
    result = game.use_lady(1, 5)
    assert result.target_evil == game.evil(5)
    assert game.lady_holder == 5 and game.lady_history == [1, 5] and game.phase == PICK


def play_random(game: Game, rng: random.Random) -> None:
    steps = 0
    while game.phase != FINISHED:
        steps += 1
        assert steps < 500
        seat = game.actors()[0]
        if game.phase == PICK:
            game.propose(seat, rng.sample(range(game.n), game.team_size))
        elif game.phase == VOTE:
            game.vote(seat, rng.random() < 0.6)
        elif game.phase == MISSION:
            game.play(seat, not game.evil(seat) or rng.random() < 0.5)
        elif game.phase == LADY:
            game.use_lady(seat, rng.choice(game.lady_targets()))
        elif game.phase == ASSASSINATION:
            game.assassinate(seat, rng.choice(game.assassination_targets()))


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(5, 10),
    specials=st.sets(st.sampled_from(rules.SPECIAL_ROLES)),
    lady=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_random_legal_play_always_ends_in_a_legal_result(n, specials, lady, seed):
    rng = random.Random(seed)
    try:
        roles = rules.deal(n, specials, rng)
    except rules.RulesError:
        return
    game = Game(roles, first_leader=rng.randrange(n), lady_enabled=lady)
    play_random(game, rng)
    assert game.winner in (GOOD, EVIL)
    assert len(game.results) <= 5
    succ, fail = game.successes, game.failures
    if game.winner == GOOD:
        assert succ == 3 and game.assassin_target is not None
        assert game.roles[game.assassin_target] != rules.MERLIN
    else:
        assert fail == 3 or game.hammer_rejected or game.reason == "Merlin assassinated"
    for result in game.results:
        assert len(result.team) == rules.team_size(n, result.mission)
        assert result.succeeded == (result.fails < rules.fails_required(n, result.mission))
        assert result.fails <= sum(game.evil(s) for s in result.team)
    assert len(set(game.lady_history)) == len(game.lady_history)
    for p in game.proposals:
        assert p.pick < 5
