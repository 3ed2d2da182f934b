"""Parsec device login: POST /auth/codes, POST /auth/sessions, approval at /activate."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import ApiSession, DeviceCode
from accounts.tokens import digest
from config.ids import UNAMBIGUOUS_ALPHABET

pytestmark = pytest.mark.django_db


def create_code(api, game_id="spacegame"):
    return api.post("/auth/codes", {"game_id": game_id}, format="json")


def poll(api, secret):
    return api.post(
        "/auth/sessions", {"grant_type": "auth_code", "auth_code_hash": secret}, format="json"
    )


def allow_next_poll(secret):
    """Pretend the client waited `interval` seconds since its last poll."""
    DeviceCode.objects.filter(device_digest=digest(secret)).update(
        last_polled_at=timezone.now() - timedelta(seconds=60)
    )


def test_create_code_answers_the_documented_envelope(api, application):
    r = create_code(api)
    assert r.status_code == 201
    data = r.json()["data"]
    assert set(data) == {"verification_uri", "user_code", "hash", "expires_at", "interval"}
    assert data["verification_uri"] == "http://testserver/activate"
    assert len(data["user_code"]) == 8
    assert set(data["user_code"]) <= set(UNAMBIGUOUS_ALPHABET)
    assert data["interval"] == 5
    assert data["expires_at"] - timezone.now().timestamp() == pytest.approx(600, abs=5)
    code = DeviceCode.objects.get(user_code=data["user_code"])
    assert code.device_digest == digest(data["hash"])  # only the digest is stored
    assert data["hash"] not in code.device_digest


def test_unknown_game_id_is_400_with_error_body(api, application):
    r = create_code(api, game_id="nope")
    assert r.status_code == 400
    assert r.json() == {"error": "Unknown game_id"}
    assert not DeviceCode.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"game_id": 12}, {"game_id": True}, {"game_id": None}, {"game_id": ["x"]}, [], "x"],
)
def test_bad_create_bodies_are_400(api, application, body):
    r = api.post("/auth/codes", body, format="json")
    assert r.status_code == 400
    assert set(r.json()) == {"error"}


def test_full_flow_pending_then_session_then_me(api, application, user):
    data = create_code(api).json()["data"]
    r = poll(api, data["hash"])
    assert r.status_code == 202
    assert r.json()["data"]["status"] == "pending"

    code = DeviceCode.objects.get(user_code=data["user_code"])
    services.device_code_approve(code=code, user=user)
    allow_next_poll(data["hash"])
    r = poll(api, data["hash"])
    assert r.status_code == 201
    session = r.json()["data"]
    assert set(session) == {"id", "user_id", "roles", "host_peer_id", "expires_at"}
    assert session["user_id"] == user.pk
    assert session["host_peer_id"] == user.peer_id
    assert len(session["id"]) == 64
    stored = ApiSession.objects.get(user=user)
    assert stored.key_digest == digest(session["id"])
    assert stored.application == application

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {session['id']}")
    me = api.get("/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == user.email
    assert me.json()["id"] == user.public_id


def test_second_poll_after_success_is_401(api, application, user):
    data = create_code(api).json()["data"]
    services.device_code_approve(
        code=DeviceCode.objects.get(user_code=data["user_code"]), user=user
    )
    assert poll(api, data["hash"]).status_code == 201
    allow_next_poll(data["hash"])
    r = poll(api, data["hash"])
    assert r.status_code == 401
    assert r.json() == {"error": "The auth code has already been redeemed"}
    assert ApiSession.objects.count() == 1


def test_denied_code_is_401(api, application, user):
    data = create_code(api).json()["data"]
    services.device_code_deny(code=DeviceCode.objects.get(user_code=data["user_code"]), user=user)
    r = poll(api, data["hash"])
    assert r.status_code == 401
    assert r.json() == {"error": "The auth code was denied"}
    assert not ApiSession.objects.exists()


def test_expired_code_is_401_and_cannot_be_approved(api, application, user):
    data = create_code(api).json()["data"]
    DeviceCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    r = poll(api, data["hash"])
    assert r.status_code == 401
    assert r.json() == {"error": "The auth code has expired"}
    code = DeviceCode.objects.get()
    with pytest.raises(services.DeviceCodeNotPendingError):
        services.device_code_approve(code=code, user=user)


def test_unknown_hash_is_401(api, application):
    r = poll(api, "not-a-real-hash")
    assert r.status_code == 401
    assert r.json() == {"error": "Unknown auth code"}


def test_polling_faster_than_interval_is_429_with_retry_after(api, application):
    data = create_code(api).json()["data"]
    assert poll(api, data["hash"]).status_code == 202
    r = poll(api, data["hash"])
    assert r.status_code == 429
    assert 1 <= int(r["Retry-After"]) <= 5
    assert "error" in r.json()
    allow_next_poll(data["hash"])
    assert poll(api, data["hash"]).status_code == 202


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"grant_type": "password", "auth_code_hash": "x"},
        {"grant_type": "auth_code"},
        {"grant_type": "auth_code", "auth_code_hash": 5},
        {"grant_type": "auth_code", "auth_code_hash": "x" * 129},
    ],
)
def test_bad_poll_bodies_are_400(api, body):
    r = api.post("/auth/sessions", body, format="json")
    assert r.status_code == 400
    assert set(r.json()) == {"error"}


def test_a_code_keeps_its_own_interval_when_the_setting_changes(api, application, settings):
    data = create_code(api).json()["data"]
    settings.DEVICE_CODE_INTERVAL = 2  # codes issued before keep the 5 s they were given
    r = poll(api, data["hash"])
    assert r.status_code == 202
    assert r.json() == {"data": {"status": "pending", "interval": 5}}
    assert poll(api, data["hash"]).status_code == 429
