"""Service rules that the API tests don't reach directly: stale draw plans, entropy timing."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bingo import fairness, services, tsa
from bingo.models import Draw

pytestmark = pytest.mark.django_db


def test_a_draw_planned_before_someone_else_drew_is_replanned(admin_user, game, monkeypatch):
    real_stamp = tsa.stamp
    calls = []

    def racing_stamp(digest: bytes, **kwargs) -> tsa.Stamp:
        calls.append(digest)
        if len(calls) == 1:  # another process draws while our stamp is on its way
            monkeypatch.setattr(tsa, "stamp", real_stamp)
            services.draw_next(game_id=game.public_id, by=admin_user)
            monkeypatch.setattr(tsa, "stamp", racing_stamp)
        return real_stamp(digest)

    monkeypatch.setattr(tsa, "stamp", racing_stamp)
    draw = services.draw_next(game_id=game.public_id, by=admin_user)
    assert draw.sequence == 2
    assert len(calls) == 2  # planned twice: the first plan (for sequence 1) went stale
    draws = list(Draw.objects.filter(game=game).order_by("sequence"))
    secret, entropy = bytes.fromhex(game.secret), b""
    assert [d.seed for d in draws] == [fairness.draw_seed(secret, entropy, k) for k in (1, 2)]
    record = fairness.draw_record(
        game.public_id, 2, draws[1].seed_hash, draws[1].chain_count, draws[1].chain_head
    )
    assert tsa.token_info(bytes(draws[1].token))[0] == fairness.record_digest(record)
    # the second plan anchored the chain as it was after draw 1 (create + draw 1)
    assert (draws[1].chain_count, draws[1].chain_head) == (
        2,
        game.audit_entries.get(seq=2).hash,
    )


def test_a_join_between_plan_and_store_of_the_first_draw_counts(
    admin_user, game, user_factory, monkeypatch
):
    real_stamp = tsa.stamp
    joined = []

    def joining_stamp(digest: bytes, **kwargs) -> tsa.Stamp:
        if not joined:
            player = user_factory()
            services.card_join(
                game_id=game.public_id, user=player, pin=None, who="x", ip="", client_seed="late!"
            )
            joined.append(player)
        return real_stamp(digest)

    monkeypatch.setattr(tsa, "stamp", joining_stamp)
    draw = services.draw_next(game_id=game.public_id, by=admin_user)
    game.refresh_from_db()
    assert game.entropy == fairness.entropy(["late!"]).hex()
    assert draw.seed == fairness.draw_seed(
        bytes.fromhex(game.secret), bytes.fromhex(game.entropy), 1
    )


def test_persistent_contention_falls_back_to_stamping_under_the_lock(admin_user, game, monkeypatch):
    real_stamp = tsa.stamp
    monkeypatch.setattr(services, "OPTIMISTIC_DRAW_ATTEMPTS", 0)
    calls = []
    monkeypatch.setattr(
        tsa, "stamp", lambda digest, **kw: calls.append(digest) or real_stamp(digest)
    )
    draw = services.draw_next(game_id=game.public_id, by=admin_user)
    assert draw.sequence == 1 and len(calls) == 1


def test_the_commitment_is_time_stamped_at_creation(game):
    imprint, _ = tsa.token_info(bytes(game.commitment_token))
    assert imprint == bytes.fromhex(game.commitment)
    assert game.commitment_authority == "lobby.local"


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seeds=st.lists(st.text(max_size=12), max_size=4),
    draws=st.integers(min_value=0, max_value=20),
    late_seed=st.text(min_size=1, max_size=8),
)
def test_verify_recomputes_every_draw_from_the_revealed_secret(
    admin_user, user_factory, api, seeds, draws, late_seed
):
    game = services.game_create(name="Property", creator=admin_user)
    for seed in seeds:
        services.card_join(
            game_id=game.public_id, user=user_factory(), pin=None, who="", ip="", client_seed=seed
        )
    for k in range(draws):
        services.draw_next(game_id=game.public_id, by=admin_user)
        if k == 0:  # joins after the first draw never change the entropy
            services.card_join(
                game_id=game.public_id,
                user=user_factory(),
                pin=None,
                who="",
                ip="",
                client_seed=late_seed,
            )
    services.game_end(game_id=game.public_id, by=admin_user)
    v = api.get(f"/bingo/games/{game.public_id}/verify").json()
    assert v["audit_chain_valid"] is True
    secret = bytes.fromhex(v["secret"])
    assert fairness.commitment(secret) == v["commitment"]
    if draws:
        assert v["entropy"] == fairness.entropy(seeds).hex()
    drawn: list[int] = []
    for d in v["draws"]:
        expected = fairness.draw(secret, bytes.fromhex(v["entropy"]), drawn)
        assert (d["sequence"], d["seed"], d["seed_hash"], d["number"]) == (
            expected["sequence"],
            expected["seed"],
            expected["seed_hash"],
            expected["number"],
        )
        record = fairness.draw_record(
            game.public_id, d["sequence"], d["seed_hash"], d["chain_count"], d["chain_head"]
        )
        assert d["stamped_digest"] == fairness.record_digest(record).hex()
        assert tsa.token_info(base64.b64decode(d["token"]))[0] == fairness.record_digest(record)
        drawn.append(d["number"])
    assert len(drawn) == draws == len(set(drawn))
    final = v["final_anchor"]  # the end anchors the whole chain, its end entry included
    assert (final["chain_count"], final["chain_head"]) == (
        len(v["audit_entries"]),
        v["audit_entries"][-1]["hash"],
    )
    record = fairness.end_record(game.public_id, final["chain_count"], final["chain_head"])
    assert tsa.token_info(base64.b64decode(final["token"]))[0] == fairness.record_digest(record)
