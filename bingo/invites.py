"""Host-invite target `bingo:<game id>`: an invite deals a card without the PIN.

`describe` and `admit` live in `bingo.services` (`invite_describe`, `invite_admit`); this module
decides who may make such an invite: only the game's creator, the one who holds the PIN.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bingo.models import Game

if TYPE_CHECKING:
    from accounts.models import User


def may_invite(user: User, target_id: str) -> bool:
    """`user` created game `target_id` (also a finished one: `describe` refuses that)."""
    return Game.objects.filter(public_id=target_id, creator_id=user.pk).exists()
