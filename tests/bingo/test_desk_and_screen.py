"""The caller's desk (join link, QR code, who joined), the big screen and ball labels."""

from __future__ import annotations

import re

import pytest
import segno
from django.test import Client

from bingo import selectors, services
from bingo.models import Game
from bingo.templatetags.bingo_tags import ball
from bingo.views import board_rows, join_qr_svg

pytestmark = pytest.mark.django_db


def qr_of(page: str) -> str:
    found = re.search(r'<div class="join-qr"[^>]*>(<svg.*?</svg>)</div>', page, re.S)
    assert found, "no inline QR code on the page"
    return found.group(1)


def draw(game: Game, user, times: int = 1) -> list[int]:  # type: ignore[no-untyped-def]
    for _ in range(times):
        services.draw_next(game_id=game.public_id, by=user)
    return list(game.draws.order_by("sequence").values_list("number", flat=True))


def test_the_desk_shows_a_join_link_and_its_qr_code_without_the_pin(admin_user):
    game = services.game_create(name="Desk", creator=admin_user)
    client = Client()
    client.force_login(admin_user)
    r = client.get(f"/bingo/call/{game.public_id}")
    assert r.status_code == 200
    page = r.content.decode()
    link = f"http://testserver/bingo/?game={game.public_id}"
    assert f'<a href="{link}" data-testid="join-link">{link}</a>' in page
    svg = qr_of(page)
    assert svg.startswith("<svg") and 'class="segno"' in svg and "viewBox" in svg
    # the QR code is exactly segno's encoding of the link: it holds the game id and nothing else
    assert svg == join_qr_svg(link)
    assert svg == segno.make(link, error="m").svg_inline(scale=6, border=2, omitsize=True)
    assert game.pin not in link and "pin" not in link.lower()
    assert segno.make(link, error="m").matrix != segno.make(f"{link}&pin={game.pin}").matrix


def test_the_join_link_follows_the_request_host(admin_user, settings):
    settings.ALLOWED_HOSTS = ["bingo.example.org"]
    game = services.game_create(name="Host", creator=admin_user)
    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/bingo/call/{game.public_id}", HTTP_HOST="bingo.example.org").content
    assert f"http://bingo.example.org/bingo/?game={game.public_id}".encode() in page


def test_the_join_link_fills_in_the_game_id_and_asks_for_the_pin(admin_user, user_factory):
    game = services.game_create(name="Prefill", creator=admin_user)
    anonymous = Client().get(f"/bingo/?game={game.public_id.upper()}").content.decode()
    assert f'name="game_id" value="{game.public_id}"' in anonymous
    assert 'data-testid="guest-pin" autofocus' in anonymous
    player = Client()
    player.force_login(user_factory())
    page = player.get(f"/bingo/?game={game.public_id}").content.decode()
    assert f'id="game_id" name="game_id" value="{game.public_id}"' in page
    assert 'data-testid="join-pin" autofocus' in page
    assert "autofocus" not in Client().get("/bingo/").content.decode()


def test_a_hostile_game_hint_is_cut_and_escaped():
    page = Client().get('/bingo/?game="><script>alert(1)</script>').content.decode()
    assert 'value="&quot;&gt;&lt;scrip"' in page
    assert "<script>alert" not in page


def test_the_desk_lists_who_joined_with_a_correct_plural(admin_user, user_factory):
    game = services.game_create(name="Names", creator=admin_user)
    client = Client()
    client.force_login(admin_user)
    assert "0 players joined" in client.get(f"/bingo/call/{game.public_id}").content.decode()
    ada = user_factory(name="Ada Lovelace")
    services.card_join(game_id=game.public_id, user=ada, pin=None, who="x", ip="")
    page = client.get(f"/bingo/call/{game.public_id}").content.decode()
    assert "1 player joined" in page and "1 players" not in page
    assert '<ul id="joined" class="joined" data-testid="joined"><li>Ada Lovelace</li></ul>' in page
    bob = user_factory(name="Bob <b>")
    services.card_join(game_id=game.public_id, user=bob, pin=None, who="y", ip="")
    page = client.get(f"/bingo/call/{game.public_id}").content.decode()
    assert "2 players joined" in page
    assert "<li>Ada Lovelace</li><li>Bob &lt;b&gt;</li>" in page  # escaped


def test_only_the_creator_reads_the_names_of_who_joined(admin_user, user_factory):
    game = services.game_create(name="Names API", creator=admin_user)
    player = user_factory(name="Grace Hopper")
    services.card_join(game_id=game.public_id, user=player, pin=None, who="x", ip="")
    url = f"/bingo/call/{game.public_id}/players"
    creator = Client()
    creator.force_login(admin_user)
    r = creator.get(url)
    assert r.status_code == 200
    assert r.json() == {"players": [{"name": "Grace Hopper"}]}
    other = Client()
    other.force_login(player)  # a player of the game is not its caller
    assert other.get(url).status_code == 404
    r = Client().get(url)
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    assert creator.get("/bingo/call/deadbeef/players").status_code == 404


def test_the_big_screen_is_public_and_shows_no_pin_and_no_cards(admin_user, user_factory):
    game = services.game_create(name="Projector", creator=admin_user)
    player = user_factory(name="Screen Player")
    card, _ = services.card_join(game_id=game.public_id, user=player, pin=None, who="x", ip="")
    numbers = draw(game, admin_user, 3)
    r = Client().get(f"/bingo/games/{game.public_id}/screen")  # no sign-in: a projector's browser
    assert r.status_code == 200
    page = r.content.decode()
    assert f'data-testid="screen-ball">{ball(numbers[-1])}</div>' in page
    assert 'data-testid="screen-count">3 of 75</strong>' in page
    assert len(re.findall(r'<span data-n="\d+"', page)) == 75
    on = re.findall(r'<span data-n="(\d+)" title="[BINGO]\d+" class="on">', page)
    assert sorted(map(int, on)) == sorted(numbers)
    link = f"http://testserver/bingo/?game={game.public_id}"
    assert qr_of(page) == join_qr_svg(link)
    assert game.pin not in re.sub(r"<svg.*?</svg>", "", page, flags=re.S)
    assert card.card_id not in page and "Screen Player" not in page
    assert game.secret not in page
    assert Client().get("/bingo/games/deadbeef/screen").status_code == 404


def test_the_desk_shows_balls_with_their_letter(admin_user):
    game = services.game_create(name="Letters", creator=admin_user)
    numbers = draw(game, admin_user, 2)
    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/bingo/call/{game.public_id}").content.decode()
    assert f'data-testid="current">{ball(numbers[-1])}</span>' in page
    assert 'data-testid="count">2 of 75</strong>' in page
    assert f'href="/bingo/games/{game.public_id}/screen"' in page


@pytest.mark.parametrize(
    ("number", "label"),
    [
        (1, "B1"),
        (7, "B7"),
        (15, "B15"),
        (16, "I16"),
        (30, "I30"),
        (31, "N31"),
        (45, "N45"),
        (46, "G46"),
        (60, "G60"),
        (61, "O61"),
        (75, "O75"),
        ("42", "N42"),
    ],
)
def test_a_ball_reads_with_its_column_letter(number, label):
    assert ball(number) == label


@pytest.mark.parametrize("value", [0, 76, -3, "x", "", None, "7.5"])
def test_a_value_that_is_no_ball_reads_as_itself(value):
    assert ball(value) == str(value)


def test_the_board_marks_exactly_the_called_numbers_in_bingo_rows(admin_user, user_factory):
    game = services.game_create(name="Rows", creator=admin_user)
    numbers = draw(game, admin_user, 4)
    rows = board_rows(selectors.game_state(game))
    assert [letter for letter, _ in rows] == list("BINGO")
    assert [[n for n, _ in cells] for _, cells in rows] == [
        list(range(r * 15 + 1, r * 15 + 16)) for r in range(5)
    ]
    assert sorted(n for _, cells in rows for n, on in cells if on) == sorted(numbers)
    player = user_factory()
    services.card_join(game_id=game.public_id, user=player, pin=None, who="x", ip="")
    client = Client()
    client.force_login(player)
    assert client.get(f"/bingo/play/{game.public_id}").context["board"] == rows  # for play.html


def test_a_player_sees_the_75_board_and_the_last_call_first_but_no_card_id(
    admin_user, user_factory
):
    game = services.game_create(name="Board", creator=admin_user)
    numbers = draw(game, admin_user, 3)
    player = user_factory()
    services.card_join(game_id=game.public_id, user=player, pin=None, who="x", ip="")
    card = game.cards.get(user=player)
    client = Client()
    client.force_login(player)
    page = client.get(f"/bingo/play/{game.public_id}").content.decode()
    board = page[page.index('data-testid="board"') :]
    marked = re.findall(r'data-n="(\d+)" title="[BINGO]\d+" class="on"', board)
    assert sorted(int(n) for n in marked) == sorted(numbers)
    assert page.index('data-testid="last-call"') < page.index('data-testid="card"')
    shown = re.sub(r"<script.*?</script>", "", page, flags=re.S)  # data blocks are not shown
    assert card.card_id not in shown
