from __future__ import annotations

import uuid

from invites.targets import admit_to_target, describe_target
from watchparty import services, tokens
from watchparty.models import Participant


def test_index_page(client, db) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/watchparty/")
    assert r.status_code == 200
    assert b'id="create-form"' in r.content


def test_join_page_escapes_the_room_name(client, db) -> None:  # type: ignore[no-untyped-def]
    party, _, _ = services.party_create(name="<img src=x onerror=alert(1)>", password="secure123")
    r = client.get(f"/watchparty/join/{party.pk}")
    assert r.status_code == 200
    assert b"<img src=x" not in r.content
    assert b"&lt;img src=x" in r.content


def test_room_page_carries_config(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.WATCHPARTY_ICE_SERVERS = [{"urls": "stun:stun.example.org:3478"}]
    party, _, _ = services.party_create(name="Config", password="secure123")
    r = client.get(f"/watchparty/room/{party.pk}")
    assert r.status_code == 200
    assert b"stun:stun.example.org:3478" in r.content
    assert b'id="wp-config"' in r.content


def test_pages_for_missing_rooms_are_404(client, db) -> None:  # type: ignore[no-untyped-def]
    for path in (f"/watchparty/join/{uuid.uuid4()}", "/watchparty/room/nope"):
        r = client.get(path)
        assert r.status_code == 404
        assert b"doesn&#x27;t exist or has expired" in r.content


def test_invite_target_admits_a_signed_in_user_without_password(db, user_factory) -> None:  # type: ignore[no-untyped-def]
    party, _, _ = services.party_create(name="Invited", password="secure123")
    user = user_factory(name="Invitee")
    assert describe_target(f"watchparty:{party.pk}") == "Watch party “Invited”"
    assert describe_target(f"watchparty:{uuid.uuid4()}") is None
    url = admit_to_target(user, f"watchparty:{party.pk}")
    assert url.startswith(f"/watchparty/room/{party.pk}#token=")
    claims = tokens.token_decode(url.split("#token=", 1)[1], room=str(party.pk))
    assert claims.user_id == user.public_id
    assert Participant.objects.get(party=party, user_id=user.public_id).account == user


def test_index_lists_a_signed_in_user_s_open_rooms(client, user_factory) -> None:  # type: ignore[no-untyped-def]
    user = user_factory()
    mine, _, _ = services.party_create(name="Mine <3", password="secure123", user=user)
    services.party_create(name="Someone else's", password="secure123")
    closed, _, _ = services.party_create(name="Closed one", password="secure123", user=user)
    services.party_close(party=closed)
    client.force_login(user)
    body = client.get("/watchparty/").content.decode()
    assert "Mine &lt;3" in body and f"/watchparty/join/{mine.pk}" in body
    assert "Someone else" not in body and "Closed one" not in body
