from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fast_bcrypt(settings) -> None:  # type: ignore[no-untyped-def]
    """Cost 4 keeps the suite fast; test_services checks that the default cost is 12."""
    settings.WATCHPARTY_BCRYPT_ROUNDS = 4
    settings.WATCHPARTY_RATE_CREATE = "1000/h"
    settings.WATCHPARTY_RATE_JOIN = "1000/m"


@pytest.fixture
def create_party(db) -> Callable[..., dict[str, Any]]:  # type: ignore[no-untyped-def]
    """POST /watchparty/api/sessions/create through the real view; returns the JSON body."""

    def make(name: str = "Movie Night", password: str = "secure123", **extra: Any) -> dict:
        r = APIClient().post(
            "/watchparty/api/sessions/create",
            {"name": name, "password": password, **extra},
            format="json",
        )
        assert r.status_code == 200, r.content
        return r.json()

    return make


@pytest.fixture
def join_party(db) -> Callable[..., dict[str, Any]]:  # type: ignore[no-untyped-def]
    def join(session_id: str, password: str = "secure123", **extra: Any) -> dict:
        r = APIClient().post(
            "/watchparty/api/sessions/join",
            {"session_id": session_id, "password": password, **extra},
            format="json",
        )
        assert r.status_code == 200, r.content
        return r.json()

    return join
