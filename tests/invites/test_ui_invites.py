"""CHROTE's web UI's invites on the documented routes (issue 15, items 1, 4 and 5): its snake_case
create body and answer (chosen by the fields it sends), `max_uses` held on accept, admin invites by
owners only, its list beside the document's fields, token-less writes from a trusted Origin, and
`?invite=` accepted once the person has signed in."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.tokens import digest
from invites import services
from invites.exceptions import InvalidInviteTokenError
from invites.models import WorkspaceInvite, WorkspaceInviteAcceptance
from terminals.api import ui_signin
from tests.accounts.test_oauth import FakeGitHub, github  # noqa: F401 - the fixture
from tests.chrote_ui import UI_ORIGIN, _trusted_origin, browser  # noqa: F401 - fixture
from tests.invites.conftest import expire

pytestmark = pytest.mark.django_db

DOCUMENTED_CREATE = {"id", "token", "url", "role", "expiresAt", "usedCount"}


@pytest.fixture
def owner(user_factory):  # type: ignore[no-untyped-def]
    return user_factory(role=Role.OWNER, name="Olive")


@pytest.fixture
def admin(user_factory):  # type: ignore[no-untyped-def]
    return user_factory(role=Role.ADMIN, name="Ada")


def create(client: APIClient, body: object):  # type: ignore[no-untyped-def]
    return client.post("/terminals/api/invites", body, format="json")


# --- create ------------------------------------------------------------------------------------


def test_the_uis_create_answers_in_its_shape(admin):
    r = create(
        browser(admin),
        {"role": "operator", "note": "Alice's team", "max_uses": 3, "expires_in_days": 14},
    )
    assert r.status_code == 201
    body = r.json()
    invite = WorkspaceInvite.objects.get(public_id=body["id"])
    assert body == {
        "id": invite.public_id,
        "token": body["token"],
        "url": f"http://testserver/?invite={body['token']}",
        "role": "operator",
        "note": "Alice's team",
        "max_uses": 3,
        "expires_at": body["expires_at"],
    }
    assert invite.token_digest == digest(body["token"])
    assert (invite.note, invite.max_uses, invite.created_by) == ("Alice's team", 3, admin)
    expires = parse_datetime(body["expires_at"])
    assert expires == invite.expires_at
    assert (expires - timezone.now()).total_seconds() == pytest.approx(14 * 86_400, abs=5)


def test_the_uis_optional_fields_default_to_no_cap_and_seven_days(admin):
    r = create(browser(admin), {"role": "viewer", "note": "x", "max_uses": None})
    assert r.status_code == 201
    body = r.json()
    assert (body["max_uses"], body["note"]) == (None, "x")
    invite = WorkspaceInvite.objects.get(public_id=body["id"])
    assert invite.max_uses is None
    assert (invite.expires_at - timezone.now()).total_seconds() == pytest.approx(604_800, abs=5)


@pytest.mark.parametrize(
    "body",
    [{"role": "operator"}, {"role": "viewer", "expiresIn": 3600}, {}],
    ids=["role-only", "documented", "empty"],
)
def test_a_body_without_the_uis_fields_gets_the_documents_answer(admin, body):
    r = create(browser(admin), body)
    assert r.status_code == 201
    assert set(r.json()) == DOCUMENTED_CREATE
    assert r.json()["url"] == f"http://testserver/terminals/invite/{r.json()['token']}"


def test_only_an_owner_makes_an_admin_invite(admin, owner):
    r = create(browser(admin), {"role": "admin", "note": "co-admin"})
    assert r.status_code == 403
    assert r.json() == {"error": "FORBIDDEN", "message": "Only owners can create admin invites"}
    assert not WorkspaceInvite.objects.exists()
    r = create(browser(owner), {"role": "admin", "note": "co-admin"})
    assert r.status_code == 201
    assert r.json()["role"] == "admin"
    # the documented body keeps the document's two roles
    r = create(browser(owner), {"role": "admin"})
    assert (r.status_code, r.json()["error"]) == (400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "operator", "max_uses": 0}, "max_uses"),
        ({"role": "operator", "max_uses": -1}, "max_uses"),
        ({"role": "operator", "max_uses": "3"}, "max_uses"),
        ({"role": "operator", "max_uses": 2.5}, "max_uses"),
        ({"role": "operator", "max_uses": True}, "max_uses"),
        ({"role": "operator", "max_uses": 10_001}, "max_uses"),
        ({"role": "operator", "expires_in_days": 0}, "expires_in_days"),
        ({"role": "operator", "expires_in_days": 366}, "expires_in_days"),
        ({"role": "operator", "expires_in_days": 31}, "expires_in_days"),  # > 30 days' cap
        ({"role": "operator", "expires_in_days": "7"}, "expires_in_days"),
        ({"role": "operator", "note": "n" * 201}, "note"),
        ({"role": "operator", "note": 5}, "note"),
        ({"role": "owner", "note": ""}, "role"),
        ({"role": 1, "note": ""}, "role"),
        ({"note": "no role"}, "role"),
        ({"role": "viewer", "note": "", "expiresIn": 3600}, "expiresIn"),
    ],
)
def test_bad_ui_bodies_are_400(admin, body, field):
    r = create(browser(admin), body)
    assert r.status_code == 400
    assert r.json()["error"] == "VALIDATION_ERROR"
    assert field in r.json()["details"]
    assert not WorkspaceInvite.objects.exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_only_admins_make_ui_invites(user_factory, role):
    r = create(browser(user_factory(role=role)), {"role": "viewer", "note": "x"})
    assert r.status_code == 403
    assert r.json() == {"error": "FORBIDDEN", "message": "Insufficient permissions"}
    assert not WorkspaceInvite.objects.exists()


def test_a_stranger_makes_no_invite(user_factory):
    stranger = user_factory(is_member=False)
    r = create(browser(stranger), {"role": "viewer", "note": "x"})
    assert r.status_code == 403
    assert not WorkspaceInvite.objects.exists()


# --- list --------------------------------------------------------------------------------------


def test_the_uis_list_has_its_fields_beside_the_documents(admin, user_factory):
    client = browser(admin)
    made = create(client, {"role": "operator", "note": "team", "max_uses": 1}).json()
    invite = WorkspaceInvite.objects.get(public_id=made["id"])
    services.workspace_invite_accept(token=made["token"], user=user_factory(is_member=False))
    r = client.get("/terminals/api/invites")
    assert r.status_code == 200
    item = r.json()["invites"][0]
    created = item["createdAt"]
    assert item == {
        # the document's
        "id": invite.public_id,
        "role": "operator",
        "createdBy": admin.public_id,
        "createdAt": created,
        "expiresAt": made["expires_at"],
        "usedCount": 1,
        "revoked": False,
        # the UI's
        "note": "team",
        "uses": 1,
        "max_uses": 1,
        "created_at": created,
        "expires_at": made["expires_at"],
        "created_by": admin.public_id,
        "creator_name": "Ada",
        "creator_email": admin.email,
        "is_active": False,  # used up
    }


def test_is_active_follows_revocation_and_expiry(admin):
    client = browser(admin)
    create(client, {"role": "viewer", "note": "live"})
    revoked = create(client, {"role": "viewer", "note": "revoked"}).json()
    expired = create(client, {"role": "viewer", "note": "expired"}).json()
    assert client.delete(f"/terminals/api/invites/{revoked['id']}").status_code == 200
    expire(WorkspaceInvite.objects.get(public_id=expired["id"]))
    listed = {i["note"]: i for i in client.get("/terminals/api/invites").json()["invites"]}
    assert {k: (v["is_active"], v["revoked"]) for k, v in listed.items()} == {
        "live": (True, False),
        "revoked": (False, True),
        "expired": (False, False),
    }


def test_api_clients_still_get_exactly_the_documents_list(admin, bearer_client):
    create(browser(admin), {"role": "operator", "note": "team", "max_uses": 2})
    item = bearer_client(admin).get("/terminals/api/invites").json()["invites"][0]
    assert set(item) == {
        "id",
        "role",
        "createdBy",
        "createdAt",
        "expiresAt",
        "usedCount",
        "revoked",
    }


# --- max_uses and admin invites on accept ------------------------------------------------------


def test_max_uses_caps_acceptances(admin, user_factory, bearer_client):
    token = create(browser(admin), {"role": "operator", "max_uses": 2}).json()["token"]
    first, second, third = (user_factory(is_member=False) for _ in range(3))
    r = bearer_client(first).post(f"/terminals/api/invites/{token}/accept")
    assert r.json() == {"success": True, "role": "operator"}
    again = bearer_client(first).post(f"/terminals/api/invites/{token}/accept")
    assert again.json() == {"success": True, "role": "operator"}  # not a second use
    r = bearer_client(second).post(f"/terminals/api/invites/{token}/accept")
    assert r.json() == {"success": True, "role": "operator"}
    r = bearer_client(third).post(f"/terminals/api/invites/{token}/accept")
    assert r.status_code == 400
    assert r.json() == {
        "error": "INVALID_TOKEN",
        "message": "Invite token invalid or expired",
        "details": {"reason": "exhausted"},
    }
    third.refresh_from_db()
    assert not third.is_member
    invite = WorkspaceInvite.objects.get()
    assert invite.used_count == 2
    assert set(WorkspaceInviteAcceptance.objects.values_list("user", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert APIClient().get(f"/terminals/api/invites/{token}/validate").json() == {
        "valid": False,
        "reason": "exhausted",
    }


@pytest.mark.django_db(transaction=True)
def test_max_uses_holds_when_many_accept_at_once(admin, user_factory):
    invite, token = services.workspace_invite_create(
        by=admin, role="viewer", expires_in=3600, max_uses=3
    )
    people = [user_factory(is_member=False) for _ in range(12)]
    gate = threading.Barrier(len(people))
    outcomes: list[str] = []

    def accept(user: User) -> None:
        try:
            gate.wait(timeout=10)
            services.workspace_invite_accept(token=token, user=user)
            outcomes.append("in")
        except InvalidInviteTokenError as exc:
            outcomes.append(exc.reason)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(u,)) for u in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    invite.refresh_from_db()
    assert outcomes.count("in") == 3
    assert sorted(set(outcomes)) == ["exhausted", "in"]
    assert invite.used_count == 3
    assert User.objects.filter(pk__in=[u.pk for u in people], is_member=True).count() == 3
    assert WorkspaceInviteAcceptance.objects.filter(invite=invite).count() == 3


def test_the_use_is_counted_by_the_update_not_by_an_earlier_read(admin, user_factory, monkeypatch):
    """What a concurrent transaction on PostgreSQL sees: the invite looked live when read, but
    the last use went meanwhile. The conditional UPDATE refuses it (and rolls the acceptance
    back) instead of counting past `max_uses`."""
    invite, token = services.workspace_invite_create(
        by=admin, role="viewer", expires_in=3600, max_uses=1
    )
    services.workspace_invite_accept(token=token, user=user_factory(is_member=False))
    monkeypatch.setattr(services, "workspace_invite_check", lambda *, token: (invite, ""))
    late = user_factory(is_member=False)
    with pytest.raises(InvalidInviteTokenError) as exc:
        services.workspace_invite_accept(token=token, user=late)
    assert exc.value.reason == "exhausted"
    invite.refresh_from_db()
    assert invite.used_count == 1
    late.refresh_from_db()
    assert not late.is_member
    assert not WorkspaceInviteAcceptance.objects.filter(user=late).exists()


def test_an_admin_invite_makes_an_admin(owner, user_factory, bearer_client):
    token = create(browser(owner), {"role": "admin", "note": "co-admin"}).json()["token"]
    newcomer = user_factory(is_member=False)
    r = bearer_client(newcomer).post(f"/terminals/api/invites/{token}/accept")
    assert r.json() == {"success": True, "role": "admin"}
    newcomer.refresh_from_db()
    assert (newcomer.is_member, newcomer.role) == (True, Role.ADMIN)


def test_an_admin_invite_dies_when_its_maker_is_no_longer_an_owner(
    owner, user_factory, bearer_client
):
    token = create(browser(owner), {"role": "admin", "note": "co-admin"}).json()["token"]
    User.objects.filter(pk=owner.pk).update(role=Role.OPERATOR)
    newcomer = user_factory(is_member=False)
    r = bearer_client(newcomer).post(f"/terminals/api/invites/{token}/accept")
    assert r.status_code == 400
    assert r.json()["error"] == "INVALID_TOKEN"
    newcomer.refresh_from_db()
    assert not newcomer.is_member
    assert WorkspaceInvite.objects.get().used_count == 0


# --- item 5 on the documented routes the UI shares --------------------------------------------


REFUSED = [
    ("https://evil.example", "cross-site"),
    (None, None),
    (UI_ORIGIN, "cross-site"),
]
REFUSED_IDS = ["foreign-origin", "no-origin", "cross-site"]


@pytest.mark.parametrize(("origin", "fetch_site"), REFUSED, ids=REFUSED_IDS)
def test_invite_writes_from_anywhere_else_are_refused(admin, origin, fetch_site):
    attacker = browser(admin, origin=origin, fetch_site=fetch_site)
    for body in ({"role": "operator", "note": "x"}, {"role": "operator"}):
        r = create(attacker, body)
        assert r.status_code == 403
        assert r.json()["error"] == "FORBIDDEN"
        assert "CSRF" in r.json()["message"]
    assert not WorkspaceInvite.objects.exists()
    made = create(browser(admin), {"role": "viewer", "note": "x"}).json()
    assert attacker.delete(f"/terminals/api/invites/{made['id']}").status_code == 403
    assert WorkspaceInvite.objects.get().revoked_at is None
    assert browser(admin).delete(f"/terminals/api/invites/{made['id']}").json() == {"success": True}


@pytest.mark.parametrize(("origin", "fetch_site"), REFUSED, ids=REFUSED_IDS)
def test_role_change_and_removal_from_anywhere_else_are_refused(
    owner, user_factory, origin, fetch_site
):
    member = user_factory(role=Role.VIEWER)
    attacker = browser(owner, origin=origin, fetch_site=fetch_site)
    r = attacker.patch(
        f"/terminals/api/users/{member.public_id}/role", {"role": "admin"}, format="json"
    )
    assert r.status_code == 403
    assert attacker.delete(f"/terminals/api/users/{member.public_id}").status_code == 403
    member.refresh_from_db()
    assert (member.role, member.is_member) == (Role.VIEWER, True)


def test_role_change_and_removal_from_the_ui(owner, user_factory):
    member = user_factory(role=Role.VIEWER, name="Mo")
    client = browser(owner)
    r = client.patch(
        f"/terminals/api/users/{member.public_id}/role", {"role": "operator"}, format="json"
    )
    assert r.status_code == 200
    assert r.json() == {
        "success": True,
        "user": {"id": member.public_id, "name": "Mo", "role": "operator"},
    }
    r = client.delete(f"/terminals/api/users/{member.public_id}")
    assert (r.status_code, r.json()) == (200, {"success": True})
    member.refresh_from_db()
    assert not member.is_member


# --- sign-in with ?invite= ---------------------------------------------------------------------


def sign_in_through_the_ui(client, query: str = ""):  # type: ignore[no-untyped-def]
    start = client.get(f"/terminals/api/auth/github{query}")
    assert start.status_code == 302
    assert start["Location"].startswith("https://github.com/login/oauth/authorize?")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    return client.get("/auth/github/callback", {"code": "the-code", "state": state})


def test_an_invite_brought_to_sign_in_is_accepted_once_signed_in(client, github, owner):  # noqa: F811
    made = create(browser(owner), {"role": "operator", "note": "for octo"}).json()
    done = sign_in_through_the_ui(client, f"?invite={made['token']}")
    assert (done.status_code, done["Location"]) == (302, "/")
    user = User.objects.get(email="octo@example.com")
    assert (user.is_member, user.role) == (True, Role.OPERATOR)
    assert WorkspaceInvite.objects.get().used_count == 1
    me = client.get("/terminals/api/auth/me").json()["user"]
    assert (me["id"], me["role"]) == (user.public_id, "operator")
    assert ui_signin.PENDING_INVITE_KEY not in client.session


def test_without_an_invite_the_new_account_is_not_a_member(client, github, owner):  # noqa: F811
    sign_in_through_the_ui(client)
    user = User.objects.get(email="octo@example.com")
    assert not user.is_member
    assert client.get("/terminals/api/auth/me").json()["user"]["role"] is None


@pytest.mark.parametrize("state", ["unknown", "revoked", "used_up"])
def test_a_dead_invite_signs_in_without_membership(client, github, owner, user_factory, state):  # noqa: F811
    made = create(browser(owner), {"role": "operator", "max_uses": 1}).json()
    token = made["token"]
    if state == "unknown":
        token = "not-a-real-token"
    elif state == "revoked":
        services.workspace_invite_revoke(invite_id=made["id"])
    else:
        services.workspace_invite_accept(token=token, user=user_factory(is_member=False))
    done = sign_in_through_the_ui(client, f"?invite={token}")
    assert done.status_code == 302
    user = User.objects.get(email="octo@example.com")
    assert not user.is_member
    assert client.get("/terminals/api/auth/me").json()["user"]["id"] == user.public_id


def test_a_stale_pending_invite_is_not_accepted(client, github, owner):  # noqa: F811
    token = create(browser(owner), {"role": "operator", "note": "x"}).json()["token"]
    start = client.get(f"/terminals/api/auth/github?invite={token}")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    session = client.session  # the sign-in took longer than the pending invite lives
    session[ui_signin.PENDING_INVITE_KEY]["at"] -= ui_signin.PENDING_INVITE_TTL + 1
    session.save()
    client.get("/auth/github/callback", {"code": "the-code", "state": state})
    assert not User.objects.get(email="octo@example.com").is_member
    assert WorkspaceInvite.objects.get().used_count == 0


def test_the_pending_invite_also_rides_the_email_sign_in(client, owner, user_factory, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    person = user_factory(email="pat@example.com", password="pw-Lobby-123", is_member=False)
    token = create(browser(owner), {"role": "operator", "note": "x"}).json()["token"]
    r = client.get(f"/terminals/api/auth/github?invite={token}")
    assert r.status_code == 404  # GitHub isn't configured: the same answer as /auth/github
    r = client.post("/accounts/login/", {"login": "pat@example.com", "password": "pw-Lobby-123"})
    assert r.status_code == 302
    person.refresh_from_db()
    assert (person.is_member, person.role) == (True, Role.OPERATOR)


def test_a_pending_invite_is_used_by_the_next_sign_in_only(client, owner, user_factory, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    first = user_factory(email="a@example.com", password="pw-Lobby-123", is_member=False)
    second = user_factory(email="b@example.com", password="pw-Lobby-123", is_member=False)
    token = create(browser(owner), {"role": "viewer", "note": "x"}).json()["token"]
    client.get(f"/terminals/api/auth/github?invite={token}")
    client.post("/accounts/login/", {"login": "a@example.com", "password": "pw-Lobby-123"})
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"login": "b@example.com", "password": "pw-Lobby-123"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_member, second.is_member) == (True, False)
