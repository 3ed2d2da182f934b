"""Reads: the public game state and the verification document."""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone

from bingo import fairness, tsa
from bingo.exceptions import GameNotFoundError
from bingo.models import Card, Draw, Game


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


def _stamped_digest(game: Game, draw: Draw) -> str:
    if draw.chain_count is None:  # stored before chain anchors: the token stamps seed_hash
        return draw.seed_hash
    record = fairness.draw_record(
        game.public_id, draw.sequence, draw.seed_hash, draw.chain_count, draw.chain_head
    )
    return fairness.record_digest(record).hex()


def _final_digest(game: Game) -> str | None:
    if game.final_chain_count is None:
        return None
    record = fairness.end_record(game.public_id, game.final_chain_count, game.final_chain_head)
    return fairness.record_digest(record).hex()


def _anchor_problem(game: Game, draws: list[Draw], entries: list[tuple]) -> str | None:
    """Why the time-stamped chain heads disagree with the chain as stored, or None.

    Each anchor (a draw's, the end's) is covered by its token; a chain that lost entries the
    anchor counted (truncation), or whose anchored entry changed, fails here.
    """
    hashes = [h for _, _, _, _, h in entries]
    draw_seqs = {}
    for seq, kind, _, body, _ in entries:
        if kind == "draw":
            draw_seqs[json.loads(body).get("sequence")] = seq
    anchors = []
    for d in draws:
        if d.chain_count is not None:
            anchors.append((f"draw {d.sequence}", d.chain_count, d.chain_head, d.token, d))
    if game.final_chain_count is not None:
        anchors.append(
            (
                "the game's end",
                game.final_chain_count,
                game.final_chain_head,
                game.final_token,
                None,
            )
        )
    elif game.status == Game.Status.FINISHED and any(d.chain_count is not None for d in draws):
        return "Chain broken: the game's end is not anchored by a time stamp"
    for who, count, head, token, draw in anchors:
        expected = _stamped_digest(game, draw) if draw is not None else _final_digest(game)
        if tsa.token_info(bytes(token))[0].hex() != expected:
            return f"Chain broken: the time stamp of {who} does not cover its anchor"
        if count > len(hashes):
            return (
                f"Chain broken: the time stamp of {who} anchors {count} entries, "
                f"the chain has {len(hashes)}"
            )
        if not fairness.chain_holds(hashes, count, head):
            return f"Chain broken: entry {count} is not the one the time stamp of {who} anchors"
    for d in draws:
        if d.sequence not in draw_seqs:
            return f"Chain broken: draw {d.sequence} has no audit entry"
    return None


def game_verify(game: Game) -> dict[str, Any]:
    """The spec's /verify document plus tokens, commitment, player seeds, audit log, S when over.

    `audit_chain_valid` holds when the hash chain links up and every time-stamped chain head
    (each draw's, the end's) is still in it: truncating the chain shows.
    """
    gid = game.public_id
    draws = list(game.draws.order_by("sequence"))
    entries = list(
        game.audit_entries.order_by("seq").values_list("seq", "kind", "prev_hash", "body", "hash")
    )
    valid, checked = fairness.chain_valid((s, p, b, h) for s, _, p, b, h in entries)
    if valid:
        summary = f"Chain verified: {checked} entries"
        problem = _anchor_problem(game, draws, entries)
        if problem is not None:
            valid, summary = False, problem
    else:
        summary = f"Chain broken at entry {checked + 1} of {len(entries)}"
    anchored = max(
        [d.chain_count for d in draws if d.chain_count is not None]
        + [game.final_chain_count or 0, 0]
    )
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
                "chain_count": d.chain_count,
                "chain_head": d.chain_head or None,
                "stamped_digest": _stamped_digest(game, d),
            }
            for d in draws
        ],
        "audit_chain_valid": valid,
        "audit_entries_verified": summary,
        "audit_entries_anchored": anchored,
        "final_anchor": (
            {
                "chain_count": game.final_chain_count,
                "chain_head": game.final_chain_head,
                "authority": game.final_authority,
                "token": tsa.b64(bytes(game.final_token)),
                "stamped_digest": _final_digest(game),
            }
            if game.final_chain_count is not None and game.final_token is not None
            else None
        ),
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
            "draw_token": "RFC 3161 over SHA256(utf8(proofplay-draw/1 LF game_id LF sequence LF "
            "seed_hash LF chain_count LF chain_head)); chain_count/chain_head: the audit chain "
            "when the draw was stamped (entries, hash of the last); draws without chain_count "
            "stamp seed_hash",
            "final_token": "RFC 3161 over SHA256(utf8(proofplay-end/1 LF game_id LF chain_count "
            "LF chain_head)), the chain after its end entry",
            "modulo_bias_bound": fairness.MODULO_BIAS_BOUND,
        },
    }
