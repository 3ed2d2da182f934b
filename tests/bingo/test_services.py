"""Service rules that the API tests don't reach directly: stale draw plans, entropy timing."""

from __future__ import annotations

import pytest

from bingo import fairness, services, tsa
from bingo.models import Draw

pytestmark = pytest.mark.django_db


def test_a_draw_planned_before_someone_else_drew_is_replanned(admin_user, game, monkeypatch):
    real_stamp = tsa.stamp
    calls = []

    def racing_stamp(digest: bytes) -> tsa.Stamp:
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
    assert tsa.token_info(bytes(draws[1].token))[0] == bytes.fromhex(draws[1].seed_hash)


def test_a_join_between_plan_and_store_of_the_first_draw_counts(
    admin_user, game, user_factory, monkeypatch
):
    real_stamp = tsa.stamp
    joined = []

    def joining_stamp(digest: bytes) -> tsa.Stamp:
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
    monkeypatch.setattr(tsa, "stamp", lambda digest: calls.append(digest) or real_stamp(digest))
    draw = services.draw_next(game_id=game.public_id, by=admin_user)
    assert draw.sequence == 1 and len(calls) == 1


def test_the_commitment_is_time_stamped_at_creation(game):
    imprint, _ = tsa.token_info(bytes(game.commitment_token))
    assert imprint == bytes.fromhex(game.commitment)
    assert game.commitment_authority == "lobby.local"


def test_a_draw_stamped_by_an_external_authority_records_it(
    admin_user, game, settings, monkeypatch
):
    settings.BINGO_TSA_URLS = ["https://freetsa.org/tsr"]

    def external(url: str, digest: bytes) -> tsa.Stamp:
        local = tsa.local_stamp(digest)  # stands in for the remote authority's token
        return tsa.Stamp(
            token=local.token, authority=tsa.authority_name(url), gen_time=local.gen_time
        )

    monkeypatch.setattr(tsa, "external_stamp", external)
    draw = services.draw_next(game_id=game.public_id, by=admin_user)
    assert draw.authority == "freetsa.org"
    assert draw.anchor_id.startswith("tsa_freetsa_org_")
    assert draw.anchor_id.endswith("_" + draw.seed_hash[:8])
    body = game.audit_entries.get(kind="draw").body
    assert draw.anchor_id in body
