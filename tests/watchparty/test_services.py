from __future__ import annotations

import bcrypt
import pytest

from watchparty import services
from watchparty.exceptions import ValidationFailedError
from watchparty.models import WatchParty


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
