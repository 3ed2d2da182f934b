from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from invites import services
from invites.models import (
    HostInvite,
    HostInviteRedemption,
    MemberEvent,
    WorkspaceInvite,
    WorkspaceInviteAcceptance,
)


class RedemptionInline(admin.TabularInline):
    model = HostInviteRedemption
    extra = 0
    can_delete = False
    fields = ["user", "created_at", "ip", "user_agent"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(HostInvite)
class HostInviteAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "creator",
        "target",
        "grants",
        "max_grants",
        "created_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["code", "creator__email", "target"]
    readonly_fields = [f.name for f in HostInvite._meta.fields]
    inlines = [RedemptionInline]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected invites")
    def revoke(self, request: HttpRequest, queryset: QuerySet[HostInvite]) -> None:
        count = services.host_invites_revoke(invites=list(queryset))
        self.message_user(request, f"Revoked {count} invite(s).", messages.SUCCESS)


@admin.register(HostInviteRedemption)
class HostInviteRedemptionAdmin(admin.ModelAdmin):
    list_display = ["invite", "user", "created_at", "ip"]
    search_fields = ["invite__code", "user__email", "ip"]
    readonly_fields = [f.name for f in HostInviteRedemption._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class AcceptanceInline(admin.TabularInline):
    model = WorkspaceInviteAcceptance
    extra = 0
    can_delete = False
    fields = ["user", "created_at", "ip", "role_before", "role_after"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WorkspaceInvite)
class WorkspaceInviteAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "role",
        "created_by",
        "used_count",
        "created_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["role", "revoked_at"]
    search_fields = ["public_id", "created_by__email"]
    readonly_fields = [f.name for f in WorkspaceInvite._meta.fields]
    inlines = [AcceptanceInline]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created from the members page or the API, which show the token once

    @admin.action(description="Revoke the selected invites")
    def revoke(self, request: HttpRequest, queryset: QuerySet[WorkspaceInvite]) -> None:
        count = services.workspace_invites_revoke(invites=list(queryset))
        self.message_user(request, f"Revoked {count} invite(s).", messages.SUCCESS)


@admin.register(WorkspaceInviteAcceptance)
class WorkspaceInviteAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["invite", "user", "created_at", "ip", "role_before", "role_after"]
    search_fields = ["invite__public_id", "user__email", "ip"]
    readonly_fields = [f.name for f in WorkspaceInviteAcceptance._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(MemberEvent)
class MemberEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "target", "role_before", "role_after", "actor", "ip"]
    list_filter = ["kind"]
    search_fields = ["target__email", "actor__email"]
    readonly_fields = [f.name for f in MemberEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
