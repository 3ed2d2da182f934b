"""The ProAvalon bot API: info, session, act, delete/gameover, with both shapes."""

import copy
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avalonbot import services
from avalonbot.engine import rules
from avalonbot.engine.game import Game
from avalonbot.engine.proavalon import DOC, game_info, session_body
from avalonbot.models import ApiKey, BotSession, Decision
from tests.avalonbot.helpers import play_through_api

pytestmark = pytest.mark.django_db

REAL_BODY = {
    "numPlayers": 5,
    "roles": ["Spy", "Resistance", "Resistance"],
    "cards": [],
    "teamLeader": 2,
    "players": ["P0", "P4", "P3", "P2", "P1"],
    "name": "P2",
    "role": "Resistance",
}
DOC_BODY = {
    "numPlayers": 6,
    "roles": ["percival", "morgana"],
    "ladyOfTheLake": False,
    "teamLeader": 2,
    "players": [
        "ExamplePlayer1",
        "CoolPlayer",
        "AwesomeDude212",
        "DeepRole#23432",
        "CoolPerson",
        "Detry322",
    ],
    "name": "DeepRole#23432",
    "role": "merlin",
    "see": {"spies": ["CoolPlayer", "CoolPerson"], "merlins": []},
}
# The real 5-player gameInfo during a team vote (proavalon-gameinfo.md).
REAL_INFO = {
    "alliance": "Resistance",
    "role": "Resistance",
    "username": "P2",
    "buttons": {
        "green": {"hidden": False, "disabled": False, "setText": "Approve"},
        "red": {"hidden": False, "disabled": False, "setText": "Reject"},
    },
    "statusMessage": "P3 has picked: P2, P4.",
    "missionNum": 1,
    "missionHistory": [],
    "numFailsHistory": [],
    "pickNum": 1,
    "teamLeader": 3,
    "teamLeaderReversed": 2,
    "hammer": 4,
    "hammerReversed": 1,
    "playersYetToVote": ["P0", "P1", "P2", "P3", "P4"],
    "phase": "votingTeam",
    "proposedTeam": ["P2", "P4"],
    "numPlayersOnMission": ["2", "3", "2", "3", "3"],
    "numSelectTargets": None,
    "votes": [],
    "voteHistory": {
        "P0": [[""]],
        "P1": [[""]],
        "P2": [["VHpicked "]],
        "P3": [["VHleader "]],
        "P4": [["VHpicked "]],
    },
    "winner": "",
    "playerUsernamesOrdered": ["P0", "P1", "P2", "P3", "P4"],
    "playerUsernamesOrderedReversed": ["P0", "P4", "P3", "P2", "P1"],
    "spectator": False,
    "gamePlayersInRoom": ["P0", "P1", "P2", "P3", "P4"],
    "roomId": 2916,
    "toShowGuns": True,
    "publicData": {"roles": {}, "cards": {}},
    "roles": ["Merlin", "Spy", "Resistance", "Assassin", "Resistance"],
    "cards": [],
}


def post(api, path, body, key="test-key-1", **extra):
    headers = {} if key is None else {"HTTP_AUTHORIZATION": key}
    return api.post(f"/avalon/v0/{path}", body, format="json", **headers, **extra)


def test_info_claims_what_the_bot_plays_in_both_forms(api):
    r = api.get("/avalon/v0/info")
    assert r.status_code == 200
    body = r.json()
    assert body["chat"] is False and body["name"]
    (cap,) = body["capabilities"]
    assert cap["numPlayers"] == [5, 6, 7, 8, 9, 10]
    assert cap["ladyOfTheLake"] is True and cap["cards"] == ["Lady of the Lake"]
    for role in (
        "percival",
        "morgana",
        "mordred",
        "oberon",
        "Percival",
        "Morgana",
        "Mordred",
        "Oberon",
    ):
        assert role in cap["roles"]


def test_session_real_and_document_shapes_are_200_with_session_id(api, api_key):
    for body in (REAL_BODY, DOC_BODY):
        r = post(api, "session", body)
        assert r.status_code == 200, r.content
        sid = r.json()["sessionID"]
        assert list(r.json()) == ["sessionID"]
        session = BotSession.objects.get(public_id=sid)
        assert session.body == body
    doc = BotSession.objects.get(bot_name="DeepRole#23432")
    assert doc.role == "merlin" and doc.setup["spies"] == [1, 4] and doc.num_players == 6
    real = BotSession.objects.get(bot_name="P2")
    assert real.role == "servant"


@pytest.mark.parametrize("header", [None, "", "wrong", "Bearer wrong", "test-key-1x", "x" * 300])
def test_session_with_missing_or_wrong_key_is_401(api, api_key, header):
    r = post(api, "session", REAL_BODY, key=header)
    assert r.status_code == 401
    assert r.json() == {"error": "UNAUTHORIZED", "message": "Missing or wrong Authorization header"}
    assert not BotSession.objects.exists()


def test_bearer_form_second_configured_key_and_admin_key_are_accepted(api, api_key):
    assert post(api, "session", REAL_BODY, key="Bearer test-key-1").status_code == 200
    assert post(api, "session", REAL_BODY, key="test-key-2").status_code == 200
    row, key = services.api_key_create(name="proavalon.com")
    assert row.key_digest == services.digest(key) and key not in str(row.__dict__)
    r = post(api, "session", REAL_BODY, key=key)
    assert r.status_code == 200
    assert BotSession.objects.get(public_id=r.json()["sessionID"]).api_key == row
    ApiKey.objects.filter(pk=row.pk).update(is_active=False)
    assert post(api, "session", REAL_BODY, key=key).status_code == 401


def test_no_configured_key_means_every_call_is_401(api, settings):
    settings.AVALON_API_KEY = []
    assert post(api, "session", REAL_BODY, key="anything").status_code == 401


def _with(body, **changes):
    out = copy.deepcopy(body)
    for key, value in changes.items():
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (_with(REAL_BODY, numPlayers=4), "numPlayers"),
        (_with(REAL_BODY, numPlayers=11), "numPlayers"),
        (_with(REAL_BODY, numPlayers=6), "players must list numPlayers names"),
        (_with(REAL_BODY, players=["P0", "P4", "P3", "P2", "P2"]), "distinct"),
        (_with(REAL_BODY, role="Lancelot"), "unknown role"),
        (_with(REAL_BODY, roles=["Spy", "Lancelot", "Resistance"]), "unknown role"),
        (_with(REAL_BODY, name="Nobody"), "name must be one of players"),
        (_with(REAL_BODY, teamLeader=5), "teamLeader"),
        (_with(REAL_BODY, teamLeader=-1), "teamLeader"),
        (_with(REAL_BODY, teamLeader="two"), "teamLeader"),
        (_with(REAL_BODY, cards=["Ref of the Rain"]), "cards"),
        (_with(REAL_BODY, roles=["Morgana", "Mordred", "Resistance"]), "too many evil roles"),
        (_with(REAL_BODY, players=...), "players is required"),
        (_with(DOC_BODY, see={"spies": ["Ghost"]}), "not a player"),
        (_with(DOC_BODY, ladyOfTheLake="yes"), "ladyOfTheLake"),
    ],
)
def test_session_outside_capabilities_or_inconsistent_is_400(api, api_key, body, fragment):
    r = post(api, "session", body)
    assert r.status_code == 400
    assert r.json()["error"] == "UNSUPPORTED_GAME"
    assert fragment in r.json()["message"]
    assert not BotSession.objects.exists()


def test_session_body_not_an_object_or_malformed_json_is_400(api, api_key):
    assert post(api, "session", [1, 2]).status_code == 400
    r = api.post(
        "/avalon/v0/session",
        data="{bad",
        content_type="application/json",
        HTTP_AUTHORIZATION="test-key-1",
    )
    assert r.status_code == 400 and r.json()["error"] == "BAD_REQUEST"


def _session(api, body=REAL_BODY):
    r = post(api, "session", body)
    assert r.status_code == 200
    return r.json()["sessionID"]


def test_act_on_the_real_vote_example_answers_and_stores_the_decision(api, api_key):
    sid = _session(api)
    r = post(api, "session/act", {"sessionID": sid, "gameInfo": REAL_INFO})
    assert r.status_code == 200
    assert r.json()["buttonPressed"] in ("yes", "no") and "selectedPlayers" not in r.json()
    decision = Decision.objects.get(session__public_id=sid)
    assert decision.phase == "vote" and decision.answer == r.json() and decision.beliefs
    assert decision.beliefs[0]["p"] > 0 and "merlin" in decision.beliefs[0]


def test_act_unknown_session_is_404(api, api_key):
    r = post(api, "session/act", {"sessionID": "nope", "gameInfo": REAL_INFO})
    assert r.status_code == 404
    assert r.json() == {"error": "SESSION_NOT_FOUND", "message": "No session with this sessionID"}


def test_act_with_wrong_key_is_401(api, api_key):
    sid = _session(api)
    r = post(api, "session/act", {"sessionID": sid, "gameInfo": REAL_INFO}, key="bad")
    assert r.status_code == 401


@pytest.mark.parametrize(
    "info",
    [
        "not an object",
        {},
        _with(REAL_INFO, phase="dancing"),
        _with(REAL_INFO, missionNum=9),
        _with(REAL_INFO, proposedTeam=["Ghost"]),
        _with(REAL_INFO, voteHistory={"P0": "x"}),
        _with(REAL_INFO, voteHistory={"Ghost": [[""]]}),
        _with(REAL_INFO, numPlayersOnMission=["2"]),
        _with(REAL_INFO, missionHistory=["maybe"]),
        _with(REAL_INFO, playerUsernamesOrdered=["A", "B", "C", "D", "E"]),
        _with(REAL_INFO, phase="finished"),
        _with(REAL_INFO, teamLeader=[1]),
    ],
)
def test_act_with_malformed_game_info_is_400_json(api, api_key, info):
    sid = _session(api)
    r = post(api, "session/act", {"sessionID": sid, "gameInfo": info})
    assert r.status_code == 400
    assert r.json()["error"] in ("BAD_GAME_INFO", "BAD_REQUEST") and r.json()["message"]
    assert not Decision.objects.exists()


def test_act_missing_fields_is_400(api, api_key):
    assert post(api, "session/act", {"gameInfo": REAL_INFO}).status_code == 400
    sid = _session(api)
    assert post(api, "session/act", {"sessionID": sid}).status_code == 400


def _pick_info(n=7, seed=3, shape_seat=None):
    game = Game(rules.deal(n, ["percival", "morgana"], random.Random(seed)), first_leader=0)
    names = [f"P{i}" for i in range(n)]
    return game, names


def test_changing_game_info_roles_changes_no_decision(api, api_key):
    """The bot never reads gameInfo.roles (every seat's true role)."""
    rng = random.Random(5)
    for n in (5, 7, 10):
        game = Game(rules.deal(n, ["percival", "morgana", "mordred"][: 2 if n < 7 else 3], rng))
        names = [f"P{i}" for i in range(n)]
        for seat in range(n):
            body = session_body(game, seat, names)
            sid = _session(api, body)
            info = game_info(game, seat, names)
            first = post(api, "session/act", {"sessionID": sid, "gameInfo": info}).json()
            for trial in range(3):
                lied = copy.deepcopy(info)
                lied["roles"] = [
                    rng.choice(["Merlin", "Spy", "Resistance", "Assassin"]) for _ in range(n)
                ]
                if trial == 2:
                    lied.pop("roles")
                again = post(api, "session/act", {"sessionID": sid, "gameInfo": lied})
                assert again.status_code == 200 and again.json() == first


@pytest.mark.parametrize("end_path", ["delete", "gameover"])
def test_both_end_calls_record_the_result_release_the_session_and_repeat_harmlessly(
    api, api_key, end_path
):
    _record, _seats = play_through_api(api, "test-key-1", 5, [], False, 11, end_path=end_path)
    sessions = BotSession.objects.all()
    assert sessions.count() == 5
    for session in sessions:
        assert session.status == "ended" and session.winner in ("Resistance", "Spy")
        assert session.bot_won == ((session.winner == "Spy") == rules.is_evil(session.role))
        assert session.end_reason == ("complete" if end_path == "delete" else "gameover")
        again = post(api, f"session/{end_path}", {"sessionID": session.public_id, "gameInfo": {}})
        assert again.status_code == 200
        act = post(api, "session/act", {"sessionID": session.public_id, "gameInfo": REAL_INFO})
        assert act.status_code == 404
    assert post(api, f"session/{end_path}", {"sessionID": "unknown"}).status_code == 404
    assert post(api, f"session/{end_path}", {"sessionID": "x"}, key="bad").status_code == 401


@pytest.mark.parametrize("n", [5, 6, 7, 8, 9, 10])
def test_client_sending_real_shapes_plays_complete_games_at_every_player_count(api, api_key, n):
    specials = {
        5: [],
        6: ["percival", "morgana"],
        7: ["percival", "morgana", "oberon"],
        8: ["mordred", "oberon"],
        9: ["percival", "mordred"],
        10: list(rules.SPECIAL_ROLES),
    }[n]
    record, _seats = play_through_api(api, "test-key-1", n, specials, n % 2 == 0, 100 + n)
    assert record.winner in ("good", "evil")
    assert Decision.objects.count() == record.decisions
    assert BotSession.objects.filter(status="ended").count() == n


@pytest.mark.parametrize("n", [5, 6, 7, 8, 9, 10])
def test_client_sending_document_shapes_plays_complete_games(api, api_key, n):
    from avalonbot import arena
    from tests.avalonbot.helpers import ClientSeats

    mix = [["percival", "morgana"], ["mordred"], ["oberon", "percival"]][n % 3]
    deal = arena.make_deal(7 + n, n, mix, n % 2 == 1)

    class DocSeats(ClientSeats):
        def start(self, seat, body):
            game = Game(list(deal.roles), first_leader=deal.first_leader, lady_enabled=deal.lady)
            doc = session_body(game, seat, [f"P{i}" for i in range(n)], DOC)
            assert "ladyOfTheLake" in doc and "cards" not in doc
            r = self.post("session", doc)
            assert r.status_code == 200
            self.sessions[seat] = r.json()["sessionID"]

    record = arena.play(
        deal, "bot", "bot", remote=lambda: DocSeats(api, "test-key-1", end_path="delete")
    )
    assert record.winner in ("good", "evil")
    assert BotSession.objects.filter(status="ended").count() == n


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 12) | st.text(max_size=6),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=8,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(key=st.sampled_from(sorted(REAL_INFO)), value=_json)
def test_act_never_answers_500_to_a_corrupted_game_info(api, api_key, key, value):
    sid = _session(api)
    info = copy.deepcopy(REAL_INFO)
    info[key] = value
    r = post(api, "session/act", {"sessionID": sid, "gameInfo": info})
    assert r.status_code in (200, 400), r.content
    if r.status_code == 200:
        assert r.json()["buttonPressed"] in ("yes", "no")
    else:
        assert r.json()["error"] == "BAD_GAME_INFO"


def test_assassination_with_every_player_prohibited_is_400_not_500(api, api_key):
    body = _with(REAL_BODY, role="Assassin", see={"spies": ["P1"]})
    sid = _session(api, body)
    info = _with(
        REAL_INFO,
        phase="assassination",
        numSelectTargets=1,
        prohibitedIndexesToPicks=[0, 1, 2, 3, 4],
        missionHistory=["succeeded"] * 3,
        numFailsHistory=[0, 0, 0],
        winner="Resistance",
    )
    r = post(api, "session/act", {"sessionID": sid, "gameInfo": info})
    assert r.status_code == 400 and r.json()["error"] == "BAD_GAME_INFO"
    info["prohibitedIndexesToPicks"] = [1, 3]
    r = post(api, "session/act", {"sessionID": sid, "gameInfo": info})
    assert r.status_code == 200 and r.json()["selectedPlayers"][0] in ("P0", "P2", "P4")
