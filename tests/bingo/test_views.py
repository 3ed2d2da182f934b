"""Server-rendered pages without a browser: who sees what, forms, the invite target."""

from __future__ import annotations

import pytest
from django.test import Client

from bingo import services
from bingo.models import Card, Game

pytestmark = pytest.mark.django_db


def test_home_page_for_anonymous_and_players(admin_user, user_factory):
    client = Client()
    r = client.get("/bingo/")
    assert r.status_code == 200
    assert b"Sign in" in r.content and b"create-form" not in r.content
    client.force_login(admin_user)
    assert b"create-form" in client.get("/bingo/").content  # only admins see it
    player = user_factory()
    client.force_login(player)
    page = client.get("/bingo/").content
    assert b"join-form" in page and b"create-form" not in page
    r = client.post("/bingo/", {"action": "create", "name": "x"})
    assert b"Admin access required" in r.content
    assert not Game.objects.exists()


def test_pages_need_a_card_or_the_creator(admin_user, user_factory):
    game = services.game_create(name="Pages", creator=admin_user)
    player = user_factory()
    client = Client()
    client.force_login(player)
    assert client.get(f"/bingo/play/{game.public_id}").status_code == 302  # join first
    assert client.get(f"/bingo/call/{game.public_id}").status_code == 404  # not the creator
    services.card_join(game_id=game.public_id, user=player, pin=None, who="x", ip="")
    assert client.get(f"/bingo/play/{game.public_id}").status_code == 200
    r = client.get(f"/bingo/print/{game.public_id}")
    assert r.content.count(b'data-testid="print-card"') == 1  # only their own card
    assert client.get("/bingo/verify/deadbeef").status_code == 404


def test_invite_target_admits_without_the_pin(admin_user, user_factory):
    from invites.targets import admit_to_target, describe_target

    game = services.game_create(name="Invited", creator=admin_user)
    player = user_factory()
    assert describe_target(f"bingo:{game.public_id}") == f"Bingo game Invited ({game.public_id})"
    assert describe_target("bingo:deadbeef") is None
    assert admit_to_target(player, f"bingo:{game.public_id}") == f"/bingo/play/{game.public_id}"
    assert Card.objects.filter(game=game, user=player).count() == 1
    assert admit_to_target(player, f"bingo:{game.public_id}") == f"/bingo/play/{game.public_id}"
    assert Card.objects.filter(game=game, user=player).count() == 1
