"""Room tokens: JWT HS256, scoped to one room, `exp` and `room` required on decode.

Beside Lobby's own claims (`sub`, `room`, `name`, `gen`) a token carries `user_id`, `username`,
`session_id` and `is_host`: WatchParty's web app decodes the token and takes its identity from
them. They are informative; the server reads only its own claims.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from django.conf import settings

from watchparty.exceptions import AuthenticationFailedError

ALGORITHM = "HS256"
ISSUER = "lobby.watchparty"


def _key() -> bytes:
    # A key of its own, derived from SECRET_KEY: a JWT can't be confused with other signatures.
    return hmac.new(settings.SECRET_KEY.encode(), b"watchparty.jwt.v1", hashlib.sha256).digest()


@dataclass(frozen=True)
class RoomClaims:
    room: str
    user_id: str
    name: str
    expires_at: datetime
    generation: int = 0  # the participant's token generation when it was issued


def token_issue(
    *, room: str, user_id: str, name: str, is_host: bool = False, generation: int = 0
) -> tuple[str, datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    expires = now + timedelta(seconds=settings.WATCHPARTY_TOKEN_TTL)
    claims = {
        "iss": ISSUER,
        "sub": user_id,
        "room": room,
        "name": name,
        "gen": generation,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        # What WatchParty's app reads (it decodes the token itself).
        "user_id": user_id,
        "username": name,
        "session_id": room,
        "is_host": is_host,
    }
    return jwt.encode(claims, _key(), algorithm=ALGORITHM), expires


def token_decode(token: str | None, *, room: str | None = None) -> RoomClaims:
    """The token's claims, or AuthenticationFailedError; with `room`, it must be that room's."""
    if not token:
        raise AuthenticationFailedError("Missing token")
    try:
        claims = jwt.decode(
            token,
            _key(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "room", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationFailedError("Token expired") from exc
    except jwt.PyJWTError as exc:
        raise AuthenticationFailedError("Invalid token") from exc
    if not all(isinstance(claims.get(k), str) for k in ("room", "sub")):
        raise AuthenticationFailedError("Invalid token")
    generation = claims.get("gen", 0)  # tokens issued before generations existed are 0
    if isinstance(generation, bool) or not isinstance(generation, int) or generation < 0:
        raise AuthenticationFailedError("Invalid token")
    if room is not None and not hmac.compare_digest(claims["room"], str(room)):
        raise AuthenticationFailedError("Token is not valid for this session")
    return RoomClaims(
        room=claims["room"],
        user_id=claims["sub"],
        name=str(claims.get("name", "")),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        generation=generation,
    )
