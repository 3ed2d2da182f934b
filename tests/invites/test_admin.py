"""The Django admin: both kinds of invites with who used them, and a revoke action."""

import pytest

from accounts.models import Role, User
from invites import members, services
from invites.models import HostInvite, WorkspaceInvite

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):  # type: ignore[no-untyped-def]
    root = User.objects.create_superuser(email="root@example.com", password=None)
    client.force_login(root)
    return client


def test_host_invites_in_the_admin_with_redemptions_and_revoke(
    staff_client, host_invite_factory, user_factory
):
    invite = host_invite_factory()
    guest = user_factory(email="guest@example.com")
    services.host_invite_redeem(code=invite.code, user=guest, ip="203.0.113.1")
    r = staff_client.get("/admin/invites/hostinvite/")
    assert r.status_code == 200
    assert invite.code in r.content.decode()
    page = staff_client.get(f"/admin/invites/hostinvite/{invite.pk}/change/").content.decode()
    assert "guest@example.com" in page
    assert "203.0.113.1" in page
    r = staff_client.post(
        "/admin/invites/hostinvite/",
        {"action": "revoke", "_selected_action": [invite.pk]},
    )
    assert r.status_code == 302
    assert HostInvite.objects.get(pk=invite.pk).revoked_at is not None
    assert staff_client.get("/admin/invites/hostinviteredemption/").status_code == 200


def test_workspace_invites_in_the_admin_with_acceptances_and_revoke(staff_client, user_factory):
    admin = user_factory(role=Role.ADMIN)
    invite, token = services.workspace_invite_create(by=admin, role="operator", expires_in=3600)
    joiner = user_factory(email="joiner@example.com")
    services.workspace_invite_accept(token=token, user=joiner, ip="203.0.113.2")
    page = staff_client.get(f"/admin/invites/workspaceinvite/{invite.pk}/change/").content.decode()
    assert "joiner@example.com" in page
    assert "203.0.113.2" in page
    assert token not in page
    staff_client.post(
        "/admin/invites/workspaceinvite/",
        {"action": "revoke", "_selected_action": [invite.pk]},
    )
    assert WorkspaceInvite.objects.get(pk=invite.pk).revoked_at is not None
    assert staff_client.get("/admin/invites/workspaceinviteacceptance/").status_code == 200


def test_member_events_in_the_admin(staff_client, user_factory):
    owner = user_factory(role=Role.OWNER)
    target = user_factory(email="target@example.com")
    members.member_role_change(actor=owner, public_id=target.public_id, role="operator")
    page = staff_client.get("/admin/invites/memberevent/").content.decode()
    assert "target@example.com" in page
