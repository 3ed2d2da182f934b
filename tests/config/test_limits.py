"""Request limits against a real Daphne (`config.server`, as `make run` and the cluster start it):
bodies over the limit refused unread, header and body deadlines, sockets per address."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests import servers
from tests.conftest import server_env

pytestmark = pytest.mark.django_db(transaction=True)

HEADER_DEADLINE = 5.0  # LOBBY_HTTP_HEADER_TIMEOUT's default
GIB = 1024**3


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def _read_response(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Everything the server sends until it closes (or `timeout` passes without a byte)."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return data
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def _parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


def _seconds_until_closed(sock: socket.socket, trickle: bytes = b"", limit: float = 15.0) -> float:
    """Send `trickle` a byte every half second (nothing if empty) until the server closes."""
    started = time.monotonic()
    sock.settimeout(0.5)
    sent = 0
    while time.monotonic() - started < limit:
        try:
            if sent < len(trickle):
                sock.send(trickle[sent : sent + 1])
                sent += 1
            if sock.recv(4096) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - started
    return float("inf")


# --- bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type", "expected"),
    [
        ("/auth/codes", "application/json", {"error": "Request body too large"}),
        ("/bingo/games", "application/json", {"detail": "Request body too large"}),
        (
            "/watchparty/sessions",
            "application/json",
            {"error": "Payload too large", "message": "Request body too large"},
        ),
        (
            "/terminals/api/sessions/main/claim",
            "application/json",
            {"error": "PAYLOAD_TOO_LARGE", "message": "Request body too large"},
        ),
        ("/accounts/login/", "text/plain", "Request body too large"),
    ],
)
def test_declared_gibibyte_body_is_413_before_a_byte_of_it_is_sent(
    live_server_url, path, content_type, expected
):
    with socket.create_connection(_address(live_server_url), timeout=5) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {GIB}\r\n\r\n".encode()
        )
        status, headers, body = _parse(_read_response(sock))
    assert status == 413
    assert headers["content-type"].startswith(content_type)
    assert headers["connection"] == "close"
    if isinstance(expected, dict):
        assert json.loads(body) == expected
    else:
        assert body.decode() == expected


def test_declared_body_over_the_limit_gets_no_100_continue(live_server_url):
    with socket.create_connection(_address(live_server_url), timeout=5) as sock:
        sock.sendall(
            b"POST /auth/codes HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1048577\r\n\r\n"
        )
        status, _, body = _parse(_read_response(sock))
    assert status == 413
    assert json.loads(body) == {"error": "Request body too large"}


def _upload(url: str, head: bytes, chunks: Iterator[bytes]) -> tuple[int, bytes]:
    """Send `head` then `chunks` while reading the response alongside, as curl does.

    Returns (body bytes the kernel accepted before the server stopped taking them, response)."""
    sock = socket.create_connection(_address(url), timeout=5)
    response: dict[str, bytes] = {}
    reader = threading.Thread(target=lambda: response.update(raw=_read_response(sock, 10)))
    sock.sendall(head)
    reader.start()
    sent = 0
    sock.settimeout(1.0)
    try:
        for chunk in chunks:
            sock.sendall(chunk)
            sent += len(chunk)
    except (TimeoutError, BrokenPipeError, ConnectionResetError):
        pass  # the server stopped reading, or closed
    reader.join(timeout=15)
    sock.close()
    return sent, response.get("raw", b"")


def test_gibibyte_upload_is_refused_after_a_few_megabytes_at_most(live_server_url):
    block = b"x" * (256 * 1024)
    head = (
        f"POST /auth/codes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {GIB}\r\n\r\n"
    ).encode()
    sent, raw = _upload(live_server_url, head, (block for _ in range(GIB // len(block))))
    status, _, body = _parse(raw)
    assert status == 413
    assert json.loads(body) == {"error": "Request body too large"}
    # socket buffers only (both kernels'); the old server read all of it, 1 GiB, first
    assert sent < 32 * 1024 * 1024, sent


def test_chunked_body_is_cut_off_once_it_passes_the_limit(live_server_url):
    block = b"x" * (64 * 1024)
    chunk = f"{len(block):x}\r\n".encode() + block + b"\r\n"
    head = (
        b"POST /bingo/games HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    total = 512  # 32 MiB, never terminated: only a limit ends this request
    sent, raw = _upload(live_server_url, head, (chunk for _ in range(total)))
    status, _, body = _parse(raw)
    assert status == 413
    assert json.loads(body) == {"detail": "Request body too large"}
    assert sent < total * len(chunk)


def test_bodies_within_the_limit_are_still_read(live_server_url, application):
    payload = json.dumps({"game_id": "spacegame", "pad": "p" * 500_000})
    r = requests.post(
        f"{live_server_url}/auth/codes",
        data=payload,
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text

    def chunks() -> Iterator[bytes]:
        yield payload[:250_000].encode()
        yield payload[250_000:].encode()

    r = requests.post(
        f"{live_server_url}/auth/codes",
        data=chunks(),
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    # It reached the view: Django's ASGI handler reads a body without Content-Length as empty.
    assert r.status_code == 400
    assert r.json() == {"error": "game_id: This field is required."}


# --- deadlines ------------------------------------------------------------------------------


def test_header_trickle_is_closed_at_the_header_deadline(live_server_url):
    trickle = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100
    with socket.create_connection(_address(live_server_url), timeout=5) as sock:
        took = _seconds_until_closed(sock, trickle)
    assert HEADER_DEADLINE - 0.5 < took < HEADER_DEADLINE + 2.5, took


@pytest.mark.parametrize(
    "half",
    [
        b"",  # a connection that never says anything
        b"GET /terminals/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n",
    ],
    ids=["silent", "half-sent-upgrade"],
)
def test_half_open_connection_is_closed_at_the_header_deadline(live_server_url, half):
    with socket.create_connection(_address(live_server_url), timeout=5) as sock:
        sock.sendall(half)
        took = _seconds_until_closed(sock)
    assert HEADER_DEADLINE - 0.5 < took < HEADER_DEADLINE + 2.5, took


def test_body_trickle_is_closed_at_the_body_deadline(transactional_db):
    port = servers.free_port()
    server = servers.Daphne(server_env(PORT=str(port), LOBBY_HTTP_BODY_TIMEOUT="3"), port).start()
    try:
        with socket.create_connection(_address(server.url), timeout=5) as sock:
            sock.sendall(
                b"POST /auth/codes HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            )
            took = _seconds_until_closed(sock, b"{" + b" " * 999)
        assert 2.5 < took < 5.5, took
    finally:
        server.stop()


def test_kept_alive_connection_serves_requests_and_times_the_next_head(live_server_url):
    request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(_address(live_server_url), timeout=5) as sock:
        for _ in range(3):
            sock.sendall(request)
            data = b""
            while not data.rstrip().endswith(b"}"):
                data += sock.recv(4096)
            assert data.startswith(b"HTTP/1.1 200 ")
        took = _seconds_until_closed(sock, request[:-4] + b"\r\nX-Slow: " + b"a" * 100)
    assert HEADER_DEADLINE - 0.5 < took < HEADER_DEADLINE + 2.5, took


# --- sockets per address --------------------------------------------------------------------


@pytest.fixture
def capped_server(transactional_db) -> Iterator[Callable[..., servers.Daphne]]:  # type: ignore[no-untyped-def]
    """A Daphne allowing 3 sockets per address (and the environment given)."""
    started: list[servers.Daphne] = []

    def start(**env: str) -> servers.Daphne:
        port = servers.free_port()
        started.append(servers.Daphne(server_env(PORT=str(port), LOBBY_WS_PER_IP="3", **env), port))
        return started[-1].start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def bingo_game(user_factory, settings):  # type: ignore[no-untyped-def]
    """A game whose spectator socket (no account needed) stays open."""
    from bingo import services

    settings.BINGO_ADMIN_EMAILS = ["host@example.com"]
    host = user_factory(email="host@example.com", name="Host")
    return services.game_create(name="Cap night", creator=host)


def _game_socket(  # type: ignore[no-untyped-def]
    stack: contextlib.ExitStack, server: servers.Daphne, game, forwarded: str | None = None
):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    url = server.url.replace("http://", "ws://") + f"/bingo/ws/games/{game.public_id}"
    sock = stack.enter_context(connect(url, additional_headers=headers, open_timeout=5))
    assert json.loads(sock.recv(timeout=5))["type"] == "state"  # the socket is live
    return sock


def _refused_status(url: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers=headers, open_timeout=5)
    return refused.value.response.status_code


def test_an_address_holds_at_most_the_cap_of_sockets_on_every_route(capped_server, bingo_game):
    server = capped_server()
    ws = server.url.replace("http://", "ws://")
    with contextlib.ExitStack() as stack:
        held = [_game_socket(stack, server, bingo_game) for _ in range(3)]
        assert _refused_status(f"{ws}/bingo/ws/games/{bingo_game.public_id}") == 403
        assert _refused_status(f"{ws}/watchparty/ws/some-room?token=x") == 403
        assert _refused_status(f"{ws}/terminals/ws") == 403
        held[0].close()
        # the freed slot is usable once the server has seen that socket close
        deadline = time.monotonic() + 5
        while True:
            try:
                _game_socket(stack, server, bingo_game)
                break
            except InvalidStatus:
                assert time.monotonic() < deadline, "the closed socket never freed its slot"
        assert _refused_status(f"{ws}/bingo/ws/games/{bingo_game.public_id}") == 403


def test_behind_a_trusted_proxy_the_cap_is_per_forwarded_address(capped_server, bingo_game):
    server = capped_server(LOBBY_TRUSTED_PROXIES="127.0.0.1")
    url = server.url.replace("http://", "ws://") + f"/bingo/ws/games/{bingo_game.public_id}"
    with contextlib.ExitStack() as stack:
        for _ in range(3):
            _game_socket(stack, server, bingo_game, forwarded="203.0.113.7")
        assert _refused_status(url, forwarded="203.0.113.7") == 403
        _game_socket(stack, server, bingo_game, forwarded="203.0.113.8")
        # the proxy's own address (no X-Forwarded-For) speaks for many clients: not capped
        for _ in range(4):
            _game_socket(stack, server, bingo_game)


def test_sockets_are_not_closed_after_a_day_unless_asked():
    from config.server import LobbyCommandLine

    args = LobbyCommandLine().parser.parse_args(["config.asgi:application"])
    assert args.websocket_timeout == -1
    asked = ["--websocket_timeout", "600", "config.asgi:application"]
    assert LobbyCommandLine().parser.parse_args(asked).websocket_timeout == 600
