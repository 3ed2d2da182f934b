"""The game viewer: a stored API session as steps (selector), and who may see it (view)."""

import pytest
from django.test import Client

from avalonbot import selectors
from avalonbot.models import BotSession
from tests.avalonbot.helpers import play_through_api

pytestmark = pytest.mark.django_db


@pytest.fixture
def played(api, settings):
    """Five API sessions of one finished 5-player game (one per seat), as ProAvalon plays it."""
    settings.AVALON_API_KEY = ["k"]
    record, _ = play_through_api(api, "k", 5, [], False, 3)
    return record


def test_steps_follow_every_answer_then_the_final_state(played):
    session = BotSession.objects.filter(decisions__isnull=False).first()
    decisions = list(session.decisions.order_by("index"))
    steps = selectors.session_steps(session=session)
    assert len(steps) == len(decisions) + 1
    assert [s["number"] for s in steps] == list(range(1, len(steps) + 1))
    for step, d in zip(steps, decisions, strict=False):
        assert step["index"] == d.index and step["phase"] == d.phase
        assert step["mission"] == d.mission and step["pick"] == d.pick
        assert step["note"] == d.note and step["beliefs"] == d.beliefs
        assert step["answer"]
        assert len(step["seats"]) == 5 and sum(seat["me"] for seat in step["seats"]) == 1
        assert len(step["missions"]) == 5
    final = steps[-1]
    assert final["phase"] == "finished" and final["answer"] is None
    assert final["winner"] == session.winner and final["winner"] in ("Resistance", "Spy")


def test_every_proposal_and_mission_appears_once_with_every_vote(played):
    session = BotSession.objects.filter(decisions__isnull=False).first()
    steps = selectors.session_steps(session=session)
    proposals = [e for s in steps for e in s["events"] if e["kind"] == "proposal"]
    missions = [e for s in steps for e in s["events"] if e["kind"] == "mission"]
    players = session.setup["players"]
    assert proposals and missions
    for p in proposals:
        assert sorted(p["approve"] + p["reject"]) == sorted(players)
        assert p["approved"] == (len(p["approve"]) * 2 > len(players))
        assert p["leader"] in players and set(p["team"]) <= set(players)
    # missions in order, each once; the last step's mission track matches them
    assert [m["mission"] for m in missions] == list(range(1, len(missions) + 1))
    track = [m for m in steps[-1]["missions"] if m["result"]]
    assert [m["result"] == "succeeded" for m in track] == [m["succeeded"] for m in missions]
    assert len(missions) <= 5 and (
        sum(m["succeeded"] for m in missions) == 3 or sum(not m["succeeded"] for m in missions) == 3
    )


def test_the_bots_answers_are_named_for_the_phase(played):
    session = BotSession.objects.filter(decisions__phase="vote").first()
    steps = selectors.session_steps(session=session)
    votes = [s for s in steps if s.get("phase") == "vote" and s["answer"]]
    assert votes and all(s["answer"] in ("Approves", "Rejects") for s in votes)
    assert all(s["team"] for s in votes)  # the team being voted on is on the table


def test_a_stored_game_info_that_no_longer_parses_is_skipped(played):
    session = BotSession.objects.filter(decisions__isnull=False).first()
    first = session.decisions.order_by("index").first()
    first.game_info = {"phase": "nonsense"}
    first.save()
    steps = selectors.session_steps(session=session)
    assert len(steps) == session.decisions.count()  # one skipped, the final state added
    assert steps[0]["number"] == 1


def test_roles_read_as_names():
    assert selectors.role_labels("percival,morgana,,oberon") == ["Percival", "Morgana", "Oberon"]
    assert selectors.role_labels(["minion", "servant"]) == [
        "Minion of Mordred",
        "Loyal Servant of Arthur",
    ]
    assert selectors.side_of("mordred") == "evil" and selectors.side_of("merlin") == "good"


def test_viewer_is_staff_only(played, user_factory):
    session = BotSession.objects.filter(decisions__isnull=False).first()
    url = f"/avalon/sessions/{session.public_id}"
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    member = Client()
    member.force_login(user_factory(email="member@example.com"))
    r = member.get(url)
    assert r.status_code == 302 and "/admin/login/" in r["Location"]
    assert b"believed" not in r.content


def test_viewer_draws_the_table_and_steps(played, user_factory):
    session = BotSession.objects.filter(decisions__isnull=False).first()
    staff = Client()
    staff.force_login(user_factory(email="staff@example.com", is_staff=True))
    r = staff.get(f"/avalon/sessions/{session.public_id}")
    html = r.content.decode()
    assert r.status_code == 200
    steps = selectors.session_steps(session=session)
    assert html.count('class="av-step"') == len(steps)
    assert html.count('class="av-seat') == 5 * len(steps)
    assert "/static/avalonbot/viewer.js" in html
    assert "<script>" not in html and "onclick" not in html
    assert 'data-testid="step-next"' in html
    assert staff.get("/avalon/sessions/nope").status_code == 404


def test_chart_draws_good_blue_and_evil_red_for_every_agent():
    import re

    from avalonbot.chart import SIDE_COLOURS, win_rate_svg

    rows = [
        {"agent": agent, "side": side, "players": n, "win_rate": 0.5}
        for agent in ("bot", "random", "heuristic")
        for side in ("good", "evil")
        for n in (5, 6)
    ]
    svg = win_rate_svg(rows)
    lines = re.findall(r'<polyline [^>]*stroke="(#[0-9a-f]+)"[^>]*data-side="(\w+)"', svg)
    assert len(lines) == 6
    assert all(colour == SIDE_COLOURS[side] for colour, side in lines)
    assert SIDE_COLOURS == {"good": "#2563eb", "evil": "#dc2626"}
    # agents stay apart by line style: three patterns for three agents
    assert len(set(re.findall(r"<polyline [^>]*?(stroke-dasharray=\"[^\"]*\"|/>)", svg))) == 3


def _run(roles="percival,morgana"):
    from avalonbot import services

    return services.arena_run_record(
        agent="bot",
        opponents=["random"],
        games=2,
        seed=1,
        players=[5],
        roles=roles.split(","),
        lady=True,
        http=False,
        duration_s=1.0,
        summary={
            "games": 4,
            "by_players": [{"agent": "bot", "side": "good", "players": 5, "win_rate": 0.5}],
        },
    )


def test_avalon_page_says_how_to_connect_without_printing_a_key(client, settings, user_factory):
    from avalonbot import services

    settings.AVALON_API_KEY = ["env-secret-key-123"]
    settings.ALLOWED_HOSTS = ["lobby.example.com"]
    _, admin_key = services.api_key_create(name="proavalon")
    _run()
    r = client.get("/avalon/", HTTP_HOST="lobby.example.com")
    html = r.content.decode()
    assert r.status_code == 200
    assert (
        '<code class="code" data-testid="bot-url">http://lobby.example.com/avalon/</code>' in html
    )
    assert '<code class="code">v0/session/act</code>' in html
    assert '1 from <code class="code">AVALON_API_KEY</code>, 1 active in the admin' in html
    assert "env-secret-key-123" not in html and admin_key not in html
    assert "/admin/avalonbot/apikey/" not in html  # the admin link is for staff
    assert "roles Percival, Morgana" in html and "percival,morgana" not in html
    assert 'id="sessions"' not in html  # the viewer's list is for staff
    staff = Client()
    staff.force_login(user_factory(email="staff2@example.com", is_staff=True))
    html = staff.get("/avalon/", HTTP_HOST="lobby.example.com").content.decode()
    assert 'href="/admin/avalonbot/apikey/"' in html
    assert "env-secret-key-123" not in html and admin_key not in html


def test_avalon_page_without_a_key_says_calls_are_refused(client, settings):
    settings.AVALON_API_KEY = []
    html = client.get("/avalon/").content.decode()
    assert "No key is configured yet" in html
