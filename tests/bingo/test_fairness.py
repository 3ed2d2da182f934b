"""The fairness scheme against an independent reference (RFC 2104 by hand, list pops)."""

import hashlib
import random
import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bingo import fairness

secrets_ = st.binary(min_size=32, max_size=32)
seeds_ = st.lists(st.text(max_size=20), max_size=6)


def reference_hmac_sha256(key: bytes, message: bytes) -> bytes:
    """RFC 2104 written out, without the hmac module."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    ipad = bytes(b ^ 0x36 for b in key)
    opad = bytes(b ^ 0x5C for b in key)
    return hashlib.sha256(opad + hashlib.sha256(ipad + message).digest()).digest()


def reference_game(secret: bytes, seeds: list[str], draws: int = 75) -> list[tuple[str, int]]:
    entropy = b"".join(hashlib.sha256(s.encode()).digest() for s in seeds if s != "")
    pool = list(range(1, 76))
    out = []
    for k in range(1, draws + 1):
        seed = reference_hmac_sha256(secret, entropy + bytes([0, 0, k >> 8, k & 0xFF]))
        out.append((seed.hex(), pool.pop(int.from_bytes(seed[:4], "big") % len(pool))))
    return out


@settings(max_examples=60, deadline=None)
@given(secret=secrets_, seeds=seeds_)
def test_a_whole_game_matches_the_reference_and_is_a_permutation(secret, seeds):
    entropy = fairness.entropy(seeds)
    drawn: list[int] = []
    for expected_seed, expected_number in reference_game(secret, seeds):
        d = fairness.draw(secret, entropy, drawn)
        assert d["sequence"] == len(drawn) + 1
        assert d["seed"] == expected_seed
        assert d["number"] == expected_number
        assert d["seed_hash"] == hashlib.sha256(bytes.fromhex(expected_seed)).hexdigest()
        drawn.append(d["number"])
    assert sorted(drawn) == list(range(1, 76))


@settings(max_examples=100, deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=32),
    drawn=st.lists(st.integers(1, 75), unique=True, max_size=74),
)
def test_pick_number_is_the_spec_js(seed, drawn):
    available = [n for n in range(1, 76) if n not in set(drawn)]
    seed_hex = seed.hex()
    assert (
        fairness.pick_number(seed_hex, drawn) == available[int(seed_hex[:8], 16) % len(available)]
    )
    assert fairness.pick_number(seed_hex, drawn) not in drawn


def test_the_seed_depends_on_the_secret_the_entropy_and_the_sequence():
    s = bytes(32)
    base = fairness.draw_seed(s, b"", 1)
    assert fairness.draw_seed(bytes([1]) + bytes(31), b"", 1) != base
    assert fairness.draw_seed(s, fairness.entropy(["x"]), 1) != base
    assert fairness.draw_seed(s, b"", 2) != base
    assert fairness.entropy(["a", "", "b"]) == fairness.entropy(["a", "b"])
    assert fairness.entropy(["ab"]) != fairness.entropy(["a", "b"])


def test_commitment_is_sha256_of_the_secret():
    secret = fairness.new_secret()
    assert len(secret) == 32
    assert fairness.commitment(secret) == hashlib.sha256(secret).hexdigest()


@settings(max_examples=100, deadline=None)
@given(rng_seed=st.integers(0, 2**32))
def test_cards_have_the_columns_and_a_free_centre(rng_seed):
    card = fairness.new_card(random.Random(rng_seed))
    assert fairness.valid_card(card)
    for c, (lo, hi) in enumerate(fairness.COLUMNS):
        column = [card[r][c] for r in range(5) if (r, c) != (2, 2)]
        assert all(lo <= n <= hi for n in column)
        assert len(set(column)) == len(column)
    assert card[2][2] == 0


def test_valid_card_refuses_bad_layouts():
    card = fairness.new_card()
    bad = [row[:] for row in card]
    bad[0][0] = bad[1][0]
    assert not fairness.valid_card(bad)
    bad = [row[:] for row in card]
    bad[2][2] = 5
    assert not fairness.valid_card(bad)
    bad = [row[:] for row in card]
    bad[0][1] = 1  # a B number in the I column
    assert not fairness.valid_card(bad)
    assert not fairness.valid_card(card[:4])


def test_bingo_lines():
    marks = fairness.initial_marks()
    assert not fairness.has_bingo(marks)
    for r in range(5):
        row = [[False] * 5 for _ in range(5)]
        row[r] = [True] * 5
        assert fairness.has_bingo(row)
        col = [[c == r for c in range(5)] for _ in range(5)]
        assert fairness.has_bingo(col)
    diag = [[r == c for c in range(5)] for r in range(5)]
    anti = [[r + c == 4 for c in range(5)] for r in range(5)]
    assert fairness.has_bingo(diag) and fairness.has_bingo(anti)
    almost = [[r == c for c in range(5)] for r in range(5)]
    almost[4][4] = False
    assert not fairness.has_bingo(almost)


@settings(max_examples=50, deadline=None)
@given(bodies=st.lists(st.text(max_size=30), min_size=1, max_size=10), tamper=st.integers(0, 9))
def test_audit_chain_detects_any_change(bodies, tamper):
    prev, entries = fairness.GENESIS_HASH, []
    for i, body in enumerate(bodies, start=1):
        digest = fairness.chain_hash(prev, body)
        entries.append((i, prev, body, digest))
        prev = digest
    assert fairness.chain_valid(entries) == (True, len(bodies))
    i = tamper % len(bodies)
    seq, p, body, digest = entries[i]
    broken = [*entries[:i], (seq, p, body + "x", digest), *entries[i + 1 :]]
    assert fairness.chain_valid(broken) == (False, i)
    assert fairness.chain_valid(entries[:i] + entries[i + 1 :])[0] is (i == len(bodies) - 1)


@settings(max_examples=50, deadline=None)
@given(
    host=st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,10}){0,3}", fullmatch=True),
    when=st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
        max_value=datetime(9999, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    digest=st.binary(min_size=32, max_size=32),
)
def test_anchor_id_keeps_the_spec_shape(host, when, digest):
    anchor = fairness.anchor_id(host, when, digest.hex())
    assert re.fullmatch(r"tsa_[a-z0-9_]+_\d{8}_\d{6}_[0-9a-f]{8}", anchor)
    assert anchor == f"tsa_{host.replace('.', '_')}_{when:%Y%m%d_%H%M%S}_{digest.hex()[:8]}"


def test_anchor_id_example_from_the_spec():
    when = datetime(2025, 12, 27, 13, 23, 50, tzinfo=UTC)
    assert (
        fairness.anchor_id("freetsa.org", when, "9f3af1afb69b")
        == "tsa_freetsa_org_20251227_132350_9f3af1af"
    )


def test_modulo_bias_bound():
    # 2**32 % n numbers are favoured by one extra preimage out of floor(2**32 / n)
    worst = max((2**32 % n) / 2**32 for n in range(1, 76))
    assert worst <= fairness.MODULO_BIAS_BOUND < 2e-8
