"""A private tmux server per test, and helpers that poll tmux with a deadline (never sleep)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import libtmux
import pytest


@pytest.fixture
def tmux_server(settings) -> Iterator[libtmux.Server]:  # type: ignore[no-untyped-def]
    name = f"lobby-test-{uuid.uuid4().hex[:12]}"
    server = libtmux.Server(socket_name=name)
    settings.TERMINALS_TMUX_SOCKET = name
    settings.TERMINALS_CLAIM_TTL = 1800
    yield server
    if server.is_alive():
        server.kill()


@pytest.fixture
def make_session(tmux_server) -> Callable[..., libtmux.Session]:  # type: ignore[no-untyped-def]
    def make(name: str = "main", command: str | None = None, width: int = 80, height: int = 24):  # type: ignore[no-untyped-def]
        session = tmux_server.new_session(
            session_name=name,
            window_command=command or "env PS1='$ ' sh",
            x=width,
            y=height,
        )
        if command is None:
            wait_until(lambda: "$" in capture_text(session), what="shell prompt")
        return session

    return make


def capture_text(session: libtmux.Session) -> str:
    return "\n".join(session.active_window.active_pane.capture_pane(start="-", end="-"))


def wait_until(
    check: Callable[[], object], timeout: float = 5.0, what: str = "condition"
) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def raw_sink(make_session, tmp_path) -> Callable[[], tuple[libtmux.Session, Path]]:  # type: ignore[no-untyped-def]
    """A session whose pane copies every byte it receives, unprocessed, into a file."""

    def make(name: str = "sink") -> tuple[libtmux.Session, Path]:
        out = tmp_path / f"{name}.bin"
        ready = tmp_path / f"{name}.ready"
        session = make_session(name, command=f"stty raw -echo; touch {ready}; exec cat > {out}")
        wait_until(ready.exists, what="raw sink")
        return session, out

    return make


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:  # type: ignore[no-untyped-def]
    """Users are made by the handful here; slow password hashing is not what these tests test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def in_own_loop(test):  # type: ignore[no-untyped-def]
    """Run an async test on a fresh event loop in its own thread.

    Playwright's sync API (the suite's session-scoped `browser`) leaves an event loop running in
    the main thread once any browser test has run, and pytest-asyncio then can't run its loop
    there; a thread of our own is immune to that, whatever ran before.
    """
    import asyncio
    import functools
    import threading

    @functools.wraps(test)
    def run(*args, **kwargs):  # type: ignore[no-untyped-def]
        outcome: dict[str, BaseException] = {}

        def target() -> None:
            try:
                asyncio.run(test(*args, **kwargs))
            except BaseException as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=target, name=f"test-{test.__name__}")
        thread.start()
        thread.join(timeout=110)
        if thread.is_alive():
            raise TimeoutError(f"{test.__name__} did not finish")
        if "error" in outcome:
            raise outcome["error"]

    return run
