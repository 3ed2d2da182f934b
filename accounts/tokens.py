"""Secrets that are shown once and stored only as a SHA-256 digest."""

import hashlib
import secrets


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_session_token() -> str:
    """256 bits, hex: the shape of Parsec's session id."""
    return secrets.token_hex(32)


def new_device_secret() -> str:
    return secrets.token_urlsafe(24)
