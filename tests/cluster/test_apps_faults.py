"""App-level faults on the real cluster, bounded in time.

`kill -9` of the Daphne that holds every socket of a live bingo game, watch party and terminal:
the clients reconnect through nginx, land on the other process and resume with everything that
was committed (draws, marks, chat, playback, the terminal's screen and key log). Redis down:
bingo's PIN attempt limit must fail closed; after Redis is back, live updates cross processes.
A reconnect storm (300 sockets at once onto one process) is served and cleaned up.
"""

from __future__ import annotations

import contextlib
import json
import time

import pytest
import redis
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bingo.events import game_group
from tests.cluster.conftest import cluster_shell
from tests.cluster.test_apps_cluster import (
    app_cluster,
    bingo_draw,
    bingo_join,
    bingo_player,
    output_until,
    party_across,
    party_create,
    recv_until,
    tmux_shell,
    wrong_pin,
    ws_open,
)

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def apps(tmp_path_factory):  # type: ignore[no-untyped-def]
    yield from app_cluster(tmp_path_factory)


def until(check, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except (requests.RequestException, OSError):
            result = None
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def assert_dropped(ws) -> None:  # type: ignore[no-untyped-def]
    """The socket of the killed process is gone: reading ends with ConnectionClosed."""
    with pytest.raises(ConnectionClosed):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ws.recv(timeout=deadline - time.monotonic())


def test_kill_9_mid_game_clients_resume_on_the_other_process(apps):
    cluster, info, tmux = apps
    a = cluster.servers[0].url
    game_id, pin = info["games"][0]
    token = info["operator"]

    # --- a live bingo game, a watch party and a terminal, every socket on process A
    player = bingo_player(a, "survivor")
    assert bingo_join(a, player, game_id, pin).status_code == 200
    bingo_ws = ws_open(a, f"/bingo/ws/games/{game_id}?token={player}")
    card = recv_until(bingo_ws, lambda m: m["type"] == "state")["card"]
    cells = {n: (r, c) for r, row in enumerate(card["numbers"]) for c, n in enumerate(row) if n}
    drawn: list[int] = []
    while not cells.keys() & set(drawn):  # draw until one of our numbers is out, then mark it
        drawn.append(bingo_draw(a, info["admin"], game_id)["number"])
    row, col = cells[next(n for n in drawn if n in cells)]
    bingo_ws.send(json.dumps({"type": "mark", "row": row, "col": col}))
    assert recv_until(bingo_ws, lambda m: m["type"] == "marked")["marked"][row][col] is True

    room = party_create(a)
    party_ws = ws_open(a, f"/watchparty/ws/{room['id']}?token={room['token']}")
    recv_until(party_ws, lambda m: m["type"] == "session_state")
    lines = [f"line {i} before the crash" for i in range(3)]
    for line in lines:
        party_ws.send(json.dumps({"type": "chat", "payload": {"message": line}}))
        recv_until(
            party_ws, lambda m, line=line: m["type"] == "chat" and m["payload"]["message"] == line
        )
    party_ws.send(
        json.dumps({"type": "playback_state", "payload": {"playing": True, "currentTime": 100}})
    )
    recv_until(party_ws, lambda m: m["type"] == "playback_state")

    tmux_shell(tmux, "survivor")
    term_ws = ws_open(a, f"/terminals/ws?token={token}")
    recv_until(term_ws, lambda m: m["type"] == "sessions")
    term_ws.send(json.dumps({"type": "subscribe", "sessionId": "survivor"}))
    output_until(term_ws, "$")
    keys = "echo before-kill-$((5*5))\r"
    term_ws.send(json.dumps({"type": "sendKeys", "sessionId": "survivor", "keys": keys}))
    output_until(term_ws, "before-kill-25")

    # --- kill -9 process A
    cluster.servers[0].kill()
    try:
        for ws in (bingo_ws, party_ws, term_ws):
            assert_dropped(ws)

        # --- everyone reconnects through nginx: the other process answers with the full state
        with ws_open(cluster.url, f"/bingo/ws/games/{game_id}?token={player}") as ws:
            state = recv_until(ws, lambda m: m["type"] == "state")
            assert [d["number"] for d in state["draws"]] == drawn
            assert state["card"]["card_id"] == card["card_id"]
            assert state["card"]["marked"][row][col] is True
            # and the game goes on: a draw now (through nginx) reaches the resumed socket
            number = bingo_draw(cluster.url, info["admin"], game_id)["number"]
            assert recv_until(ws, lambda m: m["type"] == "draw")["number"] == number

        with ws_open(cluster.url, f"/watchparty/ws/{room['id']}?token={room['token']}") as ws:
            state = recv_until(ws, lambda m: m["type"] == "session_state")["payload"]
            assert state["you"]["is_host"] is True
            assert [c["message"] for c in state["chat"]] == lines
            assert state["playback"]["playing"] is True
            assert state["playback"]["currentTime"] >= 100
            history = [recv_until(ws, lambda m: m["type"] == "chat") for _ in lines]
            assert [m["payload"]["message"] for m in history] == lines  # history as chat frames
            ws.send(json.dumps({"type": "chat", "payload": {"message": "after the crash"}}))
            assert recv_until(ws, lambda m: m["type"] == "chat")["payload"]["message"] == (
                "after the crash"
            )

        with ws_open(cluster.url, f"/terminals/ws?token={token}") as ws:
            recv_until(ws, lambda m: m["type"] == "sessions")
            ws.send(json.dumps({"type": "subscribe", "sessionId": "survivor"}))
            output_until(ws, "before-kill-25")  # the screen, as tmux kept it
        with ws_open(cluster.url, f"/terminals/ws/terminal/survivor?token={token}") as ws:
            assert recv_until(ws, lambda m: m["type"] == "connected")["sessionId"] == "survivor"
            output_until(ws, "before-kill-25")
        key_log = cluster_shell(
            cluster,
            "from terminals.models import KeyEvent;"
            "print(KeyEvent.objects.filter(session_name='survivor').count())",
        )
        assert int(key_log) >= 1
    finally:
        cluster.restart_daphne(0)


def test_redis_down_bingo_pin_attempts_fail_closed(apps):
    """While the cache is down no PIN may be tried without being counted (fail closed).

    (It failed open while the lockout used `caches["default"]`, which degrades silently.)
    """
    cluster, info, _ = apps
    game_id, pin = info["games"][1]
    player = bingo_player(cluster.url, "outage")
    cluster.stop_redis()
    try:
        answers = [bingo_join(cluster.url, player, game_id, wrong_pin(pin)) for _ in range(8)]
        assert all(r.status_code < 500 or r.status_code == 503 for r in answers)
        checked = [r for r in answers if r.json() == {"detail": "Incorrect PIN"}]
        assert len(checked) <= 5, (
            f"{len(checked)} PIN guesses were checked while Redis was down: the PIN lockout "
            "fails open (it must use caches['strict'] and refuse while that is down)"
        )
    finally:
        cluster.start_redis()
        for server in cluster.servers:
            assert until(
                lambda s=server: requests.get(f"{s.url}/ready", timeout=5).status_code == 200
            )


def closed_with(base: str, path: str) -> int | None:
    """Open a socket and read until it closes: the close code (None if it stays open 10 s).

    An HTTP error instead of the handshake (a 500) raises InvalidStatus.
    """
    with ws_open(base, path) as ws:
        deadline = time.monotonic() + 10
        try:
            while time.monotonic() < deadline:
                ws.recv(timeout=deadline - time.monotonic())
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None
        except TimeoutError:
            return None
    return None


@contextlib.contextmanager
def redis_down(cluster):  # type: ignore[no-untyped-def]
    """Redis stopped for the block; then started again and every process ready."""
    cluster.stop_redis()
    try:
        yield
    finally:
        cluster.start_redis()
        for server in cluster.servers:
            assert until(
                lambda s=server: requests.get(f"{s.url}/ready", timeout=5).status_code == 200
            )


def log_since(server, offset: int) -> str:  # type: ignore[no-untyped-def]
    return server.log_path.read_bytes()[offset:].decode(errors="replace")


def test_redis_down_a_committed_draw_or_claim_answers_2xx_and_the_failed_broadcast_is_logged(
    apps,
):
    """A broadcast after commit that fails must not change the reply: the draw and the claim
    are stored, so a 500 would make a retrying client draw / claim a second time.

    (Before: both answered 500 with their rows stored.)
    """
    cluster, info, tmux = apps
    a = cluster.servers[0]
    game_id, _ = info["games"][1]
    tmux_shell(tmux, "outage")
    offset = a.log_path.stat().st_size
    draws_before = stored_draws(cluster, game_id)
    with redis_down(cluster):
        draw = requests.post(
            f"{a.url}/bingo/games/{game_id}/draw",
            headers={"X-Session-Id": info["admin"]},
            timeout=15,
        )
        assert draw.status_code == 200, draw.text
        assert stored_draws(cluster, game_id) == [*draws_before, draw.json()["number"]]

        claim = requests.post(
            f"{a.url}/terminals/api/sessions/outage/claim",
            headers={"Authorization": f"Bearer {info['operator']}"},
            timeout=15,
        )
        assert claim.status_code == 200, claim.text
        assert claim.json()["success"] is True
        assert claim.json()["claim"]["sessionId"] == "outage"
        holder = cluster_shell(
            cluster,
            "from terminals.models import Claim;"
            "print(Claim.objects.get(session_name='outage').user.email)",
        )
        assert holder == "olga@example.com"

        log = log_since(a, offset)
        assert f"broadcast bingo.draw to bingo.game.{game_id} failed" in log
        assert "broadcast terminals.claimed to terminals.session.outage failed" in log
        assert unhandled(log) == []


def test_redis_down_socket_handshakes_close_4013_not_http_500(apps):
    """Sockets that need the channel layer (to join their groups) are accepted and closed
    with 4013, try again later; a watch party's, which needs none, opens; an open bingo
    socket, which can no longer hear its groups, is closed with 4013 too. Once Redis is back
    the same handshakes work at once.

    (Before: the bingo and terminal handshakes answered HTTP 500, and the open socket's
    consumer raised, "Exception inside application", closed 1011 by Daphne.)
    """
    cluster, info, tmux = apps
    a = cluster.servers[0]
    game_id, _ = info["games"][1]
    token = info["operator"]
    tmux_shell(tmux, "handshake")
    room = party_create(a.url)
    player = bingo_player(a.url, "outage-socket")
    paths = (
        f"/bingo/ws/games/{game_id}?token={player}",
        f"/terminals/ws?token={token}",
        f"/terminals/ws/terminal/handshake?token={token}",
    )
    open_ws = ws_open(a.url, paths[0])
    recv_until(open_ws, lambda m: m["type"] == "state")
    offset = a.log_path.stat().st_size
    with redis_down(cluster):
        # An open socket can no longer hear its groups: it is closed, to reconnect and rejoin.
        with pytest.raises(ConnectionClosed) as closed:
            recv_until(open_ws, lambda m: False, timeout=15)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4013
        for path in paths:
            try:
                code = closed_with(a.url, path)
            except InvalidStatus as exc:
                pytest.fail(f"{path.split('?')[0]}: handshake answered {exc}")
            assert code == 4013, f"{path.split('?')[0]} closed with {code}"
        with ws_open(a.url, f"/watchparty/ws/{room['id']}?token={room['token']}") as ws:
            state = recv_until(ws, lambda m: m["type"] == "session_state")
            assert state["payload"]["you"]["is_host"] is True
        log = log_since(a, offset)
        assert log.count("refused: a dependency is down") == len(paths)
        assert unhandled(log) == []
    with ws_open(a.url, paths[0]) as ws:
        recv_until(ws, lambda m: m["type"] == "state")
    with ws_open(a.url, paths[1]) as ws:
        recv_until(ws, lambda m: m["type"] == "sessions")
    with ws_open(a.url, paths[2]) as ws:
        assert recv_until(ws, lambda m: m["type"] == "connected")["sessionId"] == "handshake"


def stored_draws(cluster, game_id: str) -> list[int]:  # type: ignore[no-untyped-def]
    """The game's draws in the database, in order."""
    out = cluster_shell(
        cluster,
        "from bingo.models import Draw;"
        f"print(list(Draw.objects.filter(game__public_id={game_id!r})"
        ".order_by('sequence').values_list('number', flat=True)))",
    )
    return json.loads(out)


def unhandled(log: str) -> list[str]:
    """Lines of a Daphne log that tell of an uncaught error: a 500 or a consumer that raised."""
    return [
        line
        for line in log.splitlines()
        if "Internal Server Error" in line or "Exception inside application" in line
    ]


def test_after_a_redis_restart_sockets_reconnect_and_updates_cross_processes(apps):
    cluster, info, _ = apps
    a, b = (s.url for s in cluster.servers)
    game_id, pin = info["games"][2]
    player = bingo_player(b, "restart")
    assert bingo_join(b, player, game_id, pin).status_code == 200
    ws = ws_open(b, f"/bingo/ws/games/{game_id}?token={player}")
    recv_until(ws, lambda m: m["type"] == "state")
    cluster.stop_redis()
    cluster.start_redis()
    ws.close()
    for server in cluster.servers:
        assert until(lambda s=server: requests.get(f"{s.url}/ready", timeout=5).status_code == 200)
    # The client reconnects (its old socket may or may not have survived the restart). Its
    # first attempt must work: a handshake answered 500 is a failure, whatever a retry does.
    try:
        ws = ws_open(b, f"/bingo/ws/games/{game_id}?token={player}")
    except InvalidStatus as exc:
        pytest.fail(
            f"first socket after the Redis restart refused ({exc}): a pooled channel-layer "
            "connection that Redis closed must be retried on a fresh one"
        )
    with ws:
        recv_until(ws, lambda m: m["type"] == "state")
        number = bingo_draw(a, info["admin"], game_id)["number"]
        assert recv_until(ws, lambda m: m["type"] == "draw")["number"] == number


def test_watch_party_sockets_open_across_a_redis_restart_hear_each_other_again(apps):
    """The relay's pub/sub subscriptions come back with Redis; the open sockets stay up."""
    cluster, _, _ = apps
    a, b = (s.url for s in cluster.servers)
    _, state, host_ws, member_ws = party_across(a, b)
    with host_ws, member_ws:
        recv_until(member_ws, lambda m: m["type"] == "session_state")
        cluster.stop_redis()
        cluster.start_redis()
        heard, sent, deadline = None, 0, time.monotonic() + 20
        while heard is None and time.monotonic() < deadline:
            sent += 1
            member_ws.send(json.dumps({"type": "chat", "payload": {"message": f"back {sent}"}}))
            try:
                heard = recv_until(host_ws, lambda m: m["type"] == "chat", timeout=1)
            except TimeoutError:
                continue
        assert heard is not None, "a chat from B never reached A after Redis came back"
        # and the other way, at once now
        host_ws.send(json.dumps({"type": "chat", "payload": {"message": "from A"}}))
        chat = recv_until(
            member_ws, lambda m: m["type"] == "chat" and m["payload"]["message"] == "from A"
        )
        assert chat["user_id"] == state["payload"]["you"]["user_id"]


def test_a_reconnect_storm_onto_one_process_is_served(apps):
    """After a process dies its clients all come back at once, onto the survivor: 300 bingo
    sockets handshaking together on one Daphne must all be served, join the game's group (a
    draw reaches every one) and leave it cleanly.

    (It failed with redis-py's default asyncio pool, which raises MaxConnectionsError past 100
    connections; channels-redis takes one per group_add / group_discard.)
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from websockets.asyncio.client import connect

    cluster, info, _ = apps
    a, b = (s.url for s in cluster.servers)
    game_id, _ = info["games"][3]
    url = f"{b.replace('http://', 'ws://')}/bingo/ws/games/{game_id}"
    storm = 300

    async def scenario() -> tuple[int, int]:
        async def one():  # type: ignore[no-untyped-def]
            ws = await connect(url, open_timeout=20, ping_interval=None)
            state = json.loads(await asyncio.wait_for(ws.recv(), 20))
            assert state["type"] == "state"
            return ws

        results = await asyncio.gather(*(one() for _ in range(storm)), return_exceptions=True)
        sockets = [r for r in results if not isinstance(r, BaseException)]
        try:
            loop = asyncio.get_running_loop()
            number = (await loop.run_in_executor(None, bingo_draw, a, info["admin"], game_id))[
                "number"
            ]

            async def hears(ws) -> bool:  # type: ignore[no-untyped-def]
                async with asyncio.timeout(20):
                    while True:
                        message = json.loads(await ws.recv())
                        if message["type"] == "draw":
                            return message["number"] == number

            heard = await asyncio.gather(*(hears(ws) for ws in sockets), return_exceptions=True)
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        return len(sockets), sum(h is True for h in heard)

    with ThreadPoolExecutor(1) as pool:
        served, heard = pool.submit(asyncio.run, scenario()).result(timeout=100)
    assert served == storm, f"{storm - served} of {storm} handshakes failed"
    assert heard == storm, f"{storm - heard} of {storm} sockets missed the draw"
    # ... and every one of them left the game's group when it closed (else the group keeps
    # dead members, each later draw is sent to them, and the process logged a 500 per socket).
    members = redis.Redis.from_url(cluster.redis_url, socket_timeout=5)
    key = f"lobby:group:{game_group(game_id)}"
    assert until(lambda: members.zcard(key) == 0, timeout=15), (
        f"{members.zcard(key)} closed sockets are still members of the game's group"
    )
