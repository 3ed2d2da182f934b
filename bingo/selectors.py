"""Reads: the public game state and the verification document."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from bingo import fairness, tsa
from bingo.exceptions import GameNotFoundError
from bingo.models import Card, Game


def game_get(*, game_id: str) -> Game:
    game = Game.objects.filter(public_id=game_id).first()
    if game is None:
        raise GameNotFoundError()
    return game


def card_out(card: Card) -> dict[str, Any]:
    return {"card_id": card.card_id, "numbers": card.numbers, "marked": card.marked}


def winner_out(game: Game) -> dict[str, Any] | None:
    if game.winner_id is None:
        return None
    winner = game.winner
    return {
        "card_id": winner.card_id,
        "player": winner.display_name,
        "won_at": game.won_at.isoformat() if game.won_at else None,
    }


def game_state(game: Game) -> dict[str, Any]:
    """The spec's public state (no seeds), plus the winner and the published commitment."""
    draws = game.draws.order_by("sequence").values_list("sequence", "number", "drawn_at")
    return {
        "game": {
            "id": game.public_id,
            "name": game.name,
            "status": game.status,
            "created_at": game.created_at.isoformat(),
        },
        "draws": [
            {"sequence": seq, "number": number, "drawn_at": at.isoformat()}
            for seq, number, at in draws
        ],
        "player_count": game.cards.count(),
        "winner": winner_out(game),
        "commitment": game.commitment,
    }


def game_verify(game: Game) -> dict[str, Any]:
    """The spec's /verify document plus tokens, commitment, player seeds, audit log, S when over."""
    gid = game.public_id
    draws = list(game.draws.order_by("sequence"))
    entries = list(
        game.audit_entries.order_by("seq").values_list("seq", "kind", "prev_hash", "body", "hash")
    )
    valid, checked = fairness.chain_valid((s, p, b, h) for s, _, p, b, h in entries)
    if valid:
        summary = f"Chain verified: {checked} entries"
    else:
        summary = f"Chain broken at entry {checked + 1} of {len(entries)}"
    cards = game.cards.order_by("join_index").values_list("card_id", "join_index", "client_seed")
    finished = game.status == Game.Status.FINISHED
    return {
        "game_id": gid,
        "draws": [
            {
                "game_id": gid,
                "sequence": d.sequence,
                "number": d.number,
                "seed_hash": d.seed_hash,
                "seed": d.seed,
                "anchor_id": d.anchor_id,
                "drawn_at": d.drawn_at.isoformat(),
                "authority": d.authority,
                "token": tsa.b64(bytes(d.token)),
            }
            for d in draws
        ],
        "audit_chain_valid": valid,
        "audit_entries_verified": summary,
        "verification_timestamp": timezone.now().isoformat(),
        "status": game.status,
        "name": game.name,
        "commitment": game.commitment,
        "commitment_token": tsa.b64(bytes(game.commitment_token)),
        "commitment_authority": game.commitment_authority,
        "entropy": game.entropy,
        "player_seeds": [
            {"card_id": card_id, "join_index": index, "client_seed": seed}
            for card_id, index, seed in cards
        ],
        "secret": game.secret if finished else None,
        "winner": winner_out(game),
        "audit_entries": [
            {"seq": s, "event": k, "prev_hash": p, "body": b, "hash": h}
            for s, k, p, b, h in entries
        ],
        "tsa_certificate_url": "/bingo/tsa/certificate.pem",
        "scheme": {
            "seed": "HMAC-SHA256(S, entropy || uint32_be(sequence)), hex",
            "seed_hash": "SHA256(bytes.fromhex(seed))",
            "number": "available[int(seed[0:8], 16) % len(available)], available = undrawn 1..75",
            "entropy": "SHA256(utf8(seed)) of each non-empty player seed joined before draw 1",
            "commitment": "SHA256(S)",
            "audit": 'hash = SHA256(utf8(prev_hash + "\\n" + body)), first prev_hash = 64 zeros',
            "modulo_bias_bound": fairness.MODULO_BIAS_BOUND,
        },
    }
