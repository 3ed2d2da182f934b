from __future__ import annotations

import threading

import bcrypt
import pytest
from django.db import connection
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from watchparty import services
from watchparty.exceptions import (
    NotHostError,
    SessionFullError,
    SessionNotFoundError,
    ValidationFailedError,
)
from watchparty.models import ChatMessage, Participant, WatchParty


def test_default_bcrypt_cost_is_12(db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.WATCHPARTY_BCRYPT_ROUNDS = 12
    party, _, _ = services.party_create(name="Cost check", password="secure123")
    stored = WatchParty.objects.get(pk=party.pk).password_hash
    assert stored.startswith("$2b$12$")
    assert bcrypt.checkpw(b"secure123", stored.encode())


def test_password_longer_than_72_bytes_is_never_truncated(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailedError) as err:
        services.party_create(name="Long pw", password="a" * 72 + "b")
    assert "password" in err.value.details


def test_multibyte_password_at_the_byte_edge(db) -> None:  # type: ignore[no-untyped-def]
    party, _, _ = services.party_create(name="Bytes", password="€" * 24)  # 72 bytes
    with pytest.raises(ValidationFailedError):
        services.party_create(name="Bytes", password="€" * 24 + "x")
    assert services.party_join(session_id=str(party.pk), password="€" * 24)[0] == party


# --- properties: whatever a client sends, the answer is a documented error or a stored change -


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
playback_payloads = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "playing": json_values,
            "currentTime": st.floats(allow_nan=True, allow_infinity=True) | json_values,
            "volume": st.floats() | json_values,
            "rate": st.floats() | json_values,
            "media_url": st.text(max_size=40) | json_values,
            "source": st.sampled_from(["video", "screen", "tv"]) | json_values,
        },
    ),
)


@pytest.fixture
def party(db):  # type: ignore[no-untyped-def]
    return services.party_create(name="Props", password="secure123")[0]


@hsettings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=playback_payloads)
def test_playback_payloads_are_stored_or_refused(party, payload) -> None:  # type: ignore[no-untyped-def]
    before = WatchParty.objects.get(pk=party.pk)
    try:
        out = services.playback_set(session_id=party.pk, user_id=party.host_id, payload=payload)
    except ValidationFailedError:
        after = WatchParty.objects.get(pk=party.pk)
        assert after.state_seq == before.state_seq
        return
    after = WatchParty.objects.get(pk=party.pk)
    assert after.state_seq == before.state_seq + 1
    assert out["currentTime"] >= 0 and 0 <= out["volume"] <= 1
    assert after.source in ("video", "screen")


@hsettings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(message=json_values | st.text(max_size=2100))
def test_chat_is_stored_or_refused(party, message) -> None:  # type: ignore[no-untyped-def]
    try:
        chat = services.chat_post(
            party_id=party.pk, user_id=party.host_id, username="Host", message=message
        )
    except ValidationFailedError:
        assert not isinstance(message, str) or not 1 <= len(message.strip()) <= 2000
        return
    assert chat.message == message.strip()


def test_non_host_cannot_play(party) -> None:  # type: ignore[no-untyped-def]
    _, guest, _ = services.party_join(session_id=str(party.pk), password="secure123")
    with pytest.raises(NotHostError):
        services.playback_set(session_id=party.pk, user_id=guest.user_id, payload={"playing": True})


@pytest.mark.django_db(transaction=True)
def test_chat_into_a_deleted_room_is_refused_and_stores_nothing() -> None:
    party, host, _ = services.party_create(name="Gone", password="secure123")
    WatchParty.objects.filter(pk=party.pk).delete()
    with pytest.raises(SessionNotFoundError):
        services.chat_post(party_id=party.pk, user_id=host.user_id, username="Host", message="hi")
    assert not ChatMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_racing_joins_never_overfill_a_room() -> None:
    party, _, _ = services.party_create(name="Race", password="secure123")
    for _ in range(7):
        services.party_join(session_id=str(party.pk), password="secure123")
    results: list[str] = []

    def join() -> None:
        try:
            services.party_join(session_id=str(party.pk), password="secure123")
            results.append("ok")
        except SessionFullError:
            results.append("full")
        finally:
            connection.close()

    threads = [threading.Thread(target=join) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["full"] * 4 + ["ok"] * 2
    assert Participant.objects.filter(party=party, left_at__isnull=True).count() == 10


def test_host_role_passes_on_when_the_host_leaves_for_good(party, settings) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    _, guest, _ = services.party_join(session_id=str(party.pk), password="secure123")
    stale = timezone.now() - timedelta(seconds=settings.WATCHPARTY_RECONNECT_GRACE + 5)
    Participant.objects.filter(party=party, user_id=party.host_id).update(last_seen=stale)
    services.presence_check(session_id=party.pk)
    party.refresh_from_db()
    assert party.host_id == guest.user_id
    details = services.party_details_get(
        session_id=party.pk, token=services._token_for(party, guest)
    )
    assert details["host_id"] == guest.user_id and details["participants"] == [guest.user_id]
