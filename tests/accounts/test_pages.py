"""Server-rendered pages: home, my account, my devices, /activate."""

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import ApiSession, DeviceCode

pytestmark = pytest.mark.django_db


@pytest.fixture
def code(application):
    code, _secret = services.device_code_create(
        game_id=application.game_id, ip="203.0.113.7", user_agent="space-cli/1.0"
    )
    return code


def test_home_links_every_app(client):
    r = client.get("/")
    assert r.status_code == 200
    for href in ("/bingo/", "/watchparty/", "/terminals/", "/avalon/", "/activate", "/api/docs/"):
        assert f'href="{href}"'.encode() in r.content


@pytest.mark.parametrize("path", ["/activate", "/account/", "/account/devices/"])
def test_pages_need_sign_in_and_come_back(client, path):
    r = client.get(path)
    assert r.status_code == 302
    assert r["Location"] == f"/accounts/login/?next={path}"


def test_activate_shows_what_is_asking(client, user, code):
    client.force_login(user)
    r = client.get("/activate", {"code": code.user_code.lower()})
    assert r.status_code == 200
    html = r.content.decode()
    assert "Space Game" in html
    assert "203.0.113.7" in html
    assert "Did you start this sign-in yourself" in html
    assert 'value="approve"' in html and 'value="deny"' in html
    assert DeviceCode.objects.get(pk=code.pk).status == DeviceCode.Status.PENDING  # looking is free


def test_activate_accepts_a_code_typed_with_a_dash(client, user, code):
    client.force_login(user)
    typed = f"{code.user_code[:4]}-{code.user_code[4:]}".lower()
    r = client.post("/activate", {"user_code": typed})
    assert r.status_code == 200
    assert b"Space Game" in r.content


def test_approve_binds_that_code_to_the_user(client, user, code, application):
    other, _ = services.device_code_create(game_id=application.game_id, ip=None)
    client.force_login(user)
    r = client.post("/activate", {"user_code": code.user_code, "decision": "approve"})
    assert r.status_code == 200
    assert b"is signed in" in r.content
    code.refresh_from_db()
    assert code.status == DeviceCode.Status.APPROVED
    assert code.user == user
    other.refresh_from_db()
    assert other.status == DeviceCode.Status.PENDING
    assert other.user is None


def test_deny(client, user, code):
    client.force_login(user)
    r = client.post("/activate", {"user_code": code.user_code, "decision": "deny"})
    assert r.status_code == 200
    assert b"Request denied" in r.content
    code.refresh_from_db()
    assert code.status == DeviceCode.Status.DENIED


def test_a_decided_code_cannot_be_decided_again(client, user, code):
    client.force_login(user)
    client.post("/activate", {"user_code": code.user_code, "decision": "deny"})
    r = client.post("/activate", {"user_code": code.user_code, "decision": "approve"})
    assert r.status_code == 404
    code.refresh_from_db()
    assert code.status == DeviceCode.Status.DENIED


def test_expired_code_is_refused(client, user, code):
    DeviceCode.objects.filter(pk=code.pk).update(expires_at=timezone.now())
    client.force_login(user)
    r = client.post("/activate", {"user_code": code.user_code, "decision": "approve"})
    assert r.status_code == 404
    assert b"not valid, or it has expired" in r.content


def test_wrong_codes_are_rate_limited_per_user(client, user, code, settings):
    settings.ACTIVATE_WRONG_CODE_RATE = "3/m"
    client.force_login(user)
    for _ in range(3):
        assert client.post("/activate", {"user_code": "ZZZZZZZZ"}).status_code == 404
    r = client.post("/activate", {"user_code": code.user_code})
    assert r.status_code == 429
    assert b"Too many wrong codes" in r.content


def test_wrong_codes_are_rate_limited_per_ip_across_users(client, user_factory, code, settings):
    settings.ACTIVATE_WRONG_CODE_RATE = "3/m"
    for _ in range(3):
        client.force_login(user_factory())
        client.post("/activate", {"user_code": "ZZZZZZZZ"})
    client.force_login(user_factory())
    assert client.post("/activate", {"user_code": code.user_code}).status_code == 429


def test_devices_lists_and_revokes_my_sessions(client, user, user_factory, bearer, api):
    token = bearer(user)
    theirs = user_factory()
    bearer(theirs)
    client.force_login(user)
    r = client.get("/account/devices/")
    assert r.status_code == 200
    mine = ApiSession.objects.get(user=user)
    assert f'data-session="{mine.pk}"'.encode() in r.content
    assert r.content.count(b'data-testid="session-row"') == 1

    r = client.post(f"/account/devices/{mine.pk}/revoke")
    assert r.status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/auth/me").status_code == 401


def test_cannot_revoke_someone_elses_session(client, user, user_factory, bearer):
    theirs = user_factory()
    bearer(theirs)
    session = ApiSession.objects.get(user=theirs)
    client.force_login(user)
    assert client.post(f"/account/devices/{session.pk}/revoke").status_code == 404
    session.refresh_from_db()
    assert session.revoked_at is None


def test_account_page(client, user):
    client.force_login(user)
    r = client.get("/account/")
    assert r.status_code == 200
    assert user.email.encode() in r.content
    assert b"Operator" in r.content
