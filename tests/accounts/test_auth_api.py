"""CHROTE's auth routes, served once at /auth/: me, logout, and the OAuth starts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiSession, Role

pytestmark = pytest.mark.django_db

UNAUTHORIZED = {"error": "UNAUTHORIZED", "message": "Authentication required"}


def test_me_without_credentials_is_401(api):
    r = api.get("/auth/me")
    assert r.status_code == 401
    assert r.json() == UNAUTHORIZED


def test_me_with_cookie_answers_chrote_user_shape(client, user_factory):
    user = user_factory(email="ada@example.com", name="Ada", role=Role.ADMIN)
    client.force_login(user)
    r = client.get("/auth/me")
    assert r.status_code == 200
    body = r.json()
    assert body == {
        "id": user.public_id,
        "name": "Ada",
        "email": "ada@example.com",
        "avatarUrl": "",
        "role": "admin",
        "createdAt": body["createdAt"],
    }
    assert body["id"].startswith("user_")
    assert body["createdAt"].endswith("Z")


def test_me_with_bearer_token(api, user, bearer):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {bearer(user)}")
    r = api.get("/auth/me")
    assert r.status_code == 200
    assert r.json()["email"] == user.email


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer ", "Bearer " + "a" * 5000])
def test_bad_bearer_is_401(api, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    r = api.get("/auth/me")
    assert r.status_code == 401
    assert r.json() == UNAUTHORIZED


def test_expired_and_revoked_tokens_are_401(api, user, bearer):
    token = bearer(user)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    ApiSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.get("/auth/me").status_code == 401
    ApiSession.objects.update(
        expires_at=timezone.now() + timedelta(days=1), revoked_at=timezone.now()
    )
    assert api.get("/auth/me").status_code == 401


def test_inactive_user_token_is_401(api, user, bearer):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {bearer(user)}")
    user.is_active = False
    user.save()
    assert api.get("/auth/me").status_code == 401


def test_token_use_is_recorded(api, user, bearer):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {bearer(user)}")
    api.get("/auth/me")
    assert ApiSession.objects.get().last_used_at is not None


def test_logout_with_bearer_revokes_that_token_only(api, user, bearer):
    token, other = bearer(user), bearer(user)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    r = api.post("/auth/logout")
    assert r.status_code == 200
    assert r.json() == {"success": True}
    assert api.get("/auth/me").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {other}")
    assert api.get("/auth/me").status_code == 200


def test_logout_with_cookie_ends_the_session_and_needs_csrf(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    r = client.post("/auth/logout", content_type="application/json")
    assert r.status_code == 403  # no CSRF token: a cross-site form can't sign you out
    assert client.get("/auth/me").status_code == 200
    client.get("/account/")
    csrf = client.cookies["csrftoken"].value
    r = client.post("/auth/logout", content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert r.status_code == 200
    assert r.json() == {"success": True}
    assert client.get("/auth/me").status_code == 401


def test_oauth_start_redirects_to_the_provider(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "github": {"APPS": [{"client_id": "gh-id", "secret": "gh-secret", "key": ""}]}
    }
    r = client.get("/auth/github")
    assert r.status_code == 302
    assert r["Location"].startswith("https://github.com/login/oauth/authorize?")
    assert "client_id=gh-id" in r["Location"]
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Fauth%2Fgithub%2Fcallback" in r["Location"]
    assert "state=" in r["Location"]


def test_oauth_start_for_google(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {"APPS": [{"client_id": "g-id", "secret": "g-secret", "key": ""}]}
    }
    r = client.get("/auth/google")
    assert r.status_code == 302
    assert r["Location"].startswith("https://accounts.google.com/o/oauth2/")
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Fauth%2Fgoogle%2Fcallback" in r["Location"]


def test_oauth_unconfigured_provider_is_404(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    r = client.get("/auth/github")
    assert r.status_code == 404
    assert r.json() == {
        "error": "NOT_FOUND",
        "message": "GitHub sign-in is not configured on this server",
    }
