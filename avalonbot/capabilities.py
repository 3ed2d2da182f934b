"""What `GET /v0/info` claims: only what the bot really plays (5-10 players, Lady, all roles)."""

from typing import Any

from avalonbot.engine import rules

BOT_NAME = "Lobby DeepRole-lite"


def info() -> dict[str, Any]:
    lower = list(rules.SPECIAL_ROLES)
    capitalised = [r.capitalize() for r in lower]
    return {
        "name": BOT_NAME,
        "chat": False,
        "capabilities": [
            {
                "numPlayers": list(rules.PLAYER_COUNTS),
                "ladyOfTheLake": True,
                "roles": [*lower, *capitalised, "Merlin", "Assassin", "Resistance", "Spy"],
                "cards": ["Lady of the Lake"],
            }
        ],
    }
