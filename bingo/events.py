"""What the game's socket group hears. Called from `transaction.on_commit` only."""

from __future__ import annotations

from typing import Any

from config.broadcast import broadcast, group_name


def game_group(game_id: str) -> str:
    return group_name("bingo", "game", game_id)


def player_group(game_id: str, user_id: int) -> str:
    """Every socket of one player in one game (their other tabs hear their marks)."""
    return group_name("bingo", "game", game_id, "user", str(user_id))


def draw_payload(draw: Any) -> dict[str, Any]:
    return {
        "sequence": draw.sequence,
        "number": draw.number,
        "seed_hash": draw.seed_hash,
        "anchor_id": draw.anchor_id,
        "drawn_at": draw.drawn_at.isoformat(),
    }


def drawn(game_id: str, payload: dict[str, Any]) -> None:
    broadcast(game_group(game_id), "bingo.draw", payload)


def players_changed(game_id: str, count: int) -> None:
    broadcast(game_group(game_id), "bingo.players", {"player_count": count})


def card_changed(game_id: str, user_id: int, payload: dict[str, Any]) -> None:
    broadcast(player_group(game_id, user_id), "bingo.card", payload)


def bingo(game_id: str, payload: dict[str, Any]) -> None:
    broadcast(game_group(game_id), "bingo.bingo", payload)


def game_ended(game_id: str, reason: str) -> None:
    broadcast(game_group(game_id), "bingo.ended", {"status": "finished", "reason": reason})
