"""Rooms (close, extend), participants, chat moderation. Changes go through services so every
open room page hears of them."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from watchparty import services
from watchparty.models import ChatMessage, Participant, WatchParty


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    can_delete = False
    fields = ["user_id", "display_name", "account", "connected_count", "last_seen", "left_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WatchParty)
class WatchPartyAdmin(admin.ModelAdmin):
    list_display = ["name", "id", "host_id", "created_at", "expires_at", "closed_at", "source"]
    list_filter = ["source", "closed_at"]
    search_fields = ["name", "id", "host_id"]
    readonly_fields = [
        "id",
        "password_hash",
        "host_id",
        "created_by",
        "created_at",
        "expires_at",
        "closed_at",
        "source",
        "media_url",
        "playing",
        "position",
        "rate",
        "volume",
        "state_at",
        "state_seq",
    ]
    fields = ["name", "max_participants", *readonly_fields]
    inlines = [ParticipantInline]
    actions = ["close_rooms", "extend_rooms"]

    @admin.action(description="Close the selected rooms now (their sockets close)")
    def close_rooms(self, request: HttpRequest, queryset: QuerySet[WatchParty]) -> None:
        for party in queryset:
            services.party_close(party=party)
        self.message_user(request, f"Closed {queryset.count()} room(s).", messages.SUCCESS)

    @admin.action(description="Extend the selected rooms by 24 hours")
    def extend_rooms(self, request: HttpRequest, queryset: QuerySet[WatchParty]) -> None:
        for party in queryset:
            services.party_extend(party=party, hours=24)
        self.message_user(request, f"Extended {queryset.count()} room(s).", messages.SUCCESS)


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = [
        "display_name",
        "user_id",
        "party",
        "connected_count",
        "last_seen",
        "report_drift",
        "left_at",
    ]
    list_filter = ["left_at"]
    search_fields = ["display_name", "user_id", "party__name"]
    readonly_fields = [f.name for f in Participant._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ["username", "message", "party", "created_at", "deleted_at"]
    list_filter = ["deleted_at"]
    search_fields = ["message", "username", "user_id", "public_id"]
    readonly_fields = [f.name for f in ChatMessage._meta.fields]
    actions = ["delete_for_everyone"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Delete the selected messages for everyone")
    def delete_for_everyone(self, request: HttpRequest, queryset: QuerySet[ChatMessage]) -> None:
        for message in queryset:
            services.chat_delete(message=message)
        self.message_user(request, f"Deleted {queryset.count()} message(s).", messages.SUCCESS)

    def delete_model(self, request: HttpRequest, obj: ChatMessage) -> None:
        services.chat_delete(message=obj)  # moderation keeps the row, hidden from everyone

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ChatMessage]) -> None:
        for message in queryset:
            services.chat_delete(message=message)
