"""What an invite can let people into. Apps register their kind of target when they start.

A target is written `kind:id` (`bingo:cca78b7e`, `watchparty:<uuid>`) or just `kind` for a
target without an id (`terminals`, the terminal workspace). Each app registers, in its
`AppConfig.ready()`:

- `describe(target_id) -> str | None`: a human label ("Bingo game cca78b7e"), None if it does
  not exist (or has ended), so an invite to it can't be created or redeemed;
- `admit(user, target_id) -> str`: let `user` in (record whatever the app needs, e.g. a bingo
  card without the PIN), and return the URL to send them to. It may be called again for a user
  it already admitted (they came back to the invite link), so make it idempotent;
- `may_invite(user, target_id) -> bool`: whether `user` may create an invite to it, e.g. only
  the room's host or the game's creator, or only workspace admins. Required: an invite lets
  people in without the room's password or PIN, so there is no "anyone" default. It must answer
  False (not raise) for an id that names nothing, so that a refusal looks the same whether or
  not the room exists. It is asked again, about the invite's creator, at every redemption.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class TargetKind:
    kind: str
    label: str
    describe: Callable[[str], str | None]
    admit: Callable[[User, str], str]
    may_invite: Callable[[User, str], bool]
    needs_id: bool = True


# Filled once at start-up by AppConfig.ready(); read-only afterwards.
_KINDS: dict[str, TargetKind] = {}


def register_target(
    kind: str,
    *,
    label: str,
    describe: Callable[[str], str | None],
    admit: Callable[[User, str], str],
    may_invite: Callable[[User, str], bool],
    needs_id: bool = True,
) -> None:
    _KINDS[kind] = TargetKind(kind, label, describe, admit, may_invite, needs_id)


def unregister_target(kind: str) -> None:
    """Forget a kind (tests that register a fake one)."""
    _KINDS.pop(kind, None)


def target_kinds() -> dict[str, TargetKind]:
    return dict(_KINDS)


def parse_target(target: str) -> tuple[TargetKind, str] | None:
    """The registered kind and id a `kind:id` string names, or None if it names nothing known."""
    kind, _, target_id = target.partition(":")
    entry = _KINDS.get(kind)
    if entry is None or bool(target_id) != entry.needs_id:
        return None
    return entry, target_id


def describe_target(target: str) -> str | None:
    parsed = parse_target(target)
    if parsed is None:
        return None
    entry, target_id = parsed
    return entry.describe(target_id)


def admit_to_target(user: User, target: str) -> str | None:
    parsed = parse_target(target)
    if parsed is None:
        return None
    entry, target_id = parsed
    return entry.admit(user, target_id)


def target_may_invite(user: User, target: str) -> bool:
    """Whether `user` may invite people to `target`: False for an unknown target, and for a
    deactivated account (whose invites stop letting people in)."""
    parsed = parse_target(target)
    if parsed is None or not user.is_authenticated or not user.is_active:
        return False
    entry, target_id = parsed
    return entry.may_invite(user, target_id) is True
