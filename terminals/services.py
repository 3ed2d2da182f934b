"""The only code that changes terminal state: claims, presence, keys, sessions, recordings.

Broadcasts go out after commit. Group `session_group(name)` hears about one session (claimed,
released, presence); `lobby_group()` hears the session list (`sessions`).
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import sys
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import user_workspace_set
from config.broadcast import broadcast, group_name
from terminals import selectors, tmux
from terminals.exceptions import (
    AdminRequiredError,
    AlreadyClaimedError,
    AlreadyRecordingError,
    ClaimForbiddenError,
    ClaimRequiredError,
    NoClaimError,
    NotClaimedError,
    RecordingForbiddenError,
    RecordingNotFoundError,
    ReleaseForbiddenError,
    SessionExistsError,
    SessionNotFoundError,
    TmuxCommandError,
    TmuxUnavailableError,
    ValidationError,
    ViewerCannotSendError,
)
from terminals.models import Claim, KeyEvent, Recording, Viewer

logger = logging.getLogger(__name__)

RENEW_EVERY = 15  # seconds: how stale a claim's expiry may get before keystrokes push it back


def session_group(session_name: str) -> str:
    return group_name("terminals", "session", session_name)


def lobby_group() -> str:
    return group_name("terminals", "sessions")


# --- announcements (run after commit) --------------------------------------------------------


def _announce_claimed(claim: Claim) -> None:
    broadcast(
        session_group(claim.session_name),
        "terminals.claimed",
        {
            "sessionId": claim.session_name,
            "by": {"id": claim.user.public_id, "name": claim.user.display_name},
            "expiresAt": selectors.iso(claim.expires_at),
        },
    )
    announce_sessions()


def _announce_released(session_name: str) -> None:
    with contextlib.suppress(tmux.TmuxError):  # the holder's size no longer wins
        tmux.reset_size(session_name)
    broadcast(session_group(session_name), "terminals.released", {"sessionId": session_name})
    announce_sessions()


def announce_presence(session_name: str) -> None:
    broadcast(
        session_group(session_name),
        "terminals.presence",
        {"sessionId": session_name, "users": selectors.presence_users(session_name=session_name)},
    )
    announce_sessions()


def announce_sessions() -> None:
    try:
        sessions = selectors.sessions_brief()
    except (TmuxUnavailableError, SessionNotFoundError):
        return
    broadcast(lobby_group(), "terminals.sessions", {"sessions": sessions})


# --- claims ----------------------------------------------------------------------------------


def _fresh(user: User) -> User:
    """The user as the database has them now: roles change while sockets stay open."""
    return User.objects.get(pk=user.pk)


def _require_session(session_name: str) -> None:
    if not selectors.session_exists(session_name=session_name):
        raise SessionNotFoundError()


def _expire(session_name: str) -> bool:
    """Delete the session's claim if it has expired; announce it. Conditional, so exactly one
    caller (in any process) wins and announces."""
    deleted, _ = Claim.objects.filter(
        session_name=session_name, expires_at__lte=timezone.now()
    ).delete()
    if deleted:
        transaction.on_commit(lambda: _announce_released(session_name))
    return bool(deleted)


@transaction.atomic
def claim_acquire(*, session_name: str, user: User) -> Claim:
    user = _fresh(user)
    if not user.has_role(Role.OPERATOR):
        raise ClaimForbiddenError()
    _require_session(session_name)
    _expire(session_name)
    expires = timezone.now() + timedelta(seconds=settings.TERMINALS_CLAIM_TTL)
    claim = Claim.objects.select_related("user").filter(session_name=session_name).first()
    if claim is None:
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    session_name=session_name, user=user, expires_at=expires
                )
        except IntegrityError:
            claim = Claim.objects.select_related("user").get(session_name=session_name)
    if claim.user_id != user.pk:
        raise AlreadyClaimedError(
            extra={
                "claimedBy": claim.user.public_id,
                "expiresAt": selectors.iso(claim.expires_at),
            }
        )
    if claim.expires_at != expires:  # claiming again renews
        Claim.objects.filter(pk=claim.pk).update(expires_at=expires)
        claim.expires_at = expires
    claim.user = user
    transaction.on_commit(lambda: _announce_claimed(claim))
    logger.info("claim session=%s user=%s", session_name, user.public_id)
    return claim


@transaction.atomic
def claim_release(*, session_name: str, user: User) -> None:
    user = _fresh(user)
    _expire(session_name)
    claim = Claim.objects.filter(session_name=session_name).first()
    if claim is None:
        raise NoClaimError()
    if claim.user_id != user.pk and not user.has_role(Role.ADMIN):
        raise ReleaseForbiddenError()
    if Claim.objects.filter(pk=claim.pk).delete()[0]:
        transaction.on_commit(lambda: _announce_released(session_name))
    logger.info("release session=%s by=%s", session_name, user.public_id)


def _announce_taken_over(claim: Claim) -> None:
    _announce_released(claim.session_name)
    _announce_claimed(claim)


@transaction.atomic
def claim_take_over(*, session_name: str, user: User) -> Claim:
    """An admin takes the session's claim from whoever holds it (CHROTE's UI: "admins may take
    over"): the old holder's claim ends (`released`) and the admin's begins (`claimed`).

    The row moves by one conditional UPDATE on (pk, holder), so if the holder released or
    renewed-and-released meanwhile, or someone else took it first, we look again instead of
    overwriting a claim we never saw. Unclaimed, it is a plain `claim_acquire`.
    """
    user = _fresh(user)
    if not user.has_role(Role.ADMIN):
        raise AdminRequiredError()
    _require_session(session_name)
    for _ in range(5):
        _expire(session_name)
        claim = Claim.objects.select_related("user").filter(session_name=session_name).first()
        if claim is None or claim.user_id == user.pk:
            try:
                return claim_acquire(session_name=session_name, user=user)
            except AlreadyClaimedError:  # someone claimed it a moment ago: take it from them
                continue
        now = timezone.now()
        expires = now + timedelta(seconds=settings.TERMINALS_CLAIM_TTL)
        moved = Claim.objects.filter(pk=claim.pk, user_id=claim.user_id).update(
            user=user, claimed_at=now, expires_at=expires
        )
        if moved:
            previous = claim.user.public_id
            claim.user, claim.claimed_at, claim.expires_at = user, now, expires
            transaction.on_commit(lambda claim=claim: _announce_taken_over(claim))
            logger.info(
                "claim taken over session=%s from=%s by=%s", session_name, previous, user.public_id
            )
            return claim
    raise AlreadyClaimedError()  # pragma: no cover - five concurrent take-overs in a row


@transaction.atomic
def claim_force_release(*, claim: Claim) -> None:
    """Admin site: end a claim whoever holds it."""
    name = claim.session_name
    if Claim.objects.filter(pk=claim.pk).delete()[0]:
        transaction.on_commit(lambda: _announce_released(name))


def claim_renew(*, session_name: str, user: User) -> bool:
    """Activity or a heartbeat from the holder pushes the expiry back. No broadcast."""
    expires = timezone.now() + timedelta(seconds=settings.TERMINALS_CLAIM_TTL)
    return bool(
        Claim.objects.filter(
            session_name=session_name, user=user, expires_at__gt=timezone.now()
        ).update(expires_at=expires)
    )


@transaction.atomic
def claim_expire(*, session_name: str) -> bool:
    return _expire(session_name)


def claims_prune_missing() -> int:
    """Release claims on sessions tmux no longer has (killed outside Lobby), so a new session
    of the same name starts unclaimed. Does nothing while tmux can't be reached."""
    try:
        alive = {s.name for s in tmux.list_sessions()}
    except tmux.TmuxError:
        return 0
    released = 0
    for name in set(Claim.objects.values_list("session_name", flat=True)) - alive:
        with transaction.atomic():
            if Claim.objects.filter(session_name=name).delete()[0]:
                released += 1
                transaction.on_commit(lambda name=name: _announce_released(name))
    return released


def claims_expire_all() -> int:
    names = list(
        Claim.objects.filter(expires_at__lte=timezone.now()).values_list("session_name", flat=True)
    )
    return sum(claim_expire(session_name=n) for n in names)


# --- presence --------------------------------------------------------------------------------


@transaction.atomic
def viewer_join(*, session_name: str, user: User, channel_name: str) -> None:
    now = timezone.now()
    Viewer.objects.update_or_create(
        session_name=session_name,
        channel_name=channel_name,
        defaults={"user": user, "seen_at": now},
    )
    transaction.on_commit(lambda: announce_presence(session_name))


@transaction.atomic
def viewer_leave(*, channel_name: str, session_name: str | None = None) -> list[str]:
    rows = Viewer.objects.filter(channel_name=channel_name)
    if session_name is not None:
        rows = rows.filter(session_name=session_name)
    names = sorted(set(rows.values_list("session_name", flat=True)))
    rows.delete()
    for name in names:
        transaction.on_commit(lambda name=name: announce_presence(name))
    return names


def viewers_touch(*, channel_name: str) -> None:
    Viewer.objects.filter(channel_name=channel_name).update(seen_at=timezone.now())


def viewers_purge() -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.TERMINALS_PRESENCE_TTL)
    return Viewer.objects.filter(seen_at__lte=cutoff).delete()[0]


# --- keys ------------------------------------------------------------------------------------


def _encode_keys(keys: object) -> bytes:
    if not isinstance(keys, str):
        raise ValidationError("keys must be a string")
    data = keys.encode("utf-8", "replace")
    if not data:
        raise ValidationError("keys must not be empty")
    if len(data) > settings.TERMINALS_MAX_KEYS_BYTES:
        raise ValidationError(f"keys larger than {settings.TERMINALS_MAX_KEYS_BYTES} bytes")
    return data


def keys_authorize(
    *,
    session_name: str,
    user: User,
    keys: object,
    pane: str | None = None,
    pane_info: tmux.PaneInfo | None = None,
    own_claim_required: bool,
    not_operator: type[Exception] = ViewerCannotSendError,
    source: str = "ws",
) -> tuple[KeyEvent, tmux.PaneInfo, bytes]:
    """Check role and claim, log the keys (committed before they are sent), renew the claim.

    The multi-session socket allows an unclaimed session; the per-session socket requires the
    sender's own claim (`own_claim_required`), as each part of the spec says. `pane_info` is the
    caller's already-resolved pane (a socket knows its pane), saving a tmux call per keystroke.
    """
    data = _encode_keys(keys)
    fresh = _fresh(user)
    if not fresh.has_role(Role.OPERATOR):
        raise not_operator()
    claim = selectors.claim_get(session_name=session_name)
    if own_claim_required:
        if claim is None or claim.user_id != fresh.pk:
            raise NotClaimedError()
    elif claim is not None and claim.user_id != fresh.pk:
        raise ClaimRequiredError()
    info = pane_info or selectors.pane_get(session_name=session_name, pane=pane)
    # Activity renews the holder's claim; at most every RENEW_EVERY seconds, not per keystroke.
    ttl = settings.TERMINALS_CLAIM_TTL
    renew = (
        claim is not None
        and claim.user_id == fresh.pk
        and (claim.expires_at - timezone.now()).total_seconds() < ttl - min(RENEW_EVERY, ttl / 2)
    )
    with transaction.atomic():
        event = KeyEvent.objects.create(
            user=fresh,
            user_public_id=fresh.public_id,
            user_email=fresh.email,
            session_name=session_name,
            pane=tmux.pane_label(info),
            data=data,
            size=len(data),
            source=source,
        )
        if renew:
            claim_renew(session_name=session_name, user=fresh)
    return event, info, data


def keys_send(**kwargs: object) -> KeyEvent:
    """`keys_authorize`, then write the bytes to the pane exactly (a tmux subprocess)."""
    event, info, data = keys_authorize(**kwargs)  # type: ignore[arg-type]
    try:
        tmux.send_bytes(info.id, data)
    except tmux.TmuxError as exc:
        logger.warning("send-keys failed session=%s: %s", event.session_name, exc)
        raise TmuxCommandError() from exc
    return event


def pane_resize(*, session_name: str, user: User, pane: str | None, cols: int, rows: int) -> bool:
    """The claim holder's terminal size wins; anyone else's request is ignored (False)."""
    claim = selectors.claim_get(session_name=session_name)
    if claim is None or claim.user_id != user.pk:
        return False
    if not (2 <= cols <= 1000 and 2 <= rows <= 500):
        raise ValidationError("cols must be 2-1000 and rows 2-500")
    info = selectors.pane_get(session_name=session_name, pane=pane)
    try:
        tmux.resize(session_name, info, cols=cols, rows=rows)
    except tmux.TmuxError as exc:
        raise TmuxCommandError("Error resizing the tmux window") from exc
    return True


# --- sessions --------------------------------------------------------------------------------


def _require_admin(user: User) -> User:
    user = _fresh(user)
    if not user.has_role(Role.ADMIN):
        raise AdminRequiredError()
    return user


def session_create(*, name: str, user: User, width: int = 80, height: int = 24) -> dict:
    _require_admin(user)
    if not tmux.valid_name(name):
        raise ValidationError("name must be 1-64 letters, digits, '-' or '_'")
    try:
        if tmux.session_exists(name):
            raise SessionExistsError()
        tmux.create_session(name, width=width, height=height)
    except tmux.TmuxError as exc:
        if "duplicate" in str(exc):
            raise SessionExistsError() from exc
        raise TmuxUnavailableError() from exc
    logger.info("session created name=%s by=%s", name, user.public_id)
    announce_sessions()
    for entry in selectors.sessions_list():
        if entry["id"] == name:
            return entry
    raise SessionNotFoundError()  # pragma: no cover - killed between create and list


def session_kill(*, name: str, user: User) -> None:
    _require_admin(user)
    _require_session(name)
    for rec in Recording.objects.filter(session_name=name, ended_at__isnull=True):
        recording_stop(recording=rec, user=user, force=True)
    try:
        tmux.kill_session(name)
    except tmux.TmuxNotFoundError as exc:
        raise SessionNotFoundError() from exc
    except tmux.TmuxError as exc:
        raise TmuxUnavailableError() from exc
    with transaction.atomic():
        if Claim.objects.filter(session_name=name).delete()[0]:
            transaction.on_commit(lambda: _announce_released(name))
    logger.info("session killed name=%s by=%s", name, user.public_id)
    announce_sessions()


# --- recordings ------------------------------------------------------------------------------

WRITER = Path(__file__).resolve().parent / "asciicast.py"


def recordings_dir() -> Path:
    path = Path(settings.DATA_DIR) / "recordings"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _may_record(user: User, session_name: str) -> bool:
    if user.has_role(Role.ADMIN):
        return True
    claim = selectors.claim_get(session_name=session_name)
    return claim is not None and claim.user_id == user.pk and user.has_role(Role.OPERATOR)


def recording_start(*, session_name: str, user: User, pane: str | None = None) -> Recording:
    user = _fresh(user)
    if not _may_record(user, session_name):
        raise RecordingForbiddenError()
    info = selectors.pane_get(session_name=session_name, pane=pane)
    try:
        with transaction.atomic():
            rec = Recording.objects.create(
                session_name=session_name,
                pane_id=info.id,
                pane=tmux.pane_label(info),
                started_by=user,
                width=info.width,
                height=info.height,
                path="",
            )
    except IntegrityError as exc:
        raise AlreadyRecordingError() from exc
    path = recordings_dir() / f"{rec.pk}.cast"
    Recording.objects.filter(pk=rec.pk).update(path=str(path))
    rec.path = str(path)
    command = " ".join(
        shlex.quote(part)
        for part in (
            sys.executable,
            str(WRITER),
            str(path),
            str(info.width),
            str(info.height),
            session_name,
        )
    )
    try:
        tmux.pipe_pane(info.id, f"exec {command}")
    except tmux.TmuxError as exc:
        Recording.objects.filter(pk=rec.pk).delete()
        raise TmuxCommandError("Error starting the recording") from exc
    logger.info("recording started session=%s id=%s", session_name, rec.pk)
    return rec


def recording_stop(*, recording: Recording | None, user: User, force: bool = False) -> Recording:
    if recording is None:
        raise RecordingNotFoundError()
    if not force:
        user = _fresh(user)
        if not _may_record(user, recording.session_name) and recording.started_by_id != user.pk:
            raise RecordingForbiddenError()
    if recording.ended_at is None:
        with contextlib.suppress(tmux.TmuxError):  # a pane that is gone closed its pipe
            tmux.pipe_pane(recording.pane_id, None)
        recording.ended_at = timezone.now()
        Recording.objects.filter(pk=recording.pk, ended_at__isnull=True).update(
            ended_at=recording.ended_at
        )
    return recording


def recordings_reconcile() -> int:
    """End recordings whose pane no longer exists (the session was killed outside Lobby)."""
    ended = 0
    for rec in Recording.objects.filter(ended_at__isnull=True):
        try:
            alive = any(p.id == rec.pane_id for p in tmux.list_panes(rec.session_name))
        except tmux.TmuxNotFoundError:
            alive = False
        except tmux.TmuxError:
            continue
        if not alive:
            ended += Recording.objects.filter(pk=rec.pk, ended_at__isnull=True).update(
                ended_at=timezone.now()
            )
    return ended


def claims_end_for_user(*, user: User) -> int:
    """End every claim `user` holds (their access shrank: removed, demoted, deactivated)."""
    names = list(Claim.objects.filter(user=user).values_list("session_name", flat=True))
    deleted, _ = Claim.objects.filter(user=user).delete()
    for name in names:
        transaction.on_commit(lambda name=name: _announce_released(name))
    if deleted:
        logger.info("claims ended user=%s sessions=%s", user.public_id, ",".join(names))
    return deleted


def workspace_admit(*, user: User) -> str:
    """A host invite to the workspace (made by an admin) makes a non-member a viewer."""
    if not user.is_member and not user.is_guest:
        user_workspace_set(user=user, role=Role.VIEWER, is_member=True)
    return "/terminals/"
