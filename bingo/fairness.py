"""Provably fair bingo: commitment, seed derivation, number choice, cards, audit chain.

Pure functions, no Django. Everything here is re-implemented independently by
`tools/verify_bingo.py` (Python stdlib) and by the verify page (WebCrypto), so any change here
is a change of the published scheme.

Scheme (DESIGN.md "Decisions"):
- At creation the server picks a 256-bit secret S and publishes commitment = SHA256(S).
- entropy = SHA256(utf8(seed_1)) || SHA256(utf8(seed_2)) || ... for the non-empty player seeds
  of the cards that joined before the first draw, in join order (fixed at the first draw).
- seed_k = HMAC-SHA256(S, entropy || uint32_be(k)) for draw k = 1, 2, ...
- seed_hash_k = SHA256(bytes.fromhex(seed_k))  (the spec's JS hashes the seed's bytes)
- number_k = available[int(seed_k[0:8], 16) % len(available)], available = undrawn 1..75
  ascending (the spec's executable JS wins over its prose).
- Audit chain: hash_i = SHA256(utf8(prev_hash_{i-1} + "\n" + body_i)), prev_hash_0 = "0" * 64,
  body_i the canonical JSON of the event (sorted keys, no spaces, ASCII).
- Chain anchors: draw k's RFC 3161 token stamps SHA256(utf8(draw_record)), which names the
  chain's head when the draw was stamped (count of entries, hash of the last); the game's end
  stamps SHA256(utf8(end_record)) with the head after its "end" entry. Deleting entries that a
  time stamp counted therefore shows. (Draws stored before anchors existed stamp seed_hash.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

NUMBERS = range(1, 76)
COLUMNS = ((1, 15), (16, 30), (31, 45), (46, 60), (61, 75))  # B I N G O
GENESIS_HASH = "0" * 64
# Largest relative bias of `uint32 % n` over a uniform choice, for n <= 75: at most n / 2**32.
MODULO_BIAS_BOUND = 75 / 2**32


def new_secret() -> bytes:
    return secrets.token_bytes(32)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def commitment(secret: bytes) -> str:
    return sha256_hex(secret)


def entropy(seeds: Iterable[str]) -> bytes:
    """The player entropy: SHA256 of each non-empty seed (UTF-8), concatenated in join order."""
    return b"".join(hashlib.sha256(seed.encode("utf-8")).digest() for seed in seeds if seed)


def draw_seed(secret: bytes, entropy_bytes: bytes, sequence: int) -> str:
    """seed_k = HMAC-SHA256(S, entropy || uint32_be(k)), hex."""
    if not 1 <= sequence <= 75:
        raise ValueError("sequence must be 1..75")
    message = entropy_bytes + sequence.to_bytes(4, "big")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def seed_hash(seed_hex: str) -> str:
    return sha256_hex(bytes.fromhex(seed_hex))


def available_numbers(drawn: Iterable[int]) -> list[int]:
    taken = set(drawn)
    return [n for n in NUMBERS if n not in taken]


def pick_number(seed_hex: str, drawn: Iterable[int]) -> int:
    """The spec's JS: available[parseInt(seed.slice(0, 8), 16) % available.length]."""
    available = available_numbers(drawn)
    if not available:
        raise ValueError("all numbers drawn")
    return available[int(seed_hex[0:8], 16) % len(available)]


def draw(secret: bytes, entropy_bytes: bytes, drawn: Sequence[int]) -> dict[str, Any]:
    """The next draw after `drawn` (in order): sequence, seed, seed_hash, number."""
    sequence = len(drawn) + 1
    seed = draw_seed(secret, entropy_bytes, sequence)
    return {
        "sequence": sequence,
        "seed": seed,
        "seed_hash": seed_hash(seed),
        "number": pick_number(seed, drawn),
    }


# --- Cards ----------------------------------------------------------------------------------


def new_card(rng: random.Random | None = None) -> list[list[int]]:
    """A 5x5 card as rows; column c holds 5 distinct numbers of COLUMNS[c]; centre 0 (free)."""
    rng = rng or secrets.SystemRandom()
    columns = [rng.sample(range(lo, hi + 1), 5) for lo, hi in COLUMNS]
    rows = [[columns[c][r] for c in range(5)] for r in range(5)]
    rows[2][2] = 0
    return rows


def card_key(numbers: Sequence[Sequence[int]]) -> str:
    """A digest of a card's layout (two players in one game never get the same one)."""
    return sha256_hex(canonical_json(numbers).encode())


def valid_card(numbers: Sequence[Sequence[int]]) -> bool:
    if len(numbers) != 5 or any(len(row) != 5 for row in numbers):
        return False
    seen: set[int] = set()
    for r in range(5):
        for c in range(5):
            n = numbers[r][c]
            if (r, c) == (2, 2):
                if n != 0:
                    return False
                continue
            lo, hi = COLUMNS[c]
            if not lo <= n <= hi or n in seen:
                return False
            seen.add(n)
    return True


def initial_marks() -> list[list[bool]]:
    marks = [[False] * 5 for _ in range(5)]
    marks[2][2] = True
    return marks


def has_bingo(marked: Sequence[Sequence[bool]]) -> bool:
    """A complete row, column or diagonal."""
    lines = [[(r, c) for c in range(5)] for r in range(5)]
    lines += [[(r, c) for r in range(5)] for c in range(5)]
    lines += [[(i, i) for i in range(5)], [(i, 4 - i) for i in range(5)]]
    return any(all(marked[r][c] for r, c in line) for line in lines)


# --- Audit chain ----------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def chain_hash(prev_hash: str, body: str) -> str:
    return sha256_hex(f"{prev_hash}\n{body}".encode())


def chain_valid(entries: Iterable[tuple[int, str, str, str]]) -> tuple[bool, int]:
    """Re-check (seq, prev_hash, body, hash) entries in order; (valid, entries checked)."""
    prev = GENESIS_HASH
    count = 0
    for expected_seq, (seq, prev_hash, body, digest) in enumerate(entries, start=1):
        if seq != expected_seq or prev_hash != prev or chain_hash(prev, body) != digest:
            return False, count
        prev = digest
        count += 1
    return True, count


# --- Chain anchors -------------------------------------------------------------------------


def draw_record(
    game_id: str, sequence: int, seed_hash_hex: str, chain_count: int, chain_head: str
) -> str:
    """What draw k's time stamp covers (as SHA-256 of its UTF-8): lines, no trailing newline."""
    return f"proofplay-draw/1\n{game_id}\n{sequence}\n{seed_hash_hex}\n{chain_count}\n{chain_head}"


def end_record(game_id: str, chain_count: int, chain_head: str) -> str:
    """What the game's end time stamp covers: the chain's head after the "end" entry."""
    return f"proofplay-end/1\n{game_id}\n{chain_count}\n{chain_head}"


def record_digest(record: str) -> bytes:
    return hashlib.sha256(record.encode()).digest()


def chain_holds(hashes: Sequence[str], chain_count: int, chain_head: str) -> bool:
    """Whether a chain (its entries' hashes, in order) still has the anchored head."""
    if chain_count == 0:
        return chain_head == GENESIS_HASH
    return 0 < chain_count <= len(hashes) and hashes[chain_count - 1] == chain_head


# --- Anchor ids -----------------------------------------------------------------------------


def anchor_id(authority: str, when: datetime, digest_hex: str) -> str:
    """The spec's shape: tsa_<authority host, dots as _>_<UTC yyyymmdd_hhmmss>_<hash[:8]>."""
    host = "".join(ch if ch.isalnum() else "_" for ch in authority.lower())
    return f"tsa_{host}_{when.astimezone(UTC):%Y%m%d_%H%M%S}_{digest_hex[:8]}"
