"""Avalon's rules engine (pure Python, no Django)."""

from avalonbot.engine.game import (
    ASSASSINATION,
    EVIL,
    FINISHED,
    GOOD,
    LADY,
    MISSION,
    PICK,
    VOTE,
    Game,
    IllegalActionError,
    LadyResult,
    MissionResult,
    Proposal,
)
from avalonbot.engine.rules import RulesError

__all__ = [
    "ASSASSINATION",
    "EVIL",
    "FINISHED",
    "GOOD",
    "LADY",
    "MISSION",
    "PICK",
    "VOTE",
    "Game",
    "IllegalActionError",
    "LadyResult",
    "MissionResult",
    "Proposal",
    "RulesError",
]
