"""Redeeming a host invite (service) and its /g/<code> landing page."""

import pytest
from django.conf import settings

from accounts.models import Role
from config.errors import DomainError
from invites import services
from invites.exceptions import HostInviteNotFoundError, InviteUnavailableError
from invites.models import HostInvite, HostInviteRedemption
from tests.invites.conftest import expire

pytestmark = pytest.mark.django_db


def reason_of(code, user):
    with pytest.raises(InviteUnavailableError) as info:
        services.host_invite_redeem(code=code, user=user)
    return info.value.reason


# --- service --------------------------------------------------------------------------------


def test_redeem_counts_one_grant_records_who_when_where_and_admits(
    host_invite_factory, fake_rooms, user
):
    invite = host_invite_factory(target="fakeroom:room1", max_grants=2)
    result = services.host_invite_redeem(
        code=invite.code, user=user, ip="198.51.100.7", user_agent="UA/1"
    )
    assert result.counted
    assert result.url == "/fake/room1"
    assert fake_rooms.admitted == [(user.pk, "room1")]
    invite.refresh_from_db()
    assert invite.grants == 1
    row = HostInviteRedemption.objects.get(invite=invite)
    assert (row.user, row.ip, row.user_agent) == (user, "198.51.100.7", "UA/1")
    assert row.created_at is not None


def test_same_user_twice_uses_one_grant_and_is_let_in_again(host_invite_factory, fake_rooms, user):
    invite = host_invite_factory(target="fakeroom:room1", max_grants=1)
    assert services.host_invite_redeem(code=invite.code, user=user).counted
    again = services.host_invite_redeem(code=invite.code, user=user)  # also: now used up
    assert not again.counted
    assert again.url == "/fake/room1"
    invite.refresh_from_db()
    assert invite.grants == 1
    assert HostInviteRedemption.objects.count() == 1


def test_creator_does_not_use_a_grant(host_invite_factory, user):
    invite = host_invite_factory(creator=user)
    result = services.host_invite_redeem(code=invite.code, user=user)
    assert (result.counted, result.url) == (False, "/")
    invite.refresh_from_db()
    assert invite.grants == 0


def test_no_target_sends_to_the_lobby(host_invite_factory, user):
    invite = host_invite_factory()
    assert services.host_invite_redeem(code=invite.code, user=user).url == "/"


def test_code_as_typed_is_normalized(host_invite_factory, user):
    invite = host_invite_factory()
    typed = f" {invite.code[:4].lower()}-{invite.code[4:]} "
    assert services.host_invite_redeem(code=typed, user=user).counted


def test_used_up(host_invite_factory, user_factory):
    invite = host_invite_factory(max_grants=1)
    services.host_invite_redeem(code=invite.code, user=user_factory())
    assert reason_of(invite.code, user_factory()) == "used_up"
    invite.refresh_from_db()
    assert invite.grants == 1
    assert HostInviteRedemption.objects.count() == 1


def test_expired(host_invite_factory, user):
    invite = host_invite_factory()
    expire(invite)
    assert reason_of(invite.code, user) == "expired"
    assert not HostInviteRedemption.objects.exists()


def test_revoked(host_invite_factory, user):
    invite = host_invite_factory()
    services.host_invite_revoke(invite=invite, by=invite.creator)
    assert reason_of(invite.code, user) == "revoked"
    assert HostInvite.objects.get(pk=invite.pk).grants == 0


def test_revoked_invite_does_not_readmit_earlier_guests(host_invite_factory, user):
    invite = host_invite_factory()
    services.host_invite_redeem(code=invite.code, user=user)
    services.host_invite_revoke(invite=invite, by=invite.creator)
    assert reason_of(invite.code, user) == "revoked"


def test_target_gone(host_invite_factory, fake_rooms, user):
    invite = host_invite_factory(target="fakeroom:room1")
    fake_rooms.rooms.clear()
    assert reason_of(invite.code, user) == "target_gone"
    assert HostInvite.objects.get(pk=invite.pk).grants == 0
    assert fake_rooms.admitted == []


def test_admission_failure_rolls_the_grant_back(host_invite_factory, fake_rooms, user):
    invite = host_invite_factory(target="fakeroom:room1")

    def full(user, target_id):  # type: ignore[no-untyped-def]
        raise DomainError("The room is full")

    from invites import targets

    kind = targets.target_kinds()["fakeroom"]
    targets.register_target(
        "fakeroom",
        label=kind.label,
        describe=kind.describe,
        admit=full,
        may_invite=kind.may_invite,
        needs_id=True,
    )
    with pytest.raises(DomainError, match="full"):
        services.host_invite_redeem(code=invite.code, user=user)
    invite.refresh_from_db()
    assert invite.grants == 0
    assert not HostInviteRedemption.objects.exists()


@pytest.mark.parametrize("code", ["", "ZZZZZZZZ", "0000OOOO", "short", "A" * 9, "x" * 10_000])
def test_unknown_code(user, code):
    with pytest.raises(HostInviteNotFoundError):
        services.host_invite_redeem(code=code, user=user)


def test_revoke_by_someone_else_is_not_found(host_invite_factory, user):
    invite = host_invite_factory()
    with pytest.raises(HostInviteNotFoundError):
        services.host_invite_revoke(invite=invite, by=user)
    assert HostInvite.objects.get(pk=invite.pk).revoked_at is None


# --- /g/<code> page -------------------------------------------------------------------------


def test_landing_shows_who_what_until_when_and_uses_left(client, host_invite_factory, fake_rooms):
    invite = host_invite_factory(target="fakeroom:room1", max_grants=3)
    invite.creator.name = "Ada Host"
    invite.creator.save()
    r = client.get(f"/g/{invite.code}")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Ada Host" in html
    assert "Fake room room1" in html
    assert "3 of 3" in html
    assert invite.expires_at.strftime("%Y") in html
    assert f"/accounts/login/?next=/g/{invite.code}" in html  # sign in, then come back


def test_landing_post_without_sign_in_goes_to_login(client, host_invite_factory):
    invite = host_invite_factory()
    r = client.post(f"/g/{invite.code}")
    assert r.status_code == 302
    assert r["Location"] == f"/accounts/login/?next=/g/{invite.code}"
    assert HostInvite.objects.get(pk=invite.pk).grants == 0


def test_landing_join_redirects_to_the_target_and_counts(
    client, host_invite_factory, fake_rooms, user
):
    invite = host_invite_factory(target="fakeroom:room1")
    client.force_login(user)
    r = client.post(f"/g/{invite.code}", REMOTE_ADDR="192.0.2.44")
    assert r.status_code == 302
    assert r["Location"] == "/fake/room1"
    invite.refresh_from_db()
    assert invite.grants == 1
    assert HostInviteRedemption.objects.get().ip == "192.0.2.44"
    page = client.get(f"/g/{invite.code}").content.decode()
    assert "You already joined" in page
    client.post(f"/g/{invite.code}")
    invite.refresh_from_db()
    assert invite.grants == 1


@pytest.mark.parametrize(
    ("state", "text"),
    [
        ("expired", "This invite has expired"),
        ("revoked", "This invite has been revoked"),
        ("used_up", "used the maximum number of times"),
    ],
)
def test_landing_says_why_an_invite_cannot_be_used(
    client, host_invite_factory, user_factory, state, text
):
    invite = host_invite_factory(max_grants=1)
    if state == "expired":
        expire(invite)
    elif state == "revoked":
        services.host_invite_revoke(invite=invite, by=invite.creator)
    else:
        services.host_invite_redeem(code=invite.code, user=user_factory())
    client.force_login(user_factory())
    r = client.get(f"/g/{invite.code}")
    assert text in r.content.decode()
    assert 'data-testid="join"' not in r.content.decode()
    r = client.post(f"/g/{invite.code}")
    assert r.status_code == 400
    assert text in r.content.decode()
    assert HostInvite.objects.get(pk=invite.pk).grants == (1 if state == "used_up" else 0)


def test_landing_unknown_code_is_404_page(client):
    r = client.get("/g/ZZZZZZZZ")
    assert r.status_code == 404
    assert "Invite not found" in r.content.decode()


def test_guessing_codes_is_rate_limited(client, host_invite_factory, settings_override=None):
    invite = host_invite_factory()
    limit = int(settings.INVITES_RATE_LOOKUP.split("/")[0])
    for i in range(limit):
        assert client.get(f"/g/ZZZZZZ{i:02d}").status_code == 404
    assert client.get("/g/ZZZZZZZZ").status_code == 429
    assert client.get(f"/g/{invite.code}").status_code == 429


def test_invite_to_the_terminal_workspace_leads_there(client, user, user_factory):
    """The terminals app registers `terminals` (no id): the real registry, end to end."""
    from invites import targets

    assert "terminals" in targets.target_kinds()
    host = user_factory(role=Role.ADMIN)
    invite = services.host_invite_create(
        creator=host, expires_in=600, max_grants=1, target="terminals"
    )
    assert invite.target_label
    client.force_login(user)
    r = client.post(f"/g/{invite.code}")
    assert r.status_code == 302
    assert r["Location"].startswith("/terminals/")
    invite.refresh_from_db()
    assert invite.grants == 1
