from django.db.models import QuerySet

from avalonbot.models import ArenaRun, BotSession, Decision


def arena_run_latest() -> ArenaRun | None:
    return ArenaRun.objects.order_by("-created_at", "-id").first()


def session_get(*, session_id: str) -> BotSession | None:
    return BotSession.objects.filter(public_id=session_id).first()


def decision_list(*, session: BotSession) -> QuerySet[Decision]:
    return session.decisions.order_by("index")


def session_list_recent(limit: int = 20) -> QuerySet[BotSession]:
    return BotSession.objects.order_by("-created_at")[:limit]


def session_stats() -> dict[str, int]:
    """Games played through the API: total, finished with a result, won by the bot's side."""
    qs = BotSession.objects.all()
    decided = qs.filter(bot_won__isnull=False)
    return {
        "sessions": qs.count(),
        "active": qs.filter(status=BotSession.Status.ACTIVE).count(),
        "decided": decided.count(),
        "won": decided.filter(bot_won=True).count(),
        "decisions": Decision.objects.count(),
    }
