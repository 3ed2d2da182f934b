"""In Chromium: the caller draws and the big screen shows the ball, labelled, live; who joined
appears on the desk; both pages fit a phone and a desktop (screenshots for a person to look at)."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings

from bingo import services
from bingo.models import Game
from bingo.templatetags.bingo_tags import ball
from tests.bingo.test_pages import bingo_server, signed_in  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"phone": (390, 844), "desktop": (1280, 800)}


def fits(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def wider_than_the_window(page, root: str = "body") -> list[str]:  # type: ignore[no-untyped-def]
    """Elements under `root` that reach past the right edge of the window."""
    return page.evaluate(
        """(root) => [...document.querySelectorAll(root + " *")]
          .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
          .map((e) => `${e.tagName.toLowerCase()}#${e.id} ${e.getBoundingClientRect().right}`)""",
        root,
    )


@pytest.mark.browser
def test_the_big_screen_shows_each_draw_live_and_fits_every_width(
    browser,
    bingo_server,  # noqa: F811
    admin_user,
    user_factory,
):
    shots = settings.DATA_DIR / "screenshots" / "bingo"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    # everything after this goes through the server: its socket hears every draw and join
    game = services.game_create(name="Projector Night", creator=admin_user)
    caller = signed_in(browser, bingo_server, admin_user)
    caller.goto(f"/bingo/call/{game.public_id}")
    caller.locator("#conn.on").wait_for()
    link = caller.get_by_test_id("join-link").inner_text()
    assert link == f"{bingo_server}/bingo/?game={game.public_id}"
    assert caller.locator('[data-testid="join-qr"] svg path').count() == 1

    screen_context = browser.new_context(base_url=bingo_server)  # nobody signed in
    screen_context.set_default_timeout(10_000)
    screen = screen_context.new_page()
    screen.goto(f"/bingo/games/{game.public_id}/screen")
    screen.locator("#conn.on").wait_for()
    assert screen.get_by_test_id("screen-ball").inner_text() == "–"

    # a player opens the join link (the QR code's content): the game id is filled in
    player = signed_in(browser, bingo_server, user_factory(name="Walk-in Wendy"))
    player.goto(link)
    assert player.get_by_test_id("join-game-id").input_value() == game.public_id
    player.get_by_test_id("join-pin").fill(game.pin)
    player.get_by_test_id("join-submit").click()
    player.wait_for_url(f"**/bingo/play/{game.public_id}")
    caller.get_by_test_id("joined").filter(has_text="Walk-in Wendy").wait_for()
    assert caller.get_by_test_id("joined-heading").inner_text() == "1 player joined"

    for k in range(1, 4):
        caller.get_by_test_id("draw").click()
        caller.get_by_test_id("count").filter(has_text=f"{k} of 75").wait_for()
        number = Game.objects.get(pk=game.pk).draws.get(sequence=k).number
        label = ball(number)
        screen.get_by_test_id("screen-count").filter(has_text=f"{k} of 75").wait_for()
        assert screen.get_by_test_id("screen-ball").inner_text() == label
        assert caller.get_by_test_id("current").inner_text() == label
        assert screen.locator(f'#board span.on[data-n="{number}"]').count() == 1
    assert screen.locator("#board span.on").count() == 3
    assert screen.locator("#screen-recent .ball").count() == 2
    assert caller.locator("#last-five .ball").first.inner_text() == label
    assert game.pin not in screen.content().replace(
        screen.locator('[data-testid="join-qr"]').inner_html(), ""
    )

    for name, (width, height) in SIZES.items():
        for title, page in (("screen", screen), ("desk", caller)):
            page.set_viewport_size({"width": width, "height": height})
            page.reload()
            page.locator("#conn.on").wait_for()
            page.screenshot(path=str(shots / f"{title}-{name}.png"), full_page=True)
            assert wider_than_the_window(page, "main") == [], f"{title} at {width}px"
            assert fits(page), f"{title} scrolls sideways at {width}px"
    assert screen.get_by_test_id("screen-ball").inner_text() == label  # after a reload too
    assert sorted(p.name for p in shots.iterdir()) == [
        "desk-desktop.png",
        "desk-phone.png",
        "screen-desktop.png",
        "screen-phone.png",
    ]
    screen_context.close()
    player.context.close()
    caller.context.close()


@pytest.mark.browser
@pytest.mark.parametrize(("seeds", "text"), [(1, "player entropy (1 seed)"), (2, "(2 seeds)")])
def test_the_verify_page_counts_seeds_in_good_english(
    browser,
    bingo_server,  # noqa: F811
    admin_user,
    user_factory,
    seeds,
    text,
):
    def play() -> Game:
        game = services.game_create(name="Seeds", creator=admin_user)
        for k in range(seeds):
            services.card_join(
                game_id=game.public_id,
                user=user_factory(),
                pin=None,
                who=str(k),
                ip="",
                client_seed=f"seed-{k}",
            )
        services.draw_next(game_id=game.public_id, by=admin_user)
        return game

    with ThreadPoolExecutor(1) as pool:  # broadcasts after commit need a thread of their own
        game = pool.submit(play).result()
    page = browser.new_context(base_url=bingo_server).new_page()
    page.goto(f"/bingo/verify/{game.public_id}")
    page.get_by_test_id("verify-summary").filter(has_text="checks").wait_for(timeout=20_000)
    assert page.locator(".checks li", has_text=text).count() == 1
    assert page.locator(".checks li", has_text="1 seeds").count() == 0
    page.context.close()
