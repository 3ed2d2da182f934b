"""Fixtures for the accounts and site-wide page tests in Chromium."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator

import libtmux
import pytest
from django.conf import settings

from tests import servers
from tests.conftest import server_env, session_cookie_for

SHOTS = settings.DATA_DIR / "screenshots"
WIDE_COLS = 120  # a terminal wider than a phone: it must scroll in its box, not shrink


@pytest.fixture(scope="session")
def site(django_db_setup, django_db_blocker) -> Iterator[tuple[str, libtmux.Server]]:  # type: ignore[no-untyped-def]
    """A Daphne of our own, on a private tmux server, with a wide terminal session in it.
    The screenshot folder is emptied when it starts."""
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    name = f"lobby-layout-{uuid.uuid4().hex[:12]}"
    tmux = libtmux.Server(socket_name=name)
    tmux.new_session(session_name="wide", window_command="env PS1='$ ' sh", x=WIDE_COLS, y=20)
    port = servers.free_port()
    daphne = servers.Daphne(
        server_env(
            PORT=str(port),
            TERMINALS_TMUX_SOCKET=name,
            DJANGO_CSRF_TRUSTED_ORIGINS=f"http://127.0.0.1:{port}",
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        ),
        port=port,
    ).start()
    try:
        yield daphne.url, tmux
    finally:
        daphne.stop()
        if tmux.is_alive():
            tmux.kill()


def new_page(browser, url: str, viewport: dict, user=None):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=url, viewport=viewport)
    context.set_default_timeout(10_000)
    if user is not None:
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie_for(user), "url": url}]
        )
    return context.new_page()
