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
    assert b'data-testid="guest-form"' in r.content and b"bingo/guest.js" in r.content
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


def test_admin_lists_everything_read_only(admin_client, admin_user, user_factory):
    from accounts.models import Role

    owner = user_factory(
        email="owner@example.com", role=Role.OWNER, is_staff=True, is_superuser=True
    )
    game = services.game_create(name="Admin view", creator=admin_user)
    services.draw_next(game_id=game.public_id, by=admin_user)
    client = Client()
    client.force_login(owner)
    for path in ("game", "card", "draw", "auditentry", "player"):
        r = client.get(f"/admin/bingo/{path}/")
        assert r.status_code == 200, path
        assert client.get(f"/admin/bingo/{path}/add/").status_code == 403
    page = client.get(f"/admin/bingo/game/{game.pk}/change/")
    assert page.status_code == 200
    assert game.secret.encode() not in page.content  # not before the game ends
    entry = game.audit_entries.first()
    assert (
        client.post(f"/admin/bingo/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    r = client.post("/admin/bingo/game/", {"action": "end_games", "_selected_action": [game.pk]})
    assert r.status_code == 302
    game.refresh_from_db()
    assert game.status == "finished"
    assert game.secret.encode() in client.get(f"/admin/bingo/game/{game.pk}/change/").content


def test_anonymous_play_page_is_the_guest_page(admin_user):
    game = services.game_create(name="Guests", creator=admin_user)
    r = Client().get(f"/bingo/play/{game.public_id}")
    assert r.status_code == 200
    assert b'data-guest="1"' in r.content and b"card-data" not in r.content
    assert Client().get("/bingo/play/deadbeef").status_code == 404
