"""Who can reach the terminal workspace: members only; a ProofPlay guest is nobody here.

Each test is an attacker's attempt first: a bingo guest's session id used as a Bearer token, a
signed-up stranger with a cookie, a member who was just removed or demoted.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiSession, Role, User
from config.asgi import application
from terminals.models import Claim
from tests.conftest import session_cookie_for
from tests.terminals.conftest import in_own_loop

ORIGIN = (b"origin", b"http://testserver")
NOT_MEMBER = {"error": "FORBIDDEN", "message": "You are not a member of this workspace"}


def guest_token(api: APIClient) -> str:
    """What anyone on the internet gets from ProofPlay's sign-in, with no credentials at all."""
    r = api.post(
        "/bingo/auth/session",
        {"email": "anon@x.example", "device_key_hash": "x"},
        format="json",
    )
    assert r.status_code == 200
    return r.json()["session_id"]


def terminal_routes(session: str) -> list[tuple[str, str]]:
    return [
        ("get", "/terminals/api/sessions"),
        ("get", f"/terminals/api/sessions/{session}"),
        ("post", f"/terminals/api/sessions/{session}/claim"),
        ("delete", f"/terminals/api/sessions/{session}/claim"),
        ("post", f"/terminals/api/sessions/{session}/recording"),
        ("get", f"/terminals/api/tmux/sessions/{session}/panes/0/capture"),
        ("get", "/terminals/api/recordings"),
        ("get", "/terminals/api/users"),
        ("get", "/terminals/api/invites"),
    ]


def communicator(path: str, *, cookie_for: User | None = None) -> WebsocketCommunicator:
    headers = [(b"host", b"testserver"), ORIGIN]
    if cookie_for is not None:
        headers.append((b"cookie", f"sessionid={session_cookie_for(cookie_for)}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def close_code(comm: WebsocketCommunicator) -> int:
    connected, code = await comm.connect(timeout=5)
    while connected:
        output = await comm.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            code = output["code"]
            break
    await comm.disconnect()
    return code


# --- a ProofPlay guest -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_bingo_guest_session_is_no_bearer_token_on_terminals(api, make_session):
    make_session("main")
    token = guest_token(api)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    for method, path in terminal_routes("main"):
        r = getattr(client, method)(path)
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.json()["error"] == "UNAUTHORIZED"
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_a_bingo_guest_session_authenticates_nowhere_but_bingo(api, user_factory):
    from bingo import services as bingo

    game = bingo.game_create(name="Friday", creator=user_factory(role=Role.OWNER))
    token = guest_token(api)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/auth/me").status_code == 401
    r = client.post("/host-invites", {"expires_in": 3600, "max_grants": 1}, format="json")
    assert r.status_code == 401
    assert client.get("/host-invites").status_code == 401
    # and on bingo it is still the player it was made for, as Bearer or X-Session-Id
    join = f"/bingo/games/{game.public_id}/join"
    r = client.post(join, {"pin": game.pin}, format="json")
    assert r.status_code == 200, r.content
    sid = APIClient()
    sid.credentials(HTTP_X_SESSION_ID=token)
    assert sid.post(join, {"pin": game.pin}, format="json").json() == r.json()


@pytest.mark.django_db
def test_a_bingo_guest_is_not_a_member_and_cannot_be_made_one(api, bearer_client, user_factory):
    owner = user_factory(role=Role.OWNER)
    guest_token(api)
    guest = User.objects.get(is_guest=True)
    users = bearer_client(owner).get("/terminals/api/users").json()["users"]
    assert guest.public_id not in {u["id"] for u in users}
    r = bearer_client(owner).patch(
        f"/terminals/api/users/{guest.public_id}/role", {"role": "operator"}, format="json"
    )
    assert r.status_code == 404
    guest.refresh_from_db()
    assert not guest.is_member


@pytest.mark.django_db(transaction=True)
@in_own_loop
async def test_a_bingo_guest_token_opens_no_terminal_socket(make_session):
    make_session("main")
    token = await asyncio.to_thread(guest_token, APIClient())
    for path in ("/terminals/ws", "/terminals/ws/terminal/main"):
        assert await close_code(communicator(f"{path}?token={token}")) == 4001


# --- a signed-up account that nobody invited ------------------------------------------------


@pytest.fixture
def stranger(user_factory) -> User:
    user_factory(role=Role.OWNER)
    return user_factory(email="stranger@example.com", is_member=False)


@pytest.mark.django_db
def test_a_stranger_gets_403_on_every_terminals_route(stranger, bearer_client, make_session):
    make_session("main")
    cookie = APIClient()
    cookie.force_login(stranger)
    for client in (bearer_client(stranger), cookie):
        for method, path in terminal_routes("main"):
            r = getattr(client, method)(path)
            assert r.status_code == 403, (method, path, r.status_code)
            if path.startswith("/terminals/api/sessions") or path.endswith("recordings"):
                assert r.json() == NOT_MEMBER
            else:
                assert r.json()["error"] == "FORBIDDEN"
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_a_stranger_gets_403_pages(stranger, client, make_session):
    make_session("main")
    client.force_login(stranger)
    for path in ("/terminals/", "/terminals/s/main", "/terminals/recordings"):
        r = client.get(path)
        assert r.status_code == 403, path
        assert "not a member" in r.content.decode()


@pytest.mark.django_db
def test_a_stranger_is_not_listed(stranger, bearer_client, user_factory):
    admin = user_factory(role=Role.ADMIN)
    users = bearer_client(admin).get("/terminals/api/users").json()["users"]
    assert stranger.public_id not in {u["id"] for u in users}
    assert admin.public_id in {u["id"] for u in users}


@pytest.mark.django_db(transaction=True)
@in_own_loop
async def test_a_stranger_socket_closes_4003(stranger, make_session):
    make_session("main")
    for path in ("/terminals/ws", "/terminals/ws/terminal/main"):
        assert await close_code(communicator(path, cookie_for=stranger)) == 4003


@pytest.mark.django_db
def test_a_stranger_joins_by_accepting_an_invite(stranger, bearer_client, user_factory):
    admin = user_factory(role=Role.ADMIN)
    token = (
        bearer_client(admin)
        .post("/terminals/api/invites", {"role": "operator"}, format="json")
        .json()["token"]
    )
    r = bearer_client(stranger).post(f"/terminals/api/invites/{token}/accept")
    assert r.status_code == 200
    assert r.json() == {"success": True, "role": "operator"}
    stranger.refresh_from_db()
    assert (stranger.is_member, stranger.role) == (True, Role.OPERATOR)
    assert bearer_client(stranger).get("/terminals/api/sessions").status_code in (200, 503)


@pytest.mark.django_db
def test_an_admin_adds_a_signed_up_account_from_the_members_page(stranger, client, user_factory):
    admin = user_factory(role=Role.ADMIN)
    client.force_login(admin)
    r = client.post("/terminals/members/add", {"email": "Stranger@example.com", "role": "admin"})
    assert r.status_code == 302
    stranger.refresh_from_db()
    assert not stranger.is_member  # only owners grant admin
    client.post("/terminals/members/add", {"email": "stranger@example.com", "role": "operator"})
    stranger.refresh_from_db()
    assert (stranger.is_member, stranger.role) == (True, Role.OPERATOR)
    page = client.get("/terminals/members/").content.decode()
    assert stranger.public_id in page


# --- removal and demotion take effect at once -----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_removal_ends_claims_revokes_sessions_and_the_cookie_is_refused(
    user_factory, bearer_client, bearer, make_session
):
    make_session("main")
    owner = user_factory(role=Role.OWNER)
    op = user_factory(role=Role.OPERATOR)
    token = bearer(op)
    Claim.objects.create(
        session_name="main", user=op, expires_at=timezone.now() + timedelta(minutes=30)
    )
    r = bearer_client(owner).delete(f"/terminals/api/users/{op.public_id}")
    assert r.status_code == 200
    assert not Claim.objects.filter(user=op).exists()
    assert not ApiSession.objects.filter(user=op, revoked_at__isnull=True).exists()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/terminals/api/sessions").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_demotion_ends_claims(user_factory, bearer_client, make_session):
    make_session("main")
    owner = user_factory(role=Role.OWNER)
    op = user_factory(role=Role.OPERATOR)
    Claim.objects.create(
        session_name="main", user=op, expires_at=timezone.now() + timedelta(minutes=30)
    )
    r = bearer_client(owner).patch(
        f"/terminals/api/users/{op.public_id}/role", {"role": "viewer"}, format="json"
    )
    assert r.status_code == 200
    assert not Claim.objects.exists()


@pytest.mark.django_db(transaction=True)
@in_own_loop
async def test_removal_closes_the_members_open_sockets_4003_and_announces_the_release(
    user_factory, make_session
):
    from invites import members

    make_session("main")
    owner = await asyncio.to_thread(user_factory, role=Role.OWNER)
    op = await asyncio.to_thread(user_factory, role=Role.OPERATOR)
    viewer = await asyncio.to_thread(user_factory, role=Role.VIEWER)
    await asyncio.to_thread(
        Claim.objects.create,
        session_name="main",
        user=op,
        expires_at=timezone.now() + timedelta(minutes=30),
    )
    mine = communicator("/terminals/ws/terminal/main", cookie_for=op)
    watcher = communicator("/terminals/ws/terminal/main", cookie_for=viewer)
    for comm in (mine, watcher):
        assert (await comm.connect(timeout=5))[0]
    await asyncio.to_thread(members.member_remove, actor=owner, public_id=op.public_id)

    async def until(comm: WebsocketCommunicator, done) -> dict:  # type: ignore[no-untyped-def]
        async with asyncio.timeout(5):
            while True:
                output = await comm.receive_output(timeout=5)
                if done(output):
                    return output

    closed = await until(mine, lambda o: o["type"] == "websocket.close")
    assert closed["code"] == 4003
    released = await until(watcher, lambda o: '"released"' in o.get("text", ""))
    assert '"sessionId": "main"' in released["text"]
    await mine.disconnect()
    await watcher.disconnect()


# --- first run and migration -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_first_email_sign_up_is_the_owner_and_the_next_is_not_a_member(client, settings):
    settings.ACCOUNT_ALLOW_SIGNUP = True
    for email in ("first@example.com", "second@example.com"):
        r = client.post(
            "/accounts/signup/",
            {"email": email, "password1": "long-Lobby-pass-1", "password2": "long-Lobby-pass-1"},
        )
        assert r.status_code == 302, r.content[:300]
        client.logout()
    first = User.objects.get(email="first@example.com")
    second = User.objects.get(email="second@example.com")
    assert (first.role, first.is_member) == (Role.OWNER, True)
    assert not second.is_member


@pytest.mark.django_db(transaction=True)
def test_migration_keeps_existing_viewers_members_and_marks_guests():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    before = [("accounts", "0002_cache_table")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("accounts", "User")
    old.objects.create(email="vera@example.com", role="viewer", public_id="user_vera")
    old.objects.create(email="guest-1@guest.bingo.invalid", role="viewer", public_id="user_g")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    vera = User.objects.get(public_id="user_vera")
    guest = User.objects.get(public_id="user_g")
    assert (vera.is_member, vera.role, vera.is_guest) == (True, "viewer", False)
    assert (guest.is_member, guest.is_guest) == (False, True)
