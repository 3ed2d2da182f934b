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
