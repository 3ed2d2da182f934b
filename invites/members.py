"""Workspace membership: change a user's role, remove a user. The role rules live here only.

- Only admins and owners manage users; nobody changes their own role or removes themselves.
- Only an owner may grant or take away admin or owner. Admins cannot modify or remove admins
  or owners.
- The workspace always keeps at least one active owner.
- Removing someone takes them out of the workspace; their account stays (bingo, watch parties).
  Removal or demotion ends their claims, closes their terminal sockets and revokes their API
  sessions at once (`accounts.services.user_workspace_set`).

Every rule is checked against the database inside the write transaction (the actor's role too),
so two owners demoting each other at the same moment cannot leave the workspace without one.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import user_workspace_set
from invites.exceptions import RoleChangeForbiddenError, UserNotFoundError
from invites.models import MemberEvent

logger = logging.getLogger(__name__)

PRIVILEGED = (Role.ADMIN, Role.OWNER)


def _rank(role: str) -> int:
    return Role(role).rank


def check_role_change(
    *, actor_role: str, actor_is_target: bool, target_role: str, new_role: str, owners: int
) -> str | None:
    """Why `actor` may not give `target` `new_role` (a message), or None when allowed.

    `owners` is the number of active owners now. Pure, so the rule table can be tested alone.
    """
    if _rank(actor_role) < _rank(Role.ADMIN):
        return "Insufficient permissions"
    if actor_is_target:
        return "You cannot change your own role"
    if actor_role != Role.OWNER:
        if target_role == Role.ADMIN:
            return "Admins cannot modify other admins"
        if target_role == Role.OWNER:
            return "Admins cannot modify owners"
        if new_role in PRIVILEGED:
            return "Only owners can grant the admin or owner role"
    if target_role == Role.OWNER and new_role != Role.OWNER and owners <= 1:
        return "The workspace must keep at least one owner"
    return None


def check_removal(
    *, actor_role: str, actor_is_target: bool, target_role: str, owners: int
) -> str | None:
    """Why `actor` may not remove `target`, or None when allowed."""
    if _rank(actor_role) < _rank(Role.ADMIN):
        return "Insufficient permissions"
    if actor_is_target:
        return "You cannot remove yourself from the workspace"
    if actor_role != Role.OWNER:
        if target_role == Role.ADMIN:
            return "Admins cannot modify other admins"
        if target_role == Role.OWNER:
            return "Admins cannot modify owners"
    if target_role == Role.OWNER and owners <= 1:
        return "The workspace must keep at least one owner"
    return None


def check_add(*, actor_role: str, new_role: str) -> str | None:
    """Why `actor` may not add a signed-up account to the workspace as `new_role`, or None."""
    if _rank(actor_role) < _rank(Role.ADMIN):
        return "Insufficient permissions"
    if actor_role != Role.OWNER and new_role in PRIVILEGED:
        return "Only owners can grant the admin or owner role"
    return None


def _lock(actor: User, public_id: str) -> tuple[User, User, int]:
    """Lock the owners, the actor and the target; count the active owners.

    One statement, in pk order. With two (the owners, then the pair) PostgreSQL could deadlock:
    a row locked by the first one stays locked when a concurrent demotion makes it no longer
    match, so a transaction could hold that row while waiting for the next owner, and the
    demoter hold that owner while waiting for the row (seen in tests/invites/race_worker.py).
    """
    rows = list(
        User.objects.select_for_update()
        .filter(
            Q(role=Role.OWNER) | Q(pk=actor.pk) | Q(public_id=public_id),
            is_active=True,
            is_member=True,
        )
        .order_by("pk")
    )
    fresh_actor = next((u for u in rows if u.pk == actor.pk), None)
    target = next((u for u in rows if u.public_id == public_id), None)
    if fresh_actor is None:
        raise RoleChangeForbiddenError("Insufficient permissions")
    if target is None:
        raise UserNotFoundError()
    return fresh_actor, target, sum(1 for u in rows if u.role == Role.OWNER)


@transaction.atomic
def member_role_change(*, actor: User, public_id: str, role: str, ip: str | None = None) -> User:
    """Give the user `public_id` the workspace role `role` (a valid Role value)."""
    role = Role(role).value
    actor, target, owners = _lock(actor, public_id)
    denied = check_role_change(
        actor_role=actor.role,
        actor_is_target=actor.pk == target.pk,
        target_role=target.role,
        new_role=role,
        owners=owners,
    )
    if denied:
        raise RoleChangeForbiddenError(denied)
    if target.role == role:
        return target
    before = target.role
    target = user_workspace_set(user=target, role=role)
    MemberEvent.objects.create(
        actor=actor,
        target=target,
        kind=MemberEvent.Kind.ROLE,
        role_before=before,
        role_after=role,
        created_at=timezone.now(),
        ip=ip or None,
    )
    logger.info("user %s role %s -> %s by user %s", target.pk, before, role, actor.pk)
    return target


@transaction.atomic
def member_remove(*, actor: User, public_id: str, ip: str | None = None) -> User:
    """Take a user out of the workspace: no terminal access, claims ended, API sessions revoked.
    The account itself stays (it can still play bingo or join watch parties)."""
    actor, target, owners = _lock(actor, public_id)
    denied = check_removal(
        actor_role=actor.role,
        actor_is_target=actor.pk == target.pk,
        target_role=target.role,
        owners=owners,
    )
    if denied:
        raise RoleChangeForbiddenError(denied)
    target = user_workspace_set(user=target, is_member=False)
    MemberEvent.objects.create(
        actor=actor,
        target=target,
        kind=MemberEvent.Kind.REMOVED,
        role_before=target.role,
        role_after=target.role,
        created_at=timezone.now(),
        ip=ip or None,
    )
    logger.info("user %s removed by user %s", target.pk, actor.pk)
    return target


@transaction.atomic
def member_add(*, actor: User, email: str, role: str, ip: str | None = None) -> User:
    """Add the signed-up account with `email` to the workspace as `role` (admin+)."""
    role = Role(role).value
    fresh_actor = (
        User.objects.select_for_update().filter(pk=actor.pk, is_active=True, is_member=True).first()
    )
    denied = check_add(actor_role=fresh_actor.role if fresh_actor else Role.VIEWER, new_role=role)
    if fresh_actor is None or denied:
        raise RoleChangeForbiddenError(denied or "Insufficient permissions")
    target = (
        User.objects.select_for_update()
        .filter(email__iexact=email.strip(), is_active=True, is_guest=False)
        .first()
    )
    if target is None:
        raise UserNotFoundError()
    if target.is_member:
        raise RoleChangeForbiddenError("Already a member: change their role instead")
    target = user_workspace_set(user=target, role=role, is_member=True)
    MemberEvent.objects.create(
        actor=fresh_actor,
        target=target,
        kind=MemberEvent.Kind.ADDED,
        role_before="",
        role_after=role,
        created_at=timezone.now(),
        ip=ip or None,
    )
    logger.info("user %s added as %s by user %s", target.pk, role, actor.pk)
    return target
