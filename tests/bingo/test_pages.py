"""Pages in Chromium (Playwright): a caller and two players play a game; verify and print pages."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bingo import services
from bingo.models import Game
from tests import servers
from tests.bingo.conftest import ADMIN_EMAIL
from tests.conftest import server_env, session_cookie_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bingo_server():  # type: ignore[no-untyped-def]
    server = servers.Daphne(
        server_env(
            BINGO_ADMIN_EMAILS=ADMIN_EMAIL,
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        )
    )
    server.env["DJANGO_CSRF_TRUSTED_ORIGINS"] = server.url
    server.start()
    yield server.url
    server.stop()


def signed_in(browser, url: str, user):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=url)
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "sessionid", "value": session_cookie_for(user), "url": url}])
    return context.new_page()


@pytest.mark.browser
def test_a_caller_and_two_players_play_in_the_browser(
    browser, bingo_server, admin_user, user_factory
):
    caller = signed_in(browser, bingo_server, admin_user)
    caller.goto("/bingo/")
    caller.get_by_test_id("create-name").fill("Browser Bingo")
    caller.get_by_test_id("create-submit").click()
    caller.wait_for_url(re.compile(r"/bingo/call/[0-9a-f]{8}$"))
    game_id = caller.get_by_test_id("game-id").inner_text().strip()
    pin = caller.get_by_test_id("pin").inner_text().strip()
    assert re.fullmatch(r"\d{4}", pin)

    players = []
    # a signed-in player, who first mistypes the PIN
    user = user_factory(email="browser0@example.com", name="Player Zero")
    page = signed_in(browser, bingo_server, user)
    page.goto("/bingo/")
    page.get_by_test_id("join-game-id").fill(game_id)
    page.get_by_test_id("join-pin").fill("0000" if pin != "0000" else "1111")
    page.get_by_test_id("join-submit").click()
    assert "Incorrect PIN" in page.content()  # the page says why
    page.get_by_test_id("join-pin").fill(pin)
    page.get_by_test_id("join-seed").fill("seed-0")
    page.get_by_test_id("join-submit").click()
    page.wait_for_url(f"**/bingo/play/{game_id}")
    players.append(page)
    # a guest without an account: a ProofPlay session kept in the browser
    guest_context = browser.new_context(base_url=bingo_server)
    guest_context.set_default_timeout(10_000)
    guest = guest_context.new_page()
    guest.goto(f"/bingo/?game={game_id}")
    guest.get_by_test_id("guest-pin").fill("0000" if pin != "0000" else "1111")
    guest.get_by_test_id("guest-email").fill("guest.player@example.com")
    guest.get_by_test_id("guest-submit").click()
    guest.get_by_test_id("guest-error").filter(has_text="Incorrect PIN").wait_for()
    guest.get_by_test_id("guest-pin").fill(pin)
    guest.get_by_test_id("guest-seed").fill("guest-seed")
    guest.get_by_test_id("guest-submit").click()
    guest.wait_for_url(f"**/bingo/play/{game_id}")
    guest.locator(".bingo-card .cell").first.wait_for()
    assert guest.locator(".bingo-card .cell").count() == 25
    players.append(guest)
    caller.get_by_test_id("players").filter(has_text="2").wait_for()
    assert Game.objects.get(public_id=game_id).cards.count() == 2

    winner = None
    clicks: list[float] = []
    for k in range(1, 76):
        # A caller may send 20 messages per 2 s (bingo/consumers.py); a fast machine clicks faster.
        while len(clicks) >= 19 and time.monotonic() - clicks[-19] < 2.1:
            time.sleep(0.05)
        clicks.append(time.monotonic())
        caller.get_by_test_id("draw").click()
        caller.get_by_test_id("count").filter(has_text=f"{k} of 75").wait_for()
        for page in players:
            page.get_by_test_id("called-count").filter(has_text=f"{k} of 75").wait_for()
            called = page.locator(".bingo-card .cell.called")
            if called.count():
                cell = called.first
                row, col = cell.get_attribute("data-row"), cell.get_attribute("data-col")
                cell.click()
                page.locator(f'.cell.marked[data-row="{row}"][data-col="{col}"]').wait_for()
            if page.get_by_test_id("bingo-banner").is_visible():
                winner = page
                break
        if winner is not None:
            break
    assert winner is not None
    assert caller.locator("#last-five .ball").count() == min(5, k)
    assert winner.get_by_test_id("bingo-banner").inner_text() == "Bingo!"
    other = players[1] if winner is players[0] else players[0]
    other.get_by_test_id("info-banner").filter(has_text="called Bingo!").wait_for()
    caller.get_by_test_id("caller-banner").filter(has_text="Bingo!").wait_for()
    game = Game.objects.get(public_id=game_id)
    assert game.winner is not None and game.won_at is not None

    # a second tab of the winner shows the same marks (state re-sent on connect)
    again = winner.context.new_page()
    again.goto(f"/bingo/play/{game_id}")
    again.get_by_test_id("bingo-banner").wait_for()
    assert again.locator(".cell.marked").count() == winner.locator(".cell.marked").count()

    # auto-draw: the caller's page draws on its own every 3 s until switched off
    caller.get_by_test_id("auto").select_option("3")
    caller.get_by_test_id("count").filter(has_text=f"{k + 1} of 75").wait_for(timeout=8_000)
    caller.get_by_test_id("auto").select_option("0")
    players[0].get_by_test_id("called-count").filter(has_text=f"{k + 1} of 75").wait_for()

    caller.once("dialog", lambda dialog: dialog.accept())
    caller.get_by_test_id("end").click()
    caller.get_by_test_id("status").filter(has_text="finished").wait_for()
    for page in players:
        page.get_by_test_id("info-banner").filter(has_text="The game is over.").wait_for()

    caller.goto(f"/bingo/print/{game_id}")
    assert caller.get_by_test_id("print-card").count() == 2

    verifier = browser.new_context(base_url=bingo_server).new_page()
    verifier.goto(f"/bingo/verify/{game_id}")
    summary = verifier.get_by_test_id("verify-summary")
    summary.filter(has_text="checks").wait_for(timeout=20_000)
    assert re.fullmatch(r"All \d+ checks passed", summary.inner_text()), verifier.get_by_test_id(
        "checks"
    ).inner_text()
    assert verifier.locator(".checks li.fail").count() == 0
    verifier.context.close()
    for page in (caller, *players):
        page.context.close()


@pytest.mark.browser
def test_the_verify_page_catches_a_tampered_draw(browser, bingo_server, admin_user):

    def play() -> Game:
        game = services.game_create(name="Tamper", creator=admin_user)
        for _ in range(3):
            services.draw_next(game_id=game.public_id, by=admin_user)
        return game

    # Playwright's loop runs in this thread; broadcasts after commit need one of their own
    with ThreadPoolExecutor(1) as pool:
        game = pool.submit(play).result()
    taken = set(game.draws.values_list("number", flat=True))
    game.draws.filter(sequence=2).update(number=min(set(range(1, 76)) - taken))
    page = browser.new_context(base_url=bingo_server).new_page()
    page.goto(f"/bingo/verify/{game.public_id}")
    summary = page.get_by_test_id("verify-summary")
    summary.filter(has_text="failed").wait_for(timeout=20_000)
    assert page.locator(".checks li.fail").count() >= 1
    page.context.close()


@pytest.mark.browser
def test_the_card_page_resumes_after_a_server_restart(browser, admin_user, user_factory):
    env = server_env(BINGO_ADMIN_EMAILS=ADMIN_EMAIL, DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost")
    server = servers.Daphne(env).start()
    player = user_factory(email="resume@example.com")

    def setup() -> Game:
        game = services.game_create(name="Resume", creator=admin_user)
        services.card_join(game_id=game.public_id, user=player, pin=None, who="", ip="")
        services.draw_next(game_id=game.public_id, by=admin_user)
        return game

    with ThreadPoolExecutor(1) as pool:
        game = pool.submit(setup).result()
        page = signed_in(browser, server.url, player)
        page.goto(f"/bingo/play/{game.public_id}")
        page.get_by_test_id("called-count").filter(has_text="1 of 75").wait_for()
        server.stop()  # every process goes away; the page keeps trying
        pool.submit(services.draw_next, game_id=game.public_id, by=admin_user).result()
        server = servers.Daphne(env, port=server.port).start()
    try:
        page.get_by_test_id("called-count").filter(has_text="2 of 75").wait_for(timeout=20_000)
        assert page.locator("#conn.on").count() == 1
    finally:
        page.context.close()
        server.stop()
