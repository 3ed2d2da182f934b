"""Bingo fixtures: an admin caller, players with API sessions, games."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts.services import api_session_create
from bingo import services
from bingo.models import Game

ADMIN_EMAIL = "caller@example.com"


@pytest.fixture(autouse=True)
def _bingo_settings(settings):  # type: ignore[no-untyped-def]
    """An admin email; rates lifted (the rate-limit tests put the documented ones back)."""
    settings.BINGO_ADMIN_EMAILS = [ADMIN_EMAIL]
    settings.BINGO_TSA_URLS = []
    settings.BINGO_RATE_GET = "100000/m"
    settings.BINGO_RATE_POST = "100000/m"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast users
    return settings


@pytest.fixture
def admin_user(user_factory):  # type: ignore[no-untyped-def]
    return user_factory(email=ADMIN_EMAIL)


def session_client(user) -> APIClient:  # type: ignore[no-untyped-def]
    _, token = api_session_create(user=user, label="test")
    client = APIClient()
    client.credentials(HTTP_X_SESSION_ID=token)
    client.token = token  # type: ignore[attr-defined]
    return client


@pytest.fixture
def admin_client(admin_user) -> APIClient:  # type: ignore[no-untyped-def]
    return session_client(admin_user)


@pytest.fixture
def player_factory(api) -> Callable[..., APIClient]:  # type: ignore[no-untyped-def]
    """A fresh guest player through POST /bingo/auth/session; the client sends X-Session-Id."""
    counter = iter(range(1, 1_000_000))

    def make(email: str | None = None) -> APIClient:
        n = next(counter)
        r = APIClient().post(
            "/bingo/auth/session",
            {"email": email or f"player{n}@example.com", "device_key_hash": f"device-{n}"},
            format="json",
        )
        assert r.status_code == 200, r.content
        client = APIClient()
        client.credentials(HTTP_X_SESSION_ID=r.json()["session_id"])
        client.session_id = r.json()["session_id"]  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def game_factory(admin_user) -> Callable[..., Game]:  # type: ignore[no-untyped-def]
    def make(name: str = "Friday Night Bingo", creator=None) -> Game:  # type: ignore[no-untyped-def]
        return services.game_create(name=name, creator=creator or admin_user)

    return make


@pytest.fixture
def game(game_factory) -> Game:  # type: ignore[no-untyped-def]
    return game_factory()


def join(client: APIClient, game: Game, pin: str | None = None, **extra) -> object:  # type: ignore[no-untyped-def]
    return client.post(
        f"/bingo/games/{game.public_id}/join", {"pin": pin or game.pin, **extra}, format="json"
    )
