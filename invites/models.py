"""Host invites (Parsec) and workspace invites (CHROTE), with who used them, when and from where."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from config.ids import public_id

HOST_INVITE_MIN_EXPIRES = 600
HOST_INVITE_MAX_EXPIRES = 108_000
HOST_INVITE_MIN_GRANTS = 1
HOST_INVITE_MAX_GRANTS = 100
CODE_LENGTH = 8


# The roles CHROTE's document lets an invite give (its API and the members page); CHROTE's UI
# also makes admin invites (owners only).
DOCUMENTED_INVITE_ROLES = ("viewer", "operator")


def new_workspace_invite_id() -> str:
    return public_id("inv")


class InviteState(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"
    USED_UP = "used_up", "Used up"


class HostInvite(models.Model):
    """Parsec's host invite: a code that lets up to `max_grants` people in until `expires_at`."""

    code = models.CharField(max_length=CODE_LENGTH, unique=True)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="host_invites"
    )
    # What it lets people into (`kind:id` or `kind`, see invites.targets); blank: the lobby.
    target = models.CharField(max_length=200, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    grants = models.PositiveIntegerField(default=0)
    max_grants = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["creator", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_grants__gte=HOST_INVITE_MIN_GRANTS)
                & Q(max_grants__lte=HOST_INVITE_MAX_GRANTS),
                name="host_invite_max_grants_1_100",
            ),
            models.CheckConstraint(
                condition=Q(grants__lte=F("max_grants")), name="host_invite_grants_le_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} by {self.creator}"

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return InviteState.REVOKED
        if self.expires_at <= timezone.now():
            return InviteState.EXPIRED
        if self.grants >= self.max_grants:
            return InviteState.USED_UP
        return InviteState.ACTIVE

    @property
    def grants_left(self) -> int:
        return max(0, self.max_grants - self.grants)


class HostInviteRedemption(models.Model):
    """One person let in by a host invite: at most one per (invite, user), so one grant each."""

    invite = models.ForeignKey(HostInvite, on_delete=models.CASCADE, related_name="redemptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="host_invite_redemptions"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["invite", "user"], name="host_invite_redeemed_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} via {self.invite.code}"


class WorkspaceInvite(models.Model):
    """CHROTE's workspace invite link. Only the SHA-256 digest of its token is stored."""

    class InviteRole(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        OPERATOR = "operator", "Operator"
        ADMIN = "admin", "Admin"  # CHROTE's UI; only an owner may make one

    public_id = models.CharField(
        max_length=40, unique=True, default=new_workspace_invite_id, editable=False
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    role = models.CharField(max_length=16, choices=InviteRole.choices, default=InviteRole.VIEWER)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="workspace_invites",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_count = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # CHROTE's UI: a note for the admins, and how many people may use it (null: no limit).
    note = models.CharField(max_length=200, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["viewer", "operator", "admin"]),
                name="workspace_invite_role",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(max_uses__gte=1),
                name="workspace_invite_max_uses_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(used_count__lte=F("max_uses")),
                name="workspace_invite_uses_le_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.role})"

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return InviteState.REVOKED
        if self.expires_at <= timezone.now():
            return InviteState.EXPIRED
        if self.max_uses is not None and self.used_count >= self.max_uses:
            return InviteState.USED_UP
        return InviteState.ACTIVE


class WorkspaceInviteAcceptance(models.Model):
    """A user who accepted a workspace invite (once per user), with the role before and after."""

    invite = models.ForeignKey(
        WorkspaceInvite, on_delete=models.CASCADE, related_name="acceptances"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="workspace_invite_acceptances",
    )
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    role_before = models.CharField(max_length=16)
    role_after = models.CharField(max_length=16)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invite", "user"], name="workspace_invite_accepted_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} via {self.invite.public_id}"


class MemberEvent(models.Model):
    """Audit of workspace membership changes (additions, role changes, removals)."""

    class Kind(models.TextChoices):
        ROLE = "role", "Role changed"
        REMOVED = "removed", "Removed"
        ADDED = "added", "Added"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member_events"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    role_before = models.CharField(max_length=16)
    role_after = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.target} by {self.actor}"
