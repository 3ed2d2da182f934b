from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from terminals import services
from terminals.models import Claim, KeyEvent, Recording, Viewer


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ("session_name", "user", "claimed_at", "expires_at", "is_live")
    search_fields = ("session_name", "user__email")
    readonly_fields = ("session_name", "user", "claimed_at", "expires_at")
    actions = ["force_release"]

    @admin.display(boolean=True)
    def is_live(self, obj: Claim) -> bool:
        return obj.is_live

    @admin.action(description="Force release the selected claims")
    def force_release(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        count = 0
        for claim in queryset:
            services.claim_force_release(claim=claim)
            count += 1
        self.message_user(request, f"Released {count} claim(s).", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Claim) -> None:
        services.claim_force_release(claim=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        for claim in queryset:
            services.claim_force_release(claim=claim)


@admin.register(KeyEvent)
class KeyEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user_email", "session_name", "pane", "size", "preview", "source")
    list_filter = ("session_name", "source")
    search_fields = ("session_name", "user_email", "user_public_id")
    date_hierarchy = "created_at"
    readonly_fields = (
        "user",
        "user_public_id",
        "user_email",
        "session_name",
        "pane",
        "created_at",
        "size",
        "source",
        "keys",
    )
    exclude = ("data",)

    @admin.display(description="keys")
    def preview(self, obj: KeyEvent) -> str:
        text = repr(obj.text)[1:-1]
        return text if len(text) <= 80 else text[:77] + "..."

    @admin.display(description="keys (escaped)")
    def keys(self, obj: KeyEvent) -> str:
        return repr(obj.text)[1:-1]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = ("session_name", "pane", "started_by", "started_at", "ended_at", "player")
    readonly_fields = (
        "id",
        "session_name",
        "pane_id",
        "pane",
        "started_by",
        "started_at",
        "ended_at",
        "width",
        "height",
        "path",
    )
    actions = ["stop"]

    @admin.display(description="play")
    def player(self, obj: Recording) -> str:
        from django.utils.html import format_html

        return format_html('<a href="/terminals/recordings/{}">play</a>', obj.pk)

    @admin.action(description="Stop the selected recordings")
    def stop(self, request: HttpRequest, queryset: QuerySet[Recording]) -> None:
        for rec in queryset:
            services.recording_stop(recording=rec, user=request.user, force=True)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Viewer)
class ViewerAdmin(admin.ModelAdmin):
    list_display = ("session_name", "user", "connected_at", "seen_at")
    readonly_fields = ("session_name", "user", "channel_name", "connected_at", "seen_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
