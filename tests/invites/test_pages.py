"""Server-rendered pages: my invites, an invite's page, the workspace invite page, members."""

import re

import pytest
from django.urls import resolve

from accounts.models import Role, User
from invites import services
from invites.models import HostInvite, WorkspaceInvite
from tests.invites.conftest import expire

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "view"),
    [
        ("/host-invites", "HostInvitesView"),
        ("/host-invites/ABCDEFGH", "HostInviteView"),
        ("/g/ABCDEFGH", "landing"),
        ("/invites/", "my_invites"),
        ("/terminals/api/users", "UsersView"),
        ("/terminals/api/users/user_x", "UserView"),
        ("/terminals/api/users/user_x/role", "UserRoleView"),
        ("/terminals/api/invites", "InvitesView"),
        ("/terminals/api/invites/inv_x", "InviteView"),
        ("/terminals/api/invites/tok/validate", "InviteValidateView"),
        ("/terminals/api/invites/tok/accept", "InviteAcceptView"),
        ("/terminals/invite/tok", "workspace_landing"),
        ("/terminals/members/", "members_page"),
    ],
)
def test_paths_reach_this_app_in_the_site_urlconf(path, view):
    match = resolve(path, urlconf="config.urls")
    assert match.func.__module__.startswith("invites.")
    assert getattr(match.func, "view_class", match.func).__name__ == view


# --- my invites -----------------------------------------------------------------------------


def test_my_invites_needs_sign_in(client):
    r = client.get("/invites/")
    assert r.status_code == 302
    assert r["Location"].startswith("/accounts/login/?next=/invites/")


def test_create_list_and_revoke_from_my_invites(client, user):
    client.force_login(user)
    r = client.post("/invites/", {"expires_in": "600", "max_grants": "3", "target": ""})
    assert r.status_code == 302
    invite = HostInvite.objects.get(creator=user)
    assert (invite.max_grants, invite.target) == (3, "")
    page = client.get("/invites/").content.decode()
    assert invite.code in page
    assert f"/g/{invite.code}" in page
    r = client.post(f"/invites/{invite.code}/revoke")
    assert r.status_code == 302
    invite.refresh_from_db()
    assert invite.revoked_at is not None


@pytest.mark.parametrize(
    "form",
    [
        {"expires_in": "599", "max_grants": "3"},
        {"expires_in": "108001", "max_grants": "3"},
        {"expires_in": "abc", "max_grants": "3"},
        {"expires_in": "600", "max_grants": "0"},
        {"expires_in": "600", "max_grants": "101"},
        {"expires_in": "600", "max_grants": "2.5"},
        {"expires_in": "600", "max_grants": "3", "target": "nope:1"},
    ],
)
def test_my_invites_form_refuses_bad_values(client, user, form):
    client.force_login(user)
    r = client.post("/invites/", form)
    assert r.status_code == 400
    assert 'data-testid="error"' in r.content.decode()
    assert not HostInvite.objects.exists()


def test_invite_page_shows_redemptions_to_its_creator_only(
    client, user, user_factory, host_invite_factory
):
    invite = host_invite_factory(creator=user)
    guest = user_factory(name="Guest Person")
    services.host_invite_redeem(code=invite.code, user=guest, ip="203.0.113.5")
    client.force_login(user)
    page = client.get(f"/invites/{invite.code}/").content.decode()
    assert "Guest Person" in page
    assert "203.0.113.5" in page
    client.force_login(guest)
    assert client.get(f"/invites/{invite.code}/").status_code == 404
    assert client.post(f"/invites/{invite.code}/revoke").status_code == 404
    assert HostInvite.objects.get(pk=invite.pk).revoked_at is None


def test_revoke_redirect_stays_on_this_site(client, user, host_invite_factory):
    invite = host_invite_factory(creator=user)
    client.force_login(user)
    r = client.post(f"/invites/{invite.code}/revoke", {"next": "https://evil.example/"})
    assert r["Location"] == "/"


# --- workspace invite page ------------------------------------------------------------------


def make_workspace_invite(role="operator"):  # type: ignore[no-untyped-def]
    admin = User.objects.create_user(
        email="inviter@example.com", role=Role.ADMIN, name="Ina", is_member=True
    )
    return services.workspace_invite_create(by=admin, role=role, expires_in=3600)


def test_workspace_page_walks_a_new_user_through_sign_in(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"github": {}, "google": {}}
    _, token = make_workspace_invite()
    r = client.get(f"/terminals/invite/{token}")
    assert r.status_code == 200
    page = r.content.decode()
    assert "Ina" in page
    assert "operator" in page
    assert f"/accounts/login/?next=/terminals/invite/{token}" in page
    assert f"/auth/github?next=/terminals/invite/{token}" in page
    assert f"/auth/google?next=/terminals/invite/{token}" in page
    assert f"/accounts/signup/?next=/terminals/invite/{token}" in page


def test_workspace_page_hides_unconfigured_providers(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    _, token = make_workspace_invite()
    page = client.get(f"/terminals/invite/{token}").content.decode()
    assert "/auth/github" not in page
    assert "Sign in with email" in page


def test_workspace_page_accept(client, user_factory):
    invite, token = make_workspace_invite()
    viewer = user_factory(role=Role.VIEWER, password=None)
    client.force_login(viewer)
    r = client.post(f"/terminals/invite/{token}")
    assert r.status_code == 302
    assert r["Location"] == "/terminals/"
    viewer.refresh_from_db()
    assert viewer.role == Role.OPERATOR
    invite.refresh_from_db()
    assert invite.used_count == 1
    assert "You already accepted" in client.get(f"/terminals/invite/{token}").content.decode()


def test_workspace_page_post_anonymous_goes_to_login(client):
    invite, token = make_workspace_invite()
    r = client.post(f"/terminals/invite/{token}")
    assert r.status_code == 302
    assert r["Location"] == f"/accounts/login/?next=/terminals/invite/{token}"
    invite.refresh_from_db()
    assert invite.used_count == 0


def test_workspace_page_invalid_tokens(client, user_factory):
    expired, expired_token = make_workspace_invite()
    expire(expired)
    revoked, revoked_token = services.workspace_invite_create(
        by=expired.created_by, role="viewer", expires_in=3600
    )
    services.workspace_invite_revoke(invite_id=revoked.public_id)
    client.force_login(user_factory(role=Role.VIEWER, password=None))
    for token, status, text in (
        (expired_token, 410, "has expired"),
        (revoked_token, 410, "has been revoked"),
        ("nonsense", 404, "not valid"),
    ):
        r = client.get(f"/terminals/invite/{token}")
        assert r.status_code == status
        assert text in r.content.decode()
        r = client.post(f"/terminals/invite/{token}")
        assert r.status_code == status
    assert not WorkspaceInvite.objects.filter(used_count__gt=0).exists()


# --- members page ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_members_page_is_for_admins(client, user_factory, role):
    client.force_login(user_factory(role=role, password=None))
    r = client.get("/terminals/members/")
    assert r.status_code == 403
    assert "Only admins can manage members" in r.content.decode()
    target = user_factory(role=Role.VIEWER, password=None)
    client.post(f"/terminals/members/{target.public_id}/role", {"role": "admin"})
    client.post(f"/terminals/members/{target.public_id}/remove")
    client.post("/terminals/members/invites", {"role": "viewer", "expires_in": "3600"})
    target.refresh_from_db()
    assert (target.role, target.is_active) == (Role.VIEWER, True)
    assert not WorkspaceInvite.objects.exists()


def test_members_page_offers_only_allowed_changes(client, user_factory):
    admin = user_factory(role=Role.ADMIN, password=None)
    other_admin = user_factory(role=Role.ADMIN, password=None)
    viewer = user_factory(role=Role.VIEWER, password=None)
    client.force_login(admin)
    page = client.get("/terminals/members/").content.decode()
    rows = dict(re.findall(r'data-user="(user_\w+)"(.*?)</tr>', page, flags=re.S))
    assert 'value="operator"' in rows[viewer.public_id]
    assert 'value="admin"' not in rows[viewer.public_id]
    assert 'data-testid="remove"' in rows[viewer.public_id]
    assert "role-select" not in rows[other_admin.public_id]
    assert 'data-testid="remove"' not in rows[other_admin.public_id]
    assert 'data-testid="remove"' not in rows[admin.public_id]


def test_members_page_change_remove_and_invite(client, user_factory):
    owner = user_factory(role=Role.OWNER, password=None)
    viewer = user_factory(role=Role.VIEWER, password=None)
    client.force_login(owner)
    client.post(f"/terminals/members/{viewer.public_id}/role", {"role": "admin"})
    viewer.refresh_from_db()
    assert viewer.role == Role.ADMIN
    r = client.post(f"/terminals/members/{viewer.public_id}/role", {"role": "god"})
    assert r.status_code == 302
    client.post(f"/terminals/members/{viewer.public_id}/remove")
    viewer.refresh_from_db()
    assert not viewer.is_member
    assert viewer.is_active
    r = client.post("/terminals/members/invites", {"role": "operator", "expires_in": "86400"})
    assert r.status_code == 201
    url = re.search(
        r'data-testid="new-invite-url"[^>]*|value="([^"]+/terminals/invite/\w+)"',
        r.content.decode(),
    )
    assert url is not None
    invite = WorkspaceInvite.objects.get()
    assert invite.role == "operator"
    token = re.search(r"/terminals/invite/(\w+)", r.content.decode()).group(1)
    from accounts.tokens import digest

    assert invite.token_digest == digest(token)
    assert token not in client.get("/terminals/members/").content.decode()  # shown once
    client.post(f"/terminals/members/invites/{invite.public_id}/revoke")
    invite.refresh_from_db()
    assert invite.revoked_at is not None
    r = client.post("/terminals/members/invites", {"role": "admin", "expires_in": "86400"})
    assert r.status_code == 302
    assert WorkspaceInvite.objects.count() == 1
