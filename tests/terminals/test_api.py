"""REST: /terminals/api/sessions…, claims, capture — bodies and codes as the spec prints them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from terminals.models import Claim, Viewer
from tests.terminals.conftest import capture_text, wait_until

pytestmark = pytest.mark.django_db

UNAUTH = {"error": "UNAUTHORIZED", "message": "Authentication required"}


@pytest.fixture
def operator(user_factory):
    return user_factory(role=Role.OPERATOR, name="Alice")


@pytest.fixture
def viewer(user_factory):
    return user_factory(role=Role.VIEWER, name="Vic")


@pytest.fixture
def admin(user_factory):
    return user_factory(role=Role.ADMIN, name="Ada")


@pytest.fixture
def as_user(api):
    def login(user):
        api.force_authenticate(user)
        return api

    return login


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/terminals/api/sessions"),
        ("post", "/terminals/api/sessions"),
        ("get", "/terminals/api/sessions/main"),
        ("delete", "/terminals/api/sessions/main"),
        ("post", "/terminals/api/sessions/main/claim"),
        ("delete", "/terminals/api/sessions/main/claim"),
        ("get", "/terminals/api/tmux/sessions/main/panes/0/capture"),
        ("get", "/terminals/api/recordings"),
        ("post", "/terminals/api/sessions/main/recording"),
    ],
)
def test_every_endpoint_needs_authentication(api, tmux_server, method, path):
    r = getattr(api, method)(path)
    assert r.status_code == 401
    assert r.json() == UNAUTH


def test_list_sessions(as_user, viewer, make_session, operator):
    make_session("main")
    make_session("dev").new_window()
    Claim.objects.create(
        session_name="dev", user=operator, expires_at=timezone.now() + timedelta(minutes=5)
    )
    r = as_user(viewer).get("/terminals/api/sessions")
    assert r.status_code == 200
    sessions = r.json()["sessions"]
    assert [s["id"] for s in sessions] == ["dev", "main"]
    dev, main = sessions
    assert main == {
        "id": "main",
        "name": "main",
        "windows": 1,
        "created": main["created"],
        "attached": False,
        "claim": None,
    }
    assert main["created"].endswith("Z")
    assert dev["windows"] == 2
    assert dev["claim"]["userId"] == operator.public_id
    assert dev["claim"]["userName"] == "Alice"
    assert dev["claim"]["expiresAt"].endswith("Z")


def test_list_without_tmux_server_is_empty(as_user, viewer, tmux_server):
    r = as_user(viewer).get("/terminals/api/sessions")
    assert r.status_code == 200
    assert r.json() == {"sessions": []}


def test_expired_claim_is_no_claim(as_user, viewer, make_session, operator):
    make_session("main")
    Claim.objects.create(
        session_name="main", user=operator, expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert as_user(viewer).get("/terminals/api/sessions").json()["sessions"][0]["claim"] is None


def test_session_detail_has_windows_panes_viewers_and_claim(as_user, viewer, make_session):
    session = make_session("main", width=90, height=20)
    session.active_window.active_pane.send_keys("echo detail-$((40+2))", enter=True)
    wait_until(lambda: "detail-42" in capture_text(session), what="echo")
    Viewer.objects.create(session_name="main", user=viewer, channel_name="c1")
    r = as_user(viewer).get("/terminals/api/sessions/main")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == body["name"] == "main"
    assert body["claim"] is None
    assert body["viewers"] == [{"userId": viewer.public_id, "name": "Vic"}]
    [window] = body["windows"]
    assert window["index"] == 0 and window["active"] is True and window["name"]
    [pane] = window["panes"]
    assert pane["index"] == 0 and pane["width"] == 90 and pane["height"] == 20
    assert "detail-42" in pane["content"]


@pytest.mark.parametrize("name", ["nope", "ma", "a;b", "=main", "x" * 65])
def test_session_detail_unknown_is_404(as_user, viewer, make_session, name):
    make_session("main")
    r = as_user(viewer).get(f"/terminals/api/sessions/{name}")
    assert r.status_code == 404
    assert r.json() == {"error": "SESSION_NOT_FOUND", "message": "Session not found"}


def test_capture(as_user, viewer, make_session):
    session = make_session("chrote-chat")
    session.active_window.active_pane.send_keys("echo captured", enter=True)
    wait_until(lambda: "captured\n" in capture_text(session) + "\n", what="echo")
    r = as_user(viewer).get("/terminals/api/tmux/sessions/chrote-chat/panes/0/capture")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"session", "pane", "content", "timestamp"}
    assert body["session"] == "chrote-chat" and body["pane"] == "0"
    assert "captured" in body["content"]
    assert body["timestamp"].endswith("Z") and "." in body["timestamp"]


def test_capture_unknown_session_or_pane_is_404(as_user, viewer, make_session):
    make_session("main")
    for path in ["nope/panes/0", "main/panes/7", "main/panes/x"]:
        r = as_user(viewer).get(f"/terminals/api/tmux/sessions/{path}/capture")
        assert r.status_code == 404
        assert r.json() == {"error": "Session not found"}


def test_capture_when_tmux_unreachable_is_503(as_user, viewer, settings):
    settings.TERMINALS_TMUX_SOCKET = "/etc/hostname/not-a-socket"
    r = as_user(viewer).get("/terminals/api/tmux/sessions/main/panes/0/capture")
    assert r.status_code == 503
    assert r.json() == {"error": "CHROTE API not available"}
    r = as_user(viewer).get("/terminals/api/sessions")
    assert r.status_code == 503
    assert r.json() == {"error": "UNAVAILABLE", "message": "CHROTE API not available"}


# --- claims -----------------------------------------------------------------------------------


def test_claim_and_release(as_user, operator, make_session):
    make_session("main")
    before = timezone.now()
    r = as_user(operator).post("/terminals/api/sessions/main/claim")
    assert r.status_code == 200
    body = r.json()
    assert body["success"] is True
    assert body["claim"]["sessionId"] == "main"
    assert body["claim"]["userId"] == operator.public_id
    claim = Claim.objects.get(session_name="main")
    assert claim.user == operator
    assert timedelta(minutes=29) < claim.expires_at - before <= timedelta(minutes=30, seconds=5)
    r = as_user(operator).delete("/terminals/api/sessions/main/claim")
    assert r.status_code == 200
    assert r.json() == {"success": True}
    assert not Claim.objects.exists()


def test_claiming_again_renews(as_user, operator, make_session, settings):
    make_session("main")
    settings.TERMINALS_CLAIM_TTL = 60
    first = as_user(operator).post("/terminals/api/sessions/main/claim").json()
    settings.TERMINALS_CLAIM_TTL = 600
    second = as_user(operator).post("/terminals/api/sessions/main/claim").json()
    assert second["claim"]["expiresAt"] > first["claim"]["expiresAt"]
    assert Claim.objects.count() == 1


def test_claim_held_by_another_is_403_with_holder(as_user, operator, user_factory, make_session):
    make_session("main")
    as_user(operator).post("/terminals/api/sessions/main/claim")
    other = user_factory(role=Role.OPERATOR)
    r = as_user(other).post("/terminals/api/sessions/main/claim")
    assert r.status_code == 403
    claim = Claim.objects.get()
    assert r.json() == {
        "error": "FORBIDDEN",
        "message": "Session is claimed by another user",
        "claimedBy": operator.public_id,
        "expiresAt": claim.expires_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    assert claim.user == operator


def test_expired_claim_can_be_taken(as_user, operator, user_factory, make_session):
    make_session("main")
    Claim.objects.create(
        session_name="main", user=operator, expires_at=timezone.now() - timedelta(seconds=1)
    )
    other = user_factory(role=Role.OPERATOR)
    r = as_user(other).post("/terminals/api/sessions/main/claim")
    assert r.status_code == 200
    assert Claim.objects.get().user == other


def test_viewer_cannot_claim(as_user, viewer, make_session):
    make_session("main")
    r = as_user(viewer).post("/terminals/api/sessions/main/claim")
    assert r.status_code == 403
    assert r.json()["error"] == "FORBIDDEN"
    assert not Claim.objects.exists()


def test_claim_unknown_session_is_404(as_user, operator, make_session):
    make_session("main")
    r = as_user(operator).post("/terminals/api/sessions/other/claim")
    assert r.status_code == 404
    assert r.json()["error"] == "SESSION_NOT_FOUND"


def test_release_by_someone_else_is_403_but_admin_may(
    as_user, operator, user_factory, admin, make_session
):
    make_session("main")
    as_user(operator).post("/terminals/api/sessions/main/claim")
    other = user_factory(role=Role.OPERATOR)
    r = as_user(other).delete("/terminals/api/sessions/main/claim")
    assert r.status_code == 403
    assert r.json()["error"] == "FORBIDDEN"
    assert Claim.objects.exists()
    r = as_user(admin).delete("/terminals/api/sessions/main/claim")
    assert r.status_code == 200
    assert not Claim.objects.exists()


def test_release_without_claim_is_404(as_user, operator, make_session):
    make_session("main")
    r = as_user(operator).delete("/terminals/api/sessions/main/claim")
    assert r.status_code == 404
    assert r.json() == {"error": "NOT_FOUND", "message": "Session is not claimed"}


def test_role_is_read_from_the_database_each_time(as_user, operator, make_session):
    make_session("main")
    client = as_user(operator)
    operator.__class__.objects.filter(pk=operator.pk).update(role=Role.VIEWER)
    r = client.post("/terminals/api/sessions/main/claim")
    assert r.status_code == 403


# --- create / kill ------------------------------------------------------------------------------


def test_admin_creates_and_kills_sessions(as_user, admin, tmux_server):
    client = as_user(admin)
    r = client.post("/terminals/api/sessions", {"name": "build", "width": 100}, format="json")
    assert r.status_code == 201
    assert r.json()["id"] == "build" and r.json()["claim"] is None
    assert tmux_server.has_session("build")
    r = client.post("/terminals/api/sessions", {"name": "build"}, format="json")
    assert r.status_code == 409
    assert r.json()["error"] == "ALREADY_EXISTS"
    client.post("/terminals/api/sessions/build/claim")
    r = client.delete("/terminals/api/sessions/build")
    assert r.status_code == 200 and r.json() == {"success": True}
    assert not tmux_server.has_session("build")
    assert not Claim.objects.exists()
    r = client.delete("/terminals/api/sessions/build")
    assert r.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "a;b"},
        {"name": 5},
        {"name": "x" * 65},
        {"name": "ok", "width": 5},
    ],
)
def test_create_validates(as_user, admin, tmux_server, body):
    r = as_user(admin).post("/terminals/api/sessions", body, format="json")
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "VALIDATION_ERROR"
    assert set(body) <= {"error", "message", "details"}
    assert not tmux_server.sessions


def test_operator_cannot_create_or_kill(as_user, operator, make_session, tmux_server):
    make_session("main")
    client = as_user(operator)
    r = client.post("/terminals/api/sessions", {"name": "x"}, format="json")
    assert r.status_code == 403
    assert r.json() == {"error": "FORBIDDEN", "message": "Admin role required"}
    assert client.delete("/terminals/api/sessions/main").status_code == 403
    assert tmux_server.has_session("main")


def test_schema_lists_the_terminal_endpoints(api):
    r = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert r.status_code == 200
    paths = r.json()["paths"] if r["Content-Type"].startswith("application/json") else r.content
    text = str(paths)
    for path in [
        "/terminals/api/sessions",
        "/terminals/api/sessions/{session_id}/claim",
        "/terminals/api/tmux/sessions/{session}/panes/{pane}/capture",
    ]:
        assert path in text
