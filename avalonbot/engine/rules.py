"""The board game's fixed rules: roles, team sizes, who sees whom. Pure Python."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

MIN_PLAYERS, MAX_PLAYERS = 5, 10
PLAYER_COUNTS = tuple(range(MIN_PLAYERS, MAX_PLAYERS + 1))

MERLIN, PERCIVAL, SERVANT = "merlin", "percival", "servant"
ASSASSIN, MORGANA, MORDRED, OBERON, MINION = "assassin", "morgana", "mordred", "oberon", "minion"
GOOD_ROLES = (MERLIN, PERCIVAL, SERVANT)
EVIL_ROLES = (ASSASSIN, MORGANA, MORDRED, OBERON, MINION)
ALL_ROLES = GOOD_ROLES + EVIL_ROLES
# Optional roles a game may include; Merlin and the Assassin are always dealt.
SPECIAL_ROLES = (PERCIVAL, MORGANA, MORDRED, OBERON)

# Team size of each of the five missions, by player count.
TEAM_SIZES: dict[int, tuple[int, ...]] = {
    5: (2, 3, 2, 3, 3),
    6: (2, 3, 4, 3, 4),
    7: (2, 3, 3, 4, 4),
    8: (3, 4, 4, 5, 5),
    9: (3, 4, 4, 5, 5),
    10: (3, 4, 4, 5, 5),
}
EVIL_COUNT: dict[int, int] = {5: 2, 6: 2, 7: 3, 8: 3, 9: 3, 10: 4}
MISSIONS, WINS_NEEDED, MAX_PICKS = 5, 3, 5
LADY_AFTER_MISSIONS = (1, 2, 3)  # 0-based: the Lady is used after missions 2, 3 and 4


class RulesError(ValueError):
    """A game set-up or an action the rules do not allow."""


def is_evil(role: str) -> bool:
    return role in EVIL_ROLES


def fails_required(num_players: int, mission: int) -> int:
    """Fail cards that fail `mission` (0-based): two on the fourth mission at 7+ players."""
    return 2 if num_players >= 7 and mission == 3 else 1


def team_size(num_players: int, mission: int) -> int:
    return TEAM_SIZES[num_players][mission]


def validate_setup(num_players: int, specials: Iterable[str]) -> tuple[str, ...]:
    """The special roles, checked to fit the player count; returns them in canonical order."""
    if num_players not in TEAM_SIZES:
        raise RulesError(f"Avalon is played by {MIN_PLAYERS} to {MAX_PLAYERS} players")
    chosen = set(specials)
    unknown = chosen - set(SPECIAL_ROLES)
    if unknown:
        raise RulesError(f"unknown special role(s): {', '.join(sorted(unknown))}")
    evil_specials = len(chosen & {MORGANA, MORDRED, OBERON})
    if 1 + evil_specials > EVIL_COUNT[num_players]:
        raise RulesError(
            f"{num_players} players have {EVIL_COUNT[num_players]} evil seats: too many evil roles"
        )
    return tuple(r for r in SPECIAL_ROLES if r in chosen)


def role_list(num_players: int, specials: Iterable[str]) -> list[str]:
    """Every role dealt in a game (unshuffled): Merlin, Assassin, the specials, then fillers."""
    specials = validate_setup(num_players, specials)
    evil = [ASSASSIN] + [r for r in specials if is_evil(r)]
    evil += [MINION] * (EVIL_COUNT[num_players] - len(evil))
    good = [MERLIN] + [r for r in specials if not is_evil(r)]
    good += [SERVANT] * (num_players - EVIL_COUNT[num_players] - len(good))
    return good + evil


def deal(num_players: int, specials: Iterable[str], rng: random.Random) -> list[str]:
    roles = role_list(num_players, specials)
    rng.shuffle(roles)
    return roles


def sees(roles: Sequence[str], seat: int) -> dict[str, frozenset[int]]:
    """What `seat` knows at the start, as the board game deals it.

    `spies`: seats it knows to be evil (Merlin: all evil but Mordred; evil but Oberon: the other
    evil but Oberon; Oberon: nobody). `merlins`: Percival's two (or one) Merlin candidates
    (Merlin and Morgana).
    """
    role = roles[seat]
    spies: set[int] = set()
    merlins: set[int] = set()
    for other, other_role in enumerate(roles):
        if other == seat:
            continue
        merlin_sees = role == MERLIN and is_evil(other_role) and other_role != MORDRED
        evil_sees = is_evil(role) and role != OBERON and is_evil(other_role)
        if merlin_sees or (evil_sees and other_role != OBERON):
            spies.add(other)
        elif role == PERCIVAL and other_role in (MERLIN, MORGANA):
            merlins.add(other)
    return {"spies": frozenset(spies), "merlins": frozenset(merlins)}
