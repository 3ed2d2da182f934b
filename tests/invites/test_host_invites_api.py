"""Parsec's POST/GET/DELETE /host-invites: the documented envelope, edges, auth, ownership."""

import pytest
from django.utils import timezone

from config.ids import UNAMBIGUOUS_ALPHABET
from invites.models import HostInvite

pytestmark = pytest.mark.django_db


def create(client, **body):
    return client.post("/host-invites", body, format="json")


def test_create_answers_the_documented_envelope(bearer_client, user):
    r = create(bearer_client(user), expires_in=3600, max_grants=20)
    assert r.status_code == 201
    data = r.json()["data"]
    assert {"code", "peer_id", "grants", "max_grants", "expires_at"} <= set(data)
    assert len(data["code"]) == 8
    assert set(data["code"]) <= set(UNAMBIGUOUS_ALPHABET)
    assert data["peer_id"] == user.peer_id
    assert data["grants"] == 0
    assert data["max_grants"] == 20
    assert data["expires_at"] - timezone.now().timestamp() == pytest.approx(3600, abs=5)
    assert data["url"] == f"http://testserver/g/{data['code']}"
    assert data["state"] == "active"
    assert data["target"] is None
    stored = HostInvite.objects.get(code=data["code"])
    assert stored.creator == user
    assert stored.max_grants == 20


def test_codes_differ(bearer_client, user):
    client = bearer_client(user)
    codes = {create(client, expires_in=600, max_grants=1).json()["data"]["code"] for _ in range(20)}
    assert len(codes) == 20


@pytest.mark.parametrize(
    ("expires_in", "max_grants", "ok"),
    [
        (600, 1, True),
        (108000, 100, True),
        (599, 1, False),
        (108001, 1, False),
        (600, 0, False),
        (600, 101, False),
        (0, 5, False),
        (-600, 5, False),
        (3600, -1, False),
        (10**30, 5, False),
    ],
)
def test_bounds_are_enforced_at_their_edges(bearer_client, user, expires_in, max_grants, ok):
    r = create(bearer_client(user), expires_in=expires_in, max_grants=max_grants)
    if ok:
        assert r.status_code == 201
        assert r.json()["data"]["max_grants"] == max_grants
        assert HostInvite.objects.count() == 1
    else:
        assert r.status_code == 400
        assert set(r.json()) == {"error"}
        assert isinstance(r.json()["error"], str)
        assert not HostInvite.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"expires_in": 3600},
        {"max_grants": 5},
        {"expires_in": "3600", "max_grants": 5},
        {"expires_in": 3600, "max_grants": "5"},
        {"expires_in": 3600.0, "max_grants": 5},
        {"expires_in": 3600, "max_grants": 5.5},
        {"expires_in": True, "max_grants": 5},
        {"expires_in": 3600, "max_grants": True},
        {"expires_in": None, "max_grants": 5},
        {"expires_in": [3600], "max_grants": 5},
        {"expires_in": {"s": 1}, "max_grants": 5},
        {"expires_in": 3600, "max_grants": 5, "target": 12},
        {"expires_in": 3600, "max_grants": 5, "target": ["fakeroom:room1"]},
        {"expires_in": 3600, "max_grants": 5, "target": "x" * 201},
        [],
        "text",
        5,
    ],
)
def test_bad_values_are_400_with_error_body(bearer_client, user, body):
    r = bearer_client(user).post("/host-invites", body, format="json")
    assert r.status_code == 400
    assert set(r.json()) == {"error"}
    assert not HostInvite.objects.exists()


def test_malformed_json_is_400(bearer_client, user):
    r = bearer_client(user).generic(
        "POST", "/host-invites", '{"expires_in": 36', content_type="application/json"
    )
    assert r.status_code == 400
    assert set(r.json()) == {"error"}


def test_no_token_is_401(api):
    r = create(api, expires_in=3600, max_grants=5)
    assert r.status_code == 401
    assert set(r.json()) == {"error"}
    assert api.get("/host-invites").status_code == 401
    assert not HostInvite.objects.exists()


def test_bad_token_is_401(api, db):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-session")
    r = create(api, expires_in=3600, max_grants=5)
    assert r.status_code == 401
    assert r.json() == {"error": "Invalid or expired session"}
    assert not HostInvite.objects.exists()


def test_target_is_described_and_kept(bearer_client, user, fake_rooms):
    r = create(bearer_client(user), expires_in=3600, max_grants=5, target="fakeroom:room1")
    assert r.status_code == 201
    data = r.json()["data"]
    assert data["target"] == "fakeroom:room1"
    assert data["target_label"] == "Fake room room1"


def test_target_without_id(bearer_client, user, fake_rooms):
    r = create(bearer_client(user), expires_in=3600, max_grants=5, target="fakespace")
    assert r.status_code == 201
    assert r.json()["data"]["target_label"] == "The fake space"


@pytest.mark.parametrize(
    "target", ["nope:1", "nope", "fakeroom:missing", "fakeroom", "fakeroom:", "fakespace:x", ":"]
)
def test_unknown_or_missing_target_is_400(bearer_client, user, fake_rooms, target):
    r = create(bearer_client(user), expires_in=3600, max_grants=5, target=target)
    assert r.status_code == 400
    assert r.json() == {"error": "Unknown invite target"}
    assert not HostInvite.objects.exists()


def test_target_that_refuses_the_creator_is_403(bearer_client, user, fake_rooms):
    fake_rooms.hosts_only = True
    r = create(bearer_client(user), expires_in=3600, max_grants=5, target="fakeroom:room1")
    assert r.status_code == 403
    assert r.json() == {"error": "You may not invite people to this target"}
    assert not HostInvite.objects.exists()


def test_empty_or_null_target_means_the_lobby(bearer_client, user):
    client = bearer_client(user)
    for target in ("", None):
        r = create(client, expires_in=3600, max_grants=5, target=target)
        assert r.status_code == 201
        assert r.json()["data"]["target"] is None


def test_list_shows_only_my_invites_newest_first(bearer_client, user, user_factory):
    mine = bearer_client(user)
    other = bearer_client(user_factory())
    first = create(mine, expires_in=600, max_grants=1).json()["data"]["code"]
    second = create(mine, expires_in=600, max_grants=2).json()["data"]["code"]
    create(other, expires_in=600, max_grants=3)
    r = mine.get("/host-invites")
    assert r.status_code == 200
    assert [i["code"] for i in r.json()["data"]] == [second, first]


def test_owner_sees_one_invite_with_redemptions(bearer_client, user, user_factory):
    from invites import services

    client = bearer_client(user)
    code = create(client, expires_in=600, max_grants=2).json()["data"]["code"]
    guest = user_factory(name="Guest")
    services.host_invite_redeem(code=code, user=guest, ip="203.0.113.9")
    r = client.get(f"/host-invites/{code}")
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["grants"] == 1
    assert data["redemptions"] == [
        {
            "user_id": guest.public_id,
            "name": "Guest",
            "redeemed_at": data["redemptions"][0]["redeemed_at"],
            "ip": "203.0.113.9",
        }
    ]


def test_revoke_my_invite(bearer_client, user):
    client = bearer_client(user)
    code = create(client, expires_in=600, max_grants=2).json()["data"]["code"]
    r = client.delete(f"/host-invites/{code}")
    assert r.status_code == 200
    assert r.json()["data"]["state"] == "revoked"
    assert r.json()["data"]["revoked_at"] is not None
    assert HostInvite.objects.get(code=code).revoked_at is not None
    again = client.delete(f"/host-invites/{code}")
    assert again.status_code == 200  # revoking twice is harmless


def test_revoke_lowercase_code_works(bearer_client, user):
    client = bearer_client(user)
    code = create(client, expires_in=600, max_grants=2).json()["data"]["code"]
    assert client.delete(f"/host-invites/{code.lower()}").status_code == 200


def test_others_cannot_see_or_revoke_my_invite(bearer_client, user, user_factory):
    code = create(bearer_client(user), expires_in=600, max_grants=2).json()["data"]["code"]
    intruder = bearer_client(user_factory())
    assert intruder.get(f"/host-invites/{code}").json() == {"error": "Invite not found"}
    r = intruder.delete(f"/host-invites/{code}")
    assert r.status_code == 404
    assert r.json() == {"error": "Invite not found"}
    assert HostInvite.objects.get(code=code).revoked_at is None


@pytest.mark.parametrize("code", ["NOPE2345", "x", "A" * 300, "%00"])
def test_unknown_code_is_404(bearer_client, user, code):
    r = bearer_client(user).delete(f"/host-invites/{code}")
    assert r.status_code == 404
    assert r.json() == {"error": "Invite not found"}


def test_creation_is_rate_limited_per_user(bearer_client, user, settings):
    settings.INVITES_RATE_CREATE = "3/m"
    client = bearer_client(user)
    for _ in range(3):
        assert create(client, expires_in=600, max_grants=1).status_code == 201
    r = create(client, expires_in=600, max_grants=1)
    assert r.status_code == 429
    assert set(r.json()) == {"error"}
    assert "Retry-After" in r.headers
    assert HostInvite.objects.count() == 3


def test_method_not_allowed_is_parsec_body(bearer_client, user):
    r = bearer_client(user).put("/host-invites", {}, format="json")
    assert r.status_code == 405
    assert set(r.json()) == {"error"}
