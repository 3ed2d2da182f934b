import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts import tokens
from accounts.events import user_changed_announce
from accounts.exceptions import (
    AuthCodeInvalidError,
    DeviceCodeNotPendingError,
    UnknownApplicationError,
    UnknownAuthCodeError,
)
from accounts.models import (
    GUEST_EMAIL_DOMAIN,
    ApiSession,
    Application,
    DeviceCode,
    Role,
    User,
)
from accounts.signals import workspace_access_reduced
from config.errors import RateLimitedError
from config.ids import random_code

logger = logging.getLogger(__name__)

# A client that sleeps exactly `interval` between polls must never be told it is too fast.
POLL_GRACE = timedelta(milliseconds=500)


def api_session_create(
    *,
    user: User,
    application: Application | None = None,
    label: str = "",
    ip: str | None = None,
    user_agent: str = "",
    ttl: int | None = None,
) -> tuple[ApiSession, str]:
    """A new bearer session for `user`; returns it with the token, which is not stored."""
    token = tokens.new_session_token()
    now = timezone.now()
    session = ApiSession.objects.create(
        user=user,
        key_digest=tokens.digest(token),
        application=application,
        label=label[:100],
        created_at=now,
        expires_at=now + timedelta(seconds=ttl or settings.API_SESSION_TTL),
        ip=ip or None,
        user_agent=user_agent[:300],
    )
    return session, token


def api_session_authenticate(*, token: str, allow_guest: bool = False) -> ApiSession | None:
    """The live session a bearer token names (recording its use), or None.

    A ProofPlay guest's session names nobody unless `allow_guest` (only `/bingo/` says so).
    """
    if not token or len(token) > 256:
        return None
    now = timezone.now()
    session = (
        ApiSession.objects.select_related("user", "application")
        .filter(key_digest=tokens.digest(token), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if session is None or not session.user.is_active:
        return None
    if session.user.is_guest and not allow_guest:
        return None
    if session.last_used_at is None or now - session.last_used_at > timedelta(seconds=60):
        ApiSession.objects.filter(pk=session.pk).update(last_used_at=now)
        session.last_used_at = now
    return session


def api_session_revoke(*, session: ApiSession) -> None:
    ApiSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def api_sessions_revoke_all(*, user: User) -> int:
    return ApiSession.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


# --- Users and workspace membership -----------------------------------------------------------


def guest_user_create(*, name: str) -> User:
    """A ProofPlay guest: a bingo-only identity with no password, never a workspace member."""
    user = User(
        email=f"guest-{secrets.token_hex(8)}@{GUEST_EMAIL_DOMAIN}",
        name=name[:150],
        is_guest=True,
        is_member=False,
    )
    user.set_unusable_password()
    user.save()
    return user


def _access(user: User) -> int:
    """How much `user` may do in the workspace, as a number (-1: nothing)."""
    return Role(user.role).rank if user.is_member and user.is_active else -1


def user_access_changed(*, before: User, user: User) -> None:
    """`user` (as saved now) had `before`'s role, membership and activity. Call inside the
    transaction that changed them.

    Less access than before revokes the user's API sessions and tells `workspace_access_reduced`
    receivers at once (terminals ends their claims); their sockets hear `user.changed` after
    commit and close or adjust.
    """
    if _access(user) < _access(before):
        revoked = api_sessions_revoke_all(user=user)
        workspace_access_reduced.send(sender=User, user=user)
        logger.info("user %s access reduced: %s api sessions revoked", user.pk, revoked)
    if (before.role, before.is_member, before.is_active) != (
        user.role,
        user.is_member,
        user.is_active,
    ):
        user_changed_announce(user)


@transaction.atomic
def user_workspace_set(
    *, user: User, role: str | None = None, is_member: bool | None = None
) -> User:
    """Write `user`'s workspace role and membership (None keeps each as it is).

    The caller has checked who may do this. A superuser is always an owner and a member, so
    losing either ends superuser. See `user_access_changed` for what follows.
    """
    before = User.objects.select_for_update().get(pk=user.pk)
    new_role = Role(role if role is not None else before.role).value
    new_member = before.is_member if is_member is None else is_member
    if before.is_guest and new_member:
        raise ValueError("a ProofPlay guest cannot be a workspace member")
    fields: dict[str, object] = {"role": new_role, "is_member": new_member}
    if before.is_superuser and (new_role != Role.OWNER or not new_member):
        fields["is_superuser"] = False
    User.objects.filter(pk=before.pk).update(**fields)
    fresh = User.objects.get(pk=before.pk)
    user_access_changed(before=before, user=fresh)
    return fresh


@transaction.atomic
def user_deactivate(*, user: User) -> User:
    """Stop every sign-in of `user` at once (sessions revoked, sockets closed); history stays."""
    before = User.objects.select_for_update().get(pk=user.pk)
    User.objects.filter(pk=before.pk).update(is_active=False)
    fresh = User.objects.get(pk=before.pk)
    user_access_changed(before=before, user=fresh)
    return fresh


@transaction.atomic
def first_account_promote(*, user: User) -> bool:
    """Make `user` the workspace's owner when nobody else is a member yet (a fresh install).

    Sign-ups after the first are not members until invited or added.
    """
    others = User.objects.select_for_update().filter(is_member=True).exclude(pk=user.pk)
    if user.is_guest or others.exists():
        return False
    User.objects.filter(pk=user.pk).update(
        role=Role.OWNER, is_member=True, is_staff=True, is_superuser=True
    )
    user.refresh_from_db()
    logger.info("user %s is the first account: owner", user.pk)
    return True


@transaction.atomic
def device_code_create(
    *, game_id: str, ip: str | None, user_agent: str = ""
) -> tuple[DeviceCode, str]:
    """Parsec `POST /auth/codes`: a code for `game_id`; returns it with the polling secret."""
    application = Application.objects.filter(game_id=game_id, is_active=True).first()
    if application is None:
        raise UnknownApplicationError()
    secret = tokens.new_device_secret()
    now = timezone.now()
    for _ in range(5):
        try:
            with transaction.atomic():
                code = DeviceCode.objects.create(
                    application=application,
                    user_code=random_code(8),
                    device_digest=tokens.digest(secret),
                    created_at=now,
                    expires_at=now + timedelta(seconds=settings.DEVICE_CODE_TTL),
                    interval=settings.DEVICE_CODE_INTERVAL,
                    request_ip=ip or None,
                    request_user_agent=user_agent[:300],
                )
            return code, secret
        except IntegrityError:  # a user code already issued: draw another
            continue
    raise RuntimeError("could not allocate a unique user code")


@dataclass(frozen=True)
class PollResult:
    interval: int
    session: ApiSession | None = None
    token: str | None = None

    @property
    def pending(self) -> bool:
        return self.session is None


def _stamp_poll(codes: QuerySet[DeviceCode], *, now: datetime, interval: int) -> bool:
    """Record this poll if the previous one was at least `interval` seconds ago.

    One conditional UPDATE, so the rule holds whichever process serves each poll.
    """
    earliest = now - timedelta(seconds=interval) + POLL_GRACE
    return bool(
        codes.filter(Q(last_polled_at__isnull=True) | Q(last_polled_at__lte=earliest)).update(
            last_polled_at=now
        )
    )


def device_code_poll(*, secret: str) -> PollResult:
    """Parsec `POST /auth/sessions`: pending, or the session the approval created (exactly once).

    Polling sooner than `interval` after the previous poll raises RateLimitedError (429); a
    hash no code has raises UnknownAuthCodeError (401), which the caller counts as a guess.
    An unknown hash writes no row: the UPDATE it reaches is bound to its digest and matches none.
    """
    now = timezone.now()
    digest = tokens.digest(secret)
    interval = settings.DEVICE_CODE_INTERVAL
    # The hot path (every waiting device polls every few seconds): a live, pending code polled
    # on time is stamped by one UPDATE, and that is the whole answer.
    pending = DeviceCode.objects.filter(
        device_digest=digest,
        status=DeviceCode.Status.PENDING,
        expires_at__gt=now,
        interval=interval,
    )
    if _stamp_poll(pending, now=now, interval=interval):
        return PollResult(interval=interval)

    # Otherwise find out why: unknown, decided, expired, too fast, or approved.
    code = (
        DeviceCode.objects.filter(device_digest=digest)
        .only("status", "expires_at", "interval", "last_polled_at")
        .order_by()
        .first()
    )
    if code is None:
        raise UnknownAuthCodeError()
    if code.status == DeviceCode.Status.DENIED:
        raise AuthCodeInvalidError("The auth code was denied")
    if code.status == DeviceCode.Status.REDEEMED:
        raise AuthCodeInvalidError("The auth code has already been redeemed")
    if code.expires_at <= now:
        raise AuthCodeInvalidError("The auth code has expired")
    if not _stamp_poll(DeviceCode.objects.filter(pk=code.pk), now=now, interval=code.interval):
        wait = code.interval
        if code.last_polled_at is not None:
            wait = code.interval - (now - code.last_polled_at).total_seconds()
        raise RateLimitedError(
            f"Polling too fast: wait {code.interval} seconds between polls",
            retry_after=max(1, wait),
        )
    if code.status == DeviceCode.Status.PENDING:
        return PollResult(interval=code.interval)
    return _device_code_redeem(code=code)


@transaction.atomic
def _device_code_redeem(*, code: DeviceCode) -> PollResult:
    code = DeviceCode.objects.select_related("application", "user").get(pk=code.pk)
    redeemed = DeviceCode.objects.filter(pk=code.pk, status=DeviceCode.Status.APPROVED).update(
        status=DeviceCode.Status.REDEEMED
    )
    if not redeemed:
        raise AuthCodeInvalidError("The auth code has already been redeemed")
    session, token = api_session_create(
        user=code.user,
        application=code.application,
        label=code.application.name,
        ip=code.request_ip,
        user_agent=code.request_user_agent,
    )
    DeviceCode.objects.filter(pk=code.pk).update(session=session)
    logger.info("device login redeemed app=%s user=%s", code.application.game_id, code.user_id)
    return PollResult(interval=code.interval, session=session, token=token)


def _device_code_decide(*, code: DeviceCode, user: User, status: str) -> DeviceCode:
    now = timezone.now()
    # Bound to this one code, and only while it is pending and live.
    decided = DeviceCode.objects.filter(
        pk=code.pk, status=DeviceCode.Status.PENDING, expires_at__gt=now
    ).update(status=status, user=user, decided_at=now)
    if not decided:
        raise DeviceCodeNotPendingError()
    code.refresh_from_db()
    return code


def device_code_approve(*, code: DeviceCode, user: User) -> DeviceCode:
    return _device_code_decide(code=code, user=user, status=DeviceCode.Status.APPROVED)


def device_code_deny(*, code: DeviceCode, user: User) -> DeviceCode:
    return _device_code_decide(code=code, user=user, status=DeviceCode.Status.DENIED)
