"""The watch-party pages fit a phone: no sideways scroll on the home page or in a room."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": (390, 844), "desktop": (1280, 800)}


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = settings.DATA_DIR / "screenshots" / "watchparty"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def overflow(page) -> int:  # type: ignore[no-untyped-def]
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("size", SIZES)
def test_the_home_page_and_a_room_fit_the_screen(browser, live_server_url, shots, size) -> None:  # type: ignore[no-untyped-def]
    width, height = SIZES[size]
    ctx = browser.new_context(base_url=live_server_url, viewport={"width": width, "height": height})
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    page.goto("/watchparty/")
    assert overflow(page) <= 0
    page.screenshot(path=str(shots / f"home-{size}.png"), full_page=True)
    page.get_by_test_id("room-name").fill("A rather long party name for a phone")
    page.get_by_test_id("room-password").fill("secure123")
    page.get_by_test_id("display-name").fill("Hosty")
    page.get_by_test_id("create").click()
    page.wait_for_url(re.compile(r"/watchparty/room/[0-9a-f-]{36}$"))
    page.get_by_test_id("participants").get_by_text("Hosty (you)").wait_for()
    page.screenshot(path=str(shots / f"room-{size}.png"), full_page=True)
    assert overflow(page) <= 0, page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
    )
    chat = page.locator("#chat-form input, .wp-chat-form input").first
    placeholder_fits = chat.evaluate("(el) => el.scrollWidth <= el.clientWidth + 1")
    assert chat.bounding_box()["width"] >= 180  # room for "Say something" and more
    assert placeholder_fits
    ctx.close()
