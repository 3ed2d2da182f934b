from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from avalonbot import selectors
from avalonbot.capabilities import info
from avalonbot.chart import win_rate_svg


def arena_page(request: HttpRequest) -> HttpResponse:
    run = selectors.arena_run_latest()
    context: dict = {"run": run, "bot": info(), "stats": selectors.session_stats()}
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
