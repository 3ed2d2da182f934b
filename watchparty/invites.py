"""Host-invite target: an invite to a watch party lets a signed-in user in without the password."""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchparty import selectors, services
from watchparty.exceptions import SessionFullError, SessionNotFoundError

if TYPE_CHECKING:
    from accounts.models import User


def describe(target_id: str) -> str | None:
    try:
        party = selectors.party_get_open(session_id=target_id)
    except SessionNotFoundError:
        return None
    return f"Watch party “{party.name}”"


def admit(user: User, target_id: str) -> str:
    """A slot for `user` and the room page with a fresh token in the fragment (never logged)."""
    try:
        party, _, token = services.party_admit(session_id=target_id, user=user)
    except (SessionFullError, SessionNotFoundError):
        return f"/watchparty/join/{target_id}"
    return f"/watchparty/room/{party.id}#token={token}"
