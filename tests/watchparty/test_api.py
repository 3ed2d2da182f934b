"""The REST API exactly as watchparty-api.md documents it."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from watchparty import tokens
from watchparty.models import Participant, WatchParty

CREATE = "/watchparty/api/sessions/create"
JOIN = "/watchparty/api/sessions/join"


def details(session_id: str, token: str | None):  # type: ignore[no-untyped-def]
    client = APIClient()
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(f"/watchparty/api/sessions/{session_id}")


def test_health(api) -> None:  # type: ignore[no-untyped-def]
    r = api.get("/watchparty/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_create_returns_documented_body_and_stores_bcrypt_hash(api, db) -> None:  # type: ignore[no-untyped-def]
    r = api.post(CREATE, {"name": "  Movie Night ", "password": "secure123"}, format="json")
    assert r.status_code == 200
    body = r.json()
    # the documented fields, plus ice_servers (WatchParty's app reads it; [] by default)
    assert set(body) == {"id", "name", "share_url", "token", "ice_servers"}
    assert body["ice_servers"] == []
    assert uuid.UUID(body["id"]).version == 4
    assert body["name"] == "Movie Night"
    assert body["share_url"] == f"http://testserver/watchparty/join/{body['id']}"
    party = WatchParty.objects.get(pk=body["id"])
    assert party.password_hash.startswith("$2b$")
    assert "secure123" not in party.password_hash
    assert party.expires_at - party.created_at == timedelta(hours=24)
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["room"] == body["id"]
    assert claims["exp"] - claims["iat"] == 3600
    assert party.host_id == claims["sub"]
    assert claims["sub"].startswith("user_")
    host = Participant.objects.get(party=party)
    assert host.display_name.startswith("Guest ")


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        (
            {"name": "ab", "password": "secure123"},
            "name",
            "Name must be between 3 and 50 characters",
        ),
        ({"name": "  ab   ", "password": "secure123"}, "name", None),
        ({"name": "x" * 51, "password": "secure123"}, "name", None),
        ({"password": "secure123"}, "name", None),
        ({"name": 123, "password": "secure123"}, "name", None),
        (
            {"name": "Movie", "password": "12345"},
            "password",
            "Password must be at least 6 characters",
        ),
        ({"name": "Movie"}, "password", "Password is required"),
        ({"name": "Movie", "password": "é" * 37}, "password", "Password must be at most 72 bytes"),
        ({"name": "Movie", "password": "abc\x00defgh"}, "password", None),
    ],
)
def test_create_validation_is_400_with_details(api, db, payload, field, message) -> None:  # type: ignore[no-untyped-def]
    r = api.post(CREATE, payload, format="json")
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "Validation failed"
    assert "message" in body
    assert field in body["details"]
    if message:
        assert body["details"][field] == message
    assert not WatchParty.objects.exists()


def test_create_name_and_password_edges(api, db) -> None:  # type: ignore[no-untyped-def]
    assert api.post(CREATE, {"name": "abc", "password": "123456"}, format="json").status_code == 200
    assert (
        api.post(CREATE, {"name": "x" * 50, "password": "p" * 72}, format="json").status_code == 200
    )
    r = api.post(CREATE, {"name": "x" * 50, "password": "p" * 73}, format="json")
    assert r.status_code == 400
    assert set(r.json()["details"]) == {"password"}


def test_both_fields_invalid_reports_both(api, db) -> None:  # type: ignore[no-untyped-def]
    r = api.post(CREATE, {"name": "ab", "password": "123"}, format="json")
    assert r.status_code == 400
    assert r.json()["details"] == {
        "name": "Name must be between 3 and 50 characters",
        "password": "Password must be at least 6 characters",
    }


@pytest.mark.parametrize("body", ["[1, 2]", "not json", '"str"', "{"])
def test_create_malformed_body_is_400(api, db, body) -> None:  # type: ignore[no-untyped-def]
    r = api.generic("POST", CREATE, body, content_type="application/json")
    assert r.status_code == 400
    assert r.json()["error"] == "Validation failed"


def test_join_returns_documented_body(create_party, api) -> None:  # type: ignore[no-untyped-def]
    party = create_party()
    r = api.post(JOIN, {"session_id": party["id"], "password": "secure123"}, format="json")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"id", "name", "token", "ice_servers"}
    assert body["id"] == party["id"] and body["name"] == "Movie Night"
    claims = tokens.token_decode(body["token"], room=party["id"])
    p = Participant.objects.get(party_id=party["id"], user_id=claims.user_id)
    assert p.display_name.startswith("Guest ") and len(p.display_name) == 10


def test_join_with_display_name(create_party, api) -> None:  # type: ignore[no-untyped-def]
    party = create_party()
    r = api.post(
        JOIN,
        {"session_id": party["id"], "password": "secure123", "display_name": " Jane Smith "},
        format="json",
    )
    claims = tokens.token_decode(r.json()["token"], room=party["id"])
    assert Participant.objects.get(user_id=claims.user_id).display_name == "Jane Smith"


def test_join_wrong_password_is_401(create_party, api) -> None:  # type: ignore[no-untyped-def]
    party = create_party()
    r = api.post(JOIN, {"session_id": party["id"], "password": "wrong-pass"}, format="json")
    assert r.status_code == 401
    assert r.json() == {"error": "Authentication failed", "message": "Invalid password"}
    assert Participant.objects.filter(party_id=party["id"]).count() == 1


@pytest.mark.parametrize("session_id", [str(uuid.uuid4()), "not-a-uuid", "../../etc"])
def test_join_unknown_session_is_404(api, db, session_id) -> None:  # type: ignore[no-untyped-def]
    r = api.post(JOIN, {"session_id": session_id, "password": "secure123"}, format="json")
    assert r.status_code == 404
    assert r.json() == {
        "error": "Session not found",
        "message": "The session you're trying to join doesn't exist or has expired",
    }


def test_join_expired_session_is_404(create_party, api) -> None:  # type: ignore[no-untyped-def]
    party = create_party()
    WatchParty.objects.filter(pk=party["id"]).update(expires_at=timezone.now())
    r = api.post(JOIN, {"session_id": party["id"], "password": "secure123"}, format="json")
    assert r.status_code == 404
    assert details(party["id"], party["token"]).status_code == 404


def test_join_missing_fields_is_400(api, db) -> None:  # type: ignore[no-untyped-def]
    r = api.post(JOIN, {}, format="json")
    assert r.status_code == 400
    assert set(r.json()["details"]) == {"session_id", "password"}


def test_eleventh_participant_gets_403(create_party, join_party, api) -> None:  # type: ignore[no-untyped-def]
    party = create_party()
    for _ in range(9):
        join_party(party["id"])
    r = api.post(JOIN, {"session_id": party["id"], "password": "secure123"}, format="json")
    assert r.status_code == 403
    assert r.json() == {
        "error": "Session full",
        "message": "This session has reached the maximum number of participants",
    }
    assert len(details(party["id"], party["token"]).json()["participants"]) == 10


def test_slot_frees_after_grace_without_a_socket(create_party, join_party, api, settings) -> None:  # type: ignore[no-untyped-def]
    party = create_party()
    for _ in range(9):
        join_party(party["id"])
    grace = timedelta(seconds=settings.WATCHPARTY_RECONNECT_GRACE + 1)
    Participant.objects.exclude(user_id=WatchParty.objects.get().host_id).filter(
        pk=Participant.objects.order_by("-pk").first().pk
    ).update(last_seen=timezone.now() - grace)
    r = api.post(JOIN, {"session_id": party["id"], "password": "secure123"}, format="json")
    assert r.status_code == 200
    assert Participant.objects.filter(left_at__isnull=False).count() == 1


def test_signed_in_user_joins_as_themself_and_once(create_party, user_factory) -> None:  # type: ignore[no-untyped-def]
    party = create_party()
    user = user_factory(name="Ada Lovelace")
    client = APIClient()
    client.force_login(user)
    client.enforce_csrf_checks = False
    tokens_seen = set()
    for _ in range(2):
        r = client.post(JOIN, {"session_id": party["id"], "password": "secure123"}, format="json")
        assert r.status_code == 200
        claims = tokens.token_decode(r.json()["token"], room=party["id"])
        tokens_seen.add(claims.user_id)
    assert tokens_seen == {user.public_id}
    p = Participant.objects.get(party_id=party["id"], user_id=user.public_id)
    assert p.display_name == "Ada Lovelace" and p.account == user
    assert Participant.objects.filter(party_id=party["id"]).count() == 2


def test_cookie_join_needs_csrf(create_party, user_factory) -> None:  # type: ignore[no-untyped-def]
    party = create_party()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user_factory())
    r = client.post(JOIN, {"session_id": party["id"], "password": "secure123"}, format="json")
    assert r.status_code == 403
    assert r.json()["error"] == "Forbidden"


def test_details_with_token(create_party, join_party) -> None:  # type: ignore[no-untyped-def]
    party = create_party()
    guest = join_party(party["id"])
    r = details(party["id"], guest["token"])
    assert r.status_code == 200
    body = r.json()
    host_id = tokens.token_decode(party["token"]).user_id
    guest_id = tokens.token_decode(guest["token"]).user_id
    assert body["id"] == party["id"] and body["name"] == "Movie Night"
    assert body["host_id"] == host_id
    assert body["participants"] == [host_id, guest_id]
    assert body["max_participants"] == 10
    created = datetime.strptime(body["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    expires = datetime.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert expires - created == timedelta(hours=24)


@pytest.mark.parametrize("token", [None, "garbage", "Bearer"])
def test_details_without_valid_token_is_401(create_party, token) -> None:  # type: ignore[no-untyped-def]
    party = create_party()
    r = details(party["id"], token)
    assert r.status_code == 401
    assert r.json()["error"] == "Authentication failed"


def test_token_for_room_a_is_refused_in_room_b(create_party) -> None:  # type: ignore[no-untyped-def]
    a, b = create_party(), create_party(name="Other Room")
    r = details(b["id"], a["token"])
    assert r.status_code == 401
    assert r.json() == {
        "error": "Authentication failed",
        "message": "Token is not valid for this session",
    }


def _forge(claims: dict) -> str:
    return jwt.encode(claims, tokens._key(), algorithm="HS256")


def test_tokens_without_exp_or_room_or_with_other_alg_are_refused(create_party) -> None:  # type: ignore[no-untyped-def]
    party = create_party()
    sub = tokens.token_decode(party["token"]).user_id
    base = {"iss": tokens.ISSUER, "sub": sub, "room": party["id"], "iat": int(time.time())}
    no_exp = _forge(base)
    no_room = _forge({k: v for k, v in base.items() if k != "room"} | {"exp": time.time() + 60})
    expired = _forge(base | {"exp": int(time.time()) - 5})
    none_alg = jwt.encode(base | {"exp": int(time.time()) + 60}, key=None, algorithm="none")
    wrong_key = jwt.encode(base | {"exp": int(time.time()) + 60}, "x" * 32, algorithm="HS256")
    for bad in (no_exp, no_room, expired, none_alg, wrong_key):
        assert details(party["id"], bad).status_code == 401
    good = _forge(base | {"exp": int(time.time()) + 60})
    assert details(party["id"], good).status_code == 200


def test_token_refresh_gives_a_fresh_token_and_extends_the_slot(create_party, settings) -> None:  # type: ignore[no-untyped-def]
    party = create_party()
    settings.WATCHPARTY_TOKEN_TTL = 7200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {party['token']}")
    r = client.post(f"/watchparty/api/sessions/{party['id']}/token")
    assert r.status_code == 200
    new = r.json()["token"]
    claims = tokens.token_decode(new, room=party["id"])
    assert claims.user_id == tokens.token_decode(party["token"]).user_id
    p = Participant.objects.get(user_id=claims.user_id)
    assert abs((p.token_expires_at - claims.expires_at).total_seconds()) < 1
    assert r.json()["expires_at"] == claims.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    other = create_party(name="Other Room")
    r = client.post(f"/watchparty/api/sessions/{other['id']}/token")
    assert r.status_code == 401


def test_create_rate_limit_with_headers(api, db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.WATCHPARTY_RATE_CREATE = "5/h"
    for i in range(5):
        r = api.post(CREATE, {"name": f"Room {i}", "password": "secure123"}, format="json")
        assert r.status_code == 200
        assert r["X-RateLimit-Limit"] == "5"
        assert r["X-RateLimit-Remaining"] == str(4 - i)
        reset = int(r["X-RateLimit-Reset"])
        assert time.time() < reset <= time.time() + 3600 + 1
    r = api.post(CREATE, {"name": "Room 6", "password": "secure123"}, format="json")
    assert r.status_code == 429
    assert r.json() == {
        "error": "Rate limit exceeded",
        "message": "Maximum 5 session creations per hour",
    }
    assert r["X-RateLimit-Remaining"] == "0"
    assert int(r["Retry-After"]) > 0
    assert WatchParty.objects.count() == 5
    other_ip = APIClient(REMOTE_ADDR="10.9.8.7")
    assert (
        other_ip.post(
            CREATE, {"name": "Room 7", "password": "secure123"}, format="json"
        ).status_code
        == 200
    )


def test_join_rate_limit_per_session_with_headers(create_party, api, settings) -> None:  # type: ignore[no-untyped-def]
    settings.WATCHPARTY_RATE_JOIN = "10/m"
    party, other = create_party(), create_party(name="Other Room")
    for i in range(10):
        r = api.post(JOIN, {"session_id": party["id"], "password": "wrong-pass"}, format="json")
        assert r.status_code == 401
        assert r["X-RateLimit-Limit"] == "10"
        assert r["X-RateLimit-Remaining"] == str(9 - i)
    r = api.post(JOIN, {"session_id": party["id"], "password": "secure123"}, format="json")
    assert r.status_code == 429
    assert r.json()["error"] == "Rate limit exceeded"
    assert r.json()["message"] == "Maximum 10 join attempts for this session per minute"
    r = api.post(JOIN, {"session_id": other["id"], "password": "secure123"}, format="json")
    assert r.status_code == 200


def test_cors_preflight_allows_configured_origin_with_credentials(api, settings, db) -> None:  # type: ignore[no-untyped-def]
    settings.CORS_ALLOWED_ORIGINS = ["http://localhost:5173"]
    r = api.options(
        CREATE,
        HTTP_ORIGIN="http://localhost:5173",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,authorization",
    )
    assert r.status_code == 200
    assert r["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert r["Access-Control-Allow-Credentials"] == "true"
    assert "POST" in r["Access-Control-Allow-Methods"]
    assert "authorization" in r["Access-Control-Allow-Headers"].lower()
    r = api.options(
        CREATE, HTTP_ORIGIN="http://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in r
    r = api.post(
        CREATE,
        {"name": "Cors", "password": "secure123"},
        format="json",
        HTTP_ORIGIN="http://localhost:5173",
    )
    assert r["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert "X-RateLimit-Remaining" in r["Access-Control-Expose-Headers"]


def test_join_fails_closed_while_the_cache_cannot_count(create_party, api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """No password is tried uncounted; creating a room (an ordinary limit) fails open."""
    party = create_party()
    monkeypatch.setattr("watchparty.api.views.get_usage", lambda *a, **k: None)  # cache down
    r = api.post(JOIN, {"session_id": party["id"], "password": "secure123"}, format="json")
    assert r.status_code == 503
    assert r.json() == {
        "error": "Service unavailable",
        "message": "Password checks are unavailable right now. Try again in a minute.",
    }
    assert r["Retry-After"] == "30"
    assert Participant.objects.filter(party__pk=party["id"]).count() == 1  # only the host
    assert create_party(name="Another Room")["id"]


def test_after_leave_the_old_token_gets_401_on_rest_and_a_new_join_works(user_factory) -> None:  # type: ignore[no-untyped-def]
    """A signed-in member leaves and joins again (same user id): only the new token works."""
    from watchparty import services

    party, _, _ = services.party_create(name="Movie Night", password="secure123")
    user = user_factory()
    _, member, old = services.party_join(session_id=str(party.pk), password="secure123", user=user)
    services.participant_leave(session_id=party.pk, user_id=member.user_id)
    _, again, new = services.party_join(session_id=str(party.pk), password="secure123", user=user)
    assert again.user_id == member.user_id
    assert tokens.token_decode(new).generation == 1
    refused = {"error": "Authentication failed", "message": "You left this session"}
    r = details(str(party.pk), old)
    assert r.status_code == 401 and r.json() == refused
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {old}")
    r = client.post(f"/watchparty/api/sessions/{party.pk}/token")
    assert r.status_code == 401 and r.json() == refused
    r = details(str(party.pk), new)
    assert r.status_code == 200 and member.user_id in r.json()["participants"]
