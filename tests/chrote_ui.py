"""A client that behaves like CHROTE's web UI: the session cookie, no CSRF token, its Origin."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

UI_ORIGIN = "https://chrote.example"


@pytest.fixture(autouse=True)
def _trusted_origin(settings):  # type: ignore[no-untyped-def]
    """Import into a test module: the UI's origin is the one trusted origin there."""
    settings.CSRF_TRUSTED_ORIGINS = [UI_ORIGIN]


def browser(user=None, *, origin: str | None = UI_ORIGIN, fetch_site: str | None = "same-origin"):  # type: ignore[no-untyped-def]
    """Like the UI's page: the session cookie, no CSRF token, the page's Origin."""
    client = APIClient(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    headers = {}
    if origin is not None:
        headers["HTTP_ORIGIN"] = origin
    if fetch_site is not None:
        headers["HTTP_SEC_FETCH_SITE"] = fetch_site
    client.credentials(**headers)
    return client
