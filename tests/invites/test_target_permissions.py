"""Who may create a host invite to a room, and whether an old invite still lets people in.

Only a watch party's current host, a bingo game's creator, or a workspace admin+ may invite
people in: an invite skips the room's password or PIN. Everyone else gets Parsec's 403 and
nothing is stored, whether or not the room exists (the answer must not reveal room ids).
"""

from __future__ import annotations

import uuid

import pytest

from accounts.models import Role
from bingo import services as bingo_services
from bingo.models import Card
from invites import services, targets
from invites.exceptions import InviteUnavailableError, TargetNotAllowedError
from invites.models import HostInvite, HostInviteRedemption
from watchparty import services as wp_services
from watchparty.models import Participant

pytestmark = pytest.mark.django_db

BINGO_ADMIN = "caller@example.com"
FORBIDDEN = {"error": "You may not invite people to this target"}
UNKNOWN = {"error": "Unknown invite target"}


@pytest.fixture(autouse=True)
def _bingo_settings(settings):  # type: ignore[no-untyped-def]
    settings.BINGO_ADMIN_EMAILS = [BINGO_ADMIN]
    settings.BINGO_TSA_URLS = []  # the local time-stamp authority


def create(client, target):  # type: ignore[no-untyped-def]
    return client.post(
        "/host-invites", {"expires_in": 3600, "max_grants": 5, "target": target}, format="json"
    )


def assert_refused(r) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 403
    assert r.json() == FORBIDDEN
    assert not HostInvite.objects.exists()


# --- watch party ----------------------------------------------------------------------------


@pytest.fixture
def party_host(user_factory):  # type: ignore[no-untyped-def]
    return user_factory(name="Host")


@pytest.fixture
def party(party_host):  # type: ignore[no-untyped-def]
    room, _, _ = wp_services.party_create(name="Movie night", password="secure123", user=party_host)
    return room


def test_stranger_cannot_invite_to_a_watch_party(bearer_client, user, party):
    assert_refused(create(bearer_client(user), f"watchparty:{party.pk}"))


def test_member_who_is_not_the_host_cannot_invite_to_the_watch_party(
    bearer_client, user_factory, party
):
    member = user_factory()
    wp_services.party_join(session_id=str(party.pk), password="secure123", user=member)
    assert Participant.objects.filter(party=party, account=member).exists()
    assert_refused(create(bearer_client(member), f"watchparty:{party.pk}"))


def test_room_created_by_a_guest_has_no_one_who_may_invite(bearer_client, user_factory):
    room, _, _ = wp_services.party_create(name="Guest room", password="secure123")  # no account
    member = user_factory()
    wp_services.party_join(session_id=str(room.pk), password="secure123", user=member)
    assert_refused(create(bearer_client(member), f"watchparty:{room.pk}"))


def test_another_room_s_host_cannot_invite_to_this_one(bearer_client, user_factory, party):
    other_host = user_factory()
    wp_services.party_create(name="Other room", password="secure123", user=other_host)
    assert_refused(create(bearer_client(other_host), f"watchparty:{party.pk}"))


def test_host_who_handed_over_the_host_role_can_no_longer_invite(
    bearer_client, user_factory, party_host, party
):
    member = user_factory()
    wp_services.party_join(session_id=str(party.pk), password="secure123", user=member)
    wp_services.host_transfer(
        session_id=str(party.pk), user_id=party_host.public_id, target_user_id=member.public_id
    )
    assert_refused(create(bearer_client(party_host), f"watchparty:{party.pk}"))
    r = create(bearer_client(member), f"watchparty:{party.pk}")  # the new host may
    assert r.status_code == 201


def test_host_invites_to_the_watch_party_and_the_invitee_gets_in(
    bearer_client, client, user_factory, party_host, party
):
    r = create(bearer_client(party_host), f"watchparty:{party.pk}")
    assert r.status_code == 201
    data = r.json()["data"]
    assert (data["target"], data["target_label"]) == (
        f"watchparty:{party.pk}",
        "Watch party “Movie night”",
    )
    invitee = user_factory()
    client.force_login(invitee)
    page = client.post(f"/g/{data['code']}")
    assert page.status_code == 302
    assert page["Location"].startswith(f"/watchparty/room/{party.pk}#token=")
    assert HostInvite.objects.get(code=data["code"]).grants == 1
    assert Participant.objects.filter(party=party, account=invitee).exists()


@pytest.mark.parametrize("room_id", ["existing", "missing", "not-a-uuid", "x" * 150])
def test_stranger_gets_the_same_answer_whether_or_not_the_room_exists(
    bearer_client, user, party, room_id
):
    target_id = {"existing": str(party.pk), "missing": str(uuid.uuid4())}.get(room_id, room_id)
    assert_refused(create(bearer_client(user), f"watchparty:{target_id}"))


def test_host_of_a_closed_room_is_told_it_does_not_exist(bearer_client, party_host, party):
    wp_services.party_close(party=party)
    r = create(bearer_client(party_host), f"watchparty:{party.pk}")
    assert r.status_code == 400
    assert r.json() == UNKNOWN
    assert not HostInvite.objects.exists()


# --- bingo ----------------------------------------------------------------------------------


@pytest.fixture
def caller(user_factory):  # type: ignore[no-untyped-def]
    return user_factory(email=BINGO_ADMIN)


@pytest.fixture
def game(caller):  # type: ignore[no-untyped-def]
    return bingo_services.game_create(name="Friday", creator=caller)


def test_stranger_cannot_invite_to_a_bingo_game(bearer_client, user, game):
    assert_refused(create(bearer_client(user), f"bingo:{game.public_id}"))


def test_player_with_a_card_cannot_invite_to_the_game(bearer_client, user, game):
    bingo_services.card_join(game_id=game.public_id, user=user, pin=game.pin, who="t", ip="")
    assert_refused(create(bearer_client(user), f"bingo:{game.public_id}"))


def test_bingo_guest_player_cannot_invite_to_the_game(game):
    guest = bingo_services.session_create(
        email="guest@example.com", device_key_hash="dev-1", authenticated_user=None
    ).session.user
    bingo_services.card_join(game_id=game.public_id, user=guest, pin=game.pin, who="g", ip="")
    with pytest.raises(TargetNotAllowedError):
        services.host_invite_create(
            creator=guest, expires_in=3600, max_grants=5, target=f"bingo:{game.public_id}"
        )
    assert not HostInvite.objects.exists()


def test_another_game_s_creator_cannot_invite_to_this_game(bearer_client, caller, game):
    other_admin = type(caller).objects.create_user(email="second@example.com", password=None)
    assert_refused(create(bearer_client(other_admin), f"bingo:{game.public_id}"))


@pytest.mark.parametrize("game_id", ["existing", "deadbeef", "", "x" * 150])
def test_stranger_gets_the_same_answer_whether_or_not_the_game_exists(
    bearer_client, user, game, game_id
):
    target_id = {"existing": game.public_id}.get(game_id, game_id)
    if not target_id:
        r = create(bearer_client(user), "bingo:")  # malformed: no id at all
        assert (r.status_code, r.json()) == (400, UNKNOWN)
        return
    assert_refused(create(bearer_client(user), f"bingo:{target_id}"))


def test_creator_invites_to_the_game_and_the_invitee_gets_a_card_without_the_pin(
    bearer_client, client, user, caller, game
):
    r = create(bearer_client(caller), f"bingo:{game.public_id}")
    assert r.status_code == 201
    code = r.json()["data"]["code"]
    client.force_login(user)
    page = client.post(f"/g/{code}")
    assert page.status_code == 302
    assert page["Location"] == f"/bingo/play/{game.public_id}"
    assert Card.objects.filter(game=game, user=user).count() == 1
    assert HostInvite.objects.get(code=code).grants == 1


def test_creator_of_a_finished_game_is_told_it_does_not_exist(bearer_client, caller, game):
    bingo_services.game_end(game_id=game.public_id, by=caller)
    r = create(bearer_client(caller), f"bingo:{game.public_id}")
    assert (r.status_code, r.json()) == (400, UNKNOWN)
    assert not HostInvite.objects.exists()


# --- terminal workspace ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.VIEWER, False), (Role.OPERATOR, False), (Role.ADMIN, True), (Role.OWNER, True)],
)
def test_only_admins_and_owners_invite_to_the_terminal_workspace(
    bearer_client, user_factory, role, allowed
):
    r = create(bearer_client(user_factory(role=role)), "terminals")
    if allowed:
        assert r.status_code == 201
        assert HostInvite.objects.get().target == "terminals"
    else:
        assert_refused(r)


# --- the /invites/ page uses the same rule --------------------------------------------------


def test_my_invites_page_refuses_a_room_the_user_does_not_host(client, user, party):
    client.force_login(user)
    r = client.post(
        "/invites/", {"expires_in": "600", "max_grants": "3", "target": f"watchparty:{party.pk}"}
    )
    assert r.status_code == 400
    assert "You may not invite people to this target" in r.content.decode()
    assert not HostInvite.objects.exists()


# --- redemption re-checks the creator -------------------------------------------------------


def test_invite_stops_working_when_its_creator_is_no_longer_the_host(
    client, user_factory, party_host, party
):
    invite = services.host_invite_create(
        creator=party_host, expires_in=3600, max_grants=5, target=f"watchparty:{party.pk}"
    )
    member = user_factory()
    wp_services.party_join(session_id=str(party.pk), password="secure123", user=member)
    wp_services.host_transfer(
        session_id=str(party.pk), user_id=party_host.public_id, target_user_id=member.public_id
    )
    invitee = user_factory()
    with pytest.raises(InviteUnavailableError) as info:
        services.host_invite_redeem(code=invite.code, user=invitee)
    assert info.value.reason == "creator_not_allowed"
    assert not Participant.objects.filter(party=party, account=invitee).exists()
    assert HostInvite.objects.get(pk=invite.pk).grants == 0
    assert not HostInviteRedemption.objects.exists()

    client.force_login(invitee)
    page = client.get(f"/g/{invite.code}").content.decode()
    assert "may no longer invite people there" in page
    assert 'data-testid="join"' not in page
    r = client.post(f"/g/{invite.code}")
    assert r.status_code == 400
    assert "may no longer invite people there" in r.content.decode()
    assert not Participant.objects.filter(party=party, account=invitee).exists()


def test_someone_who_already_redeemed_is_not_let_back_in_once_the_creator_lost_the_right(
    user_factory,
):
    admin = user_factory(role=Role.ADMIN)
    invite = services.host_invite_create(
        creator=admin, expires_in=3600, max_grants=5, target="terminals"
    )
    invitee = user_factory()
    assert services.host_invite_redeem(code=invite.code, user=invitee).counted
    admin.role = Role.OPERATOR
    admin.save(update_fields=["role"])
    for who in (invitee, admin):  # neither the earlier invitee nor the creator themself
        with pytest.raises(InviteUnavailableError) as info:
            services.host_invite_redeem(code=invite.code, user=who)
        assert info.value.reason == "creator_not_allowed"
    assert HostInvite.objects.get(pk=invite.pk).grants == 1


def test_invite_of_a_deactivated_creator_lets_no_one_in(user, caller, game):
    invite = services.host_invite_create(
        creator=caller, expires_in=3600, max_grants=5, target=f"bingo:{game.public_id}"
    )
    type(caller).objects.filter(pk=caller.pk).update(is_active=False)
    with pytest.raises(InviteUnavailableError) as info:
        services.host_invite_redeem(code=invite.code, user=user)
    assert info.value.reason == "creator_not_allowed"
    assert not Card.objects.filter(game=game, user=user).exists()


# --- the registry ---------------------------------------------------------------------------


def test_a_target_kind_cannot_be_registered_without_a_permission_check():
    with pytest.raises(TypeError):
        targets.register_target(  # type: ignore[call-arg]
            "nocheck", label="No check", describe=lambda _: "x", admit=lambda u, _: "/"
        )
    assert "nocheck" not in targets.target_kinds()


def test_every_registered_app_target_checks_who_may_invite():
    kinds = targets.target_kinds()
    assert {"bingo", "watchparty", "terminals"} <= set(kinds)
    assert all(kinds[k].may_invite is not None for k in ("bingo", "watchparty", "terminals"))
