from django.contrib import admin, messages
from django.http import HttpRequest

from avalonbot import services
from avalonbot.models import ApiKey, ArenaRun, BotSession, Decision


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "is_active", "created_at", "last_used_at"]
    list_filter = ["is_active"]
    fields = ["name", "is_active", "prefix", "created_at", "last_used_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        if change:
            super().save_model(request, obj, form, change)
            return
        created, key = services.api_key_create(name=obj.name)
        created.is_active = obj.is_active
        created.save(update_fields=["is_active"])
        obj.pk, obj.key_digest, obj.prefix = created.pk, created.key_digest, created.prefix
        obj._state.adding = False
        messages.warning(
            request,
            f"API key for {obj.name}: {key} (copy it now: it is not stored, "
            "it cannot be shown again)",
        )


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0
    can_delete = False
    fields = ["index", "phase", "mission", "pick", "answer", "note", "beliefs", "elapsed_ms"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(BotSession)
class BotSessionAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "bot_name",
        "role",
        "num_players",
        "status",
        "winner",
        "bot_won",
        "created_at",
    ]
    list_filter = ["status", "role", "num_players", "bot_won"]
    search_fields = ["public_id", "bot_name"]
    readonly_fields = [f.name for f in BotSession._meta.fields]
    inlines = [DecisionInline]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["session", "index", "phase", "mission", "pick", "answer", "elapsed_ms"]
    list_filter = ["phase"]
    readonly_fields = [f.name for f in Decision._meta.fields]


@admin.register(ArenaRun)
class ArenaRunAdmin(admin.ModelAdmin):
    list_display = ["created_at", "agent", "opponents", "games", "players", "seed", "http"]
    readonly_fields = [f.name for f in ArenaRun._meta.fields]
