"""In Chromium against a live Daphne: sign-in, device login approve/deny, my-devices revoke.

The device side is a plain `requests` client written from the Parsec document.
"""

import time

import pytest
import requests

from accounts.models import Application

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def start_device_login(base: str) -> dict:
    r = requests.post(f"{base}/auth/codes", json={"game_id": "spacegame"}, timeout=5)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def poll_until_decided(base: str, secret: str, deadline: float = 15.0) -> requests.Response:
    end = time.monotonic() + deadline
    body = {"grant_type": "auth_code", "auth_code_hash": secret}
    while time.monotonic() < end:
        r = requests.post(f"{base}/auth/sessions", json=body, timeout=5)
        if r.status_code != 202:
            return r
        time.sleep(r.json()["data"]["interval"])
    raise AssertionError("the device login was never decided")


@pytest.fixture
def space_game(transactional_db):
    return Application.objects.create(name="Space Game", game_id="spacegame")


def test_sign_in_with_email_and_password_then_sign_out(page, user_factory):
    user_factory(email="ada@example.com", name="Ada", password="correct-Horse-9")
    page.goto("/accounts/login/?next=/account/")
    page.fill("input[name=login]", "ada@example.com")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert "/accounts/login/" in page.url
    assert page.locator("text=not correct").count() > 0

    page.fill("input[name=password]", "correct-Horse-9")
    page.click("button[type=submit]")
    page.wait_for_url("**/account/")
    assert page.request.get("/auth/me").json()["email"] == "ada@example.com"
    assert page.text_content("[data-testid=email]") == "ada@example.com"
    assert page.text_content("[data-testid=account-link]") == "Ada"

    page.click("[data-testid=sign-out]")
    page.wait_for_selector("[data-testid=sign-in]")
    assert page.request.get("/auth/me").status == 401  # the browser's own cookies


def test_device_login_approved_in_the_browser(
    page, login, live_server_url, user_factory, space_game
):
    user = user_factory(email="host@example.com")
    data = start_device_login(live_server_url)
    assert data["verification_uri"] == f"{live_server_url}/activate"

    login(page, user)
    page.goto(data["verification_uri"])
    page.fill("[data-testid=user-code]", data["user_code"].lower())
    page.click("[data-testid=continue]")
    assert page.text_content("[data-testid=app-name]") == "Space Game"
    assert page.text_content("[data-testid=request-ip]") == "127.0.0.1"
    assert "Did you start this sign-in yourself" in page.text_content("[data-testid=warning]")
    page.click("[data-testid=approve]")
    assert page.get_attribute("[data-testid=result]", "data-decision") == "approve"

    r = poll_until_decided(live_server_url, data["hash"])
    assert r.status_code == 201
    session_id = r.json()["data"]["id"]
    me = requests.get(
        f"{live_server_url}/auth/me", headers={"Authorization": f"Bearer {session_id}"}, timeout=5
    )
    assert me.status_code == 200
    assert me.json()["email"] == "host@example.com"

    time.sleep(1.1)  # the documented interval, so the next answer is about the code, not the pace
    again = requests.post(
        f"{live_server_url}/auth/sessions",
        json={"grant_type": "auth_code", "auth_code_hash": data["hash"]},
        timeout=5,
    )
    assert again.status_code == 401


def test_device_login_denied_in_the_browser(page, login, live_server_url, user_factory, space_game):
    data = start_device_login(live_server_url)
    login(page, user_factory())
    page.goto(f"/activate?code={data['user_code']}")
    page.click("[data-testid=deny]")
    assert page.get_attribute("[data-testid=result]", "data-decision") == "deny"
    r = poll_until_decided(live_server_url, data["hash"])
    assert r.status_code == 401
    assert r.json() == {"error": "The auth code was denied"}


def test_revoke_on_my_devices_signs_the_device_out(
    page, login, live_server_url, user_factory, bearer
):
    user = user_factory()
    token = bearer(user)
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{live_server_url}/auth/me", headers=headers, timeout=5).status_code == 200

    login(page, user)
    page.goto("/account/devices/")
    assert page.text_content("[data-testid=status]") == "active"
    page.click("[data-testid=revoke]")
    page.wait_for_selector("text=signed out")
    assert page.text_content("[data-testid=status]") == "signed out"
    assert requests.get(f"{live_server_url}/auth/me", headers=headers, timeout=5).status_code == 401
