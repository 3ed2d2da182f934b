import pytest

from avalonbot import services
from avalonbot.bot.view import parse_setup
from avalonbot.models import ApiKey, BotSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, user_factory):
    admin = user_factory(role="owner", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_admin_creates_a_key_shown_once_and_stores_only_its_digest(admin_client, api, settings):
    settings.AVALON_API_KEY = []
    r = admin_client.post(
        "/admin/avalonbot/apikey/add/", {"name": "proavalon", "is_active": "on"}, follow=True
    )
    assert r.status_code == 200
    key = next(
        str(m).split(": ")[1].split(" ")[0] for m in r.context["messages"] if "API key" in str(m)
    )
    row = ApiKey.objects.get()
    assert row.key_digest == services.digest(key) and key not in row.key_digest
    body = {
        "numPlayers": 5,
        "roles": [],
        "cards": [],
        "teamLeader": 0,
        "players": ["a", "b", "c", "d", "e"],
        "name": "a",
        "role": "Resistance",
    }
    r = api.post("/avalon/v0/session", body, format="json", HTTP_AUTHORIZATION=key)
    assert r.status_code == 200


def test_admin_lists_sessions_with_decisions_and_arena_runs(admin_client, settings):
    settings.AVALON_API_KEY = ["k"]
    body = {
        "numPlayers": 5,
        "players": ["a", "b", "c", "d", "e"],
        "name": "a",
        "role": "merlin",
        "see": {"spies": ["b", "c"]},
    }
    session = services.session_create(setup=parse_setup(body), body=body)
    for url in (
        "/admin/avalonbot/botsession/",
        f"/admin/avalonbot/botsession/{session.pk}/change/",
        "/admin/avalonbot/decision/",
        "/admin/avalonbot/arenarun/",
        "/admin/avalonbot/apikey/",
    ):
        assert admin_client.get(url).status_code == 200
    assert BotSession.objects.count() == 1


def test_session_log_page_is_staff_only_and_explains_decisions(admin_client, api, settings):
    from django.test import Client

    settings.AVALON_API_KEY = ["k"]
    from tests.avalonbot.helpers import play_through_api

    play_through_api(api, "k", 5, [], False, 3)
    session = BotSession.objects.filter(decisions__isnull=False).first()
    url = f"/avalon/sessions/{session.public_id}"
    assert Client().get(url).status_code == 302  # anonymous: to the login page
    r = admin_client.get(url)
    html = r.content.decode()
    assert r.status_code == 200 and 'id="decisions"' in html and "Merlin" in html
    assert session.decisions.first().phase in html
    assert admin_client.get("/avalon/sessions/nope").status_code == 404
    page = admin_client.get("/avalon/").content.decode()
    assert f"/avalon/sessions/{session.public_id}" in page
