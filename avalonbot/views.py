from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe

from avalonbot import selectors
from avalonbot.capabilities import info
from avalonbot.chart import win_rate_svg
from avalonbot.engine import rules


def _connect(request: HttpRequest) -> dict:
    """What ProAvalon is given: the bot's base URL (it appends `v0/info`, `v0/session`, ...) and
    where the key comes from. Never a key itself: only whether one is configured."""
    base = request.build_absolute_uri(reverse("avalonbot:arena"))
    return {
        "base_url": base,
        "env_keys": len(settings.AVALON_API_KEY),
        "admin_keys": selectors.api_key_active_count(),
    }


def arena_page(request: HttpRequest) -> HttpResponse:
    run = selectors.arena_run_latest()
    context: dict = {
        "run": run,
        "bot": info(),
        "stats": selectors.session_stats(),
        "connect": _connect(request),
        "bot_roles": selectors.role_labels(list(rules.SPECIAL_ROLES)),
    }
    if request.user.is_staff:
        context["sessions"] = [
            {
                "session": s,
                "role_label": selectors.role_label(s.role),
                "side": selectors.side_of(s.role),
            }
            for s in selectors.session_list_recent(10)
        ]
    if run is not None:
        summary = run.summary
        context["summary"] = summary
        context["run_roles"] = selectors.role_labels(run.roles)
        context["run_opponents"] = [o for o in run.opponents.split(",") if o]
        context["chart"] = mark_safe(win_rate_svg(summary.get("by_players", [])))  # noqa: S308 - built from numbers and escaped labels
        context["agents"] = [
            {"agent": agent, "side": side, **tally}
            for agent, sides in summary.get("agents", {}).items()
            for side, tally in sides.items()
        ]
        context["margins"] = [
            {"opponent": opp, **m} for opp, m in summary.get("margins", {}).items()
        ]
    return render(request, "avalonbot/arena.html", context)


@staff_member_required
def session_page(request: HttpRequest, session_id: str) -> HttpResponse:
    """The game viewer for one API session: step through it on a drawing of the table, with the
    bot's answer, its reasons and its top beliefs at each step, then the decision log.

    Staff only: it shows what the bot believes about hidden roles, also while the game is live.
    """
    session = selectors.session_get(session_id=session_id)
    if session is None:
        raise Http404("No such session")
    players = session.setup.get("players", [])
    setup = session.setup
    known = {
        "spies": [players[s] for s in setup.get("spies", [])],
        "merlins": [players[s] for s in setup.get("merlins", [])],
    }
    return render(
        request,
        "avalonbot/session.html",
        {
            "session": session,
            "role_label": selectors.role_label(session.role),
            "side": selectors.side_of(session.role),
            "specials": selectors.role_labels(setup.get("specials", [])),
            "known": known,
            "steps": selectors.session_steps(session=session),
            "decisions": selectors.decision_list(session=session),
        },
    )
