"""terminals/tmux.py against a real, private tmux server."""

from __future__ import annotations

import asyncio
import random

import pytest

from terminals import tmux
from tests.terminals.conftest import capture_text, in_own_loop, wait_until


def test_list_sessions_without_a_server_is_empty(tmux_server):
    assert tmux.list_sessions() == []
    assert tmux.session_exists("main") is False


def test_list_sessions_reports_windows_created_and_attached(make_session):
    session = make_session("main")
    session.new_window(window_name="second")
    make_session("dev")
    found = {s.name: s for s in tmux.list_sessions()}
    assert set(found) == {"main", "dev"}
    assert found["main"].windows == 2
    assert found["dev"].windows == 1
    assert found["main"].attached is False
    assert found["main"].created.tzinfo is not None


def test_session_names_are_matched_exactly_never_by_prefix(make_session):
    make_session("mainframe")
    assert tmux.session_exists("main") is False
    with pytest.raises(tmux.TmuxNotFoundError):
        tmux.list_panes("main")
    assert tmux.session_exists("mainframe")


def test_names_tmux_could_parse_are_refused(make_session):
    make_session("main")
    for bad in ["", "main;kill-server", "=main", "main:0", "ma*", "x" * 65, "../main"]:
        assert tmux.session_exists(bad) is False


def test_capture_includes_scrollback(make_session):
    session = make_session("main", height=10)
    session.active_window.active_pane.send_keys("seq 1 200", enter=True)
    wait_until(lambda: "200" in capture_text(session), what="seq output")
    pane = tmux.resolve_pane("main")
    text = tmux.capture(pane.id)
    lines = text.splitlines()
    assert "1" in lines and "200" in lines
    assert not text.endswith("\n")


def test_screen_repaints_scrollback_and_places_the_cursor(make_session):
    make_session("main")
    pane = tmux.resolve_pane("main")
    screen = tmux.screen(pane)
    assert screen.startswith("\x1b[0m\x1b[H\x1b[2J")
    assert screen.endswith(f"\x1b[{pane.cursor_y + 1};{pane.cursor_x + 1}H")
    assert "$" in screen


def test_repaint_is_the_screen_now_without_scrollback_and_with_the_cursor(make_session):
    session = make_session("main", width=40, height=6)
    session.active_window.active_pane.send_keys("seq 1 30; printf 'ab\\033[31mcd'", enter=True)
    wait_until(lambda: "abcd" in capture_text(session), what="seq")
    pane = tmux.resolve_pane("main")
    repaint = tmux.repaint(pane.id)
    assert repaint.startswith("\x1b[0m\x1b[H\x1b[2J") and "\x1b[3J" not in repaint
    body, _, cursor = repaint[len("\x1b[0m\x1b[H\x1b[2J") :].rpartition("\x1b[0m")
    assert cursor == f"\x1b[{pane.cursor_y + 1};{pane.cursor_x + 1}H"
    rows = body.split("\r\n")
    assert len(rows) == 6  # the screen, every row: nothing from the scrollback
    assert "30" in rows and "1" not in rows
    assert "ab\x1b[31mcd" in body  # colours kept
    with pytest.raises(tmux.TmuxNotFoundError):
        tmux.repaint("main; kill-server")


def test_resolve_pane_by_index_and_window(make_session):
    session = make_session("main")
    session.active_window.split()
    session.new_window(window_name="two")
    active = tmux.resolve_pane("main")
    assert active.window_active and active.active
    assert tmux.resolve_pane("main", "0.1").window_index == 0
    assert tmux.resolve_pane("main", "0.1").index == 1
    assert tmux.resolve_pane("main", "0").window_active
    for bad in ["9", "x", "0.9", "-1", "0;1"]:
        with pytest.raises(tmux.TmuxNotFoundError):
            tmux.resolve_pane("main", bad)


PAYLOADS = [
    b";",
    b"\\;",
    b"a;b ; c;",
    b"$(touch /tmp/lobby-pwned) `id` ${HOME}",
    bytes(range(0, 32)) + b"\x7f",
    b"\x1b[A\x1b[B\x1bOP\x1b]0;title\x07",
    "héllo ✓ 日本 🎉".encode(),
    b"kill-server",
    b"-t %0",
    bytes(range(256)),
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_send_bytes_reaches_the_pane_exactly(raw_sink, payload):
    _, out = raw_sink()
    pane = tmux.resolve_pane("sink")
    tmux.send_bytes(pane.id, payload)
    wait_until(lambda: out.exists() and out.stat().st_size >= len(payload), what="bytes")
    assert out.read_bytes() == payload
    assert tmux.session_exists("sink")  # nothing became a command


def test_send_bytes_64_kib_paste_is_exact(raw_sink):
    _, out = raw_sink()
    rng = random.Random(7)
    payload = bytes(rng.randrange(32, 127) for _ in range(64 * 1024))
    tmux.send_bytes(tmux.resolve_pane("sink").id, payload)
    wait_until(lambda: out.stat().st_size >= len(payload), timeout=20, what="64 KiB")
    assert out.read_bytes() == payload


def test_create_and_kill_session(tmux_server):
    info = tmux.create_session("fresh", width=100, height=30)
    assert info.name == "fresh"
    pane = tmux.resolve_pane("fresh")
    assert (pane.width, pane.height) == (100, 30)
    with pytest.raises(tmux.TmuxError, match="duplicate"):
        tmux.create_session("fresh")
    tmux.kill_session("fresh")
    assert not tmux.session_exists("fresh")


def test_unreachable_server_is_unavailable(settings):
    settings.TERMINALS_TMUX_SOCKET = "/etc/hostname/not-a-socket"
    with pytest.raises(tmux.TmuxUnavailableError):
        tmux.list_sessions()


def test_unescape_control_mode_output():
    assert tmux.unescape_output(rb"a\015\012\134b") == b"a\r\n\\b"


@in_own_loop
async def test_control_client_streams_output_without_being_counted_as_attached(make_session):
    make_session("main")
    client = tmux.ControlClient("main")
    await client.start()
    try:
        events = client.events()
        pane = tmux.resolve_pane("main")
        await asyncio.to_thread(tmux.send_bytes, pane.id, "echo ünï\r".encode())
        seen = ""
        async with asyncio.timeout(5):
            while "ünï" not in seen.split("echo", 1)[-1]:
                event = await anext(events)
                if event.kind == "output":
                    assert event.pane_id == pane.id
                    seen += event.data
        assert [s.attached for s in tmux.list_sessions()] == [False]
    finally:
        await client.stop()


def test_any_text_reaches_the_pane_exactly(raw_sink):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    _, out = raw_sink()
    pane = tmux.resolve_pane("sink").id
    sent = bytearray()

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(st.text(min_size=1, max_size=300))
    def check(text: str) -> None:
        data = text.encode()
        tmux.send_bytes(pane, data)
        sent.extend(data)
        wait_until(lambda: out.stat().st_size >= len(sent), what="bytes")
        assert out.read_bytes() == bytes(sent)

    check()
