"""CHROTE's /terminals/api/users: list, change role, remove, and every role rule."""

import itertools
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection

from accounts.models import ApiSession, Role, User
from config.broadcast import group_name
from config.errors import DomainError
from invites import members
from invites.models import MemberEvent

pytestmark = pytest.mark.django_db

ROLES = [Role.VIEWER, Role.OPERATOR, Role.ADMIN, Role.OWNER]

# Who may give whom which role: (actor role, target's role, new role) -> allowed.
# Viewers and operators: never. Admins: only viewer <-> operator, on viewers and operators.
# Owners: anything (another owner exists, so the last-owner rule is not in play here).
ALLOWED = {
    (actor, target, new): (
        actor == Role.OWNER
        or (
            actor == Role.ADMIN
            and target in (Role.VIEWER, Role.OPERATOR)
            and new in (Role.VIEWER, Role.OPERATOR)
        )
    )
    for actor, target, new in itertools.product(ROLES, ROLES, ROLES)
}
DENIED_MESSAGE = {
    Role.VIEWER: "Insufficient permissions",
    Role.OPERATOR: "Insufficient permissions",
}


def patch_role(client, user_id, role):
    return client.patch(f"/terminals/api/users/{user_id}/role", {"role": role}, format="json")


@pytest.mark.parametrize(("actor_role", "target_role", "new_role"), sorted(ALLOWED))
def test_role_rules_table(bearer_client, user_factory, actor_role, target_role, new_role):
    user_factory(role=Role.OWNER, password=None)  # some other owner always exists
    actor = user_factory(role=actor_role, password=None)
    target = user_factory(role=target_role, password=None, name="Target")
    r = patch_role(bearer_client(actor), target.public_id, new_role)
    target.refresh_from_db()
    if ALLOWED[(actor_role, target_role, new_role)]:
        assert r.status_code == 200, r.json()
        assert r.json() == {
            "success": True,
            "user": {"id": target.public_id, "name": "Target", "role": new_role},
        }
        assert target.role == new_role
    else:
        assert r.status_code == 403
        body = r.json()
        assert body["error"] == "FORBIDDEN"
        if actor_role in DENIED_MESSAGE:
            assert body["message"] == "Insufficient permissions"
        elif target_role == Role.ADMIN:
            assert body["message"] == "Admins cannot modify other admins"
        assert target.role == target_role


@pytest.mark.parametrize(("actor_role", "target_role"), list(itertools.product(ROLES, ROLES)))
def test_removal_rules_table(bearer_client, user_factory, actor_role, target_role):
    user_factory(role=Role.OWNER, password=None)
    actor = user_factory(role=actor_role, password=None)
    target = user_factory(role=target_role, password=None)
    r = bearer_client(actor).delete(f"/terminals/api/users/{target.public_id}")
    allowed = actor_role == Role.OWNER or (
        actor_role == Role.ADMIN and target_role in (Role.VIEWER, Role.OPERATOR)
    )
    target.refresh_from_db()
    if allowed:
        assert r.status_code == 200
        assert r.json() == {"success": True}
        assert not target.is_member
        assert target.is_active  # out of the workspace; the account itself stays
    else:
        assert r.status_code == 403
        assert r.json()["error"] == "FORBIDDEN"
        assert target.is_member


@pytest.mark.parametrize("role", ROLES)
def test_nobody_changes_their_own_role(bearer_client, user_factory, role):
    user_factory(role=Role.OWNER, password=None)
    me = user_factory(role=role, password=None)
    for new in ROLES:
        r = patch_role(bearer_client(me), me.public_id, new)
        assert r.status_code == 403
    me.refresh_from_db()
    assert me.role == role


def test_owner_cannot_remove_themselves(bearer_client, user_factory):
    owner = user_factory(role=Role.OWNER, password=None)
    r = bearer_client(owner).delete(f"/terminals/api/users/{owner.public_id}")
    assert r.status_code == 403
    assert r.json() == {
        "error": "FORBIDDEN",
        "message": "You cannot remove yourself from the workspace",
    }
    owner.refresh_from_db()
    assert owner.is_active


def test_last_owner_rule_in_the_pure_check():
    assert (
        members.check_role_change(
            actor_role=Role.OWNER,
            actor_is_target=False,
            target_role=Role.OWNER,
            new_role=Role.ADMIN,
            owners=1,
        )
        == "The workspace must keep at least one owner"
    )
    assert (
        members.check_removal(
            actor_role=Role.OWNER, actor_is_target=False, target_role=Role.OWNER, owners=1
        )
        == "The workspace must keep at least one owner"
    )
    assert (
        members.check_role_change(
            actor_role=Role.OWNER,
            actor_is_target=False,
            target_role=Role.OWNER,
            new_role=Role.ADMIN,
            owners=2,
        )
        is None
    )


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(user_factory):
    a = user_factory(role=Role.OWNER, password=None)
    b = user_factory(role=Role.OWNER, password=None)
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(actor, target):  # type: ignore[no-untyped-def]
        barrier.wait(timeout=10)
        try:
            members.member_role_change(actor=actor, public_id=target.public_id, role=Role.ADMIN)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(a, b)),
        threading.Thread(target=demote, args=(b, a)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # the second one to commit is an admin by then, and admins cannot modify owners
    assert sorted(outcomes) == ["Admins cannot modify owners", "ok"]
    assert User.objects.filter(role=Role.OWNER, is_active=True).count() == 1


def test_superuser_demoted_stops_being_superuser(bearer_client, user_factory):
    owner = user_factory(role=Role.OWNER, password=None)
    su = User.objects.create_superuser(email="root@example.com", password=None)
    r = patch_role(bearer_client(owner), su.public_id, Role.ADMIN)
    assert r.status_code == 200
    su.refresh_from_db()
    assert (su.role, su.is_superuser) == (Role.ADMIN, False)


def test_list_users_admin_only_in_chrote_shape(bearer_client, user_factory):
    owner = user_factory(role=Role.OWNER, password=None, name="Owner", email="owner@example.com")
    alice = user_factory(role=Role.OPERATOR, password=None, name="Alice")
    gone = user_factory(role=Role.VIEWER, password=None)
    members.member_remove(actor=owner, public_id=gone.public_id)
    r = bearer_client(owner).get("/terminals/api/users")
    assert r.status_code == 200
    users = r.json()["users"]
    assert [u["id"] for u in users] == [owner.public_id, alice.public_id]  # removed: not listed
    assert users[0]["name"] == "Owner"
    assert users[0]["email"] == "owner@example.com"
    assert users[0]["role"] == "owner"
    assert users[0]["createdAt"].endswith("Z")
    assert {"id", "name", "email", "role", "createdAt"} <= set(users[0])
    for role in (Role.VIEWER, Role.OPERATOR):
        r = bearer_client(user_factory(role=role, password=None)).get("/terminals/api/users")
        assert r.status_code == 403
        assert r.json() == {"error": "FORBIDDEN", "message": "Insufficient permissions"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/terminals/api/users"),
        ("patch", "/terminals/api/users/user_x/role"),
        ("delete", "/terminals/api/users/user_x"),
    ],
)
def test_unauthenticated_is_401_with_chrote_body(api, db, method, path):
    r = getattr(api, method)(path, {"role": "viewer"}, format="json")
    assert r.status_code == 401
    assert r.json() == {"error": "UNAUTHORIZED", "message": "Authentication required"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"role": "god"},
        {"role": ""},
        {"role": 1},
        {"role": True},
        {"role": ["admin"]},
        {"role": None},
        {"role": "Admin"},
        [],
        "admin",
    ],
)
def test_bad_role_body_is_400_validation_error(bearer_client, user_factory, body):
    owner = user_factory(role=Role.OWNER, password=None)
    target = user_factory(role=Role.VIEWER, password=None)
    r = bearer_client(owner).patch(
        f"/terminals/api/users/{target.public_id}/role", body, format="json"
    )
    assert r.status_code == 400
    assert r.json()["error"] == "VALIDATION_ERROR"
    assert isinstance(r.json()["message"], str)
    target.refresh_from_db()
    assert target.role == Role.VIEWER


@pytest.mark.parametrize("user_id", ["user_nope", "x" * 500, "1"])
def test_unknown_user_is_404(bearer_client, user_factory, user_id):
    owner = user_factory(role=Role.OWNER, password=None)
    client = bearer_client(owner)
    assert patch_role(client, user_id, "viewer").json() == {
        "error": "NOT_FOUND",
        "message": "User not found",
    }
    r = client.delete(f"/terminals/api/users/{user_id}")
    assert r.status_code == 404


def test_removal_signs_the_user_out_everywhere(bearer, bearer_client, user_factory, client):
    owner = user_factory(role=Role.OWNER, password=None)
    victim = user_factory(role=Role.OPERATOR)
    token = bearer(victim)
    client.force_login(victim)
    assert client.get("/auth/me").status_code == 200
    r = bearer_client(owner).delete(f"/terminals/api/users/{victim.public_id}")
    assert r.status_code == 200
    assert not ApiSession.objects.filter(user=victim, revoked_at__isnull=True).exists()
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/auth/me").status_code == 401
    # The cookie still names the account, which is no longer a member: no terminals at all.
    assert client.get("/auth/me").json()["role"] is None
    r = client.get("/terminals/api/sessions")
    assert r.status_code == 403
    assert r.json() == {"error": "FORBIDDEN", "message": "You are not a member of this workspace"}
    assert client.get("/terminals/").status_code == 403
    again = bearer_client(owner).delete(f"/terminals/api/users/{victim.public_id}")
    assert again.status_code == 404
    assert MemberEvent.objects.filter(target=victim, kind="removed").count() == 1


def test_demotion_revokes_api_sessions_and_the_cookie_gets_the_new_role(
    bearer_client, user_factory, client
):
    owner = user_factory(role=Role.OWNER, password=None)
    admin = user_factory(role=Role.ADMIN, password=None)
    admin_client = bearer_client(admin)
    client.force_login(admin)
    assert admin_client.get("/terminals/api/users").status_code == 200
    assert patch_role(bearer_client(owner), admin.public_id, Role.OPERATOR).status_code == 200
    assert admin_client.get("/terminals/api/users").status_code == 401  # revoked at once
    assert client.get("/terminals/api/users").status_code == 403


def test_role_change_and_removal_are_broadcast_after_commit(
    user_factory, django_capture_on_commit_callbacks
):
    owner = user_factory(role=Role.OWNER, password=None)
    target = user_factory(role=Role.OPERATOR, password=None)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)("test.")
    async_to_sync(layer.group_add)(group_name("user", target.public_id), channel)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        members.member_role_change(actor=owner, public_id=target.public_id, role=Role.VIEWER)
    assert len(callbacks) == 1
    message = async_to_sync(layer.receive)(channel)
    assert message["type"] == "user.changed"
    assert message["payload"] == {"role": "viewer", "active": True, "member": True}
    with django_capture_on_commit_callbacks(execute=True):
        members.member_remove(actor=owner, public_id=target.public_id)
    message = async_to_sync(layer.receive)(channel)
    assert message["payload"] == {"role": "viewer", "active": True, "member": False}


def test_refused_change_broadcasts_nothing(user_factory, django_capture_on_commit_callbacks):
    admin = user_factory(role=Role.ADMIN, password=None)
    other = user_factory(role=Role.ADMIN, password=None)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(DomainError):
        members.member_role_change(actor=admin, public_id=other.public_id, role=Role.VIEWER)
    assert callbacks == []


def test_role_changes_are_audited(bearer_client, user_factory):
    owner = user_factory(role=Role.OWNER, password=None)
    target = user_factory(role=Role.VIEWER, password=None)
    patch_role(bearer_client(owner), target.public_id, Role.OPERATOR)
    event = MemberEvent.objects.get(target=target)
    assert (event.actor, event.kind, event.role_before, event.role_after) == (
        owner,
        "role",
        "viewer",
        "operator",
    )
