"""Health, readiness, OpenAPI, admin, settings from the environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches

from accounts.models import ApiSession, DeviceCode

ROOT = Path(__file__).resolve().parents[2]


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


@pytest.mark.django_db(transaction=True)  # the checks run on other threads' connections
def test_ready_checks_database_cache_and_channel_layer(client):
    r = client.get("/ready")
    assert r.status_code == 200
    assert r.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "channel_layer": "ok"},
    }


@pytest.mark.django_db(transaction=True)
def test_ready_is_503_naming_what_failed(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(caches["strict"], "set", broken)
    r = client.get("/ready")
    assert r.status_code == 503
    assert r.json()["checks"] == {"database": "ok", "cache": "unavailable", "channel_layer": "ok"}


@pytest.mark.django_db
def test_database_errors_are_503_not_500(client, monkeypatch):
    from django.db import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("accounts.services.device_code_create", down)
    r = client.post("/auth/codes", {"game_id": "x"}, content_type="application/json")
    assert r.status_code == 503
    assert r.json() == {"error": "Service temporarily unavailable"}
    assert r["Retry-After"] == "5"


@pytest.mark.django_db
def test_openapi_schema_lists_the_platform_endpoints(client):
    r = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["openapi"].startswith("3.")
    for p in ("/auth/codes", "/auth/sessions", "/auth/me", "/auth/logout"):
        assert p in schema["paths"], p


@pytest.mark.django_db
def test_docs_page_uses_self_hosted_assets(client):
    r = client.get("/api/docs/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["user", "application", "devicecode", "apisession"])
def test_admin_lists_every_platform_model(admin_client, model, user, bearer, application):
    bearer(user)
    r = admin_client.get(f"/admin/accounts/{model}/")
    assert r.status_code == 200


@pytest.mark.django_db
def test_admin_revoke_action(admin_client, user, bearer):
    bearer(user)
    session = ApiSession.objects.get(user=user)
    r = admin_client.post(
        "/admin/accounts/apisession/",
        {"action": "revoke", "_selected_action": [session.pk]},
    )
    assert r.status_code == 302
    session.refresh_from_db()
    assert session.revoked_at is not None


@pytest.mark.django_db
def test_superuser_is_owner():
    from accounts.models import Role, User

    owner = User.objects.create_superuser(email="Root@Example.com", password="x-Lobby-123")
    assert owner.role == Role.OWNER
    assert owner.email == "root@example.com"
    assert owner.has_role(Role.ADMIN)


def test_unset_environment_means_embedded_defaults(tmp_path):
    """A bare environment configures SQLite WAL, a database cache, an in-memory layer."""
    env = {"PATH": os.environ["PATH"], "LOBBY_DATA_DIR": str(tmp_path)}
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup();"
        "from django.conf import settings as s; from django.db import connection as c;"
        "c.cursor().execute('select 1');"
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'],"
        " s.CHANNEL_LAYERS['default']['BACKEND'], s.DEBUG,"
        " c.cursor().execute('pragma journal_mode').fetchone()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.db.DatabaseCache",
        "config.channel_layer.InMemoryChannelLayer",
        "False",
        "wal",
    ]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_redis_and_postgres_urls_switch_the_backends(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "LOBBY_DATA_DIR": str(tmp_path),
        "REDIS_URL": "redis://127.0.0.1:6390/0",
        "DATABASE_URL": "postgres://lobby@127.0.0.1:5439/lobby",
        "DJANGO_DEBUG": "true",
    }
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'],"
        " s.CHANNEL_LAYERS['default']['BACKEND'], s.DEBUG)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        "django.db.backends.postgresql",
        "config.cache.ResilientRedisCache",
        "config.channel_layer.RedisChannelLayer",
        "True",
    ]


def test_device_code_model_is_registered():
    assert DeviceCode._meta.app_label == "accounts"
