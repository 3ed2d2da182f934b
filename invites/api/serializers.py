from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from accounts.api.serializers import StrictCharField
from accounts.models import Role
from invites.models import (
    DOCUMENTED_INVITE_ROLES,
    HOST_INVITE_MAX_EXPIRES,
    HOST_INVITE_MAX_GRANTS,
    HOST_INVITE_MIN_EXPIRES,
    HOST_INVITE_MIN_GRANTS,
    InviteState,
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
    # The document's roles; the admin invite is the UI's (UiInviteIn).
    role = serializers.ChoiceField(
        choices=list(DOCUMENTED_INVITE_ROLES),
        default=WorkspaceInvite.InviteRole.VIEWER,
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
    reason = serializers.ChoiceField(
        choices=["expired", "revoked", "exhausted", "not_found"], required=False
    )


class AcceptOut(serializers.Serializer):
    success = serializers.BooleanField()
    role = serializers.CharField()


# --- CHROTE's web UI (snake_case): chosen by the fields a create request sends

UI_INVITE_FIELDS = frozenset({"note", "max_uses", "expires_in_days"})
UI_INVITE_DEFAULT_DAYS = 7
UI_INVITE_MAX_USES = 10_000


def is_ui_invite_request(data: object) -> bool:
    """A create body naming any of the UI's own fields is the UI's; any other is the document's."""
    return isinstance(data, dict) and not UI_INVITE_FIELDS.isdisjoint(data)


class UiInviteIn(serializers.Serializer):
    role = serializers.ChoiceField(choices=WorkspaceInvite.InviteRole.values)
    note = StrictCharField(max_length=200, required=False, allow_blank=True, allow_null=True)
    max_uses = StrictIntegerField(
        min_value=1, max_value=UI_INVITE_MAX_USES, required=False, allow_null=True
    )
    expires_in_days = StrictIntegerField(
        min_value=1,
        max_value=365,
        required=False,
        allow_null=True,
        help_text=f"Days until it expires (default {UI_INVITE_DEFAULT_DAYS})",
    )

    def validate_expires_in_days(self, value: int | None) -> int | None:
        if value is None:
            return value
        low, high = settings.INVITES_WORKSPACE_MIN_EXPIRES, settings.INVITES_WORKSPACE_MAX_EXPIRES
        if not low <= value * 86_400 <= high:
            raise serializers.ValidationError(
                f"Must be between {max(1, -(-low // 86_400))} and {high // 86_400} days."
            )
        return value

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            if "role" in data and not isinstance(data["role"], str):
                raise serializers.ValidationError({"role": ["Must be a string."]})
            if "expiresIn" in data:
                raise serializers.ValidationError(
                    {"expiresIn": ["Send expiresIn (seconds) or expires_in_days, not both."]}
                )
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        days = attrs.get("expires_in_days") or UI_INVITE_DEFAULT_DAYS
        return {
            "role": attrs["role"],
            "note": (attrs.get("note") or "").strip(),
            "max_uses": attrs.get("max_uses"),
            "expires_in": days * 86_400,
        }


class UiInviteCreatedOut(serializers.Serializer):
    id = serializers.CharField()
    token = serializers.CharField()
    url = serializers.CharField(help_text="The UI's sign-in page with the invite: /?invite=<token>")
    role = serializers.CharField()
    note = serializers.CharField(allow_null=True)
    max_uses = serializers.IntegerField(allow_null=True)
    expires_at = serializers.DateTimeField()


class UiInviteFieldsOut(serializers.ModelSerializer):
    """The UI's snake_case fields of a listed invite."""

    note = serializers.SerializerMethodField()
    uses = serializers.IntegerField(source="used_count")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    created_by = serializers.SerializerMethodField()
    creator_name = serializers.SerializerMethodField()
    creator_email = serializers.SerializerMethodField()
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = WorkspaceInvite
        fields = [
            "note",
            "uses",
            "max_uses",
            "created_at",
            "expires_at",
            "created_by",
            "creator_name",
            "creator_email",
            "is_active",
        ]

    def get_note(self, invite: WorkspaceInvite) -> str | None:
        return invite.note or None

    def get_created_by(self, invite: WorkspaceInvite) -> str | None:
        return invite.created_by.public_id if invite.created_by else None

    def get_creator_name(self, invite: WorkspaceInvite) -> str | None:
        return invite.created_by.display_name if invite.created_by else None

    def get_creator_email(self, invite: WorkspaceInvite) -> str | None:
        return invite.created_by.email if invite.created_by else None

    def get_is_active(self, invite: WorkspaceInvite) -> bool:
        return invite.state == InviteState.ACTIVE


def ui_invite_list_item(invite: WorkspaceInvite) -> dict[str, Any]:
    """The document's fields (camelCase, unchanged) and the UI's snake_case ones, side by side:
    the two share only `id`, `role` and `revoked`, which mean the same in both."""
    return {**WorkspaceInviteOut(invite).data, **UiInviteFieldsOut(invite).data}
