"""Random public ids and codes: one alphabet, one generator, for every app."""

import secrets

# Crockford-style alphabet without look-alikes (no 0/O/1/I/L): user codes, invite codes.
UNAMBIGUOUS_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# The same idea in lower case, for ids that appear in URLs and JSON (`user_…`, `inv_…`).
ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def random_code(length: int = 8, alphabet: str = UNAMBIGUOUS_ALPHABET) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def public_id(prefix: str, length: int = 12) -> str:
    """`<prefix>_` and `length` characters of ID_ALPHABET (about 5 bits each)."""
    return f"{prefix}_{random_code(length, ID_ALPHABET)}"
