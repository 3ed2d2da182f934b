"""Guessing auth_code_hash values: unknown hashes count against the client address (issue 14.13)."""

import secrets
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services
from accounts.models import ApiSession, DeviceCode
from accounts.tokens import digest

pytestmark = pytest.mark.django_db

TOO_MANY = {"error": "Too many unknown auth codes from this address: try again later"}


@pytest.fixture(autouse=True)
def _three_misses_a_minute(settings):  # type: ignore[no-untyped-def]
    settings.AUTH_POLL_MISS_RATE = "3/m"


def poll(api, secret, **extra):  # type: ignore[no-untyped-def]
    return api.post(
        "/auth/sessions",
        {"grant_type": "auth_code", "auth_code_hash": secret},
        format="json",
        **extra,
    )


def guess(api, **extra):  # type: ignore[no-untyped-def]
    return poll(api, secrets.token_urlsafe(24), **extra)


def new_code(api):  # type: ignore[no-untyped-def]
    r = api.post("/auth/codes", {"game_id": "spacegame"}, format="json")
    return r.json()["data"]


def allow_next_poll(secret):  # type: ignore[no-untyped-def]
    DeviceCode.objects.filter(device_digest=digest(secret)).update(
        last_polled_at=timezone.now() - timedelta(seconds=60)
    )


def test_random_hashes_over_the_limit_are_429_with_retry_after(api, application):
    for _ in range(3):
        r = guess(api)
        assert r.status_code == 401
        assert r.json() == {"error": "Unknown auth code"}
    r = guess(api)
    assert r.status_code == 429
    assert r.json() == TOO_MANY
    assert 1 <= int(r["Retry-After"]) <= 60
    r = guess(api)  # and it stays shut for the rest of the window
    assert r.status_code == 429
    assert r.json() == TOO_MANY
    assert 1 <= int(r["Retry-After"]) <= 60


def test_over_the_limit_even_a_valid_hash_is_429_and_is_not_looked_up(api, application, user):
    data = new_code(api)
    code = DeviceCode.objects.get(user_code=data["user_code"])
    services.device_code_approve(code=code, user=user)
    for _ in range(4):
        guess(api)
    with CaptureQueriesContext(connection) as queries:
        r = poll(api, data["hash"])
    assert r.status_code == 429
    assert r.json() == TOO_MANY
    assert not [q for q in queries.captured_queries if "accounts_devicecode" in q["sql"]]
    code.refresh_from_db()
    assert code.status == DeviceCode.Status.APPROVED
    assert code.last_polled_at is None
    assert not ApiSession.objects.exists()


def test_a_device_polling_its_own_hash_is_never_limited(api, application, user):
    data = new_code(api)
    for _ in range(10):
        allow_next_poll(data["hash"])
        r = poll(api, data["hash"])
        assert r.status_code == 202
        assert r.json() == {"data": {"status": "pending", "interval": 5}}
    # Its own polls did not count: this address still has its three misses.
    assert [guess(api).status_code for _ in range(4)] == [401, 401, 401, 429]


@pytest.mark.parametrize("status", [DeviceCode.Status.DENIED, DeviceCode.Status.REDEEMED])
def test_known_but_decided_hashes_do_not_count(api, application, user, status):
    data = new_code(api)
    DeviceCode.objects.update(status=status, user=user)
    for _ in range(6):
        allow_next_poll(data["hash"])
        assert poll(api, data["hash"]).status_code == 401
    assert guess(api).status_code == 401


def test_expired_hashes_do_not_count(api, application):
    data = new_code(api)
    DeviceCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    for _ in range(6):
        r = poll(api, data["hash"])
        assert r.status_code == 401
        assert r.json() == {"error": "The auth code has expired"}


def test_the_limit_is_per_client_address_behind_a_trusted_proxy(api, application, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    attacker = {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    for _ in range(3):
        assert guess(api, **attacker).status_code == 401
    assert guess(api, **attacker).status_code == 429
    # Another client behind the same proxy is not shut out by the attacker's guesses.
    r = guess(api, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert r.status_code == 401
    assert r.json() == {"error": "Unknown auth code"}


def test_a_forged_forwarded_for_does_not_reset_the_count(api, application):
    # No trusted proxy: X-Forwarded-For is the client's own claim and is ignored.
    codes = [guess(api, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]


def test_an_unknown_hash_writes_no_row(api, application):
    data = new_code(api)
    allow_next_poll(data["hash"])
    before = list(DeviceCode.objects.values())
    with CaptureQueriesContext(connection) as queries:
        r = guess(api)
    assert r.status_code == 401
    assert list(DeviceCode.objects.values()) == before
    # The one UPDATE a miss runs is the hot-path stamp, bounded to the (unknown) digest.
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert '"accounts_devicecode"."device_digest" =' in updates[0]
    assert not [
        q
        for q in queries.captured_queries
        if q["sql"].startswith("INSERT INTO") and "accounts_devicecode" in q["sql"]
    ]


def test_forged_hops_before_a_trusted_proxy_do_not_reset_the_count(api, application, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    # The proxy appends the address it saw; whatever the client wrote before it is not believed.
    codes = [
        guess(api, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 203.0.113.7").status_code
        for i in range(5)
    ]
    assert codes == [401, 401, 401, 429, 429]
