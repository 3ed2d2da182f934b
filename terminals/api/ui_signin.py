"""CHROTE's UI signs in with `GET /api/auth/<provider>?invite=<token>`: the token waits in the
session and is accepted once the person has signed in (any sign-in: GitHub, Google, or the
email form at /accounts/login/), as CHROTE's server does with its `pending_invite` cookie."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.http import HttpRequest

from config.net import client_ip
from invites.exceptions import InvalidInviteTokenError
from invites.selectors import MAX_TOKEN_LENGTH
from invites.services import workspace_invite_accept

logger = logging.getLogger(__name__)

PENDING_INVITE_KEY = "terminals_ui_pending_invite"
PENDING_INVITE_TTL = 600  # seconds, as CHROTE's pending_invite cookie


def pending_invite_store(request: HttpRequest, token: object) -> bool:
    """Keep `token` for the sign-in this request starts; a malformed one is ignored."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    request.session[PENDING_INVITE_KEY] = {"token": token, "at": time.time()}
    return True


def pending_invite_accept(sender: Any, *, request: HttpRequest | None, user: Any, **_: Any) -> None:
    """`user_logged_in` receiver: accept the invite this browser brought, once, if still fresh.

    An invite that can't be accepted (expired, revoked, used up, unknown) leaves the sign-in as
    it is: the person is signed in, not a member, and the UI shows what they may do.
    """
    session = getattr(request, "session", None)
    if session is None:
        return
    pending = session.pop(PENDING_INVITE_KEY, None)
    if not isinstance(pending, dict) or not isinstance(pending.get("token"), str):
        return
    if time.time() - float(pending.get("at") or 0) > PENDING_INVITE_TTL:
        return
    try:
        accepted = workspace_invite_accept(token=pending["token"], user=user, ip=client_ip(request))
    except InvalidInviteTokenError as exc:
        logger.info("pending invite not accepted user=%s reason=%s", user.pk, exc.reason)
        return
    logger.info("pending invite accepted user=%s role=%s", user.pk, accepted.role)
