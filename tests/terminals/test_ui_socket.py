"""CHROTE's UI on `/terminals/ws`: locks taken over REST reach its socket as `claimed` /
`released` (with the `by.id` that `auth/me` gave it), and a subscribed socket that never sends a
heartbeat is not closed for idleness (issue 15, items 3 and 6)."""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from accounts.models import Role, User
from config.asgi import application
from terminals import selectors
from tests.conftest import session_cookie_for
from tests.terminals.conftest import in_own_loop

pytestmark = pytest.mark.django_db(transaction=True)

UI_ORIGIN = "https://chrote.example"


@pytest.fixture(autouse=True)
def _trusted_origin(settings):  # type: ignore[no-untyped-def]
    settings.CSRF_TRUSTED_ORIGINS = [UI_ORIGIN]
    settings.WEBSOCKET_ALLOWED_ORIGINS = [UI_ORIGIN]


@pytest.fixture
def people(user_factory):  # type: ignore[no-untyped-def]
    return {
        "op": user_factory(role=Role.OPERATOR, name="Olga"),
        "viewer": user_factory(role=Role.VIEWER, name="Vera"),
        "admin": user_factory(role=Role.ADMIN, name="Ada"),
    }


def socket(user: User) -> WebsocketCommunicator:
    """The UI's socket: its page's Origin and the session cookie, nothing else."""
    headers = [
        (b"host", b"chrote.example"),
        (b"origin", UI_ORIGIN.encode()),
        (b"cookie", f"sessionid={session_cookie_for(user)}".encode()),
    ]
    return WebsocketCommunicator(application, "/terminals/ws", headers=headers)


def ui_post(user: User, path: str):  # type: ignore[no-untyped-def]
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    return client.post(
        path,
        content_type="application/json",
        HTTP_ORIGIN=UI_ORIGIN,
        HTTP_SEC_FETCH_SITE="same-origin",
    )


def ui_me(user: User) -> dict:
    client = APIClient()
    client.force_login(user)
    return client.get("/terminals/api/auth/me").json()["user"]


async def subscribed(user: User, session: str = "main") -> tuple[WebsocketCommunicator, list]:
    """Connect and subscribe as the UI does; returns the socket and what it got until its
    subscription was announced (its own presence)."""
    comm = socket(user)
    connected, _ = await comm.connect(timeout=5)
    assert connected
    await comm.send_json_to({"type": "subscribe", "sessionId": session})
    seen = []
    async with asyncio.timeout(5):
        while True:
            message = await comm.receive_json_from(timeout=5)
            seen.append(message)
            if message["type"] == "presence" and any(
                u["id"] == user.public_id for u in message["users"]
            ):
                return comm, seen


async def next_of(comm: WebsocketCommunicator, kind: str, timeout: float = 5) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            message = await comm.receive_json_from(timeout=timeout)
            if message["type"] == kind:
                return message


@in_own_loop
async def test_a_rest_lock_reaches_subscribers_as_claimed_with_the_auth_me_id(make_session, people):
    make_session("main")
    watcher, _ = await subscribed(people["viewer"])
    r = await asyncio.to_thread(ui_post, people["op"], "/terminals/api/terminal/sessions/main/lock")
    assert r.status_code == 200
    claimed = await next_of(watcher, "claimed")
    me = await asyncio.to_thread(ui_me, people["op"])
    assert claimed["sessionId"] == "main"
    assert claimed["by"] == {"id": me["id"], "name": "Olga"}
    assert claimed["by"] == r.json()["lockedBy"]

    r = await asyncio.to_thread(
        ui_post, people["op"], "/terminals/api/terminal/sessions/main/release"
    )
    assert r.status_code == 200
    assert await next_of(watcher, "released") == {"type": "released", "sessionId": "main"}
    await watcher.disconnect()


@in_own_loop
async def test_an_admin_take_over_is_released_then_claimed(make_session, people):
    make_session("main")
    holder, _ = await subscribed(people["op"])
    await asyncio.to_thread(ui_post, people["op"], "/terminals/api/terminal/sessions/main/lock")
    await next_of(holder, "claimed")
    r = await asyncio.to_thread(
        ui_post, people["admin"], "/terminals/api/terminal/sessions/main/lock"
    )
    assert r.status_code == 200
    events = []
    async with asyncio.timeout(5):
        while len(events) < 2:
            message = await holder.receive_json_from(timeout=5)
            if message["type"] in ("claimed", "released"):
                events.append(message)
    assert events[0] == {"type": "released", "sessionId": "main"}
    assert events[1]["type"] == "claimed"
    assert events[1]["by"] == {"id": people["admin"].public_id, "name": "Ada"}
    # the old holder's keys no longer go in (the multi-session socket's CLAIM_REQUIRED)
    await holder.send_json_to({"type": "sendKeys", "sessionId": "main", "keys": "x"})
    assert (await next_of(holder, "error"))["code"] == "CLAIM_REQUIRED"
    await holder.disconnect()


@in_own_loop
async def test_a_subscribed_socket_without_heartbeats_is_not_closed_for_idleness(
    make_session, people, settings
):
    """The UI sends no heartbeat and expects no `connected`: after many heartbeat timeouts and
    presence refreshes it is still open, still listed as watching, and still streaming."""
    settings.TERMINALS_HEARTBEAT_TIMEOUT = 0.2
    settings.TERMINALS_PRESENCE_TTL = 3  # presence refreshed every second, stale after 3
    session = make_session("main")
    comm, seen = await subscribed(people["viewer"])
    idle_until = time.monotonic() + 4.0  # 20 heartbeat timeouts; > the presence TTL
    while (left := idle_until - time.monotonic()) > 0:
        # (receive_output's own timeout would cancel the consumer: wait with receive_nothing)
        if await comm.receive_nothing(timeout=left, interval=0.05):
            break
        output = await comm.receive_output(timeout=1)
        assert output["type"] != "websocket.close", output
        seen.append(output)
    users = await asyncio.to_thread(selectors.presence_users, session_name="main")
    assert [u["id"] for u in users] == [people["viewer"].public_id]

    await asyncio.to_thread(
        session.active_window.active_pane.send_keys, "echo still-$((20+22))", enter=True
    )
    text = ""
    async with asyncio.timeout(5):
        while "still-42" not in text:
            message = await comm.receive_json_from(timeout=5)
            seen.append(message)
            if message["type"] == "output":
                text += message["data"]
    assert all(m.get("type") != "connected" for m in seen)
    await comm.disconnect()
