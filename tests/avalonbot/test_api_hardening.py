"""The bot API refuses what the documents do not allow (issue 14.14): typed numPlayers, roles that
cannot repeat, an exact key, and sessions that expire after AVALON_SESSION_TTL without a call."""

import hmac
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from avalonbot import services
from avalonbot.exceptions import BadApiKeyError
from avalonbot.models import BotSession, Decision
from tests.avalonbot.test_api import DOC_BODY, REAL_BODY, REAL_INFO, _with, post

pytestmark = pytest.mark.django_db

UNAUTHORIZED = {"error": "UNAUTHORIZED", "message": "Missing or wrong Authorization header"}
NOT_FOUND = {"error": "SESSION_NOT_FOUND", "message": "No session with this sessionID"}
DAY = 24 * 3600


def unsupported(message):  # type: ignore[no-untyped-def]
    return {"error": "UNSUPPORTED_GAME", "message": message}


# --- numPlayers and teamLeader are JSON integers -------------------------------------------


@pytest.mark.parametrize("value", ["5", " 5", "5.0", 5.0, True, 5.5, None, [5], {"n": 5}])
def test_num_players_that_is_not_a_json_integer_is_400(api, api_key, value):
    r = post(api, "session", _with(REAL_BODY, numPlayers=value))
    assert r.status_code == 400
    assert r.json() == unsupported("numPlayers must be an integer")
    assert not BotSession.objects.exists()


@pytest.mark.parametrize("value", ["2", 2.0, False])
def test_team_leader_that_is_not_a_json_integer_is_400(api, api_key, value):
    r = post(api, "session", _with(REAL_BODY, teamLeader=value))
    assert r.status_code == 400
    assert r.json() == unsupported("teamLeader must be an integer")
    assert not BotSession.objects.exists()


# --- roles: only the plain roles repeat ----------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "role"),
    [
        (["Percival", "Percival", "Spy"], "percival"),
        (["percival", "Percival", "Spy"], "percival"),  # the same role in both spellings
        (["Morgana", "Morgana", "Resistance"], "morgana"),
        (["Merlin", "Merlin", "Spy"], "merlin"),
        (["Assassin", "assassin", "Resistance"], "assassin"),
        (["Oberon", "Resistance", "Oberon"], "oberon"),
    ],
)
def test_a_special_role_listed_twice_is_400(api, api_key, roles, role):
    r = post(api, "session", _with(REAL_BODY, roles=roles))
    assert r.status_code == 400
    assert r.json() == unsupported(f"roles: {role!r} is listed more than once")
    assert not BotSession.objects.exists()


def test_a_document_shape_with_a_repeated_special_role_is_400(api, api_key):
    r = post(api, "session", _with(DOC_BODY, roles=["percival", "morgana", "percival"]))
    assert r.status_code == 400
    assert r.json() == unsupported("roles: 'percival' is listed more than once")


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        (["Spy", "Spy", "Spy"], "roles lists more evil roles than evil seats"),
        (["Resistance"] * 4, "roles lists more good roles than good seats"),
    ],
)
def test_more_plain_roles_than_their_seats_is_400(api, api_key, roles, message):
    r = post(api, "session", _with(REAL_BODY, roles=roles))
    assert r.status_code == 400
    assert r.json() == unsupported(message)


@pytest.mark.parametrize(
    "body",
    [
        REAL_BODY,  # ["Spy", "Resistance", "Resistance"]
        _with(REAL_BODY, roles=["servant", "Loyal Servant of Arthur", "minion"]),
        {
            "numPlayers": 10,
            "roles": ["Spy", "Spy", "Percival", "Resistance", "Resistance", "Resistance", "Oberon"],
            "cards": ["Lady of the Lake"],
            "teamLeader": 0,
            "players": [f"P{i}" for i in range(10)],
            "name": "P3",
            "role": "Resistance",
        },
    ],
)
def test_plain_roles_may_repeat(api, api_key, body):
    r = post(api, "session", body)
    assert r.status_code == 200, r.content
    assert BotSession.objects.get(public_id=r.json()["sessionID"]).body == body


def test_a_body_that_is_not_an_object_keeps_its_400(api, api_key):
    for raw in ("[1, 2]", '"x"', "null", "5"):
        r = api.post(
            "/avalon/v0/session",
            data=raw,
            content_type="application/json",
            HTTP_AUTHORIZATION="test-key-1",
        )
        assert r.status_code == 400
        assert r.json() == unsupported("the body must be a JSON object")
    r = post(api, "session", {})
    assert r.status_code == 400
    assert r.json() == unsupported("numPlayers is required")
    assert not BotSession.objects.exists()


# --- the key is compared exactly -----------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "test-key-1 ",
        " test-key-1",
        "test-key-1\t",
        "Bearer test-key-1 ",
        "Bearer  test-key-1",
        "Bearertest-key-1",
        "Basic test-key-1",
        "TEST-KEY-1",
        "test-key-",
    ],
)
def test_a_key_that_differs_by_anything_is_401(api, api_key, header):
    r = post(api, "session", REAL_BODY, key=header)
    assert r.status_code == 401
    assert r.json() == UNAUTHORIZED
    assert not BotSession.objects.exists()


@pytest.mark.parametrize("header", ["test-key-1", "Bearer test-key-1", "bearer test-key-2"])
def test_the_exact_key_raw_or_bearer_is_accepted(api, api_key, header):
    assert post(api, "session", REAL_BODY, key=header).status_code == 200


@hsettings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.text(max_size=40))
@example(header="test-key-1 ")
@example(header="test-key-1\n")
@example(header="\u00a0test-key-1")
def test_only_the_key_itself_passes(api_key, header):
    accepted = header == api_key or (header[:7].lower() == "bearer " and header[7:] == api_key)
    if accepted:
        assert services.api_key_check(header=header) == (None, "AVALON_API_KEY[0]")
    else:
        with pytest.raises(BadApiKeyError):
            services.api_key_check(header=header)


def test_every_configured_key_is_compared_in_constant_time(api_key, monkeypatch):
    calls = []
    compare = hmac.compare_digest

    def spy(a, b):  # type: ignore[no-untyped-def]
        calls.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(services.hmac, "compare_digest", spy)
    assert services.api_key_check(header="test-key-1") == (None, "AVALON_API_KEY[0]")
    # The first key matched, and the second was still compared: no early exit on a match.
    assert len(calls) == 2
    assert all(len(a) == len(b) == 64 for a, b in calls)  # digests, never the raw key


# --- sessions expire after AVALON_SESSION_TTL without a call -------------------------------


def _session(api, body=REAL_BODY) -> BotSession:  # type: ignore[no-untyped-def]
    r = post(api, "session", body)
    assert r.status_code == 200, r.content
    return BotSession.objects.get(public_id=r.json()["sessionID"])


def _idle(session: BotSession, seconds: float) -> None:
    BotSession.objects.filter(pk=session.pk).update(
        last_seen_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_act_on_a_session_idle_for_a_day_is_404_and_ends_it(api, api_key):
    session = _session(api)
    _idle(session, DAY + 1)
    r = post(api, "session/act", {"sessionID": session.public_id, "gameInfo": REAL_INFO})
    assert r.status_code == 404
    assert r.json() == NOT_FOUND
    session.refresh_from_db()
    assert session.status == BotSession.Status.ENDED
    assert session.end_reason == BotSession.EXPIRED
    assert session.ended_at is not None
    assert not Decision.objects.exists()
    # And it stays gone.
    r = post(api, "session/act", {"sessionID": session.public_id, "gameInfo": REAL_INFO})
    assert r.status_code == 404
    assert r.json() == NOT_FOUND


def test_each_call_keeps_a_session_alive(api, api_key):
    session = _session(api)
    _idle(session, DAY - 60)
    r = post(api, "session/act", {"sessionID": session.public_id, "gameInfo": REAL_INFO})
    assert r.status_code == 200
    session.refresh_from_db()
    assert session.status == BotSession.Status.ACTIVE
    assert timezone.now() - session.last_seen_at < timedelta(seconds=10)
    assert Decision.objects.filter(session=session).count() == 1


@pytest.mark.parametrize("path", ["session/gameover", "session/delete"])
def test_ending_an_expired_session_is_404(api, api_key, path):
    session = _session(api)
    _idle(session, DAY + 1)
    r = post(api, path, {"sessionID": session.public_id, "reason": "complete", "gameInfo": {}})
    assert r.status_code == 404
    assert r.json() == NOT_FOUND
    session.refresh_from_db()
    assert session.end_reason == BotSession.EXPIRED
    assert session.final_info is None


def test_the_ttl_is_configurable(api, api_key, settings):
    settings.AVALON_SESSION_TTL = 60
    session = _session(api)
    _idle(session, 59)
    body = {"sessionID": session.public_id, "gameInfo": REAL_INFO}
    assert post(api, "session/act", body).status_code == 200
    _idle(session, 61)
    r = post(api, "session/act", body)
    assert r.status_code == 404
    assert r.json() == NOT_FOUND


def test_a_new_session_ends_idle_ones(api, api_key):
    idle, fresh = _session(api), _session(api)
    _idle(idle, DAY + 1)
    _session(api)
    idle.refresh_from_db()
    fresh.refresh_from_db()
    assert (idle.status, idle.end_reason) == (BotSession.Status.ENDED, BotSession.EXPIRED)
    assert fresh.status == BotSession.Status.ACTIVE


def test_avalon_expire_ends_idle_active_sessions_only(api, api_key, capsys):
    idle, fresh, finished = _session(api), _session(api), _session(api)
    r = post(api, "session/gameover", {"sessionID": finished.public_id, "gameInfo": {}})
    assert r.status_code == 200
    for session in (idle, finished):
        _idle(session, DAY + 1)
    call_command("avalon_expire")
    assert capsys.readouterr().out.strip() == "sessions expired=1"
    rows = {s.pk: s for s in BotSession.objects.all()}
    assert (rows[idle.pk].status, rows[idle.pk].end_reason) == ("ended", "expired")
    assert (rows[fresh.pk].status, rows[fresh.pk].end_reason) == ("active", "")
    assert (rows[finished.pk].status, rows[finished.pk].end_reason) == ("ended", "gameover")
    # A session that ended normally still answers its end call harmlessly.
    r = post(api, "session/gameover", {"sessionID": finished.public_id, "gameInfo": {}})
    assert r.status_code == 200
