"""The only code that mutates avalonbot's data: API keys, sessions, decisions, arena runs."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from avalonbot.bot.agents import IllegalDecisionError
from avalonbot.bot.policy import act
from avalonbot.bot.view import GameInfoError, Setup, parse_phase
from avalonbot.exceptions import BadApiKeyError, BadGameInfoError, SessionNotFoundError
from avalonbot.models import ApiKey, ArenaRun, BotSession, Decision

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 256


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_create(*, name: str) -> tuple[ApiKey, str]:
    """A new key; returns it with the raw key, which is shown once and never stored."""
    key = "avk_" + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(name=name[:100], key_digest=digest(key), prefix=key[:8])
    return api_key, key


def _key_from_header(header: str | None) -> str:
    """The key exactly as sent: `Authorization: <key>` or `Authorization: Bearer <key>`.

    Nothing is trimmed: a key with a space before or after it is another key.
    """
    raw = header or ""
    if raw[:7].lower() == "bearer ":  # the scheme is case-insensitive (RFC 9110)
        raw = raw[7:]
    return raw


def api_key_check(*, header: str | None) -> tuple[ApiKey | None, str]:
    """The key an `Authorization` header carries (raw or `Bearer <key>`), else BadApiKeyError.

    Returns (ApiKey row or None for a key from settings, a label for the logs/admin). Digests
    are compared with `hmac.compare_digest`, every configured key each time.
    """
    raw = _key_from_header(header)
    if not raw or len(raw) > MAX_KEY_LENGTH:
        raise BadApiKeyError()
    wanted = digest(raw)
    label = ""
    for i, configured in enumerate(settings.AVALON_API_KEY):
        if hmac.compare_digest(digest(configured), wanted) and not label:
            label = f"AVALON_API_KEY[{i}]"
    if label:
        return None, label
    for api_key in ApiKey.objects.filter(is_active=True):
        if hmac.compare_digest(api_key.key_digest, wanted):
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
            return api_key, api_key.name
    raise BadApiKeyError()


def _idle_since() -> datetime:
    return timezone.now() - timedelta(seconds=settings.AVALON_SESSION_TTL)


def sessions_expire(*, session_id: str | None = None) -> int:
    """End active sessions with no call for AVALON_SESSION_TTL (only `session_id`, if given).

    They keep their decision log (status ended, end_reason "expired"); their id answers 404.
    """
    idle = BotSession.objects.filter(
        status=BotSession.Status.ACTIVE, last_seen_at__lte=_idle_since()
    )
    if session_id is not None:
        idle = idle.filter(public_id=session_id)
    expired = idle.update(
        status=BotSession.Status.ENDED, ended_at=timezone.now(), end_reason=BotSession.EXPIRED
    )
    if expired:
        logger.info("avalon sessions expired=%s", expired)
    return expired


def _session_touch(session_id: str) -> None:
    """Record a call on a live session; SessionNotFoundError (ending it if idle) otherwise."""
    live = BotSession.objects.filter(
        public_id=session_id, status=BotSession.Status.ACTIVE, last_seen_at__gt=_idle_since()
    )
    if live.update(last_seen_at=timezone.now()):
        return
    sessions_expire(session_id=session_id)
    raise SessionNotFoundError()


@transaction.atomic
def session_create(
    *, setup: Setup, body: dict[str, Any], api_key: ApiKey | None = None, key_label: str = ""
) -> BotSession:
    """A session for a validated set-up (`AvalonSessionIn`); idle sessions are swept first."""
    sessions_expire()
    session = BotSession.objects.create(
        api_key=api_key,
        key_label=key_label[:100],
        body=body,
        setup=setup.as_dict(),
        num_players=setup.num_players,
        role=setup.role,
        bot_name=setup.name,
        seed=secrets.randbits(62),
    )
    logger.info("avalon session created players=%s role=%s", setup.num_players, setup.role)
    return session


def session_act(*, session_id: str, game_info: dict[str, Any]) -> dict[str, Any]:
    """The bot's answer to one `gameInfo`, stored with its beliefs before it is returned.

    SessionNotFoundError for an unknown, ended or expired session.
    """
    _session_touch(session_id)
    return _session_act(session_id=session_id, game_info=game_info)


@transaction.atomic
def _session_act(*, session_id: str, game_info: dict[str, Any]) -> dict[str, Any]:
    session = BotSession.objects.select_for_update().filter(public_id=session_id).first()
    if session is None or session.status != BotSession.Status.ACTIVE:
        raise SessionNotFoundError()
    started = time.perf_counter()
    setup = Setup.from_dict(session.setup)
    own_cards = {
        d.mission - 1: d.answer.get("buttonPressed") == "yes"
        for d in session.decisions.filter(phase="mission").only("mission", "answer")
    }
    try:
        view, decision = act(setup, game_info, session.seed, own_cards)
    except GameInfoError as exc:
        raise BadGameInfoError(f"gameInfo: {exc}") from exc
    except IllegalDecisionError as exc:
        raise BadGameInfoError(f"gameInfo: {exc}") from exc
    answer = decision.answer(view)
    elapsed = (time.perf_counter() - started) * 1000
    index = session.decisions.count()
    Decision.objects.create(
        session=session,
        index=index,
        phase=view.phase,
        mission=view.mission + 1,
        pick=view.pick + 1,
        answer=answer,
        beliefs=decision.beliefs,
        note=decision.note[:200],
        game_info=game_info,
        elapsed_ms=round(elapsed, 2),
    )
    return answer


def _winner(game_info: Any) -> str:
    if isinstance(game_info, dict):
        winner = game_info.get("winner")
        if isinstance(winner, str) and winner.lower() in ("resistance", "spy"):
            return "Resistance" if winner.lower() == "resistance" else "Spy"
    return ""


def session_end(*, session_id: str, reason: str, game_info: dict[str, Any] | None) -> BotSession:
    """Record the result and release the session; ending an ended session changes nothing.

    SessionNotFoundError for an unknown or expired session.
    """
    sessions_expire(session_id=session_id)
    return _session_end(session_id=session_id, reason=reason, game_info=game_info)


@transaction.atomic
def _session_end(*, session_id: str, reason: str, game_info: dict[str, Any] | None) -> BotSession:
    session = BotSession.objects.select_for_update().filter(public_id=session_id).first()
    if session is None or session.end_reason == BotSession.EXPIRED:
        raise SessionNotFoundError()
    if session.status == BotSession.Status.ENDED:
        return session
    winner = _winner(game_info)
    finished = False
    if isinstance(game_info, dict):
        try:
            finished = parse_phase(game_info) == "finished"
        except GameInfoError:
            finished = False
    if winner and (finished or reason == "complete"):
        setup = Setup.from_dict(session.setup)
        session.winner = winner
        session.bot_won = (winner == "Spy") == setup.evil
    session.status = BotSession.Status.ENDED
    session.ended_at = session.last_seen_at = timezone.now()
    session.end_reason = reason
    session.final_info = game_info if isinstance(game_info, dict) else None
    session.save()
    return session


@transaction.atomic
def arena_run_record(
    *,
    agent: str,
    opponents: list[str],
    games: int,
    seed: int,
    players: list[int],
    roles: list[str],
    lady: bool,
    http: bool,
    duration_s: float,
    summary: dict[str, Any],
) -> ArenaRun:
    return ArenaRun.objects.create(
        agent=agent,
        opponents=",".join(opponents),
        games=games,
        seed=seed,
        players=",".join(str(n) for n in players),
        roles=",".join(roles),
        lady=lady,
        http=http,
        duration_s=round(duration_s, 2),
        summary=summary,
    )
