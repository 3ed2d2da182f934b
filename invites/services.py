"""Invites: the only code that creates, revokes and redeems them.

Grants are counted by one conditional UPDATE (`grants = grants + 1 WHERE grants < max_grants AND
live`), whose affected-row count decides; a unique (invite, user) row makes redemption idempotent
per user. Neither needs `select_for_update`, which SQLite ignores.
"""

from __future__ import annotations

import logging
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts import tokens
from accounts.models import Role, User
from accounts.services import user_workspace_set
from config.ids import random_code
from invites import targets
from invites.exceptions import (
    HostInviteNotFoundError,
    InvalidInviteTokenError,
    InviteRoleForbiddenError,
    InviteUnavailableError,
    TargetNotAllowedError,
    UnknownTargetError,
    WorkspaceInviteNotFoundError,
)
from invites.models import (
    CODE_LENGTH,
    HostInvite,
    HostInviteRedemption,
    InviteState,
    WorkspaceInvite,
    WorkspaceInviteAcceptance,
)
from invites.selectors import normalize_code, workspace_invite_check

logger = logging.getLogger(__name__)

TOKEN_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 24  # ~143 bits


# --- Host invites (Parsec) ------------------------------------------------------------------


def host_invite_create(
    *, creator: User, expires_in: int, max_grants: int, target: str = ""
) -> HostInvite:
    """A new invite code. Bounds are checked by the API (and the database's constraints).

    A target that is not of the form `kind[:id]` of a registered kind is UnknownTargetError.
    Then the app's `may_invite` runs before `describe`: someone who may not invite to
    `bingo:<id>` is refused (403) the same way whether or not game <id> exists, so the answer
    cannot be used to discover room ids; only someone who may invite to it learns that it has
    ended (UnknownTargetError, 400).
    """
    label = ""
    if target:
        if targets.parse_target(target) is None:
            raise UnknownTargetError()
        if not targets.target_may_invite(creator, target):
            logger.info("host invite refused user=%s kind=%s", creator.pk, target.split(":")[0])
            raise TargetNotAllowedError()
        label = targets.describe_target(target) or ""
        if not label:
            raise UnknownTargetError()
    now = timezone.now()
    for _ in range(8):
        try:
            with transaction.atomic():
                invite = HostInvite.objects.create(
                    code=random_code(CODE_LENGTH),
                    creator=creator,
                    target=target,
                    target_label=label[:200],
                    max_grants=max_grants,
                    created_at=now,
                    expires_at=now + timedelta(seconds=expires_in),
                )
        except IntegrityError:  # that code is taken (31^8 codes): draw another
            continue
        logger.info("host invite created by user=%s target=%s", creator.pk, target or "-")
        return invite
    raise RuntimeError("could not allocate a unique invite code")


def host_invite_revoke(*, invite: HostInvite, by: User) -> HostInvite:
    """Revoke `invite` (its creator only). Revoking twice is harmless."""
    if invite.creator_id != by.pk:
        raise HostInviteNotFoundError()  # don't tell others that the code exists
    HostInvite.objects.filter(pk=invite.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    invite.refresh_from_db()
    return invite


def host_invites_revoke(*, invites: list[HostInvite]) -> int:
    """Admin action: revoke any invites."""
    return HostInvite.objects.filter(
        pk__in=[i.pk for i in invites], revoked_at__isnull=True
    ).update(revoked_at=timezone.now())


@dataclass(frozen=True)
class Redeemed:
    invite: HostInvite
    url: str
    counted: bool  # False: the user already held a grant (or created the invite)


def _unavailable_reason(invite: HostInvite) -> str:
    invite.refresh_from_db()
    state = invite.state
    return "used_up" if state == InviteState.ACTIVE else str(state)


def _admit(user: User, invite: HostInvite) -> str:
    if not invite.target:
        return "/"
    url = targets.admit_to_target(user, invite.target)
    if url is None:
        raise InviteUnavailableError("target_gone")
    return url


@transaction.atomic
def host_invite_redeem(
    *, code: str, user: User, ip: str | None = None, user_agent: str = ""
) -> Redeemed:
    """Let `user` in with invite `code`, counting one grant the first time (exactly once).

    Raises HostInviteNotFoundError, or InviteUnavailableError (expired, revoked, used up, target
    gone). A user who already holds a grant is let in again while the invite is live.
    """
    invite = HostInvite.objects.select_related("creator").filter(code=normalize_code(code)).first()
    if invite is None:
        raise HostInviteNotFoundError()
    now = timezone.now()
    if invite.revoked_at is not None:
        raise InviteUnavailableError("revoked")
    if invite.expires_at <= now:
        raise InviteUnavailableError("expired")
    if invite.target and not targets.describe_target(invite.target):
        raise InviteUnavailableError("target_gone")
    # Asked again now, not only at creation: a host who handed the room over (or an admin
    # demoted, a creator deactivated) no longer lets anyone in, themself included.
    if invite.target and not targets.target_may_invite(invite.creator, invite.target):
        raise InviteUnavailableError("creator_not_allowed")
    if invite.creator_id == user.pk:
        return Redeemed(invite=invite, url=_admit(user, invite), counted=False)

    try:
        with transaction.atomic():
            HostInviteRedemption.objects.create(
                invite=invite,
                user=user,
                created_at=now,
                ip=ip or None,
                user_agent=user_agent[:300],
            )
    except IntegrityError:  # this user already redeemed it (maybe a moment ago, elsewhere)
        return Redeemed(invite=invite, url=_admit(user, invite), counted=False)

    granted = HostInvite.objects.filter(
        pk=invite.pk,
        grants__lt=F("max_grants"),
        expires_at__gt=now,
        revoked_at__isnull=True,
    ).update(grants=F("grants") + 1)
    if not granted:
        raise InviteUnavailableError(_unavailable_reason(invite))  # rolls the redemption back
    url = _admit(user, invite)
    invite.refresh_from_db()
    logger.info("host invite %s redeemed by user=%s", invite.pk, user.pk)
    return Redeemed(invite=invite, url=url, counted=True)


# --- Workspace invites (CHROTE) -------------------------------------------------------------


def new_invite_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def workspace_invite_create(
    *, by: User, role: str, expires_in: int, note: str = "", max_uses: int | None = None
) -> tuple[WorkspaceInvite, str]:
    """A new workspace invite; returns it with its token, which is stored only as a digest.

    `max_uses` (CHROTE's UI) caps how many people may accept it; None: no cap. An admin invite
    (the UI's third role) may only be made by an owner, as CHROTE's server rules, since only
    owners may grant admin (`invites.members.check_add`).
    """
    if role == Role.ADMIN and not by.has_role(Role.OWNER):
        raise InviteRoleForbiddenError()
    token = new_invite_token()
    now = timezone.now()
    invite = WorkspaceInvite.objects.create(
        token_digest=tokens.digest(token),
        role=role,
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(seconds=expires_in),
        note=note,
        max_uses=max_uses,
    )
    logger.info("workspace invite %s created by user=%s", invite.public_id, by.pk)
    return invite, token


def workspace_invite_revoke(*, invite_id: str) -> WorkspaceInvite:
    invite = WorkspaceInvite.objects.filter(public_id=invite_id).first()
    if invite is None:
        raise WorkspaceInviteNotFoundError()
    WorkspaceInvite.objects.filter(pk=invite.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    invite.refresh_from_db()
    return invite


def workspace_invites_revoke(*, invites: list[WorkspaceInvite]) -> int:
    return WorkspaceInvite.objects.filter(
        pk__in=[i.pk for i in invites], revoked_at__isnull=True
    ).update(revoked_at=timezone.now())


@dataclass(frozen=True)
class Accepted:
    invite: WorkspaceInvite
    role: str  # the user's role afterwards
    counted: bool


@transaction.atomic
def workspace_invite_accept(*, token: str, user: User, ip: str | None = None) -> Accepted:
    """Join the workspace with `token` with the invite's role; a member's role is raised to the
    invite's, never lowered.

    The first acceptance per user counts in `used_count`; accepting again changes nothing (so a
    member who was removed cannot come back through the invite they once used).
    """
    invite, reason = workspace_invite_check(token=token)
    if invite is None:
        raise InvalidInviteTokenError(reason)
    # Asked again now: an admin invite lets people in only while its maker may still grant admin.
    if invite.role == Role.ADMIN and not (
        invite.created_by is not None and invite.created_by.has_role(Role.OWNER)
    ):
        raise InvalidInviteTokenError("revoked")
    now = timezone.now()
    # The role is read and written under the same (write) transaction.
    current = User.objects.select_for_update().get(pk=user.pk)
    if not current.is_active or current.is_guest:
        raise InvalidInviteTokenError("not_found")
    try:
        with transaction.atomic():
            acceptance = WorkspaceInviteAcceptance.objects.create(
                invite=invite,
                user=current,
                created_at=now,
                ip=ip or None,
                role_before=current.role,
                role_after=current.role,
            )
    except IntegrityError:
        return Accepted(invite=invite, role=current.role, counted=False)
    # One conditional UPDATE decides, so `max_uses` holds however many accept at once.
    counted = (
        WorkspaceInvite.objects.filter(pk=invite.pk, revoked_at__isnull=True, expires_at__gt=now)
        .filter(Q(max_uses__isnull=True) | Q(used_count__lt=F("max_uses")))
        .update(used_count=F("used_count") + 1)
    )
    if not counted:  # revoked, expired or used up since we looked: the acceptance rolls back
        invite.refresh_from_db()
        state = invite.state
        raise InvalidInviteTokenError("exhausted" if state == InviteState.USED_UP else str(state))
    new_role = current.role
    if not current.is_member or Role(invite.role).rank > Role(current.role).rank:
        new_role = invite.role
        user_workspace_set(user=current, role=new_role, is_member=True)
    WorkspaceInviteAcceptance.objects.filter(pk=acceptance.pk).update(
        role_before=current.role if current.is_member else "", role_after=new_role
    )
    user.is_member = True
    user.role = new_role
    invite.refresh_from_db()
    logger.info("workspace invite %s accepted by user=%s", invite.public_id, user.pk)
    return Accepted(invite=invite, role=new_role, counted=True)
