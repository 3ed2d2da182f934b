"""Host-invite target: an invite to a watch party lets a signed-in user in without the password.

So only the room's current host may make one: the signed-in account whose slot holds the host
role (`host_id`). The role moves (host_transfer, or the host's slot lapsing), and the invite
stops letting people in when it does. A room created by a guest has a host with no platform
account: nobody can invite to it until the role reaches a signed-in participant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F

from watchparty import selectors, services
from watchparty.exceptions import SessionFullError, SessionNotFoundError
from watchparty.models import Participant

if TYPE_CHECKING:
    from accounts.models import User


def describe(target_id: str) -> str | None:
    try:
        party = selectors.party_get_open(session_id=target_id)
    except SessionNotFoundError:
        return None
    return f"Watch party “{party.name}”"


def may_invite(user: User, target_id: str) -> bool:
    """`user` holds this room's host slot (also for a room that ended: `describe` refuses it)."""
    party_id = selectors.parse_party_id(target_id)
    if party_id is None:
        return False
    return Participant.objects.filter(
        party_id=party_id, account_id=user.pk, user_id=F("party__host_id")
    ).exists()


def admit(user: User, target_id: str) -> str:
    """A slot for `user` and the room page with a fresh token in the fragment (never logged)."""
    try:
        party, _, token = services.party_admit(session_id=target_id, user=user)
    except (SessionFullError, SessionNotFoundError):
        return f"/watchparty/join/{target_id}"
    return f"/watchparty/room/{party.id}#token={token}"
