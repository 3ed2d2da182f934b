"""Recordings (asciicast v2 via pipe-pane), the key log in the admin, the resize policy."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from accounts.models import Role
from terminals import services, tmux
from terminals.models import Claim, KeyEvent, Recording
from tests.terminals.conftest import capture_text, wait_until

pytestmark = pytest.mark.django_db


def cast_events(path: str) -> tuple[dict, list[list]]:
    lines = [line for line in Path(path).read_text().splitlines() if line.strip()]
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


def test_recording_writes_asciicast_v2_and_plays_back(api, user_factory, make_session, settings):
    session = make_session("main", width=90, height=20)
    admin = user_factory(role=Role.ADMIN)
    api.force_authenticate(admin)
    r = api.post("/terminals/api/sessions/main/recording", {}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["sessionId"] == "main" and body["endedAt"] is None
    assert (body["width"], body["height"]) == (90, 20)
    rec = Recording.objects.get()
    assert Path(rec.path).parent == Path(settings.DATA_DIR) / "recordings"
    wait_until(lambda: Path(rec.path).exists() and Path(rec.path).stat().st_size > 0, what="header")

    r = api.post("/terminals/api/sessions/main/recording", {}, format="json")
    assert r.status_code == 409
    assert r.json()["error"] == "ALREADY_RECORDING"

    session.active_window.active_pane.send_keys("echo rec-$((5*5)) ü", enter=True)
    wait_until(lambda: "rec-25" in Path(rec.path).read_text(), what="recorded output")
    r = api.delete("/terminals/api/sessions/main/recording")
    assert r.status_code == 200
    assert r.json()["endedAt"] is not None
    header, events = cast_events(rec.path)
    assert header["version"] == 2 and header["width"] == 90 and header["height"] == 20
    assert all(e[1] == "o" and isinstance(e[0], float | int) for e in events)
    assert [e[0] for e in events] == sorted(e[0] for e in events)
    assert "rec-25 ü" in "".join(e[2] for e in events)

    listing = api.get("/terminals/api/recordings").json()["recordings"]
    assert [x["id"] for x in listing] == [str(rec.pk)]
    api.force_authenticate(None)
    viewer = user_factory(role=Role.VIEWER)
    from django.test import Client

    client = Client()
    client.force_login(viewer)
    r = client.get(f"/terminals/recordings/{rec.pk}.cast")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/x-asciicast"
    assert b"rec-25" in b"".join(r.streaming_content)
    page = client.get(f"/terminals/recordings/{rec.pk}").content.decode()
    assert f"/terminals/recordings/{rec.pk}.cast" in page and "player.js" in page
    assert "rec-25" not in client.get("/terminals/recordings").content.decode()
    assert client.get("/terminals/recordings/not-a-uuid").status_code == 404
    assert (
        client.get("/terminals/recordings/00000000-0000-0000-0000-000000000000.cast").status_code
        == 404
    )


def test_only_the_claim_holder_or_admin_may_record(api, user_factory, make_session):
    make_session("main")
    op = user_factory(role=Role.OPERATOR)
    api.force_authenticate(op)
    r = api.post("/terminals/api/sessions/main/recording", {}, format="json")
    assert r.status_code == 403
    assert r.json()["error"] == "FORBIDDEN"
    services.claim_acquire(session_name="main", user=op)
    r = api.post("/terminals/api/sessions/main/recording", {"pane": "0"}, format="json")
    assert r.status_code == 201
    assert api.delete("/terminals/api/sessions/main/recording").status_code == 200
    assert api.delete("/terminals/api/sessions/main/recording").json()["error"] == "NOT_FOUND"


def test_killed_session_ends_its_recording(api, user_factory, make_session, tmux_server):
    make_session("keepalive")  # the server outlives the killed session
    make_session("main")
    api.force_authenticate(user_factory(role=Role.ADMIN))
    api.post("/terminals/api/sessions/main/recording", {}, format="json")
    tmux_server.kill_session("main")
    assert services.recordings_reconcile() == 1
    assert Recording.objects.get().ended_at is not None


def test_resize_policy_the_claim_holders_size_wins(
    user_factory, make_session, django_capture_on_commit_callbacks
):
    make_session("main", width=80, height=24)
    holder = user_factory(role=Role.OPERATOR)
    other = user_factory(role=Role.OPERATOR)
    services.claim_acquire(session_name="main", user=holder)
    assert (
        services.pane_resize(session_name="main", user=other, pane="0", cols=50, rows=10) is False
    )
    assert (tmux.resolve_pane("main").width, tmux.resolve_pane("main").height) == (80, 24)
    assert services.pane_resize(session_name="main", user=holder, pane="0", cols=100, rows=30)
    pane = tmux.resolve_pane("main")
    assert (pane.width, pane.height) == (100, 30)
    assert tmux.run("show-options", "-w", "-t", pane.id, "window-size").strip() == (
        "window-size manual"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_release(session_name="main", user=holder)
    assert tmux.run("show-options", "-w", "-t", pane.id, "window-size").strip() == ""


def test_admin_key_log_and_force_release(client, user_factory, make_session):
    session = make_session("main")
    op = user_factory(role=Role.OPERATOR)
    services.claim_acquire(session_name="main", user=op)
    services.keys_send(
        session_name="main", user=op, keys="echo audit-$((1+1));\r", own_claim_required=True
    )
    wait_until(lambda: "audit-2" in capture_text(session), what="keys")
    boss = user_factory(role=Role.OWNER, is_staff=True, is_superuser=True)
    client.force_login(boss)
    r = client.get("/admin/terminals/keyevent/")
    assert r.status_code == 200
    assert "echo audit-$((1+1));\\r" in r.content.decode()
    event = KeyEvent.objects.get()
    assert client.get(f"/admin/terminals/keyevent/{event.pk}/change/").status_code == 200
    claim = Claim.objects.get()
    r = client.post(
        "/admin/terminals/claim/",
        {"action": "force_release", "_selected_action": [claim.pk]},
    )
    assert r.status_code == 302
    assert not Claim.objects.exists()
    assert client.get("/admin/terminals/recording/").status_code == 200


def test_expire_command_releases_expired_claims(user_factory, make_session, settings):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    make_session("main")
    op = user_factory(role=Role.OPERATOR)
    Claim.objects.create(
        session_name="main", user=op, expires_at=timezone.now() - timedelta(seconds=1)
    )
    Claim.objects.create(
        session_name="gone", user=op, expires_at=timezone.now() + timedelta(minutes=5)
    )
    Claim.objects.create(
        session_name="main2", user=op, expires_at=timezone.now() + timedelta(minutes=5)
    )
    make_session("main2")
    out = io.StringIO()
    call_command("terminals_expire", stdout=out)
    assert "claims released=2" in out.getvalue()
    assert list(Claim.objects.values_list("session_name", flat=True)) == ["main2"]


def test_invite_target_admits_a_non_member_as_a_viewer(user_factory):
    from invites.targets import admit_to_target, describe_target

    stranger = user_factory(is_member=False)
    assert describe_target("terminals") == "Terminal workspace"
    assert admit_to_target(stranger, "terminals") == "/terminals/"
    stranger.refresh_from_db()
    assert (stranger.is_member, stranger.role) == (True, Role.VIEWER)
    admin = user_factory(role=Role.ADMIN)
    assert admit_to_target(admin, "terminals") == "/terminals/"
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN  # a member keeps their role


def test_key_log_survives_removing_the_user(user_factory, make_session):
    make_session("main")
    op = user_factory(role=Role.OPERATOR, email="gone@example.com")
    public_id = op.public_id
    services.keys_send(session_name="main", user=op, keys="ls\r", own_claim_required=False)
    op.delete()
    event = KeyEvent.objects.get()
    assert event.user is None
    assert (event.user_public_id, event.user_email) == (public_id, "gone@example.com")
    assert bytes(event.data) == b"ls\r"
