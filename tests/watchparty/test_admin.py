from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client as DjangoClient
from django.utils import timezone

from accounts.models import User
from tests.watchparty.test_consumers import Client, create
from watchparty import services
from watchparty.models import ChatMessage, WatchParty

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def admin_post(url: str, data: dict) -> int:
    admin = User.objects.create_superuser(
        email=f"admin{User.objects.count()}@example.com", password="pw-Admin-123"
    )
    client = DjangoClient()
    client.force_login(admin)
    return client.post(url, data).status_code


async def test_admin_close_ends_room_and_sockets() -> None:
    sid, _, tok = await create()
    ws = await Client(sid, tok).open()
    status = await admin_post(
        "/admin/watchparty/watchparty/", {"action": "close_rooms", "_selected_action": [sid]}
    )
    assert status == 302
    assert (await ws.recv("error"))["payload"]["error"] == "Session not found"
    assert await ws.closed_with() == 4004
    party = await database_sync_to_async(WatchParty.objects.get)(pk=sid)
    assert party.closed_at is not None


async def test_admin_extend_pushes_expiry() -> None:
    sid, _, tok = await create()
    ws = await Client(sid, tok).open()
    before = (await database_sync_to_async(WatchParty.objects.get)(pk=sid)).expires_at
    status = await admin_post(
        "/admin/watchparty/watchparty/", {"action": "extend_rooms", "_selected_action": [sid]}
    )
    assert status == 302
    msg = await ws.recv("session_extended")
    after = (await database_sync_to_async(WatchParty.objects.get)(pk=sid)).expires_at
    assert after - before == timezone.timedelta(hours=24)
    assert msg["payload"]["expires_at"] == int(after.timestamp() * 1000)
    await ws.close()


async def test_admin_delete_chat_message_removes_it_for_everyone() -> None:
    sid, host_id, tok = await create()
    ws = await Client(sid, tok).open()
    chat = await database_sync_to_async(services.chat_post)(
        party_id=sid, user_id=host_id, username="Host", message="spoiler!"
    )
    await ws.recv("chat")
    status = await admin_post(
        "/admin/watchparty/chatmessage/",
        {"action": "delete_for_everyone", "_selected_action": [chat.pk]},
    )
    assert status == 302
    assert (await ws.recv("chat_deleted"))["payload"] == {"id": chat.public_id}
    row = await database_sync_to_async(ChatMessage.objects.get)(pk=chat.pk)
    assert row.deleted_at is not None
    await ws.close()


def test_admin_pages_render(admin_client, db) -> None:  # type: ignore[no-untyped-def]
    party, _, _ = services.party_create(name="Admin view", password="secure123")
    services.chat_post(
        party_id=party.pk, user_id=party.host_id, username="Host", message="<script>x</script>"
    )
    for url in (
        "/admin/watchparty/watchparty/",
        f"/admin/watchparty/watchparty/{party.pk}/change/",
        "/admin/watchparty/participant/",
        "/admin/watchparty/chatmessage/",
    ):
        r = admin_client.get(url)
        assert r.status_code == 200, url
    assert b"<script>x</script>" not in admin_client.get("/admin/watchparty/chatmessage/").content
