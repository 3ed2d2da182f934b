"""Workspace membership: change a user's role, remove a user. The role rules live here only.

- Only admins and owners manage users; nobody changes their own role or removes themselves.
- Only an owner may grant or take away admin or owner. Admins cannot modify or remove admins
  or owners.
- The workspace always keeps at least one active owner.

Every rule is checked against the database inside the write transaction (the actor's role too),
so two owners demoting each other at the same moment cannot leave the workspace without one.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import ROLE_RANK, Role, User
from config.broadcast import broadcast, group_name
from invites.exceptions import RoleChangeForbiddenError, UserNotFoundError
from invites.models import MemberEvent

logger = logging.getLogger(__name__)

PRIVILEGED = (Role.ADMIN, Role.OWNER)


def _rank(role: str) -> int:
    return ROLE_RANK[Role(role)]


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


def _lock(actor: User, public_id: str) -> tuple[User, User, int]:
    """Lock the owners, the actor and the target; count the active owners.

    One statement, in pk order. With two (the owners, then the pair) PostgreSQL could deadlock:
    a row locked by the first one stays locked when a concurrent demotion makes it no longer
    match, so a transaction could hold that row while waiting for the next owner, and the
    demoter hold that owner while waiting for the row (seen in tests/invites/race_worker.py).
    """
    rows = list(
        User.objects.select_for_update()
        .filter(Q(role=Role.OWNER) | Q(pk=actor.pk) | Q(public_id=public_id), is_active=True)
        .order_by("pk")
    )
    fresh_actor = next((u for u in rows if u.pk == actor.pk), None)
    target = next((u for u in rows if u.public_id == public_id), None)
    if fresh_actor is None:
        raise RoleChangeForbiddenError("Insufficient permissions")
    if target is None:
        raise UserNotFoundError()
    return fresh_actor, target, sum(1 for u in rows if u.role == Role.OWNER)


def _notify(user: User, *, role: str, active: bool) -> None:
    group = group_name("user", user.public_id)
    transaction.on_commit(
        lambda: broadcast(group, "user.changed", {"role": role, "active": active})
    )


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
    fields = {"role": role}
    if role != Role.OWNER and target.is_superuser:
        fields["is_superuser"] = False  # a superuser is always an owner (accounts' constraint)
    User.objects.filter(pk=target.pk).update(**fields)
    MemberEvent.objects.create(
        actor=actor,
        target=target,
        kind=MemberEvent.Kind.ROLE,
        role_before=before,
        role_after=role,
        created_at=timezone.now(),
        ip=ip or None,
    )
    target.refresh_from_db()
    _notify(target, role=role, active=True)
    logger.info("user %s role %s -> %s by user %s", target.pk, before, role, actor.pk)
    return target


@transaction.atomic
def member_remove(*, actor: User, public_id: str, ip: str | None = None) -> User:
    """Remove a user from the workspace: the account is deactivated (its sign-ins stop working,
    its history stays) and its API sessions are revoked."""
    actor, target, owners = _lock(actor, public_id)
    denied = check_removal(
        actor_role=actor.role,
        actor_is_target=actor.pk == target.pk,
        target_role=target.role,
        owners=owners,
    )
    if denied:
        raise RoleChangeForbiddenError(denied)
    now = timezone.now()
    User.objects.filter(pk=target.pk).update(is_active=False)
    target.api_sessions.filter(revoked_at__isnull=True).update(revoked_at=now)
    MemberEvent.objects.create(
        actor=actor,
        target=target,
        kind=MemberEvent.Kind.REMOVED,
        role_before=target.role,
        role_after=target.role,
        created_at=now,
        ip=ip or None,
    )
    target.refresh_from_db()
    _notify(target, role=target.role, active=False)
    logger.info("user %s removed by user %s", target.pk, actor.pk)
    return target
