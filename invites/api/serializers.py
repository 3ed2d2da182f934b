from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from accounts.api.serializers import StrictCharField
from accounts.models import Role
from invites.models import (
    HOST_INVITE_MAX_EXPIRES,
    HOST_INVITE_MAX_GRANTS,
    HOST_INVITE_MIN_EXPIRES,
    HOST_INVITE_MIN_GRANTS,
    WorkspaceInvite,
)

WORKSPACE_INVITE_DEFAULT_EXPIRES = 604_800


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: refuses booleans, strings and floats (even 3600.0) instead of coercing."""

    default_error_messages = {"invalid": "A valid integer is required."}

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class HostInviteIn(serializers.Serializer):
    expires_in = StrictIntegerField(
        min_value=HOST_INVITE_MIN_EXPIRES,
        max_value=HOST_INVITE_MAX_EXPIRES,
        help_text="Seconds before the invite expires (600-108000)",
    )
    max_grants = StrictIntegerField(
        min_value=HOST_INVITE_MIN_GRANTS,
        max_value=HOST_INVITE_MAX_GRANTS,
        help_text="How many people can use it (1-100)",
    )
    target = StrictCharField(
        max_length=200,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="What it lets people into: `bingo:<id>`, `watchparty:<id>` or `terminals`",
    )


class HostInviteData(serializers.Serializer):
    code = serializers.CharField()
    peer_id = serializers.CharField()
    grants = serializers.IntegerField()
    max_grants = serializers.IntegerField()
    expires_at = serializers.IntegerField(help_text="Unix epoch seconds")
    target = serializers.CharField(allow_null=True, help_text="Lobby extension")
    target_label = serializers.CharField(allow_null=True, help_text="Lobby extension")
    url = serializers.CharField(help_text="Lobby extension: the landing page /g/<code>")
    state = serializers.ChoiceField(
        choices=["active", "expired", "revoked", "used_up"], help_text="Lobby extension"
    )
    created_at = serializers.IntegerField(help_text="Lobby extension")
    revoked_at = serializers.IntegerField(allow_null=True, help_text="Lobby extension")


class HostInviteOut(serializers.Serializer):
    data = HostInviteData()


class HostInviteListOut(serializers.Serializer):
    data = HostInviteData(many=True)


class RedemptionData(serializers.Serializer):
    user_id = serializers.CharField()
    name = serializers.CharField()
    redeemed_at = serializers.IntegerField()
    ip = serializers.CharField(allow_null=True)


class HostInviteDetailData(HostInviteData):
    redemptions = RedemptionData(many=True)


class HostInviteDetailOut(serializers.Serializer):
    data = HostInviteDetailData()


# --- CHROTE


class RoleIn(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.values)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and not isinstance(data.get("role", ""), str):
            raise serializers.ValidationError({"role": ["Must be a string."]})
        return super().to_internal_value(data)


class RoleUserOut(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField(source="display_name")
    role = serializers.CharField()


class RoleChangeOut(serializers.Serializer):
    success = serializers.BooleanField()
    user = RoleUserOut()


class WorkspaceInviteIn(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=WorkspaceInvite.InviteRole.values, default=WorkspaceInvite.InviteRole.VIEWER
    )
    expiresIn = StrictIntegerField(
        default=WORKSPACE_INVITE_DEFAULT_EXPIRES,
        min_value=settings.INVITES_WORKSPACE_MIN_EXPIRES,
        max_value=settings.INVITES_WORKSPACE_MAX_EXPIRES,
        help_text="Seconds until expiration",
    )

    def validate_expiresIn(self, value: int) -> int:
        low, high = settings.INVITES_WORKSPACE_MIN_EXPIRES, settings.INVITES_WORKSPACE_MAX_EXPIRES
        if not low <= value <= high:
            raise serializers.ValidationError(f"Must be between {low} and {high} seconds.")
        return value

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and "role" in data and not isinstance(data["role"], str):
            raise serializers.ValidationError({"role": ["Must be a string."]})
        return super().to_internal_value(data)


class WorkspaceInviteCreatedOut(serializers.Serializer):
    id = serializers.CharField()
    token = serializers.CharField()
    url = serializers.CharField()
    role = serializers.CharField()
    expiresAt = serializers.DateTimeField()
    usedCount = serializers.IntegerField()


class WorkspaceInviteOut(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    createdBy = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    expiresAt = serializers.DateTimeField(source="expires_at")
    usedCount = serializers.IntegerField(source="used_count")
    revoked = serializers.SerializerMethodField()

    class Meta:
        model = WorkspaceInvite
        fields = ["id", "role", "createdBy", "createdAt", "expiresAt", "usedCount", "revoked"]

    def get_createdBy(self, invite: WorkspaceInvite) -> str | None:
        return invite.created_by.public_id if invite.created_by else None

    def get_revoked(self, invite: WorkspaceInvite) -> bool:
        return invite.revoked_at is not None


class WorkspaceInviteListOut(serializers.Serializer):
    invites = WorkspaceInviteOut(many=True)


class ValidateOut(serializers.Serializer):
    valid = serializers.BooleanField()
    role = serializers.CharField(required=False)
    reason = serializers.ChoiceField(choices=["expired", "revoked", "not_found"], required=False)


class AcceptOut(serializers.Serializer):
    success = serializers.BooleanField()
    role = serializers.CharField()
