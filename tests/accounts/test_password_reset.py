"""Password reset by mail: offered only when EMAIL_URL is set, never a 500; owners can set a
password in the Django admin instead."""

import os
import smtplib
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core import mail

pytestmark = pytest.mark.django_db

RESET = "/accounts/password/reset/"


@pytest.fixture
def no_mail(settings):
    settings.EMAIL_CONFIGURED = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"


@pytest.fixture
def with_mail(settings):
    settings.EMAIL_CONFIGURED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_without_mail_the_login_page_offers_no_reset_link(client, no_mail):
    r = client.get("/accounts/login/")
    assert r.status_code == 200
    assert b"Forgot your password?" not in r.content
    assert RESET.encode() not in r.content


def test_with_mail_the_login_page_offers_the_reset_link(client, with_mail):
    r = client.get("/accounts/login/")
    assert r.status_code == 200
    assert b'data-testid="forgot-password">Forgot your password?</a>' in r.content
    assert RESET.encode() in r.content


def test_without_mail_a_reset_request_says_ask_an_admin_and_sends_nothing(client, user, no_mail):
    for r in (client.get(RESET), client.post(RESET, {"email": user.email})):
        assert r.status_code == 503
        assert b"This Lobby cannot send mail" in r.content
        assert b"Ask an admin or the owner" in r.content
    assert mail.outbox == []


def test_with_mail_the_reset_request_mails_a_link(client, user, with_mail):
    r = client.post(RESET, {"email": user.email})
    assert r.status_code == 302
    assert r.headers["Location"] == "/accounts/password/reset/done/"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [user.email]
    assert sent.from_email == django_settings.DEFAULT_FROM_EMAIL
    assert "/accounts/password/reset/key/" in sent.body


def _smtp_fails_with(error: Exception):  # type: ignore[no-untyped-def]
    def connect(*args: object, **kwargs: object) -> None:
        raise error

    return connect


def test_a_mail_server_that_is_down_gives_a_clear_page_not_a_500(
    client, user, settings, monkeypatch
):
    settings.EMAIL_CONFIGURED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    monkeypatch.setattr(smtplib, "SMTP", _smtp_fails_with(ConnectionRefusedError(111, "refused")))
    r = client.post(RESET, {"email": user.email})
    assert r.status_code == 503
    assert b"could not be sent just now" in r.content


def test_a_mail_server_that_refuses_the_message_gives_a_clear_page(
    client, user, settings, monkeypatch
):
    settings.EMAIL_CONFIGURED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    monkeypatch.setattr(
        smtplib, "SMTP", _smtp_fails_with(smtplib.SMTPAuthenticationError(535, b"no"))
    )
    r = client.post(RESET, {"email": user.email})
    assert r.status_code == 503
    assert b"could not be sent just now" in r.content


def _settings_with(env: dict[str, str]) -> str:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_CONFIGURED, s.EMAIL_BACKEND, getattr(s, 'EMAIL_HOST', ''), "
        "getattr(s, 'EMAIL_PORT', ''), s.EMAIL_USE_TLS, s.EMAIL_TIMEOUT)"
    )
    base = {k: v for k, v in os.environ.items() if k != "EMAIL_URL" and not k.startswith("PYTEST")}
    base.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    out = subprocess.run(
        [sys.executable, "-c", code], env=base, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_email_url_unset_means_no_mail_and_never_localhost_25():
    assert (
        _settings_with({})
        == "False django.core.mail.backends.dummy.EmailBackend localhost 25 False 10"
    )


def test_email_url_console_and_smtp_are_read():
    assert _settings_with({"EMAIL_URL": "consolemail://"}).startswith(
        "True django.core.mail.backends.console.EmailBackend"
    )
    assert (
        _settings_with({"EMAIL_URL": "smtp+tls://me:secret@mail.example.com:587"})
        == "True django.core.mail.backends.smtp.EmailBackend mail.example.com 587 True 10"
    )


def test_an_owner_sets_a_users_password_in_the_django_admin(client, user_factory):
    owner = user_factory(email="owner@example.com", role="owner", is_staff=True, is_superuser=True)
    ada = user_factory(email="ada@example.com", password="old-Password-1")
    client.force_login(owner)
    url = f"/admin/accounts/user/{ada.pk}/password/"
    assert client.get(f"/admin/accounts/user/{ada.pk}/change/").status_code == 200
    assert client.get(url).status_code == 200
    r = client.post(
        url,
        {
            "password1": "brand-New-pass-42",
            "password2": "brand-New-pass-42",
            "usable_password": "true",
        },
    )
    assert r.status_code == 302, r.content[:2000]
    ada.refresh_from_db()
    assert ada.check_password("brand-New-pass-42")
    assert not ada.check_password("old-Password-1")
