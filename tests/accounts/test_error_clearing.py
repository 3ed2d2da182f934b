"""Error lines on the bingo card and the terminal clear on the next successful action instead of
staying for the rest of the game or session (Chromium against a live Daphne)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from accounts.models import Role
from bingo import services as bingo_services
from tests.accounts.conftest import new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
# Server errors fade on their own after 4-6 s; these tests wait for less, so what clears the
# line is the action, not the timer.
CLEARS_WITHIN_MS = 2_500


def test_not_called_yet_clears_on_the_next_successful_mark(browser, site, user_factory):
    url, _ = site
    owner = user_factory(role=Role.OWNER, name="Caller")
    player = user_factory(name="Player")

    def setup():  # type: ignore[no-untyped-def]
        game = bingo_services.game_create(name="Errors", creator=owner)
        card, _ = bingo_services.card_join(
            game_id=game.public_id, user=player, pin=None, who="", ip=""
        )
        numbers = {n for row in card.numbers for n in row if n}
        drawn: set[int] = set()
        while not drawn & numbers:  # until one of the card's numbers is out
            drawn.add(bingo_services.draw_next(game_id=game.public_id, by=owner).number)
        return game, card, drawn

    with ThreadPoolExecutor(1) as pool:
        game, card, drawn = pool.submit(setup).result()
    cells = [(r, c, card.numbers[r][c]) for r in range(5) for c in range(5) if card.numbers[r][c]]
    called = next((r, c) for r, c, n in cells if n in drawn)
    waiting_r, waiting_c, waiting_n = next((r, c, n) for r, c, n in cells if n not in drawn)

    page = new_page(browser, url, DESKTOP, player)
    try:
        page.goto(f"/bingo/play/{game.public_id}")
        page.get_by_test_id("called-count").filter(has_text=f"{len(drawn)} of 75").wait_for()
        page.get_by_test_id(f"cell-{waiting_r}-{waiting_c}").click()
        error = page.get_by_test_id("error")
        assert error.inner_text() == f"{waiting_n} has not been called yet"

        page.get_by_test_id(f"cell-{called[0]}-{called[1]}").click()
        page.locator(f'.cell.marked[data-row="{called[0]}"][data-col="{called[1]}"]').wait_for()
        page.wait_for_function(
            "() => document.getElementById('error').textContent === ''",
            timeout=CLEARS_WITHIN_MS,
        )
    finally:
        page.context.close()


def test_claim_the_session_to_type_clears_once_claimed(browser, site, user_factory):
    url, tmux = site
    tmux.new_session(session_name="errs", window_command="env PS1='$ ' sh", x=80, y=20)
    operator = user_factory(role=Role.OPERATOR, name="Olga")
    page = new_page(browser, url, DESKTOP, operator)
    try:
        page.goto("/terminals/s/errs")
        page.wait_for_selector("#terminal-app[data-connected='1']")
        page.locator("#terminal").click()
        page.keyboard.type("x")
        error = page.get_by_test_id("term-error")
        assert error.inner_text() == "Claim the session to type."

        page.get_by_test_id("claim").click()
        page.get_by_test_id("claim-status").filter(has_text="claimed by you").wait_for()
        page.wait_for_function(
            "() => document.getElementById('term-error').textContent === ''",
            timeout=CLEARS_WITHIN_MS,
        )
        page.get_by_test_id("release").click()
        page.get_by_test_id("claim-status").filter(has_text="free").wait_for()
    finally:
        page.context.close()
        tmux.kill_session("errs")
