"""CHROTE's web UI against Lobby: the routes its server has under `/api/` (here `/terminals/api/`),
called the way the UI calls them — session cookie, never a CSRF token, the page's Origin — with
the shapes and statuses the UI reads (issue 15, items 1-3 and 5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from accounts.models import Role
from terminals.models import Claim
from tests.chrote_ui import UI_ORIGIN, _trusted_origin, browser  # noqa: F401 - fixture
from tests.terminals.conftest import capture_text, wait_until

pytestmark = pytest.mark.django_db

UNAUTH = {"error": "UNAUTHORIZED", "message": "Authentication required"}
NOT_MEMBER = {"error": "FORBIDDEN", "message": "You are not a member of this workspace"}


def post(client: APIClient, path: str):  # type: ignore[no-untyped-def]
    # The UI's lock/release: POST, `Content-Type: application/json`, no body.
    return client.post(path, content_type="application/json")


@pytest.fixture
def people(user_factory):  # type: ignore[no-untyped-def]
    return {
        "op": user_factory(role=Role.OPERATOR, name="Olga"),
        "op2": user_factory(role=Role.OPERATOR, name="Otto"),
        "viewer": user_factory(role=Role.VIEWER, name="Vera"),
        "admin": user_factory(role=Role.ADMIN, name="Ada"),
        "stranger": user_factory(role=Role.VIEWER, name="Sam", is_member=False),
    }


def ui_routes(session: str) -> list[tuple[str, str]]:
    return [
        ("get", "/terminals/api/terminal/sessions"),
        ("get", f"/terminals/api/terminal/sessions/{session}"),
        ("get", f"/terminals/api/terminal/sessions/{session}/capture"),
        ("get", "/terminals/api/terminal/locks"),
        ("post", f"/terminals/api/terminal/sessions/{session}/lock"),
        ("post", f"/terminals/api/terminal/sessions/{session}/release"),
    ]


# --- the gates: signed in, and a member --------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ui_routes("main"))
def test_every_ui_terminal_route_needs_sign_in(make_session, method, path):
    make_session("main")
    r = getattr(browser(), method)(path)
    assert r.status_code == 401
    assert r.json() == UNAUTH


@pytest.mark.parametrize(("method", "path"), ui_routes("main"))
def test_every_ui_terminal_route_refuses_a_signed_in_stranger(make_session, people, method, path):
    make_session("main")
    r = getattr(browser(people["stranger"]), method)(path)
    assert r.status_code == 403
    assert r.json() == NOT_MEMBER
    assert not Claim.objects.exists()


def test_a_removed_member_is_refused_at_once(make_session, people):
    make_session("main")
    client = browser(people["op"])
    assert post(client, "/terminals/api/terminal/sessions/main/lock").status_code == 200
    people["op"].is_member = False
    people["op"].save()
    r = client.get("/terminals/api/terminal/locks")
    assert (r.status_code, r.json()) == (403, NOT_MEMBER)


# --- item 1: auth ------------------------------------------------------------------------------


def test_me_signed_out_is_user_null(db):
    r = browser().get("/terminals/api/auth/me")
    assert r.status_code == 200
    assert r.json() == {"user": None}


def test_me_is_the_ui_user_shape(user_factory):
    user = user_factory(
        role=Role.OPERATOR, name="Olga", avatar_url="https://avatars.example/olga.png"
    )
    r = browser(user).get("/terminals/api/auth/me")
    assert r.status_code == 200
    assert r.json() == {
        "user": {
            "id": user.public_id,
            "email": user.email,
            "name": "Olga",
            "avatar_url": "https://avatars.example/olga.png",
            "role": "operator",
        }
    }


def test_me_blank_name_and_avatar_are_null(user_factory):
    user = user_factory(role=Role.VIEWER, name="x")
    user.name = ""
    user.save()
    assert browser(user).get("/terminals/api/auth/me").json()["user"] == {
        "id": user.public_id,
        "email": user.email,
        "name": None,
        "avatar_url": None,
        "role": "viewer",
    }


def test_me_of_a_signed_in_stranger_has_no_role(people):
    body = browser(people["stranger"]).get("/terminals/api/auth/me").json()
    assert body["user"]["id"] == people["stranger"].public_id
    assert body["user"]["role"] is None


def test_status_says_which_providers_are_configured(settings, db):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    r = browser().get("/terminals/api/auth/status")
    assert r.status_code == 200
    assert r.json() == {"providers": {"github": False, "google": False}}
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": [{"client_id": "g", "secret": "s"}]}}
    assert browser().get("/terminals/api/auth/status").json() == {
        "providers": {"github": False, "google": True}
    }


def test_logout_from_the_ui_needs_no_csrf_token(people):
    client = browser(people["op"])
    r = client.post("/terminals/api/auth/logout")
    assert r.status_code == 200
    assert r.json() == {"success": True}
    assert client.get("/terminals/api/auth/me").json() == {"user": None}


@pytest.mark.parametrize(
    ("origin", "fetch_site"),
    [("https://evil.example", "cross-site"), (None, None), (UI_ORIGIN, "cross-site")],
    ids=["foreign-origin", "no-origin", "cross-site"],
)
def test_logout_from_anywhere_else_is_refused(people, origin, fetch_site):
    client = browser(people["op"], origin=origin, fetch_site=fetch_site)
    r = client.post("/terminals/api/auth/logout")
    assert r.status_code == 403
    assert r.json()["error"].startswith("CSRF Failed")
    assert browser(people["op"]).get("/terminals/api/auth/me").json()["user"] is not None
    assert client.get("/terminals/api/auth/me").json()["user"]["id"] == people["op"].public_id


def test_logout_signed_out_is_success(db):
    r = browser().post("/terminals/api/auth/logout")
    assert (r.status_code, r.json()) == (200, {"success": True})


def test_provider_start_without_that_provider_is_the_platforms_404(settings, db):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    for provider, name in (("github", "GitHub"), ("google", "Google")):
        r = browser().get(f"/terminals/api/auth/{provider}")
        assert r.status_code == 404
        assert r.json() == {
            "error": "NOT_FOUND",
            "message": f"{name} sign-in is not configured on this server",
        }
        assert r.json() == browser().get(f"/auth/{provider}").json()


# --- item 2: sessions --------------------------------------------------------------------------


def test_sessions_list_is_the_ui_shape(make_session, people):
    make_session("main")
    make_session("dev").new_window()
    r = browser(people["viewer"]).get("/terminals/api/terminal/sessions")
    assert r.status_code == 200
    sessions = r.json()["sessions"]
    assert [s["name"] for s in sessions] == ["dev", "main"]
    dev = sessions[0]
    assert dev == {
        "id": "dev",
        "name": "dev",
        "windows": 2,
        "attached": False,
        "created": dev["created"],
    }
    assert parse_datetime(dev["created"]) <= timezone.now()


def test_session_detail_is_the_documented_detail_under_session(make_session, people):
    session = make_session("main")
    session.active_window.active_pane.send_keys("echo ui-$((40+2))", enter=True)
    wait_until(lambda: "ui-42" in capture_text(session), what="echo")
    r = browser(people["viewer"]).get("/terminals/api/terminal/sessions/main")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"session"}
    documented = browser(people["viewer"]).get("/terminals/api/sessions/main").json()
    assert body["session"]["id"] == "main"
    assert body["session"]["windows"] == documented["windows"]
    assert "ui-42" in body["session"]["windows"][0]["panes"][0]["content"]


def test_session_detail_of_an_unknown_session_is_404(make_session, people):
    make_session("main")
    r = browser(people["viewer"]).get("/terminals/api/terminal/sessions/nope")
    assert (r.status_code, r.json()) == (404, {"error": "Session not found"})


def test_capture_defaults_to_pane_0(make_session, people):
    session = make_session("main")
    session.active_window.active_pane.send_keys("echo cap-$((6*7))", enter=True)
    wait_until(lambda: "cap-42" in capture_text(session), what="echo")
    r = browser(people["viewer"]).get("/terminals/api/terminal/sessions/main/capture")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"session", "pane", "content", "timestamp"}
    assert (body["session"], body["pane"]) == ("main", "0")
    assert "cap-42" in body["content"]
    assert abs((parse_datetime(body["timestamp"]) - timezone.now()).total_seconds()) < 5


@pytest.mark.parametrize("path", ["nope/capture", "main/capture?pane=7", "main/capture?pane=x;y"])
def test_capture_of_an_unknown_session_or_pane_is_404(make_session, people, path):
    make_session("main")
    r = browser(people["viewer"]).get(f"/terminals/api/terminal/sessions/{path}")
    assert (r.status_code, r.json()) == (404, {"error": "Session or pane not found"})


# --- item 3: locks are claims --------------------------------------------------------------------


def test_locks_are_keyed_by_session_name(make_session, people):
    make_session("main")
    make_session("dev")
    client = browser(people["viewer"])
    assert client.get("/terminals/api/terminal/locks").json() == {"locks": {}}
    Claim.objects.create(
        session_name="dev", user=people["op"], expires_at=timezone.now() + timedelta(minutes=5)
    )
    Claim.objects.create(  # expired: no lock at all
        session_name="main", user=people["op2"], expires_at=timezone.now() - timedelta(seconds=1)
    )
    r = client.get("/terminals/api/terminal/locks")
    assert r.status_code == 200
    assert r.json() == {"locks": {"dev": {"id": people["op"].public_id, "name": "Olga"}}}


def test_lock_claims_the_session(make_session, people):
    make_session("main")
    r = post(browser(people["op"]), "/terminals/api/terminal/sessions/main/lock")
    assert r.status_code == 200
    claim = Claim.objects.get(session_name="main")
    assert claim.user == people["op"]
    assert r.json() == {
        "success": True,
        "sessionId": "main",
        "lockedBy": {"id": people["op"].public_id, "name": "Olga"},
        "claimedAt": claim.claimed_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    # one claim model, two route sets: the documented API sees the same claim
    documented = browser(people["viewer"]).get("/terminals/api/sessions").json()["sessions"][0]
    assert documented["claim"]["userId"] == people["op"].public_id


def test_locking_again_keeps_the_lock(make_session, people):
    make_session("main")
    client = browser(people["op"])
    first = post(client, "/terminals/api/terminal/sessions/main/lock").json()
    again = post(client, "/terminals/api/terminal/sessions/main/lock")
    assert again.status_code == 200
    assert again.json() == first
    assert Claim.objects.count() == 1


def test_a_viewer_cannot_lock(make_session, people):
    make_session("main")
    r = post(browser(people["viewer"]), "/terminals/api/terminal/sessions/main/lock")
    assert (r.status_code, r.json()) == (403, {"error": "Only operators can acquire locks"})
    assert not Claim.objects.exists()


def test_locking_an_unknown_session_is_404(make_session, people):
    make_session("main")
    r = post(browser(people["op"]), "/terminals/api/terminal/sessions/nope/lock")
    assert (r.status_code, r.json()) == (404, {"error": "Session not found"})
    assert not Claim.objects.exists()


def test_someone_elses_lock_is_409(make_session, people):
    make_session("main")
    assert (
        post(browser(people["op"]), "/terminals/api/terminal/sessions/main/lock").status_code == 200
    )
    r = post(browser(people["op2"]), "/terminals/api/terminal/sessions/main/lock")
    assert (r.status_code, r.json()) == (409, {"error": "Session locked by Olga"})
    assert Claim.objects.get(session_name="main").user == people["op"]


def test_an_admin_takes_over_a_lock(make_session, people):
    make_session("main")
    assert (
        post(browser(people["op"]), "/terminals/api/terminal/sessions/main/lock").status_code == 200
    )
    r = post(browser(people["admin"]), "/terminals/api/terminal/sessions/main/lock")
    assert r.status_code == 200
    assert r.json()["lockedBy"] == {"id": people["admin"].public_id, "name": "Ada"}
    claim = Claim.objects.get(session_name="main")
    assert claim.user == people["admin"]
    assert claim.expires_at > timezone.now() + timedelta(seconds=settings.TERMINALS_CLAIM_TTL - 60)
    r = post(browser(people["op"]), "/terminals/api/terminal/sessions/main/lock")
    assert (r.status_code, r.json()) == (409, {"error": "Session locked by Ada"})


def test_release_ends_the_lock(make_session, people):
    make_session("main")
    client = browser(people["op"])
    post(client, "/terminals/api/terminal/sessions/main/lock")
    r = post(client, "/terminals/api/terminal/sessions/main/release")
    assert (r.status_code, r.json()) == (200, {"success": True, "sessionId": "main"})
    assert not Claim.objects.exists()
    assert client.get("/terminals/api/terminal/locks").json() == {"locks": {}}


def test_releasing_an_unlocked_session_is_404(make_session, people):
    make_session("main")
    r = post(browser(people["op"]), "/terminals/api/terminal/sessions/main/release")
    assert (r.status_code, r.json()) == (404, {"error": "Session not locked"})


@pytest.mark.parametrize("who", ["op2", "viewer"])
def test_nobody_releases_anothers_lock_but_an_admin(make_session, people, who):
    make_session("main")
    post(browser(people["op"]), "/terminals/api/terminal/sessions/main/lock")
    r = post(browser(people[who]), "/terminals/api/terminal/sessions/main/release")
    assert (r.status_code, r.json()) == (403, {"error": "Cannot release others' locks"})
    assert Claim.objects.get(session_name="main").user == people["op"]
    r = post(browser(people["admin"]), "/terminals/api/terminal/sessions/main/release")
    assert (r.status_code, r.json()) == (200, {"success": True, "sessionId": "main"})
    assert not Claim.objects.exists()


# --- item 5: token-less cookie writes only from a trusted Origin --------------------------------


@pytest.mark.parametrize(
    ("origin", "fetch_site"),
    [
        ("https://evil.example", "cross-site"),
        ("https://evil.example", None),
        (None, "same-origin"),
        (None, None),
        ("null", None),
        (UI_ORIGIN, "cross-site"),
        ("https://chrote.example.evil.example", "same-site"),
        ("http://chrote.example", "same-origin"),  # scheme differs
    ],
    ids=[
        "foreign",
        "foreign-no-fetch-metadata",
        "no-origin",
        "no-headers",
        "null-origin",
        "trusted-but-cross-site",
        "suffix-lookalike",
        "http-not-https",
    ],
)
def test_lock_and_release_from_anywhere_else_are_refused(make_session, people, origin, fetch_site):
    make_session("main")
    attacker = browser(people["op"], origin=origin, fetch_site=fetch_site)
    r = post(attacker, "/terminals/api/terminal/sessions/main/lock")
    assert r.status_code == 403
    assert r.json()["error"].startswith("CSRF Failed")
    assert not Claim.objects.exists()
    post(browser(people["op"]), "/terminals/api/terminal/sessions/main/lock")
    r = post(attacker, "/terminals/api/terminal/sessions/main/release")
    assert r.status_code == 403
    assert Claim.objects.filter(session_name="main", user=people["op"]).exists()


def test_a_wildcard_trusted_origin_allows_no_token_less_writes(settings, make_session, people):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example"]
    make_session("main")
    r = post(browser(people["op"]), "/terminals/api/terminal/sessions/main/lock")
    assert r.status_code == 403
    assert not Claim.objects.exists()


def test_other_cookie_writes_keep_djangos_csrf_check(make_session, people):
    """The documented claim route is not the UI's: a trusted Origin alone is not enough."""
    make_session("main")
    client = browser(people["op"])
    r = client.post("/terminals/api/sessions/main/claim")
    assert r.status_code == 403
    assert r.json()["error"] == "FORBIDDEN"
    assert "CSRF" in r.json()["message"]
    assert not Claim.objects.exists()
    r = client.post("/auth/logout")
    assert r.status_code == 403
    assert client.get("/terminals/api/auth/me").json()["user"] is not None


def test_bearer_clients_need_no_origin(make_session, people, bearer_client):
    make_session("main")
    r = post(bearer_client(people["op"]), "/terminals/api/terminal/sessions/main/lock")
    assert r.status_code == 200
    assert Claim.objects.get().user == people["op"]
