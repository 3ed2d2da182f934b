"""allauth's sign-in limits count the client's address: behind a trusted proxy, X-Forwarded-For."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
TOO_MANY = "Too many failed login attempts. Try again later."


def attempt(client: Client, email: str, password: str, *, peer: str, forwarded: str | None):
    headers = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/accounts/login/", {"login": email, "password": password}, **headers)


def fail_ten_times(*, peer: str, forwarded: list[str | None]) -> Client:
    """Ten wrong passwords, each for another email, so only the per-address limit (10/m) fills."""
    client = Client()
    for n, hop in enumerate(forwarded):
        r = attempt(client, f"victim{n}@example.com", "wrong", peer=peer, forwarded=hop)
        assert r.status_code == 200
        assert TOO_MANY not in r.content.decode()
    return client


@pytest.fixture
def behind_proxy(settings):  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXIES = [PROXY]
    # A dozen sign-ins per test: slow password hashing is not what these tests test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_failed_logins_from_one_client_behind_the_proxy_do_not_lock_out_another(
    behind_proxy, user_factory
):
    user = user_factory(email="bob@example.com", password="pw-Lobby-123")
    attacker = fail_ten_times(peer=PROXY, forwarded=["198.51.100.7"] * 10)

    r = attempt(attacker, "victim99@example.com", "wrong", peer=PROXY, forwarded="198.51.100.7")
    assert r.status_code == 200
    assert TOO_MANY in r.content.decode()  # the attacker's own address is limited

    bob = Client()
    r = attempt(bob, "bob@example.com", "pw-Lobby-123", peer=PROXY, forwarded="203.0.113.20")
    assert r.status_code == 302
    assert r["Location"] == "/"
    assert bob.session[SESSION_KEY] == str(user.pk)


def test_an_untrusted_peers_forwarded_for_does_not_escape_the_limit(behind_proxy, user_factory):
    """A client that is not the proxy cannot rotate X-Forwarded-For to reset its count."""
    peer = "192.0.2.50"
    client = fail_ten_times(peer=peer, forwarded=[f"198.51.100.{n}" for n in range(10)])
    user_factory(email="eve@example.com", password="pw-Lobby-123")

    r = attempt(client, "eve@example.com", "pw-Lobby-123", peer=peer, forwarded="198.51.100.200")
    assert r.status_code == 200
    assert TOO_MANY in r.content.decode()
    assert SESSION_KEY not in client.session


def test_the_adapter_answers_the_same_client_address_as_the_rest_of_lobby(behind_proxy, rf):
    from allauth.account.adapter import get_adapter

    from config.net import client_ip

    request = rf.post("/accounts/login/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert get_adapter(request).get_client_ip(request) == "198.51.100.7" == client_ip(request)
    untrusted = rf.post("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert get_adapter(untrusted).get_client_ip(untrusted) == "192.0.2.1"
