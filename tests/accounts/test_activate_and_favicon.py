"""/activate takes a device code with or without its dash and shows it as ABCD-3456 with the
application's description; every page names a favicon and /favicon.ico is no 404."""

from __future__ import annotations

import re

import pytest

from accounts import services
from accounts.models import Application, DeviceCode
from tests.accounts.conftest import new_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def described_app(db):  # type: ignore[no-untyped-def]
    return Application.objects.create(
        name="Space Game",
        game_id="spacegame",
        description="A cooperative space shooter for up to four players.",
    )


@pytest.fixture
def code(described_app):  # type: ignore[no-untyped-def]
    code, _secret = services.device_code_create(game_id=described_app.game_id, ip="203.0.113.7")
    return code


def dashed(code: DeviceCode) -> str:
    return f"{code.user_code[:4]}-{code.user_code[4:]}"


@pytest.mark.parametrize("form", ["dashed", "plain", "plain-lower", "spaced"])
def test_the_code_is_accepted_with_or_without_the_dash(client, user, code, form):
    typed = {
        "dashed": dashed(code),
        "plain": code.user_code,
        "plain-lower": code.user_code.lower(),
        "spaced": f" {code.user_code[:4]} {code.user_code[4:]} ",
    }[form]
    client.force_login(user)
    r = client.post("/activate", {"user_code": typed})
    assert r.status_code == 200
    assert b'data-testid="approve"' in r.content
    assert DeviceCode.objects.get(pk=code.pk).status == DeviceCode.Status.PENDING


def test_the_confirm_page_shows_the_code_dashed_and_the_apps_description(client, user, code):
    assert "-" not in code.user_code  # stored (and returned by the API) without the dash
    client.force_login(user)
    html = client.get("/activate", {"code": code.user_code}).content.decode()
    assert f'<dd class="code" data-testid="user-code">{dashed(code)}</dd>' in html
    assert (
        '<p data-testid="app-description">A cooperative space shooter for up to four players.</p>'
        in html
    )
    # the form still posts the stored code
    assert f'name="user_code" value="{code.user_code}"' in html


def test_no_description_no_empty_paragraph(client, user, application):
    code, _ = services.device_code_create(game_id=application.game_id, ip=None)
    client.force_login(user)
    html = client.get("/activate", {"code": code.user_code}).content.decode()
    assert 'data-testid="app-description"' not in html


def test_the_code_box_takes_a_nine_character_code(client, user):
    client.force_login(user)
    html = client.get("/activate").content.decode()
    box = re.search(r"<input id=\"user-code\"[^>]*>", html, re.S)
    assert box is not None
    assert 'placeholder="ABCD-3456"' in box.group(0)
    maxlength = int(re.search(r'maxlength="(\d+)"', box.group(0)).group(1))
    assert maxlength >= len(" ABCD - 3456 ")


def test_pages_link_a_favicon_that_exists(client):
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html


def test_favicon_ico_redirects_to_the_icon(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 302
    assert r.headers["Location"] == "/static/favicon.svg"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_the_code_and_placeholder_fit_the_box_in_chromium(browser, site, user_factory, width):
    url, _ = site
    page = new_page(browser, url, {"width": width, "height": 800}, user_factory())
    try:
        page.goto("/activate")
        box = page.get_by_test_id("user-code")
        fits = "el => el.scrollWidth <= el.clientWidth"
        assert box.evaluate(fits), "the placeholder is cut off"
        box.fill("ABCD-3456")
        assert box.input_value() == "ABCD-3456"
        assert box.evaluate(fits), "a 9-character code is cut off"
        assert page.get_by_test_id("continue").is_visible()
        # the icon is served, and so is what browsers ask for on their own
        assert page.request.get("/static/favicon.svg").status == 200
        icon = page.request.get("/favicon.ico")
        assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg")
    finally:
        page.context.close()
