"""Socket fuzz: every WebSocket consumer, connected with valid credentials, gets garbage.

Random frames (hypothesis: random text, random binary, random JSON, every documented message
type with random values in each of its fields), huge frames (64 KiB + 1, 1 MiB), binary frames,
malformed JSON, deep nesting, and floods of a few hundred messages. Every reply must be the
consumer's documented socket error (or a documented message type), a close must carry a
documented code, the consumer must never raise, and afterwards the same socket (or, after a
documented close, a fresh one) must still do real work: a ping answered, keys echoed by tmux.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libtmux
import pytest
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts.models import Role, User
from accounts.services import api_session_create
from config.asgi import application
from tests.conftest import session_cookie_for

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
FUZZ = hsettings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_probe_ids = itertools.count(1)


def in_thread(coro: Any) -> Any:
    """Run a coroutine on a fresh event loop in its own thread (immune to a Playwright loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout=100)


# --- strategies ---------------------------------------------------------------------------------

leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def documented(types: dict[str, dict[str, Any]]) -> st.SearchStrategy[dict]:
    """Each documented message type with each of its fields absent or given a random value.

    `types` maps a type to {field: nested spec or None}: a nested spec is itself such a dict
    (e.g. WatchParty's payload fields), so wrong types reach every level.
    """

    def obj(fields: dict[str, Any]) -> st.SearchStrategy[dict]:
        parts = {
            name: (json_values | obj(sub)) if isinstance(sub, dict) else json_values
            for name, sub in fields.items()
        }
        return st.fixed_dictionaries({}, optional=parts)

    return st.sampled_from(sorted(types)).flatmap(
        lambda kind: obj(types[kind]).map(lambda body: {**body, "type": kind})
    )


def frames(types: dict[str, dict[str, Any]]) -> st.SearchStrategy[tuple[str, Any]]:
    valid_documented = documented(types).map(lambda m: ("text", json.dumps(m)))
    return st.one_of(
        st.text(max_size=200).map(lambda s: ("text", s)),
        st.binary(min_size=1, max_size=200).map(lambda b: ("bytes", b)),
        json_values.map(lambda v: ("text", json.dumps(v))),
        valid_documented,  # (listed thrice: most frames are well-formed messages)
        valid_documented,
        valid_documented,
        documented(types).map(lambda m: ("text", json.dumps(m)[:-1])),  # truncated
    )


WRONG_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    1.5,
    -1e308,
    "",
    "x" * 5000,
    "\u0000",
    [],
    [1, "a"],
    {},
    {"a": {"b": []}},
]


def wrong_typed(types: dict[str, dict[str, Any]]) -> list[list[tuple[str, Any]]]:
    """Every documented type bare, then with each of its fields (at every level) set, alone, to
    each value of WRONG_VALUES: one batch per field."""

    def message(kind: str, path: list[str], value: Any) -> dict:
        out: dict[str, Any] = {"type": kind}
        node = out
        for name in path[:-1]:
            node = node.setdefault(name, {})
        node[path[-1]] = value
        return out

    batches: list[list[tuple[str, Any]]] = []

    def walk(kind: str, fields: dict[str, Any], prefix: list[str]) -> None:
        for name, sub in fields.items():
            path = [*prefix, name]
            batches.append([("text", json.dumps(message(kind, path, v))) for v in WRONG_VALUES])
            if isinstance(sub, dict):
                walk(kind, sub, path)

    for kind, fields in types.items():
        batches.append([("text", json.dumps({"type": kind}))])
        walk(kind, fields, [])
    return batches


NASTY: list[tuple[str, Any]] = [
    ("text", "x" * (64 * 1024 + 1)),
    ("text", json.dumps({"type": "ping", "pad": "x" * (1024 * 1024)})),
    ("bytes", b"\x00\xff" * 1000),
    ("bytes", json.dumps({"type": "ping"}).encode()),
    ("text", ""),
    ("text", "{"),
    ("text", '{"type": "ping",}'),
    ("text", "NaN"),
    ("text", '{"type": "ping", "n": Infinity}'),
    ("text", "[" * 100_000 + "]" * 100_000),
    ("text", '{"a":' * 5000 + "1" + "}" * 5000),
    ("text", json.dumps({"type": {"type": {"type": []}}})),
    ("text", '"\\ud800"'),
    ("text", "\ud800"),
    ("text", "null"),
    ("text", "[]"),
    ("text", json.dumps({"type": ""})),
    ("text", json.dumps({"type": "x" * 10_000})),
    ("text", json.dumps({"type": 7})),
]


# --- the harness --------------------------------------------------------------------------------


class Closed(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


async def send_frame(comm: WebsocketCommunicator, kind: str, data: Any) -> None:
    """A text or binary frame; unlike `send_to`, an empty frame is allowed too."""
    await comm.send_input({"type": "websocket.receive", kind: data})


async def next_message(comm: WebsocketCommunicator, timeout: float) -> dict:
    """The next JSON message; `Closed(code)` on a close; the consumer's own exception if it raised.

    Reads the queue directly: WebsocketCommunicator.receive_output cancels the app on timeout.
    """
    try:
        out = await asyncio.wait_for(comm.output_queue.get(), timeout=timeout)
    except TimeoutError:
        if comm.future.done():
            comm.future.result()  # re-raises what the consumer raised
        raise
    if out["type"] == "websocket.close":
        raise Closed(out.get("code", 1000))
    assert out["type"] == "websocket.send", out
    assert out.get("text") is not None, "the server sends text frames"
    return json.loads(out["text"])


@dataclass
class Target:
    """One consumer: how to connect, what its messages are, what its errors look like."""

    name: str
    connect: Callable[[], WebsocketCommunicator]
    types: dict[str, dict[str, Any]]
    is_error: Callable[[dict], bool]
    is_documented_error: Callable[[dict], bool]
    replies: set[str]
    probe: Callable[[WebsocketCommunicator, int], Any]  # async: send the probe
    probe_answered: Callable[[dict, int, dict], bool]  # (message, n, scratch) -> done?
    closes: set[int] = field(default_factory=set)  # close codes the fuzz may cause
    seen: list[dict] = field(default_factory=list)

    async def open(self) -> WebsocketCommunicator:
        comm = self.connect()
        connected, code = await comm.connect(timeout=5)
        assert connected, f"{self.name}: handshake refused ({code})"
        return comm

    def check(self, message: dict) -> None:
        assert isinstance(message, dict) and isinstance(message.get("type"), str), message
        if self.is_error(message):
            assert self.is_documented_error(message), f"{self.name}: undocumented error {message}"
        else:
            assert message["type"] in self.replies, f"{self.name}: unexpected {message}"
        self.seen.append(message)

    async def alive(self, comm: WebsocketCommunicator, timeout: float = 10.0) -> None:
        """Send a probe and read (checking everything on the way) until it is answered."""
        n = next(_probe_ids)
        scratch: dict = {}
        await self.probe(comm, n)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{self.name}: probe {n} not answered"
            message = await next_message(comm, remaining)
            self.check(message)
            if self.probe_answered(message, n, scratch):
                return

    async def attack(self, frames_: list[tuple[str, Any]], *, replies: int | None = None) -> None:
        """Send every frame, then prove the socket (or, after a documented close, a new one) works.

        With `replies`, read that many replies (or a documented close) and then go on on a new
        socket: the flooded one may rightly stay throttled for its window.
        """
        comm = await self.open()
        new_socket_after = replies is not None
        try:
            for kind, data in frames_:
                await send_frame(comm, kind, data)
            try:
                if replies is None:
                    await self.alive(comm)
                else:
                    deadline = time.monotonic() + 30
                    for _ in range(replies):
                        self.check(await next_message(comm, deadline - time.monotonic()))
            except Closed as closed:
                assert closed.code in self.closes, f"{self.name}: closed with {closed.code}"
                new_socket_after = True
            if new_socket_after:
                await comm.disconnect()
                comm = await self.open()
                await self.alive(comm)
        finally:
            await comm.disconnect()


# --- the consumers ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WATCHPARTY_BCRYPT_ROUNDS = 4
    settings.WATCHPARTY_RATE_WS = "1000000/m"
    settings.BINGO_TSA_URLS = []
    settings.BINGO_ADMIN_EMAILS = ["caller@example.com"]


@pytest.fixture
def bingo(user_factory) -> Target:  # type: ignore[no-untyped-def]
    from bingo import services

    creator = user_factory(email="caller@example.com")
    game = services.game_create(name="Fuzz Bingo", creator=creator)
    player = user_factory(email="fuzz-player@example.com")
    services.card_join(game_id=game.public_id, user=player, pin=game.pin, who="t", ip="1.2.3.4")
    services.draw_next(game_id=game.public_id, by=creator)
    token = api_session_create(user=player, label="fuzz")[1]
    path = f"/bingo/ws/games/{game.public_id}?token={token}"

    async def probe(comm: WebsocketCommunicator, n: int) -> None:
        await comm.send_json_to({"type": "ping"})

    return Target(
        name="bingo",
        connect=lambda: WebsocketCommunicator(application, path, headers=HEADERS),
        types={"ping": {}, "state": {}, "mark": {"row": None, "col": None}, "draw": {}, "end": {}},
        is_error=lambda m: m["type"] == "error",
        is_documented_error=lambda m: set(m) == {"type", "detail"} and isinstance(m["detail"], str),
        replies={"state", "pong", "marked", "draw", "players", "card", "bingo", "ended"},
        probe=probe,
        probe_answered=lambda m, n, s: m["type"] == "pong",
    )


@pytest.fixture
def watchparty(db) -> Target:  # type: ignore[no-untyped-def]
    from watchparty import services

    party, _host, _ = services.party_create(name="Fuzz Night", password="secure123")
    services.party_join(session_id=str(party.pk), password="secure123")  # someone to talk to
    _party, _me, token = services.party_join(session_id=str(party.pk), password="secure123")
    path = f"/watchparty/ws/{party.pk}?token={token}"

    async def probe(comm: WebsocketCommunicator, n: int) -> None:
        await comm.send_json_to({"type": "ping", "payload": {"probe": n}})

    def documented_error(m: dict) -> bool:
        payload = m.get("payload")
        return (
            {"type", "payload", "session_id", "user_id", "timestamp"} <= set(m)
            and isinstance(payload, dict)
            and set(payload) <= {"error", "message", "details"}
            and isinstance(payload.get("error"), str)
            and isinstance(payload.get("message"), str)
        )

    signal = {"type": None, "sdp": None, "candidate": None, "sdpMid": None, "sdpMLineIndex": None}
    return Target(
        name="watchparty",
        connect=lambda: WebsocketCommunicator(application, path, headers=HEADERS),
        types={
            "chat": {"payload": {"message": None}},
            "playback_state": {
                "payload": {
                    "playing": None,
                    "currentTime": None,
                    "volume": None,
                    "rate": None,
                    "media_url": None,
                    "source": None,
                }
            },
            "sync_report": {"payload": {"position": None, "server_time": None}},
            "host_transfer": {"payload": {"target_user_id": None}, "target_user_id": None},
            "time_sync": {"payload": {"client_time": None}},
            "token_refresh": {"payload": {"token": None}},
            "ping": {"payload": None},
            "webrtc_offer": {"payload": signal, "target_user_id": None},
            "webrtc_answer": {"payload": signal, "target_user_id": None},
            "ice_candidate": {"payload": signal, "target_user_id": None},
            "webrtc_request": {"payload": None, "target_user_id": None},
            # `leave` is left out on purpose: it ends the membership (a new join is needed).
            "user_joined": {"payload": None},  # server-only types sent by a client
            "session_state": {"payload": None},
        },
        is_error=lambda m: m["type"] == "error",
        is_documented_error=documented_error,
        replies={
            "session_state",
            "playback_state",
            "chat",
            "chat_deleted",
            "pong",
            "time_sync",
            "token_refresh",
            "sync_report",
            "user_joined",
            "user_left",
            "presence",
            "system",
            "host_transfer",
            "host_transfer_done",
            "session_extended",
        },
        probe=probe,
        probe_answered=lambda m, n, s: m["type"] == "pong" and m["payload"] == {"probe": n},
        closes={4008},  # kept misbehaving (more than 20 errors in a row)
    )


def _terminal_error(m: dict) -> bool:
    return isinstance(m.get("code"), str) and isinstance(m.get("message"), str)


@pytest.fixture
def tmux_echo(settings, tmp_path) -> Iterator[Callable[[str], libtmux.Session]]:  # type: ignore[no-untyped-def]
    """A private tmux server; its sessions run `cat` on a raw tty, echoing every key literally."""
    name = f"lobby-fuzz-{uuid.uuid4().hex[:10]}"
    server = libtmux.Server(socket_name=name)
    settings.TERMINALS_TMUX_SOCKET = name

    def make(session_name: str) -> libtmux.Session:
        ready = Path(tmp_path) / f"{session_name}.ready"
        session = server.new_session(
            session_name=session_name,
            window_command=f"sh -c 'stty raw -echo; touch {ready}; exec cat'",
            x=80,
            y=24,
        )
        deadline = time.monotonic() + 5
        while not ready.exists():
            assert time.monotonic() < deadline, "tmux pane did not start"
            time.sleep(0.02)
        return session

    yield make
    if server.is_alive():
        server.kill()
    tmux_dir = Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}"
    (tmux_dir / name).unlink(missing_ok=True)  # tmux leaves the socket file behind


def _echoed(m: dict, n: int, scratch: dict) -> bool:
    if m["type"] == "output":
        scratch["out"] = scratch.get("out", "") + m["data"]
    return f"ALIVE-{n}." in scratch.get("out", "")


@pytest.fixture
def operator(user_factory) -> User:  # type: ignore[no-untyped-def]
    return user_factory(role=Role.OPERATOR, name="Fuzzy")


def _cookie_headers(user: User) -> list[tuple[bytes, bytes]]:
    return [*HEADERS, (b"cookie", f"sessionid={session_cookie_for(user)}".encode())]


@pytest.fixture
def terminal(tmux_echo, operator) -> Target:  # type: ignore[no-untyped-def]
    from terminals.models import Claim

    tmux_echo("fz1")
    Claim.objects.create(
        session_name="fz1", user=operator, expires_at=timezone.now() + timezone.timedelta(hours=1)
    )
    headers = _cookie_headers(operator)

    async def probe(comm: WebsocketCommunicator, n: int) -> None:
        await comm.send_json_to({"type": "sendKeys", "keys": f"ALIVE-{n}."})

    return Target(
        name="terminal",
        connect=lambda: WebsocketCommunicator(
            application, "/terminals/ws/terminal/fz1?pane=0", headers=headers
        ),
        types={
            "heartbeat": {},
            "sendKeys": {"keys": None, "pane": None},
            "resize": {"cols": None, "rows": None},
        },
        is_error=lambda m: m["type"] == "error",
        is_documented_error=_terminal_error,
        replies={"connected", "output", "claimed", "released", "resize", "presence"},
        probe=probe,
        probe_answered=_echoed,
    )


@pytest.fixture
def sessions(tmux_echo, operator) -> Target:  # type: ignore[no-untyped-def]
    tmux_echo("fz2")
    headers = _cookie_headers(operator)

    async def probe(comm: WebsocketCommunicator, n: int) -> None:
        await comm.send_json_to({"type": "subscribe", "sessionId": "fz2"})
        await comm.send_json_to({"type": "sendKeys", "sessionId": "fz2", "keys": f"ALIVE-{n}."})

    session_ids = {"sessionId": None}
    return Target(
        name="sessions",
        connect=lambda: WebsocketCommunicator(application, "/terminals/ws", headers=headers),
        types={
            "heartbeat": {},
            "subscribe": session_ids,
            "unsubscribe": session_ids,
            "sendKeys": {"sessionId": None, "keys": None},
            "claim": session_ids,
            "release": session_ids,
        },
        is_error=lambda m: m["type"] == "error",
        is_documented_error=_terminal_error,
        replies={"sessions", "output", "claimed", "released", "presence"},
        probe=probe,
        probe_answered=_echoed,
    )


TARGETS = ["bingo", "watchparty", "terminal", "sessions"]


@pytest.fixture(params=TARGETS)
def target(request) -> Target:  # type: ignore[no-untyped-def]
    return request.getfixturevalue(request.param)


def real_session_ids(frame: tuple[str, Any]) -> tuple[str, Any]:
    """Point some terminal messages at the real sessions, so the fuzz reaches tmux."""
    kind, data = frame
    if kind == "text" and '"sessionId"' in data:
        try:
            message = json.loads(data)
        except ValueError:
            return frame
        if isinstance(message, dict) and len(data) % 2:
            message["sessionId"] = "fz2"
            return kind, json.dumps(message)
    return frame


# --- the tests ----------------------------------------------------------------------------------


def test_random_frames_get_documented_errors_and_the_socket_keeps_working(target):
    @FUZZ
    @given(st.lists(frames(target.types), min_size=1, max_size=12))
    def run(batch: list[tuple[str, Any]]) -> None:
        in_thread(target.attack([real_session_ids(f) for f in batch]))

    run()
    assert any(target.is_error(m) for m in target.seen), "the fuzz never reached an error path"


def test_wrong_types_in_every_field_of_every_documented_message(target):
    batches = wrong_typed(target.types)
    assert len(batches) >= len(target.types)

    async def scenario() -> None:
        for batch in batches:
            await target.attack(batch)

    in_thread(scenario())
    assert sum(target.is_error(m) for m in target.seen) >= len(batches) // 2


def test_huge_binary_malformed_and_deeply_nested_frames(target):
    async def scenario() -> None:
        comm = await target.open()
        try:
            for kind, data in NASTY:
                await send_frame(comm, kind, data)
                # every one of them is answered with the documented error; the socket stays open
                deadline = time.monotonic() + 10
                while True:
                    message = await next_message(comm, deadline - time.monotonic())
                    target.check(message)
                    if target.is_error(message):
                        break
            await target.alive(comm)
        finally:
            await comm.disconnect()

    in_thread(scenario())


def test_a_flood_is_answered_or_cut_off_and_service_resumes(target, settings):
    settings.WATCHPARTY_RATE_WS = "100/m"  # the documented default: the flood goes past it
    flood = [("text", json.dumps({"type": "ping", "payload": {"n": i}})) for i in range(300)]
    if target.name in ("terminal", "sessions"):
        flood = [("text", json.dumps({"type": "heartbeat"}))] * 300
    # Bingo throttles each socket (20 / 2 s) and WatchParty counts per connection: every ping
    # is answered (pong or the rate-limit error) or the socket is closed with 4008, and a new
    # socket is served at once. The terminal sockets take every heartbeat and stay open.
    replies = len(flood) if target.name in ("bingo", "watchparty") else None
    in_thread(target.attack(flood, replies=replies))
    if target.name == "bingo":
        assert {"type": "error", "detail": "Too many messages"} in target.seen
    if target.name == "watchparty":
        assert any(
            m["type"] == "error" and m["payload"]["error"] == "Rate limit exceeded"
            for m in target.seen
        )
