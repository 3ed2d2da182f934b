"""Every main page fits a 390 px phone and a 1280 px desktop in real Chromium, with no sideways
scroll of the page; the site menu collapses behind a button on the phone. Screenshots of every
page at both sizes land in LOBBY_DATA_DIR/screenshots (emptied when this module starts)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from accounts import services as account_services
from accounts.models import Role
from bingo import services as bingo_services
from tests.accounts.conftest import SHOTS, WIDE_COLS, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def owner(user_factory):  # type: ignore[no-untyped-def]
    owner = user_factory(
        email="olivia.owner.with.a.long.address@example.com",
        name="Olivia Owner-Longname",
        role=Role.OWNER,
        is_staff=True,
    )
    for label in ("Space Game on the living-room console", "lobby-cli on a laptop"):
        account_services.api_session_create(user=owner, label=label, ip="203.0.113.77")
    return owner


@pytest.fixture
def game(owner):  # type: ignore[no-untyped-def]
    def setup():  # type: ignore[no-untyped-def]
        game = bingo_services.game_create(name="Friday night bingo", creator=owner)
        bingo_services.card_join(game_id=game.public_id, user=owner, pin=None, who="", ip="")
        for _ in range(12):
            bingo_services.draw_next(game_id=game.public_id, by=owner)
        return game

    # broadcasts after commit need an event loop of their own, not Playwright's
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(setup).result()


def check_fits(page, name: str, size: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=True)
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert page.evaluate(FITS), f"{name} at {size}: page is {widths[0]} px wide in {widths[1]} px"


def main_pages(game) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [
        ("home", "/"),
        ("account", "/account/"),
        ("devices", "/account/devices/"),
        ("activate", "/activate"),
        ("bingo-home", "/bingo/"),
        ("bingo-play", f"/bingo/play/{game.public_id}"),
        ("bingo-call", f"/bingo/call/{game.public_id}"),
        ("terminals", "/terminals/"),
        ("members", "/terminals/members/"),
        ("invites", "/invites/"),
        ("avalon", "/avalon/"),
    ]


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_every_main_page_fits_the_screen(browser, site, owner, game, size):
    url, _ = site
    viewport = PHONE if size == "phone" else DESKTOP
    anonymous = new_page(browser, url, viewport)
    page = new_page(browser, url, viewport, owner)
    try:
        anonymous.goto("/accounts/login/")
        check_fits(anonymous, "sign-in", size)
        for name, path in main_pages(game):
            response = page.goto(path)
            assert response is not None and response.status == 200, (
                name,
                response and response.status,
            )
            page.wait_for_load_state("networkidle")
            check_fits(page, name, size)
    finally:
        anonymous.context.close()
        page.context.close()


def test_the_phone_menu_collapses_and_opens(browser, site, owner):
    url, _ = site
    page = new_page(browser, url, PHONE, owner)
    try:
        page.goto("/")
        toggle = page.get_by_test_id("menu-toggle")
        menu = page.get_by_test_id("site-menu")
        assert toggle.is_visible()
        assert not menu.is_visible()
        assert toggle.get_attribute("aria-expanded") == "false"
        page.screenshot(path=str(SHOTS / "menu-closed-phone.png"))

        toggle.click()
        assert menu.is_visible()
        assert toggle.get_attribute("aria-expanded") == "true"
        for link in ("Bingo", "Watch parties", "Terminals", "Avalon bot", "Invites", "Members"):
            item = menu.get_by_role("link", name=link, exact=True)
            assert item.is_visible(), link
            box = item.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert page.get_by_test_id("sign-out").is_visible()
        assert page.evaluate(FITS)
        page.screenshot(path=str(SHOTS / "menu-open-phone.png"), full_page=True)

        menu.get_by_role("link", name="Terminals", exact=True).click()
        page.wait_for_url("**/terminals/")
        assert not page.get_by_test_id("site-menu").is_visible()  # closed again on the next page

        page.get_by_test_id("menu-toggle").click()
        page.keyboard.press("Escape")
        assert not page.get_by_test_id("site-menu").is_visible()
    finally:
        page.context.close()


def test_the_desktop_menu_is_always_open(browser, site, owner):
    url, _ = site
    page = new_page(browser, url, DESKTOP, owner)
    try:
        page.goto("/")
        assert not page.get_by_test_id("menu-toggle").is_visible()
        assert page.get_by_test_id("site-menu").is_visible()
        assert page.get_by_test_id("account-link").is_visible()
        # light on the dark bar, like the links beside it (not the accent colour)
        sign_out = page.get_by_test_id("sign-out")
        assert sign_out.evaluate("e => getComputedStyle(e).color") == "rgb(229, 231, 235)"
    finally:
        page.context.close()


def test_the_devices_table_stacks_on_a_phone(browser, site, owner):
    url, _ = site
    page = new_page(browser, url, PHONE, owner)
    try:
        page.goto("/account/devices/")
        rows = page.get_by_test_id("session-row")
        assert rows.count() == 2
        assert page.evaluate(FITS)
        for i in range(2):
            box = rows.nth(i).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        # each cell says which column it is, since the header row is out of sight
        label = page.evaluate(
            "() => getComputedStyle(document.querySelector('[data-label=\"IP address\"]'),"
            " '::before').content"
        )
        assert label == '"IP address"'
    finally:
        page.context.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_wide_terminal_stays_readable_and_scrolls_in_its_box(browser, site, owner, size):
    url, _ = site
    viewport = PHONE if size == "phone" else DESKTOP
    page = new_page(browser, url, viewport, owner)
    try:
        page.goto("/terminals/s/wide")
        page.wait_for_selector("#terminal-app[data-connected='1']")
        page.wait_for_function(f"() => window.lobbyTerminal.cols === {WIDE_COLS}")
        page.wait_for_function("() => document.getElementById('terminal-wrap').dataset.scale")
        page.screenshot(path=str(SHOTS / f"terminal-{size}.png"), full_page=True)
        scale = float(
            page.get_by_test_id("terminal").evaluate(
                "() => document.getElementById('terminal-wrap').dataset.scale"
            )
        )
        assert 14 * scale >= 11, f"text scaled to {14 * scale:.1f} px"
        assert page.evaluate(FITS)
        wrap = page.evaluate(
            "() => { const w = document.getElementById('terminal-wrap');"
            " return [w.scrollWidth, w.clientWidth]; }"
        )
        if size == "phone":
            assert wrap[0] > wrap[1], "a 120-column pane scrolls inside its box on a phone"
        else:
            assert wrap[0] <= wrap[1] + 1, "on a desktop the pane fits its box"
    finally:
        page.context.close()
