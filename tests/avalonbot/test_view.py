"""Parsing both shapes: the session body and gameInfo, including fuzzed input."""

import contextlib
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avalonbot.bot.view import GameInfoError, parse_setup, parse_view
from avalonbot.engine import rules
from avalonbot.engine.game import Game
from avalonbot.engine.proavalon import DOC, game_info, ordered, session_body

NAMES = [f"P{i}" for i in range(7)]


def _game(n=7, specials=("percival", "morgana", "mordred"), seed=1, lady=True):
    roles = rules.deal(n, specials, random.Random(seed))
    return Game(roles, first_leader=2, lady_enabled=lady), [f"P{i}" for i in range(n)]


def test_real_and_document_session_bodies_parse_to_the_same_knowledge():
    game, names = _game()
    for seat in range(game.n):
        real = parse_setup(session_body(game, seat, names))
        doc = parse_setup(session_body(game, seat, names, DOC))
        assert real == doc
        seen = rules.sees(game.roles, seat)
        assert real.spies == seen["spies"] and real.merlins == seen["merlins"]
        assert real.role == game.roles[seat] and real.lady is True
        assert real.specials == ("percival", "morgana", "mordred")


def test_real_session_shapes_per_role():
    game, names = _game(10, rules.SPECIAL_ROLES)
    for seat, role in enumerate(game.roles):
        body = session_body(game, seat, names)
        assert body["role"][0].isupper() and "ladyOfTheLake" not in body
        assert len(body["roles"]) == 8  # every role but Merlin and Assassin
        if role == rules.SERVANT:
            assert "see" not in body
        elif role == rules.OBERON:
            assert body["see"] == {"spies": [names[seat]]}
            assert parse_setup(body).spies == frozenset()
        elif role == rules.PERCIVAL:
            assert all(v == {"roleTag": "Merlin?"} for v in body["see"].values())
            assert len(parse_setup(body).merlins) == 2


def test_seat_order_is_reversed_after_seat_zero():
    assert ordered(["a", "b", "c", "d", "e"]) == ["a", "e", "d", "c", "b"]
    assert ordered(ordered(NAMES)) == NAMES


def test_game_info_round_trip_reconstructs_history():
    game, names = _game(7, seed=4)
    rng = random.Random(4)
    while game.phase not in ("finished", "assassination"):
        seat = game.actors()[0]
        view = parse_view(
            parse_setup(session_body(game, seat, names)), game_info(game, seat, names)
        )
        assert view.phase == game.phase and view.mission == game.mission and view.pick == game.pick
        assert view.leader == game.leader
        assert [(p.leader, tuple(sorted(p.team)), p.votes) for p in view.proposals] == [
            (p.leader, p.team, p.votes) for p in game.proposals
        ]
        assert [(m.fails, m.succeeded, tuple(sorted(m.team))) for m in view.missions] == [
            (r.fails, r.succeeded, r.team) for r in game.results
        ]
        assert view.team_size == game.team_size
        if game.phase == "pick":
            game.propose(seat, rng.sample(range(game.n), game.team_size))
        elif game.phase == "vote":
            assert view.proposed == set(game.team)
            game.vote(seat, rng.random() < 0.7)
        elif game.phase == "mission":
            game.play(seat, not game.evil(seat) or rng.random() < 0.5)
        elif game.phase == "lady":
            assert set(view.lady_targets()) == set(game.lady_targets())
            game.use_lady(seat, rng.choice(game.lady_targets()))
    if game.phase == "assassination":
        seat = game.assassin
        view = parse_view(
            parse_setup(session_body(game, seat, names)), game_info(game, seat, names)
        )
        assert set(view.assassination_targets()) == set(game.assassination_targets())


def test_phase_names_accept_any_case():
    game, names = _game()
    setup = parse_setup(session_body(game, 0, names))
    info = game_info(game, 0, names)
    for phase in ("PickingTeam", "PICKINGTEAM", "picking_team"):
        assert parse_view(setup, info | {"phase": phase}).phase == "pick"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 20) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.sampled_from(sorted(game_info(*_game()[:1], 0, [f"P{i}" for i in range(7)]))),
    value=json_values,
)
def test_any_corrupted_game_info_field_parses_or_raises_game_info_error(key, value):
    game, names = _game()
    setup = parse_setup(session_body(game, 0, names))
    info = game_info(game, 0, names)
    info[key] = value
    with contextlib.suppress(GameInfoError):
        parse_view(setup, info)


@settings(max_examples=150, deadline=None)
@given(
    body=st.dictionaries(
        st.sampled_from(
            [
                "numPlayers",
                "players",
                "name",
                "role",
                "roles",
                "cards",
                "see",
                "teamLeader",
                "ladyOfTheLake",
            ]
        ),
        json_values,
    )
)
def test_any_session_body_parses_or_raises_game_info_error(body):
    with contextlib.suppress(GameInfoError):
        parse_setup(body)


def test_session_body_checks():
    game, names = _game(5, ("percival",))
    body = session_body(game, 0, names)
    with pytest.raises(GameInfoError):
        parse_setup(body | {"see": {"spies": names}})


def test_lady_history_and_prohibited_accept_names_or_seat_indexes():
    game, names = _game(8, seed=2)
    game.phase = "lady"
    setup = parse_setup(session_body(game, 0, names))
    info = game_info(game, 0, names)
    info["phase"] = "lady"
    by_ordered = info["playerUsernamesOrdered"]
    info["publicData"]["cards"]["lady"]["history"] = [by_ordered.index("P3"), "P5"]
    info["prohibitedIndexesToPicks"] = [by_ordered.index("P6")]
    view = parse_view(setup, info)
    assert set(view.lady_history) == {3, 5} and view.prohibited == {6}
    info["prohibitedIndexesToPicks"] = [{"x": 1}]
    with pytest.raises(GameInfoError):
        parse_view(setup, info)


def test_builder_reproduces_the_real_client_example():
    """engine.proavalon builds exactly the documented 5-player vote gameInfo and session body."""
    from tests.avalonbot.test_api import REAL_BODY, REAL_INFO

    names = ["P0", "P4", "P3", "P2", "P1"]  # leader order = the real session's `players`
    by_name = {"P0": "merlin", "P1": "minion", "P2": "servant", "P3": "assassin", "P4": "servant"}
    game = Game([by_name[x] for x in names], first_leader=2)
    body = session_body(game, 3, names)
    assert sorted(body.pop("roles")) == sorted(REAL_BODY["roles"])  # order is not meaningful
    assert body == {k: v for k, v in REAL_BODY.items() if k != "roles"}
    game.propose(2, [3, 1])  # P3 picks P2 and P4
    info = game_info(game, 3, names, room_id=2916)
    expected = dict(REAL_INFO)
    assert {k: v for k, v in info.items() if k != "statusMessage"} == {
        k: v for k, v in expected.items() if k != "statusMessage"
    }
    assert info["statusMessage"].startswith("P3 has picked")
