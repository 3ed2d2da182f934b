"""Fixtures every app's tests share: users, API clients, sessions, live servers, a browser."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import Application, Role, User
from tests import servers

# Playwright's sync API runs an event loop in the test thread; the ORM calls beside it are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _clear_cache(django_db_blocker) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Rate limits and lockouts live in the cache: every test starts from zero."""
    yield
    with django_db_blocker.unblock(), contextlib.suppress(Exception):  # no table before setup
        cache.clear()


@pytest.fixture
def user_factory(db) -> Callable[..., User]:  # type: ignore[no-untyped-def]
    counter = iter(range(1, 1_000_000))

    def make(
        *,
        email: str | None = None,
        role: str = Role.VIEWER,
        password: str = "pw-Lobby-123",
        name: str = "",
        is_member: bool = True,
        **extra: object,
    ) -> User:
        """A workspace member with `role`, unless `is_member=False` (a signed-up stranger)."""
        n = next(counter)
        return User.objects.create_user(
            email=email or f"user{n}@example.com",
            password=password,
            role=role,
            name=name or f"User {n}",
            is_member=is_member,
            **extra,
        )

    return make


@pytest.fixture
def user(user_factory) -> User:  # type: ignore[no-untyped-def]
    return user_factory(role=Role.OPERATOR)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def application(db) -> Application:  # type: ignore[no-untyped-def]
    return Application.objects.create(name="Space Game", game_id="spacegame")


@pytest.fixture
def bearer(db) -> Callable[[User], str]:  # type: ignore[no-untyped-def]
    """An API session token for a user (what device login returns)."""

    def make(user: User) -> str:
        _, token = account_services.api_session_create(user=user, label="test")
        return token

    return make


@pytest.fixture
def bearer_client(bearer) -> Callable[[User], APIClient]:  # type: ignore[no-untyped-def]
    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {bearer(user)}")
        return client

    return make


def session_cookie_for(user: User) -> str:
    """A logged-in Django session for `user`, as the value of the session cookie."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key


# --- Live servers ---------------------------------------------------------------------------


def server_env(**overrides: str) -> dict[str, str]:
    """Environment for a Daphne child that shares this test run's database and secret key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        LOBBY_DATA_DIR=str(settings.DATA_DIR),
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        LOBBY_LOG_LEVEL="WARNING",
    )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        env["LOBBY_SQLITE_PATH"] = str(settings.DATABASES["default"]["NAME"])
    env.update(overrides)
    return env


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A real Daphne serving the test database. Tests using it need `transactional_db`."""
    port = servers.free_port()
    origin = f"http://127.0.0.1:{port}"
    tmux_socket = f"lobby-live-{os.getpid()}"
    daphne = servers.Daphne(
        server_env(
            PORT=str(port),
            DJANGO_CSRF_TRUSTED_ORIGINS=origin,
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            LOBBY_DEVICE_CODE_INTERVAL="1",  # device-login tests poll at the documented pace
            TERMINALS_TMUX_SOCKET=tmux_socket,  # never the machine's own tmux server
        ),
        port=port,
    ).start()
    try:
        yield daphne.url
    finally:
        daphne.stop()
        if shutil.which("tmux"):
            subprocess.run(
                ["tmux", "-L", tmux_socket, "kill-server"],
                capture_output=True,
                timeout=5,
                check=False,
            )


@pytest.fixture
def browser() -> Iterator[object]:
    """Chromium for one test. Playwright's sync API keeps an event loop running on this thread
    while it lives, which would break every async or async_to_sync test after it: so it lives
    only as long as the test that uses it."""
    if not Path(servers.CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=servers.CHROMIUM, args=servers.CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server_url):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login(live_server_url) -> Callable[[object, User], None]:  # type: ignore[no-untyped-def]
    """Sign a Playwright page's context in as `user` (a real session in the shared database)."""

    def sign_in(page, user: User) -> None:  # type: ignore[no-untyped-def]
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session_cookie_for(user),
                    "url": live_server_url,
                }
            ]
        )

    return sign_in


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with servers.redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    try:
        servers._pg_bin("initdb")
    except FileNotFoundError:
        pytest.skip("PostgreSQL's server is not installed (apt-get install postgresql)")
    with servers.postgres_server(tmp_path_factory.mktemp("pg")) as url:
        yield url
