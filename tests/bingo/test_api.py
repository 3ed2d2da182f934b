"""ProofPlay's REST API under /bingo/: documented bodies, errors, limits and side effects."""

from __future__ import annotations

import hashlib

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import ApiSession, User
from accounts.tokens import digest
from bingo import fairness
from bingo.models import AuditEntry, Card, Draw, Game, Player
from tests.bingo.conftest import ADMIN_EMAIL, join, session_client
from tests.conftest import session_cookie_for

pytestmark = pytest.mark.django_db

LOCKOUT = "Too many failed attempts. Try again in 15 minutes."


def new_session(client: APIClient, email: str = "player@example.com", device: str = "dev-1"):  # type: ignore[no-untyped-def]
    return client.post(
        "/bingo/auth/session", {"email": email, "device_key_hash": device}, format="json"
    )


def drawn_square(card: Card, numbers: set[int]) -> tuple[int, int] | None:
    for r in range(5):
        for c in range(5):
            if card.numbers[r][c] in numbers and not card.marked[r][c]:
                return r, c
    return None


# --- Sessions -------------------------------------------------------------------------------


def test_session_for_an_unknown_email_is_a_player_session(api):
    r = new_session(api)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"session_id", "role", "email"}
    assert body["role"] == "player" and body["email"] == "player@example.com"
    assert len(body["session_id"]) == 64
    session = ApiSession.objects.get(key_digest=digest(body["session_id"]))  # hashed at rest
    assert body["session_id"] not in session.key_digest
    player = Player.objects.get(user=session.user)
    assert player.email == "player@example.com"
    assert player.device_digest == hashlib.sha256(b"dev-1").hexdigest()


def test_naming_an_admin_email_without_signing_in_is_not_admin_nor_that_account(api, admin_user):
    r = new_session(api, email=ADMIN_EMAIL)
    assert r.status_code == 200
    assert r.json()["role"] == "player"
    session = ApiSession.objects.get(key_digest=digest(r.json()["session_id"]))
    assert session.user != admin_user  # no account takeover by naming an email
    assert Player.objects.filter(user=session.user, email=ADMIN_EMAIL).exists()
    client = APIClient()
    client.credentials(HTTP_X_SESSION_ID=r.json()["session_id"])
    created = client.post("/bingo/games", {"name": "x"}, format="json")
    assert created.status_code == 403
    assert created.json() == {"detail": "Admin access required"}


def test_signed_in_admin_gets_an_admin_session(api, admin_user):
    api.cookies["sessionid"] = session_cookie_for(admin_user)
    r = new_session(api, email=ADMIN_EMAIL.upper())
    assert r.status_code == 200
    assert r.json()["role"] == "admin"
    session = ApiSession.objects.get(key_digest=digest(r.json()["session_id"]))
    assert session.user == admin_user


def test_bearer_authenticated_admin_gets_an_admin_session(bearer_client, admin_user):
    r = new_session(bearer_client(admin_user), email=ADMIN_EMAIL)
    assert r.json()["role"] == "admin"


def test_signed_in_user_not_in_the_admin_list_is_a_player(bearer_client, user_factory):
    someone = user_factory(email="someone@example.com")
    r = new_session(bearer_client(someone), email="someone@example.com")
    assert r.json()["role"] == "player"
    assert ApiSession.objects.get(key_digest=digest(r.json()["session_id"])).user == someone


def test_signed_in_as_someone_else_naming_the_admin_email_is_a_guest(
    bearer_client, user_factory, admin_user
):
    other = user_factory(email="other@example.com")
    r = new_session(bearer_client(other), email=ADMIN_EMAIL)
    assert r.json()["role"] == "player"
    user = ApiSession.objects.get(key_digest=digest(r.json()["session_id"])).user
    assert user not in (other, admin_user)


def test_same_email_and_device_is_the_same_player(api):
    a = new_session(api).json()["session_id"]
    b = new_session(api).json()["session_id"]
    c = new_session(api, device="dev-2").json()["session_id"]
    user = lambda t: ApiSession.objects.get(key_digest=digest(t)).user_id  # noqa: E731
    assert a != b
    assert user(a) == user(b) != user(c)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "email"),
        ({"email": "not-an-email", "device_key_hash": "d"}, "email"),
        ({"email": "a@example.com"}, "device_key_hash"),
        ({"email": "a@example.com", "device_key_hash": ""}, "device_key_hash"),
        ({"email": "a@example.com", "device_key_hash": "d" * 257}, "device_key_hash"),
        ({"email": "a" * 250 + "@example.com", "device_key_hash": "d"}, "email"),
        ({"email": ["a@example.com"], "device_key_hash": "d"}, "email"),
        ({"email": "a@example.com", "device_key_hash": {"x": 1}}, "device_key_hash"),
    ],
)
def test_bad_session_bodies_are_400(api, body, fragment):
    r = api.post("/bingo/auth/session", body, format="json")
    assert r.status_code == 400
    assert set(r.json()) == {"detail"}
    assert fragment in r.json()["detail"]
    assert not ApiSession.objects.exists()


def test_device_key_hash_at_its_limit_is_accepted(api):
    assert new_session(api, device="d" * 256).status_code == 200


def test_malformed_json_is_400_detail(api):
    r = api.generic("POST", "/bingo/auth/session", "{nope", content_type="application/json")
    assert r.status_code == 400
    assert set(r.json()) == {"detail"}


def test_oversized_body_is_413(api):
    big = '{"email": "a@example.com", "device_key_hash": "' + "x" * (1024 * 1024) + '"}'
    r = api.generic("POST", "/bingo/auth/session", big, content_type="application/json")
    assert r.status_code == 413
    assert set(r.json()) == {"detail"}


def test_session_is_accepted_as_bearer_too(player_factory, game):
    p = player_factory()
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {p.session_id}")
    assert join(bearer, game).status_code == 200
    assert p.get(f"/bingo/games/{game.public_id}/card").status_code == 200


def test_an_invalid_session_id_is_401(api, game):
    api.credentials(HTTP_X_SESSION_ID="0" * 64)
    r = join(api, game)
    assert r.status_code == 401
    assert r.json() == {"detail": "Invalid or expired session"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/bingo/games"),
        ("post", "/bingo/games/{id}/join"),
        ("get", "/bingo/games/{id}/card"),
        ("post", "/bingo/games/{id}/mark"),
        ("post", "/bingo/games/{id}/draw"),
        ("post", "/bingo/games/{id}/end"),
    ],
)
def test_no_session_is_401_session_required(api, game, method, path):
    r = getattr(api, method)(path.format(id=game.public_id), {}, format="json")
    assert r.status_code == 401
    assert r.json() == {"detail": "Session required"}


# --- Games ----------------------------------------------------------------------------------


def test_admin_creates_a_game(admin_client, admin_user):
    r = admin_client.post("/bingo/games", {"name": "Friday Night Bingo"}, format="json")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"game_id", "pin", "name", "status"}
    assert len(body["game_id"]) == 8 and int(body["game_id"], 16) >= 0
    assert len(body["pin"]) == 4 and body["pin"].isdigit()
    assert body["name"] == "Friday Night Bingo" and body["status"] == "waiting"
    game = Game.objects.get(public_id=body["game_id"])
    assert game.creator == admin_user
    assert game.commitment == hashlib.sha256(bytes.fromhex(game.secret)).hexdigest()
    entry = game.audit_entries.get()
    assert (
        entry.kind == "create" and game.commitment in entry.body and game.secret not in entry.body
    )


def test_player_cannot_create_a_game(player_factory):
    r = player_factory().post("/bingo/games", {"name": "x"}, format="json")
    assert r.status_code == 403
    assert r.json() == {"detail": "Admin access required"}
    assert not Game.objects.exists()


@pytest.mark.parametrize(
    "body", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 101}, {"name": ["x"]}]
)
def test_bad_game_names_are_400(admin_client, body):
    r = admin_client.post("/bingo/games", body, format="json")
    assert r.status_code == 400
    assert r.json()["detail"].startswith("name:")
    assert not Game.objects.exists()


def test_name_at_its_limit_is_accepted(admin_client):
    assert admin_client.post("/bingo/games", {"name": "x" * 100}, format="json").status_code == 200


def test_pins_are_unique_among_live_games(game_factory, monkeypatch):
    from bingo import services

    first = game_factory()
    pins = iter([first.pin, first.pin, "1234"])
    monkeypatch.setattr(services, "_new_pin", lambda: next(pins))
    second = game_factory()
    assert second.pin == "1234"
    first.status = Game.Status.FINISHED
    first.save()
    pins2 = iter(["1234", first.pin])
    monkeypatch.setattr(services, "_new_pin", lambda: next(pins2))
    assert game_factory().pin == first.pin  # a finished game's PIN may be reused


def test_public_state_has_no_seeds(api, admin_client, game, player_factory):
    join(player_factory(), game)
    admin_client.post(f"/bingo/games/{game.public_id}/draw")
    r = api.get(f"/bingo/games/{game.public_id}")
    assert r.status_code == 200
    body = r.json()
    assert body["game"] == {
        "id": game.public_id,
        "name": "Friday Night Bingo",
        "status": "active",
        "created_at": game.created_at.isoformat(),
    }
    draw = Draw.objects.get(game=game)
    assert body["draws"] == [
        {"sequence": 1, "number": draw.number, "drawn_at": draw.drawn_at.isoformat()}
    ]
    assert body["player_count"] == 1
    assert draw.seed not in r.content.decode() and game.secret not in r.content.decode()


def test_unknown_game_is_404(api):
    for path in ("/bingo/games/deadbeef", "/bingo/games/deadbeef/verify", "/bingo/games/x" * 3):
        r = api.get(path)
        assert r.status_code == 404
        assert set(r.json()) == {"detail"}


# --- Join and cards -------------------------------------------------------------------------


def test_join_deals_a_valid_card_and_joining_again_returns_it(player_factory, game):
    p = player_factory()
    r = join(p, game)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"status", "card_id", "numbers", "marked", "game_name"}
    assert body["status"] == "joined" and body["game_name"] == "Friday Night Bingo"
    assert fairness.valid_card(body["numbers"])
    assert body["marked"] == fairness.initial_marks()
    again = join(p, game)
    assert again.json() == body
    assert game.cards.count() == 1
    card = p.get(f"/bingo/games/{game.public_id}/card")
    assert card.status_code == 200
    assert card.json() == {
        "card_id": body["card_id"],
        "numbers": body["numbers"],
        "marked": body["marked"],
        "game_id": game.public_id,
    }


def test_every_player_gets_a_different_card(player_factory, game):
    layouts = {str(join(player_factory(), game).json()["numbers"]) for _ in range(12)}
    assert len(layouts) == 12
    assert list(game.cards.values_list("join_index", flat=True)) == list(range(1, 13))


def test_join_with_wrong_pin_is_400(player_factory, game):
    wrong = "0000" if game.pin != "0000" else "1111"
    r = join(player_factory(), game, pin=wrong)
    assert r.status_code == 400
    assert r.json() == {"detail": "Incorrect PIN"}
    assert not game.cards.exists()


def test_join_unknown_game_is_400(player_factory):
    r = player_factory().post("/bingo/games/deadbeef/join", {"pin": "1234"}, format="json")
    assert r.status_code == 400
    assert r.json() == {"detail": "Invalid game ID or PIN"}


@pytest.mark.parametrize("body", [{}, {"pin": None}, {"pin": ["1"]}, {"pin": "1" * 17}])
def test_bad_join_bodies_are_400(player_factory, game, body):
    r = player_factory().post(f"/bingo/games/{game.public_id}/join", body, format="json")
    assert r.status_code == 400
    assert r.json()["detail"].startswith("pin:")


def test_client_seed_is_recorded_and_limited(player_factory, game):
    r = join(player_factory(), game, client_seed="s" * 129)
    assert r.status_code == 400
    assert r.json()["detail"].startswith("client_seed:")
    assert join(player_factory(), game, client_seed="s" * 128).status_code == 200
    assert game.cards.get().client_seed == "s" * 128


def test_card_without_joining_is_404(player_factory, game):
    r = player_factory().get(f"/bingo/games/{game.public_id}/card")
    assert r.status_code == 404
    assert r.json() == {"detail": "Card not found: join the game first"}


def test_join_finished_game_is_400_but_an_existing_card_is_returned(
    player_factory, admin_client, game
):
    p = player_factory()
    join(p, game)
    admin_client.post(f"/bingo/games/{game.public_id}/end")
    assert join(p, game).status_code == 200
    r = join(player_factory(), game)
    assert r.status_code == 400
    assert r.json() == {"detail": "Game has finished"}


# --- PIN lockout ----------------------------------------------------------------------------


def wrong_pin(game: Game) -> str:
    return "0000" if game.pin != "0000" else "1111"


def test_five_wrong_pins_lock_the_session_for_15_minutes(player_factory, game):
    p = player_factory()
    for _ in range(5):
        assert join(p, game, pin=wrong_pin(game)).json() == {"detail": "Incorrect PIN"}
    r = join(p, game)  # even the right PIN
    assert r.status_code == 400
    assert r.json() == {"detail": LOCKOUT}
    assert not game.cards.exists()


def test_four_wrong_pins_do_not_lock(player_factory, game):
    p = player_factory()
    for _ in range(4):
        join(p, game, pin=wrong_pin(game))
    assert join(p, game).status_code == 200


def test_rotating_sessions_from_one_ip_does_not_help(player_factory, game):
    for _ in range(5):
        join(player_factory(), game, pin=wrong_pin(game))
    r = join(player_factory(), game)
    assert r.json() == {"detail": LOCKOUT}


def test_one_attacker_does_not_lock_out_players_elsewhere(player_factory, game):
    attacker = player_factory()
    for _ in range(6):
        attacker.post(
            f"/bingo/games/{game.public_id}/join",
            {"pin": wrong_pin(game)},
            format="json",
            REMOTE_ADDR="203.0.113.9",
        )
    other = player_factory()
    r = other.post(
        f"/bingo/games/{game.public_id}/join",
        {"pin": game.pin},
        format="json",
        REMOTE_ADDR="198.51.100.7",
    )
    assert r.status_code == 200


def test_lockout_is_per_game(player_factory, game_factory):
    a, b = game_factory(), game_factory()
    p = player_factory()
    for _ in range(5):
        join(p, a, pin=wrong_pin(a))
    assert join(p, b).status_code == 200


def test_lockout_minutes_count_down(player_factory, game, monkeypatch):
    import time as time_module

    from bingo import services

    p = player_factory()
    for _ in range(5):
        join(p, game, pin=wrong_pin(game))
    start = time_module.time()
    monkeypatch.setattr(services.time, "time", lambda: start + 14 * 60 + 1)
    assert join(p, game).json() == {"detail": "Too many failed attempts. Try again in 1 minutes."}
    monkeypatch.setattr(services.time, "time", lambda: start + 15 * 60 + 1)
    assert join(p, game).status_code == 200


def test_lockout_lives_in_the_cache(player_factory, game):
    p = player_factory()
    for _ in range(5):
        join(p, game, pin=wrong_pin(game))
    cache.clear()  # what a fresh cache would be; the DB cache survives restarts of the process
    assert join(p, game).status_code == 200


# --- Marks ----------------------------------------------------------------------------------


def test_mark_only_a_drawn_number(player_factory, admin_client, game):
    p = player_factory()
    join(p, game)
    card = Card.objects.get(game=game)
    admin_client.post(f"/bingo/games/{game.public_id}/draw")
    drawn = set(Draw.objects.filter(game=game).values_list("number", flat=True))
    r, c = next((r, c) for r in range(5) for c in range(5) if card.numbers[r][c] not in drawn | {0})
    resp = p.post(f"/bingo/games/{game.public_id}/mark", {"row": r, "col": c}, format="json")
    assert resp.status_code == 400
    assert resp.json() == {"detail": f"Number {card.numbers[r][c]} has not been drawn yet"}
    assert Card.objects.get(pk=card.pk).marked == fairness.initial_marks()


def test_marking_until_bingo_records_the_first_winner(player_factory, admin_client, game):
    p = player_factory()
    join(p, game)
    card = Card.objects.get(game=game)
    bingo = False
    marks = 0
    while not bingo:
        admin_client.post(f"/bingo/games/{game.public_id}/draw")
        drawn = set(Draw.objects.filter(game=game).values_list("number", flat=True))
        while (square := drawn_square(card, drawn)) is not None and not bingo:
            resp = p.post(
                f"/bingo/games/{game.public_id}/mark",
                {"row": square[0], "col": square[1]},
                format="json",
            )
            assert resp.status_code == 200
            body = resp.json()
            assert set(body) == {"marked", "bingo"}
            bingo = body["bingo"]
            card.refresh_from_db()
            marks += 1
    assert fairness.has_bingo(card.marked)
    game.refresh_from_db()
    assert game.winner == card and game.won_at is not None and card.bingo_at == game.won_at
    state = APIClient().get(f"/bingo/games/{game.public_id}").json()
    assert state["winner"]["card_id"] == card.card_id
    kinds = list(game.audit_entries.values_list("kind", flat=True))
    assert kinds.count("mark") == marks and kinds.count("bingo") == 1


def test_re_marking_is_idempotent(player_factory, admin_client, game):
    p = player_factory()
    join(p, game)
    card = Card.objects.get(game=game)
    for _ in range(75):
        admin_client.post(f"/bingo/games/{game.public_id}/draw")
        drawn = set(Draw.objects.filter(game=game).values_list("number", flat=True))
        if drawn_square(card, drawn):
            break
    r, c = drawn_square(card, drawn)
    first = p.post(f"/bingo/games/{game.public_id}/mark", {"row": r, "col": c}, format="json")
    entries = AuditEntry.objects.count()
    again = p.post(f"/bingo/games/{game.public_id}/mark", {"row": r, "col": c}, format="json")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert AuditEntry.objects.count() == entries
    centre = p.post(f"/bingo/games/{game.public_id}/mark", {"row": 2, "col": 2}, format="json")
    assert centre.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"row": 0},
        {"row": -1, "col": 0},
        {"row": 5, "col": 0},
        {"row": 0, "col": 5},
        {"row": "a", "col": 0},
        {"row": True, "col": 0},
        {"row": 1.5, "col": 0},
    ],
)
def test_bad_marks_are_400(player_factory, game, body):
    p = player_factory()
    join(p, game)
    r = p.post(f"/bingo/games/{game.public_id}/mark", body, format="json")
    assert r.status_code == 400
    assert set(r.json()) == {"detail"}


def test_mark_without_a_card_is_404(player_factory, game):
    r = player_factory().post(
        f"/bingo/games/{game.public_id}/mark", {"row": 0, "col": 0}, format="json"
    )
    assert r.status_code == 404


# --- Draws ----------------------------------------------------------------------------------


def test_draw_answers_the_documented_fields_and_stores_the_token_first(admin_client, game):
    r = admin_client.post(f"/bingo/games/{game.public_id}/draw")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"number", "sequence", "seed_hash", "anchor_id", "drawn_at"}
    draw = Draw.objects.get(game=game)
    assert body["number"] == draw.number and body["sequence"] == 1
    assert body["seed_hash"] == hashlib.sha256(bytes.fromhex(draw.seed)).hexdigest()
    assert body["anchor_id"].startswith("tsa_lobby_local_")
    assert body["anchor_id"].endswith("_" + body["seed_hash"][:8])
    assert bytes(draw.token) and draw.authority == "lobby.local"
    game.refresh_from_db()
    assert game.status == "active" and game.started_at is not None


def test_only_the_creator_draws(game, player_factory, user_factory, settings):
    other_admin = user_factory(email="other-admin@example.com")
    settings.BINGO_ADMIN_EMAILS = [ADMIN_EMAIL, "other-admin@example.com"]
    for client in (player_factory(), session_client(other_admin)):
        r = client.post(f"/bingo/games/{game.public_id}/draw")
        assert r.status_code == 400
        assert r.json() == {"detail": "Not authorized or all numbers drawn"}
    assert not Draw.objects.exists()


def test_75_draws_are_a_permutation_then_the_game_finishes(admin_client, game):
    numbers = [
        admin_client.post(f"/bingo/games/{game.public_id}/draw").json()["number"] for _ in range(75)
    ]
    assert sorted(numbers) == list(range(1, 76))
    r = admin_client.post(f"/bingo/games/{game.public_id}/draw")
    assert r.status_code == 400
    assert r.json() == {"detail": "Not authorized or all numbers drawn"}
    game.refresh_from_db()
    assert game.status == "finished" and game.finished_at is not None


def test_draw_on_unknown_game_is_404(admin_client):
    r = admin_client.post("/bingo/games/deadbeef/draw")
    assert r.status_code == 404
    assert r.json() == {"detail": "Game not found"}


def test_end_is_for_the_creator_and_reveals_the_secret(admin_client, player_factory, game, api):
    assert api.get(f"/bingo/games/{game.public_id}/verify").json()["secret"] is None
    r = player_factory().post(f"/bingo/games/{game.public_id}/end")
    assert r.status_code == 403
    assert r.json() == {"detail": "Only the game's creator can end it"}
    r = admin_client.post(f"/bingo/games/{game.public_id}/end")
    assert r.status_code == 200
    assert r.json()["game"]["status"] == "finished"
    assert admin_client.post(f"/bingo/games/{game.public_id}/end").status_code == 200  # idempotent
    assert game.audit_entries.filter(kind="end").count() == 1
    verify = api.get(f"/bingo/games/{game.public_id}/verify").json()
    assert verify["secret"] == Game.objects.get(pk=game.pk).secret
    assert hashlib.sha256(bytes.fromhex(verify["secret"])).hexdigest() == verify["commitment"]
    r = admin_client.post(f"/bingo/games/{game.public_id}/draw")
    assert r.json() == {"detail": "Not authorized or all numbers drawn"}


# --- Verify ---------------------------------------------------------------------------------


def test_verify_recomputes_every_draw(api, admin_client, player_factory, game):
    join(player_factory(), game, client_seed="lucky")
    join(player_factory(), game)
    for _ in range(10):
        admin_client.post(f"/bingo/games/{game.public_id}/draw")
    join(player_factory(), game, client_seed="late")  # after the first draw: not in entropy
    r = api.get(f"/bingo/games/{game.public_id}/verify")
    assert r.status_code == 200
    v = r.json()
    assert v["audit_chain_valid"] is True
    assert v["audit_entries_verified"] == "Chain verified: 14 entries"
    assert v["entropy"] == fairness.entropy(["lucky"]).hex()
    assert [s["client_seed"] for s in v["player_seeds"]] == ["lucky", "", "late"]
    assert v["secret"] is None
    secret = bytes.fromhex(Game.objects.get(pk=game.pk).secret)
    drawn: list[int] = []
    for d in v["draws"]:
        assert set(d) >= {
            "game_id",
            "sequence",
            "number",
            "seed_hash",
            "seed",
            "anchor_id",
            "drawn_at",
        }
        expected = fairness.draw(secret, bytes.fromhex(v["entropy"]), drawn)
        assert (d["seed"], d["seed_hash"], d["number"]) == (
            expected["seed"],
            expected["seed_hash"],
            expected["number"],
        )
        drawn.append(d["number"])


def test_verify_reports_a_tampered_chain(api, admin_client, game):
    admin_client.post(f"/bingo/games/{game.public_id}/draw")
    entry = game.audit_entries.get(seq=2)
    AuditEntry.objects.filter(pk=entry.pk).update(
        body=entry.body.replace('"number":', '"number":1')
    )
    v = api.get(f"/bingo/games/{game.public_id}/verify").json()
    assert v["audit_chain_valid"] is False
    assert v["audit_entries_verified"] == "Chain broken at entry 2 of 2"


# --- Health ---------------------------------------------------------------------------------


def test_health_and_ready(api, settings):
    assert api.get("/bingo/health").json() == {"status": "ok", "version": "2.0.0"}
    r = api.get("/bingo/ready")
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True and body["timestamp"]
    assert body["db_path"].endswith(str(settings.DATABASES["default"]["NAME"]))
    assert "@" not in body["db_path"]  # never credentials


def test_ready_is_503_when_the_database_is_down(api, monkeypatch):
    from bingo.api import views

    class Broken:
        def cursor(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("database is down")

    monkeypatch.setattr(views, "connection", Broken())
    r = api.get("/bingo/ready")
    assert r.status_code == 503
    assert r.json()["ok"] is False


def test_certificate_is_served(api):
    r = api.get("/bingo/tsa/certificate.pem")
    assert r.status_code == 200
    assert r.content.startswith(b"-----BEGIN CERTIFICATE-----")
    assert b"PRIVATE" not in r.content


def test_the_openapi_schema_lists_the_bingo_endpoints(api):
    r = api.get("/api/schema/?format=json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in (
        "/bingo/auth/session",
        "/bingo/games",
        "/bingo/games/{game_id}/join",
        "/bingo/games/{game_id}/draw",
        "/bingo/games/{game_id}/end",
        "/bingo/games/{game_id}/verify",
    ):
        assert path in paths


# --- Rate limits ----------------------------------------------------------------------------


@pytest.fixture
def documented_rates(settings):  # type: ignore[no-untyped-def]
    settings.BINGO_RATE_GET = "60/m"
    settings.BINGO_RATE_POST = "15/m"


def test_60_gets_per_minute_then_429(api, game, documented_rates):
    for _ in range(60):
        assert api.get(f"/bingo/games/{game.public_id}").status_code == 200
    r = api.get(f"/bingo/games/{game.public_id}/verify")
    assert r.status_code == 429
    assert r.json() == {"detail": "Rate limit exceeded"}
    assert 1 <= int(r["Retry-After"]) <= 60
    other = api.get(f"/bingo/games/{game.public_id}", REMOTE_ADDR="198.51.100.2")
    assert other.status_code == 200  # per IP


def test_15_posts_per_minute_then_429(api, documented_rates):
    for i in range(15):
        assert new_session(api, device=f"d{i}").status_code == 200
    r = new_session(api, device="d-last")
    assert r.status_code == 429
    assert r.json() == {"detail": "Rate limit exceeded"}
    assert int(r["Retry-After"]) >= 1
    assert ApiSession.objects.count() == 15


def test_client_set_x_forwarded_for_is_ignored(api, documented_rates):
    for i in range(15):
        api.post(
            "/bingo/auth/session",
            {"email": "a@example.com", "device_key_hash": f"d{i}"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        )
    r = api.post(
        "/bingo/auth/session",
        {"email": "a@example.com", "device_key_hash": "x"},
        format="json",
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    assert r.status_code == 429


def test_trusted_proxy_forwarded_for_is_used(api, documented_rates, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for i in range(15):
        new = api.post(
            "/bingo/auth/session",
            {"email": "a@example.com", "device_key_hash": f"d{i}"},
            format="json",
            HTTP_X_FORWARDED_FOR="10.0.0.1",
            REMOTE_ADDR="127.0.0.1",
        )
        assert new.status_code == 200
    r = api.post(
        "/bingo/auth/session",
        {"email": "a@example.com", "device_key_hash": "x"},
        format="json",
        HTTP_X_FORWARDED_FOR="10.0.0.2",
        REMOTE_ADDR="127.0.0.1",
    )
    assert r.status_code == 200


def test_guest_users_cannot_sign_in_with_a_password():
    from bingo import services

    result = services.session_create(
        email="g@example.com", device_key_hash="d", authenticated_user=None
    )
    user = User.objects.get(pk=result.session.user_id)
    assert not user.has_usable_password()
    assert user.role == "viewer"


def test_marks_after_the_75th_draw_still_count(player_factory, admin_client, game):
    p = player_factory()
    join(p, game)
    for _ in range(75):
        admin_client.post(f"/bingo/games/{game.public_id}/draw")
    r = p.post(f"/bingo/games/{game.public_id}/mark", {"row": 0, "col": 0}, format="json")
    assert r.status_code == 200
    assert r.json()["marked"][0][0] is True


def test_other_players_never_see_an_email(player_factory, game, api):
    join(player_factory(email="secret.person@example.com"), game)
    card = Card.objects.get(game=game)
    assert card.display_name == "secret.person (guest)"  # never passes for an account
    assert "example.com" not in api.get(f"/bingo/games/{game.public_id}").content.decode()


def test_cookie_authenticated_writes_need_the_csrf_token(admin_user):
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["sessionid"] = session_cookie_for(admin_user)
    r = client.post("/bingo/games", {"name": "x"}, format="json")
    assert r.status_code == 403
    assert set(r.json()) == {"detail"} and "CSRF" in r.json()["detail"]
    r = client.post(
        "/bingo/auth/session", {"email": ADMIN_EMAIL, "device_key_hash": "d"}, format="json"
    )
    assert r.status_code == 403  # a foreign page can't mint an admin session with the cookie
    assert not Game.objects.exists()


@pytest.mark.parametrize(("role", "may"), [("owner", True), ("admin", True), ("operator", False)])
def test_workspace_admins_and_owners_are_proofplay_admins(user_factory, role, may):
    user = user_factory(email=f"{role}@example.com", role=role)
    client = session_client(user)
    r = client.post("/bingo/games", {"name": "Friday"}, format="json")
    assert r.status_code == (200 if may else 403), r.content
    assert Game.objects.exists() is may
    r = client.post("/bingo/auth/session", {"email": user.email, "device_key_hash": "d"}, "json")
    assert r.json()["role"] == ("admin" if may else "player")


def test_a_former_member_is_no_longer_a_proofplay_admin(user_factory):
    user = user_factory(email="gone@example.com", role="admin", is_member=False)
    r = session_client(user).post("/bingo/games", {"name": "Friday"}, format="json")
    assert r.status_code == 403
