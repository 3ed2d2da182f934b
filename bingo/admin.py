"""Games, cards, draws and the audit chain: read-only where an edit would break the chain."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from bingo import services
from bingo.models import AuditEntry, Card, Draw, Game, Player


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class DrawInline(admin.TabularInline):
    model = Draw
    fields = ("sequence", "number", "seed_hash", "anchor_id", "authority", "drawn_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Game)
class GameAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "name", "status", "creator", "players", "draws_made", "created_at")
    list_filter = ("status",)
    search_fields = ("public_id", "name", "creator__email")
    readonly_fields = (
        "public_id",
        "name",
        "status",
        "creator",
        "pin",
        "created_at",
        "started_at",
        "finished_at",
        "commitment",
        "commitment_authority",
        "revealed_secret",
        "entropy",
        "winner",
        "won_at",
    )
    exclude = ("secret", "commitment_token")
    inlines = [DrawInline]
    actions = ["end_games"]

    @admin.display(description="players")
    def players(self, obj: Game) -> int:
        return obj.cards.count()

    @admin.display(description="draws")
    def draws_made(self, obj: Game) -> int:
        return obj.draws.count()

    @admin.display(description="secret S")
    def revealed_secret(self, obj: Game) -> str:
        return obj.secret if obj.status == Game.Status.FINISHED else "(revealed when the game ends)"

    @admin.action(description="End the selected games (reveals their secrets)")
    def end_games(self, request: HttpRequest, queryset: QuerySet[Game]) -> None:
        for game in queryset.exclude(status=Game.Status.FINISHED):
            services.game_end(game_id=game.public_id, by=game.creator)
        messages.success(request, "Games ended.")


@admin.register(Card)
class CardAdmin(ReadOnlyAdmin):
    list_display = ("card_id", "game", "display_name", "join_index", "bingo_at", "created_at")
    search_fields = ("card_id", "game__public_id", "display_name", "user__email")
    readonly_fields = (
        "card_id",
        "game",
        "user",
        "display_name",
        "numbers",
        "marked",
        "client_seed",
        "join_index",
        "created_at",
        "bingo_at",
    )
    exclude = ("layout_key",)


@admin.register(Draw)
class DrawAdmin(ReadOnlyAdmin):
    list_display = ("game", "sequence", "number", "authority", "drawn_at")
    list_filter = ("authority",)
    search_fields = ("game__public_id", "anchor_id")
    readonly_fields = (
        "game",
        "sequence",
        "number",
        "seed",
        "seed_hash",
        "anchor_id",
        "authority",
        "drawn_at",
    )
    exclude = ("token",)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("game", "seq", "kind", "hash", "created_at")
    list_filter = ("kind",)
    search_fields = ("game__public_id", "hash")
    readonly_fields = ("game", "seq", "kind", "body", "prev_hash", "hash", "created_at")

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Player)
class PlayerAdmin(ReadOnlyAdmin):
    list_display = ("email", "user", "created_at")
    search_fields = ("email",)
    readonly_fields = ("email", "user", "created_at")
    exclude = ("device_digest",)
