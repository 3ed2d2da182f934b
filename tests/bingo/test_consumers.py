"""`/bingo/ws/games/<id>`: state on connect, draws, player count, own marks, bingo, end."""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.services import api_session_create
from bingo import services
from bingo.models import Card, Draw
from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def own_loop(test):  # type: ignore[no-untyped-def]
    """Run an async test on a fresh loop in its own thread.

    A session-wide Playwright (sync API) leaves its event loop running in the main thread; a
    test run beside it this way does not care which browser tests ran before.
    """

    @functools.wraps(test)
    def run(*args, **kwargs):  # type: ignore[no-untyped-def]
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, test(*args, **kwargs)).result()

    return run


ORIGIN = (b"origin", b"http://testserver")


def token_for(user) -> str:  # type: ignore[no-untyped-def]
    return api_session_create(user=user, label="ws")[1]


async def connect(game_id: str, token: str | None = None) -> WebsocketCommunicator:
    path = f"/bingo/ws/games/{game_id}" + (f"?token={token}" if token else "")
    comm = WebsocketCommunicator(application, path, headers=[ORIGIN, (b"host", b"testserver")])
    connected, _ = await comm.connect(timeout=3)
    assert connected
    return comm


async def receive(comm: WebsocketCommunicator, kind: str) -> dict:
    """The next message of `kind` (others, e.g. player counts, may come first)."""
    for _ in range(200):
        message = await comm.receive_json_from(timeout=3)
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message")


@database_sync_to_async
def setup_game(admin_user, user_factory):  # type: ignore[no-untyped-def]
    game = services.game_create(name="Socket Bingo", creator=admin_user)
    player = user_factory(email="ws-player@example.com")
    services.card_join(game_id=game.public_id, user=player, pin=game.pin, who="t", ip="1.2.3.4")
    return game, player


@own_loop
async def test_state_on_connect_then_draws_and_players(admin_user, user_factory):
    game, _player = await setup_game(admin_user, user_factory)
    anonymous = await connect(game.public_id)
    state = await anonymous.receive_json_from(timeout=3)
    assert state["type"] == "state"
    assert state["game"]["id"] == game.public_id and state["player_count"] == 1
    assert state["card"] is None and state["is_creator"] is False
    assert "secret" not in str(state)

    caller = await connect(game.public_id, token_for(admin_user))
    assert (await caller.receive_json_from(timeout=3))["is_creator"] is True
    await caller.send_json_to({"type": "draw"})
    draw = await receive(anonymous, "draw")
    stored = await database_sync_to_async(Draw.objects.get)(game=game)
    assert draw == {
        "type": "draw",
        "sequence": 1,
        "number": stored.number,
        "seed_hash": stored.seed_hash,
        "anchor_id": stored.anchor_id,
        "drawn_at": stored.drawn_at.isoformat(),
    }
    assert (await receive(caller, "draw"))["number"] == stored.number

    newcomer = await database_sync_to_async(user_factory)(email="late@example.com")
    await database_sync_to_async(services.card_join)(
        game_id=game.public_id, user=newcomer, pin=game.pin, who="x", ip="5.6.7.8"
    )
    assert (await receive(anonymous, "players"))["player_count"] == 2
    for comm in (anonymous, caller):
        await comm.disconnect()


@own_loop
async def test_a_player_cannot_draw_and_errors_keep_the_socket_open(admin_user, user_factory):
    game, player = await setup_game(admin_user, user_factory)
    comm = await connect(game.public_id, token_for(player))
    state = await comm.receive_json_from(timeout=3)
    assert state["card"]["card_id"].startswith("card_")
    await comm.send_json_to({"type": "draw"})
    assert await comm.receive_json_from(timeout=3) == {
        "type": "error",
        "detail": "Not authorized or all numbers drawn",
    }
    await comm.send_json_to({"type": "mark", "row": 9, "col": 0})
    assert (await comm.receive_json_from(timeout=3))["detail"] == "row and col must be integers 0-4"
    await comm.send_to(text_data="{not json")
    assert (await comm.receive_json_from(timeout=3))["type"] == "error"
    await comm.send_json_to({"type": "nope"})
    assert (await comm.receive_json_from(timeout=3))["detail"] == "Unknown message type: nope"
    await comm.send_json_to({"type": "ping"})
    assert await comm.receive_json_from(timeout=3) == {"type": "pong"}
    await comm.disconnect()


@own_loop
async def test_anonymous_sockets_cannot_act(admin_user, user_factory):
    game, _ = await setup_game(admin_user, user_factory)
    comm = await connect(game.public_id)
    await comm.receive_json_from(timeout=3)
    await comm.send_json_to({"type": "mark", "row": 0, "col": 0})
    assert await comm.receive_json_from(timeout=3) == {
        "type": "error",
        "detail": "Session required",
    }
    await comm.disconnect()


@own_loop
async def test_marks_reach_the_players_other_tabs_and_bingo_reaches_everyone(
    admin_user, user_factory
):
    game, player = await setup_game(admin_user, user_factory)
    token = token_for(player)
    tab1 = await connect(game.public_id, token)
    tab2 = await connect(game.public_id, token)
    watcher = await connect(game.public_id)
    for comm in (tab1, tab2, watcher):
        await comm.receive_json_from(timeout=3)
    card = await database_sync_to_async(Card.objects.get)(game=game)
    # draw until a full row of the card is drawn, marking it from tab1
    row_numbers = {n for n in card.numbers[0]}
    bingo = False
    for _ in range(75):
        draw = await database_sync_to_async(services.draw_next)(
            game_id=game.public_id, by=admin_user
        )
        if draw.number in row_numbers:
            col = card.numbers[0].index(draw.number)
            await tab1.send_json_to({"type": "mark", "row": 0, "col": col})
            marked = await receive(tab1, "marked")
            other = await receive(tab2, "card")
            assert other["marked"] == marked["marked"]
            assert other["marked"][0][col] is True
            bingo = marked["bingo"]
            if bingo:
                break
    assert bingo
    win = await receive(watcher, "bingo")
    assert win["card_id"] == card.card_id and win["won_at"]
    for comm in (tab1, tab2, watcher):
        await comm.disconnect()


@own_loop
async def test_end_is_pushed_and_state_is_resent_on_reconnect(admin_user, user_factory):
    game, player = await setup_game(admin_user, user_factory)
    for _ in range(3):
        await database_sync_to_async(services.draw_next)(game_id=game.public_id, by=admin_user)
    caller = await connect(game.public_id, token_for(admin_user))
    await caller.receive_json_from(timeout=3)
    watcher = await connect(game.public_id, token_for(player))
    first = await watcher.receive_json_from(timeout=3)
    assert [d["sequence"] for d in first["draws"]] == [1, 2, 3]
    await watcher.disconnect()
    await caller.send_json_to({"type": "end"})
    assert (await receive(caller, "ended"))["status"] == "finished"
    again = await connect(game.public_id, token_for(player))
    state = await again.receive_json_from(timeout=3)
    assert state["game"]["status"] == "finished" and len(state["draws"]) == 3
    assert state["card"] is not None
    await again.send_json_to({"type": "state"})
    assert (await again.receive_json_from(timeout=3))["type"] == "state"
    for comm in (caller, again):
        await comm.disconnect()


@own_loop
async def test_unknown_game_is_refused():
    comm = WebsocketCommunicator(
        application, "/bingo/ws/games/deadbeef", headers=[ORIGIN, (b"host", b"testserver")]
    )
    connected, _ = await comm.connect(timeout=3)
    assert not connected


@own_loop
async def test_foreign_origin_is_refused(admin_user, user_factory):
    game, _ = await setup_game(admin_user, user_factory)
    comm = WebsocketCommunicator(
        application,
        f"/bingo/ws/games/{game.public_id}",
        headers=[(b"origin", b"http://evil.example"), (b"host", b"testserver")],
    )
    connected, _ = await comm.connect(timeout=3)
    assert not connected


@own_loop
async def test_message_flood_is_throttled(admin_user, user_factory):
    game, _ = await setup_game(admin_user, user_factory)
    comm = await connect(game.public_id)
    await comm.receive_json_from(timeout=3)
    for _ in range(20):
        await comm.send_json_to({"type": "ping"})
        assert (await comm.receive_json_from(timeout=3))["type"] == "pong"
    await comm.send_json_to({"type": "ping"})
    assert await comm.receive_json_from(timeout=3) == {
        "type": "error",
        "detail": "Too many messages",
    }
    await comm.disconnect()
