import math
from typing import Any

from django.db.models import QuerySet

from avalonbot.bot.view import GameInfoError, Setup, View, parse_view
from avalonbot.engine import rules
from avalonbot.models import ApiKey, ArenaRun, BotSession, Decision


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


# --- the game viewer -----------------------------------------------------------------------

ROLE_LABELS = {
    rules.MERLIN: "Merlin",
    rules.PERCIVAL: "Percival",
    rules.SERVANT: "Loyal Servant of Arthur",
    rules.ASSASSIN: "Assassin",
    rules.MORGANA: "Morgana",
    rules.MORDRED: "Mordred",
    rules.OBERON: "Oberon",
    rules.MINION: "Minion of Mordred",
}
# on a seat of the drawn table there is room for one word
ROLE_SHORT = {rules.SERVANT: "Servant", rules.MINION: "Minion"}
PHASE_LABELS = {
    "pick": "Proposing a team",
    "vote": "Voting on the team",
    "mission": "On the mission",
    "lady": "Lady of the Lake",
    "assassination": "Assassination",
    "finished": "Game over",
}


def role_label(role: str) -> str:
    """A role's name as players say it ("Minion of Mordred"), for any spelling the data holds."""
    key = role.strip().lower()
    return ROLE_LABELS.get(key, key.replace("_", " ").title())


def role_labels(roles: str | list[str] | tuple[str, ...]) -> list[str]:
    """Role names from a stored list or the arena's comma text ("percival,morgana")."""
    items = roles.split(",") if isinstance(roles, str) else list(roles)
    return [role_label(r) for r in items if r.strip()]


def side_of(role: str) -> str:
    return "evil" if rules.is_evil(role.strip().lower()) else "good"


def _answer_text(phase: str, answer: dict[str, Any]) -> str:
    pressed = answer.get("buttonPressed")
    chosen = ", ".join(answer.get("selectedPlayers") or [])
    if phase == "pick":
        return f"Proposes {chosen}"
    if phase == "vote":
        return "Approves" if pressed == "yes" else "Rejects"
    if phase == "mission":
        return "Plays Success" if pressed == "yes" else "Plays Fail"
    if phase == "assassination":
        return f"Assassinates {chosen}"
    if phase == "lady":
        return f"Checks {chosen} with the Lady"
    return str(pressed or "")


def _seat_xy(seat: int, n: int) -> tuple[float, float]:
    """Percent coordinates of a seat on a circle, seat 0 at the top, clockwise."""
    angle = 2 * math.pi * seat / n - math.pi / 2
    return round(50 + 38 * math.cos(angle), 1), round(50 + 38 * math.sin(angle), 1)


def _events(view: View, seen_props: int, seen_missions: int) -> list[dict[str, Any]]:
    """Proposals (with their votes) and missions completed since the previous step."""
    names = view.setup.players
    out: list[dict[str, Any]] = []
    for p in view.proposals[seen_props:]:
        votes = p.votes or ()
        out.append(
            {
                "kind": "proposal",
                "mission": p.mission + 1,
                "pick": p.pick + 1,
                "leader": names[p.leader],
                "team": [names[s] for s in sorted(p.team)],
                "approve": [names[s] for s, v in enumerate(votes) if v],
                "reject": [names[s] for s, v in enumerate(votes) if not v],
                "approved": p.approved,
            }
        )
    for m in view.missions[seen_missions:]:
        out.append(
            {
                "kind": "mission",
                "mission": m.mission + 1,
                "team": [names[s] for s in sorted(m.team)],
                "fails": m.fails,
                "succeeded": m.succeeded,
            }
        )
    return out


def _step(
    view: View, seen_props: int, seen_missions: int, *, decision: Decision | None
) -> dict[str, Any]:
    setup = view.setup
    names = setup.players
    n = setup.num_players
    last = view.proposals[-1] if view.proposals else None
    # the last vote shown on the seats: only the one the table has just seen
    last_votes = last.votes if last is not None and seen_props < len(view.proposals) else None
    beliefs = list(decision.beliefs) if decision is not None else []
    top_evil = set(beliefs[0]["evil"]) if beliefs else set()
    top_merlin = beliefs[0].get("merlin") if beliefs else None
    seats = []
    for s in range(n):
        x, y = _seat_xy(s, n)
        seen = ""
        if s == setup.me:
            seen = ROLE_SHORT.get(setup.role, role_label(setup.role))
        elif s in setup.spies:
            seen = "seen as evil"
        elif s in setup.merlins:
            seen = "Merlin?"
        seats.append(
            {
                "seat": s,
                "name": names[s],
                "x": x,
                "y": y,
                "me": s == setup.me,
                "leader": s == view.leader,
                "on_team": s in view.proposed,
                "lady": s == view.lady_holder,
                "seen": seen,
                "vote": None if last_votes is None else ("approve" if last_votes[s] else "reject"),
                "believed_evil": names[s] in top_evil,
                "believed_merlin": names[s] == top_merlin,
            }
        )
    missions = []
    for m in range(rules.MISSIONS):
        done = view.missions[m] if m < len(view.missions) else None
        missions.append(
            {
                "number": m + 1,
                "size": rules.team_size(n, m),
                "fails_required": rules.fails_required(n, m),
                "result": None if done is None else ("succeeded" if done.succeeded else "failed"),
                "fails": None if done is None else done.fails,
                "current": done is None and m == view.mission and view.phase != "finished",
            }
        )
    step: dict[str, Any] = {
        "phase": view.phase,
        "phase_label": PHASE_LABELS.get(view.phase, view.phase),
        "mission": view.mission + 1,
        "pick": view.pick + 1,
        "leader": names[view.leader] if view.leader is not None else None,
        "team": [names[s] for s in sorted(view.proposed)],
        "seats": seats,
        "missions": missions,
        "events": _events(view, seen_props, seen_missions),
        "answer": None,
        "note": "",
        "beliefs": beliefs,
        "elapsed_ms": None,
    }
    if decision is not None:
        step.update(
            index=decision.index,
            answer=_answer_text(decision.phase, decision.answer),
            note=decision.note,
            elapsed_ms=decision.elapsed_ms,
        )
    return step


def session_steps(*, session: BotSession) -> list[dict[str, Any]]:
    """A stored API session as the steps of the game viewer, one per answer the bot gave (plus
    the final state when the session ended with one): the table, what happened since the previous
    step (proposals with every vote, missions), the bot's answer, its reason and its top beliefs.

    Pure data from the stored session; a stored gameInfo that no longer parses is skipped.
    """
    setup = Setup.from_dict(session.setup)
    steps: list[dict[str, Any]] = []
    seen_props = seen_missions = 0
    snapshots: list[tuple[dict[str, Any], Decision | None]] = [
        (d.game_info, d) for d in decision_list(session=session)
    ]
    if session.status == BotSession.Status.ENDED and isinstance(session.final_info, dict):
        snapshots.append((session.final_info, None))
    for info, decision in snapshots:
        try:
            view = parse_view(setup, info)
        except GameInfoError:
            continue
        step = _step(view, seen_props, seen_missions, decision=decision)
        if decision is None:
            step["winner"] = session.winner
            step["bot_won"] = session.bot_won
        steps.append(step)
        seen_props, seen_missions = len(view.proposals), len(view.missions)
    for number, step in enumerate(steps, start=1):
        step["number"] = number
    return steps


def api_key_active_count() -> int:
    return ApiKey.objects.filter(is_active=True).count()
