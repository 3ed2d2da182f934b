from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone

from accounts import services
from accounts.models import ApiSession, Application, DeviceCode, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "name",
        "is_member",
        "role",
        "is_guest",
        "is_active",
        "is_staff",
        "date_joined",
    ]
    list_filter = ["is_member", "role", "is_guest", "is_active", "is_staff", "is_superuser"]
    list_editable = ["is_member", "role"]
    search_fields = ["email", "name", "public_id"]
    readonly_fields = ["public_id", "peer_id", "is_guest", "date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password", "public_id", "peer_id"]}),
        ("Profile", {"fields": ["name", "avatar_url"]}),
        ("Workspace", {"fields": ["is_member", "role", "is_active", "is_guest"]}),
        ("Django admin", {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "password1", "password2", "is_member", "role"],
            },
        )
    ]

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        """Role, membership and activity changed here take effect at once, as through the API:
        less access revokes API sessions, ends claims and closes terminal sockets."""
        with transaction.atomic():
            before = User.objects.select_for_update().filter(pk=obj.pk).first() if change else None
            super().save_model(request, obj, form, change)
            if before is not None:
                services.user_access_changed(before=before, user=obj)


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["name", "game_id", "is_active", "created_at"]
    search_fields = ["name", "game_id"]


@admin.register(DeviceCode)
class DeviceCodeAdmin(admin.ModelAdmin):
    list_display = [
        "user_code",
        "application",
        "status",
        "user",
        "request_ip",
        "created_at",
        "expires_at",
    ]
    list_filter = ["status", "application"]
    search_fields = ["user_code", "user__email"]
    readonly_fields = [f.name for f in DeviceCode._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ApiSession)
class ApiSessionAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "label",
        "application",
        "created_at",
        "last_used_at",
        "ip",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["application"]
    search_fields = ["user__email", "label", "ip"]
    readonly_fields = [f.name for f in ApiSession._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke (sign out) the selected sessions")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiSession]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} session(s).", messages.SUCCESS)
