"""CHROTE's /terminals/api/invites: create, list, revoke, validate, accept."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Role
from accounts.tokens import digest
from config.broadcast import group_name
from invites.models import WorkspaceInvite, WorkspaceInviteAcceptance
from tests.invites.conftest import expire

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(user_factory):  # type: ignore[no-untyped-def]
    return user_factory(role=Role.ADMIN, password=None, name="Admin")


@pytest.fixture
def admin_client(bearer_client, admin):  # type: ignore[no-untyped-def]
    return bearer_client(admin)


def create(client, **body):
    return client.post("/terminals/api/invites", body, format="json")


def test_create_with_defaults(admin_client, admin):
    r = create(admin_client)
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"id", "token", "url", "role", "expiresAt", "usedCount"}
    assert body["id"].startswith("inv_")
    assert body["role"] == "viewer"
    assert body["usedCount"] == 0
    assert body["url"] == f"http://testserver/terminals/invite/{body['token']}"
    expires = parse_datetime(body["expiresAt"])
    assert (expires - timezone.now()).total_seconds() == pytest.approx(604800, abs=5)
    invite = WorkspaceInvite.objects.get(public_id=body["id"])
    assert invite.token_digest == digest(body["token"])  # only the digest is stored
    assert invite.created_by == admin
    assert len(body["token"]) >= 16 and body["token"].isalnum()


def test_create_operator_invite(admin_client):
    r = create(admin_client, role="operator", expiresIn=3600)
    assert r.status_code == 201
    assert r.json()["role"] == "operator"


@pytest.mark.parametrize(
    ("expires_in", "ok"),
    [(300, True), (2592000, True), (299, False), (2592001, False), (0, False), (-1, False)],
)
def test_expiry_bounds(admin_client, expires_in, ok):
    r = create(admin_client, expiresIn=expires_in)
    assert r.status_code == (201 if ok else 400)
    if not ok:
        assert r.json()["error"] == "VALIDATION_ERROR"
        assert "expiresIn" in r.json()["details"]
        assert not WorkspaceInvite.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"role": "admin"},
        {"role": "owner"},
        {"role": "root"},
        {"role": 1},
        {"role": None},
        {"expiresIn": "3600"},
        {"expiresIn": 3600.5},
        {"expiresIn": True},
        {"expiresIn": None},
        [],
    ],
)
def test_bad_create_bodies_are_400(admin_client, body):
    r = admin_client.post("/terminals/api/invites", body, format="json")
    assert r.status_code == 400
    assert r.json()["error"] == "VALIDATION_ERROR"
    assert not WorkspaceInvite.objects.exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_only_admins_create_list_and_revoke(bearer_client, user_factory, admin_client, role):
    invite_id = create(admin_client).json()["id"]
    client = bearer_client(user_factory(role=role, password=None))
    for r in (
        create(client),
        client.get("/terminals/api/invites"),
        client.delete(f"/terminals/api/invites/{invite_id}"),
    ):
        assert r.status_code == 403
        assert r.json() == {"error": "FORBIDDEN", "message": "Insufficient permissions"}
    assert WorkspaceInvite.objects.count() == 1
    assert WorkspaceInvite.objects.get().revoked_at is None


def test_anonymous_is_401(api, db):
    for r in (
        api.post("/terminals/api/invites", {}, format="json"),
        api.get("/terminals/api/invites"),
        api.delete("/terminals/api/invites/inv_x"),
        api.post("/terminals/api/invites/tok/accept"),
    ):
        assert r.status_code == 401
        assert r.json() == {"error": "UNAUTHORIZED", "message": "Authentication required"}


def test_list(admin_client, admin):
    first = create(admin_client, role="operator").json()
    second = create(admin_client).json()
    admin_client.delete(f"/terminals/api/invites/{first['id']}")
    r = admin_client.get("/terminals/api/invites")
    assert r.status_code == 200
    invites = r.json()["invites"]
    assert [i["id"] for i in invites] == [second["id"], first["id"]]
    assert invites[1] == {
        "id": first["id"],
        "role": "operator",
        "createdBy": admin.public_id,
        "createdAt": invites[1]["createdAt"],
        "expiresAt": first["expiresAt"],
        "usedCount": 0,
        "revoked": True,
    }
    assert invites[0]["revoked"] is False
    assert "token" not in invites[0]


def test_revoke(admin_client):
    body = create(admin_client).json()
    r = admin_client.delete(f"/terminals/api/invites/{body['id']}")
    assert r.status_code == 200
    assert r.json() == {"success": True}
    assert WorkspaceInvite.objects.get().revoked_at is not None
    r = admin_client.delete("/terminals/api/invites/inv_nope")
    assert r.status_code == 404
    assert r.json() == {"error": "NOT_FOUND", "message": "Invite not found"}


def test_validate_is_public(api, admin_client):
    body = create(admin_client, role="operator").json()
    r = api.get(f"/terminals/api/invites/{body['token']}/validate")
    assert r.status_code == 200
    assert r.json() == {"valid": True, "role": "operator"}
    api.credentials(HTTP_AUTHORIZATION="Bearer junk")  # a stale token does not matter here
    assert api.get(f"/terminals/api/invites/{body['token']}/validate").json()["valid"] is True


def test_validate_reasons(api, admin_client):
    expired = create(admin_client).json()
    expire(WorkspaceInvite.objects.get(public_id=expired["id"]))
    revoked = create(admin_client).json()
    admin_client.delete(f"/terminals/api/invites/{revoked['id']}")
    for token, reason in (
        (expired["token"], "expired"),
        (revoked["token"], "revoked"),
        ("NoSuchToken123", "not_found"),
        ("x" * 1000, "not_found"),
    ):
        r = api.get(f"/terminals/api/invites/{token}/validate")
        assert r.status_code == 200
        assert r.json() == {"valid": False, "reason": reason}


def test_validate_guessing_is_rate_limited(api, settings):
    settings.INVITES_RATE_LOOKUP = "3/m"
    for i in range(3):
        assert api.get(f"/terminals/api/invites/guess{i}/validate").status_code == 200
    r = api.get("/terminals/api/invites/guess9/validate")
    assert r.status_code == 429
    assert r.json()["error"] == "RATE_LIMITED"


def test_accept_raises_role_and_counts_once(bearer_client, user_factory, admin_client):
    body = create(admin_client, role="operator").json()
    viewer = user_factory(role=Role.VIEWER, password=None)
    client = bearer_client(viewer)
    r = client.post(f"/terminals/api/invites/{body['token']}/accept")
    assert r.status_code == 200
    assert r.json() == {"success": True, "role": "operator"}
    viewer.refresh_from_db()
    assert viewer.role == Role.OPERATOR
    again = client.post(f"/terminals/api/invites/{body['token']}/accept")
    assert again.json() == {"success": True, "role": "operator"}
    invite = WorkspaceInvite.objects.get()
    assert invite.used_count == 1
    row = WorkspaceInviteAcceptance.objects.get()
    assert (row.user, row.role_before, row.role_after) == (viewer, "viewer", "operator")


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.ADMIN, Role.OWNER])
def test_accept_never_lowers_a_role(bearer_client, user_factory, admin_client, role):
    body = create(admin_client, role="viewer").json()
    member = user_factory(role=role, password=None)
    r = bearer_client(member).post(f"/terminals/api/invites/{body['token']}/accept")
    assert r.json() == {"success": True, "role": role}
    member.refresh_from_db()
    assert member.role == role
    assert WorkspaceInvite.objects.get().used_count == 1


def test_accept_invalid_tokens(bearer_client, user_factory, admin_client):
    expired = create(admin_client, role="operator").json()
    expire(WorkspaceInvite.objects.get(public_id=expired["id"]))
    revoked = create(admin_client, role="operator").json()
    admin_client.delete(f"/terminals/api/invites/{revoked['id']}")
    viewer = user_factory(role=Role.VIEWER, password=None)
    client = bearer_client(viewer)
    for token, reason in (
        (expired["token"], "expired"),
        (revoked["token"], "revoked"),
        ("nope", "not_found"),
    ):
        r = client.post(f"/terminals/api/invites/{token}/accept")
        assert r.status_code == 400
        assert r.json() == {
            "error": "INVALID_TOKEN",
            "message": "Invite token invalid or expired",
            "details": {"reason": reason},
        }
    viewer.refresh_from_db()
    assert viewer.role == Role.VIEWER
    assert not WorkspaceInviteAcceptance.objects.exists()
    assert all(i.used_count == 0 for i in WorkspaceInvite.objects.all())


def test_accept_broadcasts_the_new_role(
    bearer_client, user_factory, admin_client, django_capture_on_commit_callbacks
):
    body = create(admin_client, role="operator").json()
    viewer = user_factory(role=Role.VIEWER, password=None)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)("test.")
    async_to_sync(layer.group_add)(group_name("user", viewer.public_id), channel)
    with django_capture_on_commit_callbacks(execute=True):
        bearer_client(viewer).post(f"/terminals/api/invites/{body['token']}/accept")
    message = async_to_sync(layer.receive)(channel)
    assert message["type"] == "user.changed"
    assert message["payload"] == {"role": "operator", "active": True, "member": True}


def test_cookie_accept_needs_csrf(user_factory, admin_client):
    from rest_framework.test import APIClient

    body = create(admin_client, role="operator").json()
    viewer = user_factory(role=Role.VIEWER, password=None)
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(viewer)
    r = browser.post(f"/terminals/api/invites/{body['token']}/accept")
    assert r.status_code == 403
    viewer.refresh_from_db()
    assert viewer.role == Role.VIEWER
