"""GitHub sign-in end to end through allauth, with GitHub itself (the outside world) faked."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from accounts.models import Role, User

pytestmark = pytest.mark.django_db

PROFILE = {
    "id": 4242,
    "login": "octocat",
    "name": "Octo Cat",
    "email": "octo@example.com",
    "avatar_url": "https://avatars.example.com/u/4242",
}


def _response(url: str, body: object) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.url = url
    response.headers["content-type"] = "application/json"
    response._content = json.dumps(body).encode()
    return response


class FakeGitHub:
    """Stands in for allauth's requests session: GitHub's token and profile endpoints."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def request(self, method: str, url: str, **kwargs: object) -> requests.Response:
        self.calls.append(url)
        assert url == "https://github.com/login/oauth/access_token"
        assert kwargs["data"]["code"] == "the-code"
        return _response(url, {"access_token": "gho_token", "token_type": "bearer"})

    def get(self, url: str, **kwargs: object) -> requests.Response:
        self.calls.append(url)
        if url == "https://api.github.com/user/emails":
            return _response(url, [{"email": PROFILE["email"], "primary": True, "verified": True}])
        assert url == "https://api.github.com/user"
        return _response(url, PROFILE)


@pytest.fixture
def github(settings, monkeypatch):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "github": {"APPS": [{"client_id": "gh-id", "secret": "gh-secret", "key": ""}]}
    }
    fake = FakeGitHub()
    monkeypatch.setattr(
        "allauth.socialaccount.adapter.DefaultSocialAccountAdapter.get_requests_session",
        lambda self: fake,
    )
    return fake


def sign_in_with_github(client) -> object:
    start = client.get("/auth/github")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    return client.get("/auth/github/callback", {"code": "the-code", "state": state})


def test_github_callback_creates_the_user_and_signs_in(client, github, user_factory):
    user_factory(role=Role.OWNER)  # not a fresh install: the new account is not a member
    r = sign_in_with_github(client)
    assert r.status_code == 302
    assert r["Location"] == "/"
    user = User.objects.get(email="octo@example.com")
    assert user.name == "Octo Cat"
    assert user.avatar_url == "https://avatars.example.com/u/4242"
    assert not user.is_member
    me = client.get("/auth/me").json()
    assert me["role"] is None
    assert me["email"] == "octo@example.com"
    assert me["avatarUrl"] == "https://avatars.example.com/u/4242"
    assert github.calls[:2] == [
        "https://github.com/login/oauth/access_token",
        "https://api.github.com/user",
    ]


def test_github_sign_in_connects_to_the_existing_account_with_that_email(
    client, github, user_factory
):
    existing = user_factory(email="octo@example.com", role=Role.OPERATOR)
    sign_in_with_github(client)
    assert User.objects.filter(email="octo@example.com").count() == 1
    assert client.get("/auth/me").json()["id"] == existing.public_id


def test_callback_with_forged_state_does_not_sign_in(client, github):
    client.get("/auth/github")
    r = client.get("/auth/github/callback", {"code": "the-code", "state": "forged"})
    assert r.status_code == 401  # allauth's "login failed" page
    assert not User.objects.exists()
    assert client.get("/auth/me").status_code == 401


def test_the_first_account_on_a_fresh_install_is_the_owner(client, github):
    assert sign_in_with_github(client).status_code == 302
    user = User.objects.get(email="octo@example.com")
    assert (user.role, user.is_member, user.is_superuser) == (Role.OWNER, True, True)
    assert client.get("/auth/me").json()["role"] == "owner"
