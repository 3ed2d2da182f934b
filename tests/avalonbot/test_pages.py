"""The Avalon pages in Chromium (Playwright): the connect section and the game viewer's stepper,
at a 390 px phone and a 1280 px desktop, with no horizontal page scroll and no CSP violation."""

from __future__ import annotations

import shutil

import pytest
from django.conf import settings

from avalonbot import services
from avalonbot.models import BotSession
from tests.avalonbot.helpers import play_through_api

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"phone": (390, 844), "desktop": (1280, 800)}


@pytest.fixture
def shots():
    folder = settings.DATA_DIR / "screenshots" / "avalon"
    shutil.rmtree(folder, ignore_errors=True)  # the suite's own folder: last run's shots go
    folder.mkdir(parents=True)
    return folder


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width > inner:  # name the widest culprits, so a failure says what to fix
        culprits = page.evaluate(
            """Array.from(document.querySelectorAll('body *'))
              .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
              .filter(e => !e.closest('table'))
              .slice(-5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
        )
        raise AssertionError(f"page scrolls sideways: {width} > {inner}: {culprits}")


@pytest.mark.browser
def test_game_viewer_steps_through_a_session_on_phone_and_desktop(
    browser, live_server_url, login, user_factory, api, shots
):
    settings.AVALON_API_KEY = ["k"]
    services.arena_run_record(
        agent="bot",
        opponents=["random", "heuristic"],
        games=10,
        seed=1,
        players=[5, 6, 7],
        roles=["percival", "morgana"],
        lady=True,
        http=False,
        duration_s=3.2,
        summary={
            "games": 40,
            "by_players": [
                {"agent": a, "side": side, "players": n, "win_rate": r - 0.1 * (side == "evil")}
                for a, r in (("bot", 0.7), ("random", 0.2), ("heuristic", 0.4))
                for side in ("good", "evil")
                for n in (5, 6, 7)
            ],
        },
    )
    play_through_api(api, "k", 7, ["percival", "morgana"], True, 5)
    session = BotSession.objects.filter(decisions__isnull=False).order_by("id").first()
    staff = user_factory(email="viewer-staff@example.com", is_staff=True)
    for label, (width, height) in SIZES.items():
        context = browser.new_context(
            base_url=live_server_url, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        problems: list[str] = []
        page.on(
            "console", lambda m, out=problems: out.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e, out=problems: out.append(str(e)))
        login(page, staff)

        page.goto("/avalon/")
        assert page.get_by_test_id("bot-url").inner_text() == f"{live_server_url}/avalon/"
        assert page.locator("#chart svg").bounding_box()["width"] <= width
        _fits(page)
        page.screenshot(path=str(shots / f"avalon-{label}.png"), full_page=True)
        page.locator(f'a[href="/avalon/sessions/{session.public_id}"]').click()
        page.wait_for_url(f"**/avalon/sessions/{session.public_id}")

        steps = page.get_by_test_id("step")
        assert steps.count() >= 3
        assert page.get_by_test_id("controls").is_visible()
        assert page.get_by_test_id("step-current").inner_text() == "1"
        assert page.locator(".av-step:visible").count() == 1
        assert page.get_by_test_id("step-prev").is_disabled()
        _fits(page)
        page.screenshot(path=str(shots / f"viewer-{label}-step1.png"), full_page=True)

        page.get_by_test_id("step-next").click()
        page.get_by_test_id("step-next").click()
        assert page.get_by_test_id("step-current").inner_text() == "3"
        visible = page.locator(".av-step:visible")
        assert visible.count() == 1 and visible.get_attribute("data-step") == "3"
        assert visible.locator(".av-seat").count() == 7
        assert page.url.endswith("#step-3")
        _fits(page)
        page.screenshot(path=str(shots / f"viewer-{label}-step3.png"), full_page=True)

        page.get_by_test_id("step-last").click()
        assert page.get_by_test_id("step-next").is_disabled()
        assert "won" in page.locator(".av-step:visible .av-answer").inner_text()
        _fits(page)
        assert problems == []
        context.close()
    assert sorted(p.name for p in shots.iterdir()) == sorted(
        f"{kind}-{label}.png" if kind == "avalon" else f"viewer-{label}-{kind}.png"
        for label in SIZES
        for kind in ("avalon", "step1", "step3")
    )
