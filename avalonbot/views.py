from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from avalonbot import selectors
from avalonbot.capabilities import info
from avalonbot.chart import win_rate_svg


def arena_page(request: HttpRequest) -> HttpResponse:
    run = selectors.arena_run_latest()
    context: dict = {"run": run, "bot": info(), "stats": selectors.session_stats()}
    if request.user.is_staff:
        context["sessions"] = selectors.session_list_recent(10)
    if run is not None:
        summary = run.summary
        context["summary"] = summary
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
    """A session's decision log with the top beliefs behind every answer (staff only)."""
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
            "known": known,
            "decisions": selectors.decision_list(session=session),
        },
    )
