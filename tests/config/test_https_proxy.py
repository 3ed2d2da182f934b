"""HTTPS behind a reverse proxy: X-Forwarded-Proto is believed only from LOBBY_TRUSTED_PROXIES,
and LOBBY_HTTPS (or LOBBY_SECURE_COOKIES) turns on HSTS, the HTTPS redirect and secure cookies."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.2"
STRANGER = "192.0.2.50"
HOST = "lobby.example"

pytestmark = pytest.mark.django_db


@pytest.fixture
def behind_proxy(settings):  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXIES = [PROXY]
    settings.ALLOWED_HOSTS = [HOST]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def https_via(peer: str) -> dict[str, str]:
    """What nginx sends for a browser on https://lobby.example, arriving from `peer`."""
    return {
        "REMOTE_ADDR": peer,
        "HTTP_HOST": HOST,
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_FOR": "198.51.100.7",
    }


def sign_in_over_https(peer: str):  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    assert client.get("/accounts/login/", **https_via(peer)).status_code == 200
    token = client.cookies["csrftoken"].value
    return client.post(
        "/accounts/login/",
        {"login": "ada@example.com", "password": "pw-Lobby-123", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN=f"https://{HOST}",
        HTTP_REFERER=f"https://{HOST}/accounts/login/",
        **https_via(peer),
    )


def test_csrf_origin_check_passes_over_https_through_the_trusted_proxy(behind_proxy, user_factory):
    user_factory(email="ada@example.com", password="pw-Lobby-123")
    r = sign_in_over_https(PROXY)
    assert r.status_code == 302
    assert r["Location"] == "/"


def test_forwarded_proto_from_an_untrusted_peer_is_ignored_by_csrf(behind_proxy, user_factory):
    """A peer that is not the proxy saying "https" does not make the request secure: the https
    Origin then does not match this plain-http site, and CSRF refuses it."""
    user_factory(email="ada@example.com", password="pw-Lobby-123")
    r = sign_in_over_https(STRANGER)
    assert r.status_code == 403
    assert b"CSRF verification failed" in r.content


def create_code(api, peer: str):  # type: ignore[no-untyped-def]
    return api.post("/auth/codes", {"game_id": "spacegame"}, format="json", **https_via(peer))


def test_verification_uri_is_https_through_the_trusted_proxy(behind_proxy, api, application):
    r = create_code(api, PROXY)
    assert r.status_code == 201
    assert r.json()["data"]["verification_uri"] == f"https://{HOST}/activate"


def test_verification_uri_from_an_untrusted_peer_stays_http(behind_proxy, api, application):
    r = create_code(api, STRANGER)
    assert r.status_code == 201
    assert r.json()["data"]["verification_uri"] == f"http://{HOST}/activate"


@pytest.fixture
def https_on(behind_proxy, settings):  # type: ignore[no-untyped-def]
    """What LOBBY_HTTPS=true sets (checked from the environment in the subprocess tests below)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True


def test_plain_http_is_redirected_to_https_when_https_is_on(https_on):
    r = Client().get("/bingo/?x=1", REMOTE_ADDR=PROXY, HTTP_HOST=HOST)
    assert r.status_code == 301
    assert r["Location"] == f"https://{HOST}/bingo/?x=1"


def test_https_through_the_trusted_proxy_is_served_with_hsts(https_on):
    r = Client().get("/bingo/", **https_via(PROXY))
    assert r.status_code == 200
    assert r["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_an_untrusted_peer_claiming_https_is_still_redirected(https_on):
    r = Client().get("/bingo/", **https_via(STRANGER))
    assert r.status_code == 301
    assert r["Location"] == f"https://{HOST}/bingo/"
    assert "Strict-Transport-Security" not in r


@pytest.mark.django_db(transaction=True)  # /ready checks on other threads' connections
@pytest.mark.parametrize(
    "path", ["/health", "/ready", "/bingo/health", "/bingo/ready", "/watchparty/health"]
)
def test_health_checks_over_plain_http_are_not_redirected(https_on, path):
    """Load balancers and container health checks call the process directly over http."""
    r = Client().get(path, REMOTE_ADDR="127.0.0.1", HTTP_HOST=HOST)
    assert r.status_code == 200
    assert "Location" not in r


def deploy_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "LOBBY_DATA_DIR": str(tmp_path),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "lobby.example.com",
        "LOBBY_TRUSTED_PROXIES": "10.0.0.2",
        **extra,
    }


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("switch", ["LOBBY_HTTPS", "LOBBY_SECURE_COOKIES"])
def test_check_deploy_is_clean_with_https_on(tmp_path, switch):
    out = check_deploy(deploy_env(tmp_path, **{switch: "true", "LOBBY_HSTS_PRELOAD": "true"}))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "System check identified no issues (0 silenced)."


def test_check_deploy_names_only_hsts_preload_by_default(tmp_path):
    """Preloading is a commitment browsers keep for months: the operator opts in to it."""
    out = check_deploy(deploy_env(tmp_path, LOBBY_HTTPS="true"))
    assert out.returncode == 1
    warnings = [line.split()[1] for line in out.stderr.splitlines() if line.startswith("?:")]
    assert warnings == ["(security.W021)"]


def test_https_switch_sets_the_security_settings(tmp_path):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER)"
    )
    run = [sys.executable, "-c", code]
    on = subprocess.run(
        run,
        cwd=ROOT,
        env=deploy_env(tmp_path, LOBBY_HTTPS="true"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert on.returncode == 0, on.stderr
    assert on.stdout.strip() == "True 31536000 True True ('HTTP_X_FORWARDED_PROTO', 'https')"
    off = subprocess.run(
        run, cwd=ROOT, env=deploy_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert off.returncode == 0, off.stderr
    assert off.stdout.strip() == "False 0 False False ('HTTP_X_FORWARDED_PROTO', 'https')"
