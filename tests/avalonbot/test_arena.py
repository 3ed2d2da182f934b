"""Arena: margins, statistics, the command (text, JSON, stored run) and the results page."""

import json

import pytest
from django.core.management import call_command

from avalonbot import arena
from avalonbot.chart import win_rate_svg
from avalonbot.models import ArenaRun


def test_wilson_interval_edges():
    assert arena.wilson(0, 0) == (0.0, 1.0)
    lo, hi = arena.wilson(5, 10)
    assert lo < 0.5 < hi and lo > 0.2 and hi < 0.8
    assert arena.wilson(10, 10)[1] == 1.0 and arena.wilson(0, 10)[0] == 0.0


def test_fit_roles_drops_evil_roles_that_do_not_fit():
    assert arena.fit_roles(5, arena.DEFAULT_ROLES) == ("percival", "morgana")
    assert arena.fit_roles(7, arena.DEFAULT_ROLES) == ("percival", "morgana", "mordred")
    assert arena.fit_roles(10, arena.DEFAULT_ROLES) == arena.DEFAULT_ROLES


def test_same_seed_same_results_and_same_deals_for_every_matchup():
    deals = arena.schedule(
        games=6, seed=3, players=range(5, 11), roles=arena.DEFAULT_ROLES, lady=True
    )
    again = arena.schedule(
        games=6, seed=3, players=range(5, 11), roles=arena.DEFAULT_ROLES, lady=True
    )
    assert [d.roles for d in deals] == [d.roles for d in again]
    assert [d.n for d in deals] == [5, 6, 7, 8, 9, 10]
    a = arena.run(agent="bot", opponents=["random"], deals=deals).summary()
    b = arena.run(agent="bot", opponents=["random"], deals=again).summary()
    assert a == b
    assert {(m["good"], m["evil"]) for m in a["matchups"]} == {
        ("bot", "random"),
        ("random", "random"),
        ("random", "bot"),
    }
    assert a["games"] == 18 and set(a["margins"]) == {"random"}


def test_bot_beats_both_baselines_on_both_sides_in_a_small_fixed_run():
    """A regression guard on fixed deals (the full measurement is `avalon_arena`)."""
    deals = arena.schedule(
        games=30, seed=5, players=range(5, 11), roles=arena.DEFAULT_ROLES, lady=True
    )
    margins = arena.run(agent="bot", opponents=["random", "heuristic"], deals=deals).summary()[
        "margins"
    ]
    assert margins["random"]["good"] >= 0.15 and margins["random"]["evil"] >= 0.15, margins
    assert margins["heuristic"]["good"] >= 0.05 and margins["heuristic"]["evil"] >= 0.05, margins


@pytest.mark.django_db
def test_command_json_prints_games_and_win_rate_and_stores_the_run(capsys):
    call_command("avalon_arena", "--games", "3", "--seed", "2", "--players", "5,6", "--json")
    out = capsys.readouterr()
    summary = json.loads(out.out)
    for agent in ("bot", "random", "heuristic"):
        for side in ("good", "evil"):
            tally = summary["agents"][agent][side]
            assert tally["games"] > 0 and 0 <= tally["win_rate"] <= 1
    assert "games" in out.err  # the progress bar went to stderr
    run = ArenaRun.objects.get()
    assert run.summary["agents"] == summary["agents"] and run.players == "5,6" and run.seed == 2


@pytest.mark.django_db
def test_command_text_shows_intervals_and_margins(capsys):
    call_command(
        "avalon_arena", "--games", "2", "--seed", "1", "--players", "7", "--quiet", "--no-save"
    )
    text = capsys.readouterr().out
    assert "95 % interval" in text and "Margins of bot" in text and "vs heuristic" in text
    assert "By role" in text and "n=7" in text
    assert not ArenaRun.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ["--players", "4"],
        ["--players", "5-11"],
        ["--roles", "lancelot"],
        ["--opponents", "nobody"],
        ["--games", "0"],
    ],
)
def test_command_rejects_bad_arguments(args):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("avalon_arena", *args)


@pytest.mark.django_db
def test_page_shows_latest_run_with_chart(client):
    r = client.get("/avalon/")
    assert r.status_code == 200 and b"No arena run yet" in r.content
    call_command("avalon_arena", "--games", "2", "--seed", "4", "--players", "5,6", "--quiet")
    r = client.get("/avalon/")
    html = r.content.decode()
    assert "<svg" in html and "Win rate by player count" in html and "polyline" in html
    assert 'id="margins"' in html and "heuristic" in html
    assert "Through the API: <strong>0</strong> sessions" in html


def test_chart_escapes_labels_and_handles_one_point():
    svg = win_rate_svg([{"agent": "<b>", "side": "good", "players": 5, "win_rate": 0.5}])
    assert "<b>" not in svg and "&lt;b&gt;" in svg and svg.startswith("<svg")


# --- ObserveBot and mixed tables ------------------------------------------------------------


def test_bot_beats_observebot_on_both_sides_at_five_players():
    """A regression guard on fixed deals, DeepRole's setting (no special roles, no Lady)."""
    deals = arena.schedule(games=30, seed=5, players=[5], roles=(), lady=False)
    margins = arena.run(agent="bot", opponents=["observe"], deals=deals).summary()["margins"]
    assert margins["observe"]["good"] >= 0.15 and margins["observe"]["evil"] >= 0.05, margins


def test_mixed_tables_put_each_agent_alone_in_every_seat():
    deals = arena.schedule(games=2, seed=8, players=[5], roles=(), lady=False)
    report = arena.run_mixed(agent="bot", opponents=["observe"], deals=deals)
    lone = [(r.deal.seed, r.seats, seat) for r, seat in report.records if seat is not None]
    assert len(report.records) == 2 * (2 + 2 * 5)
    for deal in deals:
        for seat in range(5):
            alone = ["observe"] * 5
            alone[seat] = "bot"
            among = ["bot"] * 5
            among[seat] = "observe"
            assert (deal.seed, tuple(alone), seat) in lone
            assert (deal.seed, tuple(among), seat) in lone
    homogeneous = [r.seats for r, seat in report.records if seat is None]
    assert homogeneous.count(("bot",) * 5) == 2 and homogeneous.count(("observe",) * 5) == 2


def test_mixed_summary_counts_the_lone_seat_against_the_others_own_seats():
    deals = arena.schedule(games=3, seed=2, players=[5], roles=(), lady=False)
    summary = arena.run_mixed(agent="bot", opponents=["observe"], deals=deals).summary()
    tables = {(t["lone"], t["among"]): t for t in summary["tables"]}
    assert set(tables) == {("bot", "observe"), ("observe", "bot")}
    t = tables[("bot", "observe")]
    assert t["seat"]["games"] == 15 and t["good"]["games"] + t["evil"]["games"] == 15
    assert t["evil"]["games"] == 6  # 2 evil seats in each of 3 deals
    assert t["baseline"]["agent"] == "observe" and t["baseline"]["seat"]["games"] == 15
    rate = t["seat"]["wins"] / 15
    base = t["baseline"]["seat"]["wins"] / 15
    assert t["margin"]["seat"] == round(rate - base, 4)
    assert summary["margins"]["observe"]["seat"] == t["margin"]["seat"]
    assert sum(p["games"] for p in t["by_position"]) == 15
    assert {r["role"] for r in t["by_role"]} == {"merlin", "servant", "assassin", "minion"}
    lo, hi = t["seat"]["ci95"]
    assert (lo, hi) == tuple(round(x, 4) for x in arena.wilson(t["seat"]["wins"], 15))


@pytest.mark.django_db
def test_command_mixed_json_gives_per_seat_rates_with_intervals_and_stores_the_run(capsys, client):
    call_command(
        "avalon_arena",
        "--mixed",
        "--games",
        "1",
        "--seed",
        "3",
        "--players",
        "5",
        "--roles",
        "",
        "--no-lady",
        "--opponents",
        "observe",
        "--json",
        "--quiet",
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["mode"] == "mixed" and summary["games"] == 12 and summary["seed"] == 3
    for t in summary["tables"]:
        for key in ("seat", "good", "evil"):
            tally = t[key]
            assert set(tally) == {"games", "wins", "win_rate", "ci95"}
            assert 0 <= tally["ci95"][0] <= tally["win_rate"] <= tally["ci95"][1] <= 1
            assert set(t["baseline"][key]) == {"games", "wins", "win_rate", "ci95"}
        assert t["seat"]["games"] == 5
    assert set(summary["margins"]["observe"]) == {"good", "evil", "seat", "games"}
    run = ArenaRun.objects.get()
    assert run.summary["tables"] == summary["tables"]
    r = client.get("/avalon/")  # the results page still renders a mixed run
    assert r.status_code == 200 and b"observe" in r.content


@pytest.mark.django_db
def test_command_mixed_needs_another_agent():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="opponent other than the agent"):
        call_command("avalon_arena", "--mixed", "--opponents", "bot", "--games", "1")


@pytest.mark.django_db
def test_command_mixed_text_shows_both_directions(capsys):
    call_command(
        "avalon_arena",
        "--mixed",
        *("--games", "1", "--players", "5", "--opponents", "random"),
        *("--quiet", "--no-save"),
    )
    text = capsys.readouterr().out
    assert "bot among random seat" in text and "random among bot seat" in text
    assert "random's own seat" in text and "margin: seat" in text
