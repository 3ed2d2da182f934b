"""The only module that talks to tmux.

Every call is a `tmux` subprocess with a timeout (libtmux's own calls have none); libtmux's
`Server` names the server (`-L name` / `-S path`) the app is configured for. Targets are pane
ids (`%3`) or exact session names (`=main`), never a prefix or pattern tmux would expand.

Keys are written with `send-keys -H` (one hex byte per argument), so no user input is ever a
tmux argument that tmux could parse as a command, key name or separator.
"""

from __future__ import annotations

import asyncio
import codecs
import collections
import contextlib
import logging
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import libtmux
from django.conf import settings

logger = logging.getLogger(__name__)

TIMEOUT = 5.0
# Bytes per `send-keys -H` command: 3 characters per byte stay well under tmux's 16 KiB message.
SEND_CHUNK = 2048
HISTORY_LINES = 2000
NAME_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_SEP = "\x1f"  # unit separator: cannot occur in a session or window name we accept


class TmuxError(Exception):
    """tmux refused or failed a command."""


class TmuxUnavailableError(TmuxError):
    """The tmux server can't be reached (binary missing, socket dead, timeout)."""


class TmuxNotFoundError(TmuxError):
    """The session (or pane) does not exist."""


@dataclass(frozen=True)
class SessionInfo:
    name: str
    windows: int
    created: datetime
    attached: bool


@dataclass(frozen=True)
class PaneInfo:
    id: str  # tmux pane id, "%3"
    window_index: int
    window_name: str
    window_active: bool
    index: int
    active: bool
    width: int
    height: int
    cursor_x: int = 0
    cursor_y: int = 0


@dataclass
class WindowInfo:
    index: int
    name: str
    active: bool
    panes: list[PaneInfo] = field(default_factory=list)


def server() -> libtmux.Server:
    """The configured server: TERMINALS_TMUX_SOCKET is a `-L` name, or a `-S` path if it has '/'."""
    socket = settings.TERMINALS_TMUX_SOCKET
    if not socket:
        return libtmux.Server()
    if "/" in socket:
        return libtmux.Server(socket_path=socket)
    return libtmux.Server(socket_name=socket)


def base_command() -> list[str]:
    binary = shutil.which("tmux")
    if binary is None:
        raise TmuxUnavailableError("tmux is not installed")
    srv = server()
    cmd = [binary]
    if srv.socket_path:
        cmd += ["-S", str(srv.socket_path)]
    elif srv.socket_name:
        cmd += ["-L", srv.socket_name]
    return cmd


def _classify(stderr: str) -> TmuxError:
    text = stderr.strip()
    lowered = text.lower()
    gone = ("no server running", "can't find", "no such file", "server exited", "lost server")
    if any(marker in lowered for marker in gone):  # the server exiting as its last session ends
        return TmuxNotFoundError(text)
    if "error connecting" in lowered or "connection refused" in lowered:
        return TmuxUnavailableError(text)
    return TmuxError(text or "tmux failed")


def run(*args: str, timeout: float = TIMEOUT) -> str:
    """Run one tmux command on the configured server; its stdout."""
    cmd = [*base_command(), *args]
    try:
        done = subprocess.run(  # noqa: S603 - fixed binary, arguments are never parsed by a shell
            cmd, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise TmuxUnavailableError(f"tmux timed out after {timeout}s") from exc
    except OSError as exc:
        raise TmuxUnavailableError(str(exc)) from exc
    if done.returncode != 0:
        raise _classify(done.stderr.decode("utf-8", "replace"))
    return done.stdout.decode("utf-8", "replace")


def valid_name(name: str) -> bool:
    return bool(NAME_RE.match(name))


def _target(name: str) -> str:
    """An exact-match session target; names we don't accept can't name a session we serve."""
    if not valid_name(name):
        raise TmuxNotFoundError(f"no session {name!r}")
    return f"={name}:"


def is_running() -> bool:
    try:
        run("list-sessions", "-F", "#{session_name}")
    except TmuxNotFoundError:  # no server running: reachable, just no sessions
        return False
    return True


def list_sessions() -> list[SessionInfo]:
    fmt = _SEP.join(
        ["#{session_name}", "#{session_windows}", "#{session_created}", "#{session_attached}"]
    )
    try:
        out = run("list-sessions", "-F", fmt)
    except TmuxNotFoundError:
        return []  # no server running means no sessions
    control = _control_clients()
    sessions = []
    for line in out.splitlines():
        parts = line.split(_SEP)
        if len(parts) != 4 or not valid_name(parts[0]):
            continue
        name, windows, created, attached = parts
        humans = int(attached) - control.get(name, 0)
        sessions.append(
            SessionInfo(
                name=name,
                windows=int(windows),
                created=datetime.fromtimestamp(int(created), tz=UTC),
                attached=humans > 0,
            )
        )
    return sorted(sessions, key=lambda s: s.name)


def _control_clients() -> dict[str, int]:
    """Our own control-mode readers per session (they must not count as 'attached')."""
    try:
        out = run("list-clients", "-F", f"#{{client_session}}{_SEP}#{{client_control_mode}}")
    except TmuxError:
        return {}
    counts: dict[str, int] = {}
    for line in out.splitlines():
        name, _, control = line.partition(_SEP)
        if control == "1":
            counts[name] = counts.get(name, 0) + 1
    return counts


def session_exists(name: str) -> bool:
    if not valid_name(name):
        return False
    try:
        run("has-session", "-t", _target(name))
    except TmuxNotFoundError:
        return False
    return True


def get_session(name: str) -> SessionInfo:
    for session in list_sessions():
        if session.name == name:
            return session
    raise TmuxNotFoundError(f"no session {name!r}")


def list_panes(name: str) -> list[PaneInfo]:
    fmt = _SEP.join(
        [
            "#{pane_id}",
            "#{window_index}",
            "#{window_name}",
            "#{window_active}",
            "#{pane_index}",
            "#{pane_active}",
            "#{pane_width}",
            "#{pane_height}",
            "#{cursor_x}",
            "#{cursor_y}",
        ]
    )
    out = run("list-panes", "-s", "-t", _target(name), "-F", fmt)
    panes = []
    for line in out.splitlines():
        p = line.split(_SEP)
        if len(p) != 10:
            continue
        panes.append(
            PaneInfo(
                id=p[0],
                window_index=int(p[1]),
                window_name=p[2],
                window_active=p[3] == "1",
                index=int(p[4]),
                active=p[5] == "1",
                width=int(p[6]),
                height=int(p[7]),
                cursor_x=int(p[8]),
                cursor_y=int(p[9]),
            )
        )
    return panes


def list_windows(name: str) -> list[WindowInfo]:
    windows: dict[int, WindowInfo] = {}
    for pane in list_panes(name):
        window = windows.setdefault(
            pane.window_index,
            WindowInfo(index=pane.window_index, name=pane.window_name, active=pane.window_active),
        )
        window.panes.append(pane)
    return [windows[i] for i in sorted(windows)]


_PANE_RE = re.compile(r"^(?:(\d{1,4})\.)?(\d{1,4})$")


def resolve_pane(name: str, pane: str | None = None) -> PaneInfo:
    """`pane` is "N" (pane N of the active window) or "W.N" (pane N of window W); None: active."""
    panes = list_panes(name)
    if pane in (None, ""):
        for p in panes:
            if p.window_active and p.active:
                return p
        if panes:
            return panes[0]
        raise TmuxNotFoundError(f"no pane in {name!r}")
    match = _PANE_RE.match(pane)
    if not match:
        raise TmuxNotFoundError(f"no pane {pane!r}")
    window = int(match.group(1)) if match.group(1) is not None else None
    index = int(match.group(2))
    for p in panes:
        if p.index == index and (p.window_active if window is None else p.window_index == window):
            return p
    raise TmuxNotFoundError(f"no pane {pane!r}")


def pane_label(pane: PaneInfo) -> str:
    return str(pane.index) if pane.window_active else f"{pane.window_index}.{pane.index}"


def capture(pane_id: str, *, scrollback: bool = True, escapes: bool = False) -> str:
    """The pane's text: its scrollback (up to HISTORY_LINES) and visible screen.

    Plain (`escapes=False`) for the REST API, trailing blank lines dropped; with escapes (colours)
    and every screen line kept for a terminal emulator to repaint.
    """
    args = ["capture-pane", "-p", "-t", pane_id]
    if scrollback:
        args += ["-S", f"-{HISTORY_LINES}"]
    if escapes:
        args += ["-e"]
    else:
        args += ["-J"]
    out = run(*args)
    if out.endswith("\n"):
        out = out[:-1]
    if not escapes:
        out = out.rstrip("\n")
    return out


def screen(pane: PaneInfo) -> str:
    """What a terminal emulator of the pane's size must write to show the pane as tmux does:
    scrollback and screen (CRLF-separated, with colours), then the cursor moved into place."""
    text = capture(pane.id, scrollback=True, escapes=True)
    return _painted(text.split("\n"), pane.cursor_x, pane.cursor_y, clear_scrollback=True)


def repaint(pane_id: str) -> str:
    """The pane's screen as it is now, for an emulator already showing the pane: cleared and
    redrawn with colours, the cursor in place, its own scrollback left alone. One tmux call
    (two commands in one queue), so the cursor belongs to the same instant as the screen."""
    if not _PANE_ID_RE.match(pane_id):
        raise TmuxNotFoundError(f"bad pane id {pane_id!r}")
    cursor = "#{cursor_x} #{cursor_y}"
    out = run(
        "capture-pane",
        "-p",
        "-e",
        "-t",
        pane_id,
        ";",
        "display-message",
        "-p",
        "-t",
        pane_id,
        cursor,
    )
    *lines, position = out.rstrip("\n").split("\n")
    x, y = (int(v) for v in position.split())
    return _painted(lines, x, y, clear_scrollback=False)


def _painted(lines: list[str], cursor_x: int, cursor_y: int, *, clear_scrollback: bool) -> str:
    clear = "\x1b[H\x1b[2J\x1b[3J" if clear_scrollback else "\x1b[H\x1b[2J"
    body = "\r\n".join(lines)
    return f"\x1b[0m{clear}{body}\x1b[0m\x1b[{cursor_y + 1};{cursor_x + 1}H"


def send_bytes(pane_id: str, data: bytes) -> None:
    """Write `data` to the pane exactly: one hex byte per `send-keys -H` argument, chunked."""
    for start in range(0, len(data), SEND_CHUNK):
        chunk = data[start : start + SEND_CHUNK]
        run("send-keys", "-H", "-t", pane_id, *(f"{b:02x}" for b in chunk))


def create_session(name: str, *, width: int = 80, height: int = 24) -> SessionInfo:
    if not valid_name(name):
        raise TmuxError("invalid session name")
    try:
        run("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height))
    except TmuxError as exc:
        if "duplicate session" in str(exc):
            raise TmuxError("duplicate session") from exc
        raise
    return get_session(name)


def kill_session(name: str) -> None:
    run("kill-session", "-t", _target(name))


def resize(name: str, pane: PaneInfo, *, cols: int, rows: int) -> None:
    """Size the pane's window (the claim holder's terminal size wins)."""
    run("resize-window", "-t", f"{pane.id}", "-x", str(cols), "-y", str(rows))


def reset_size(name: str) -> None:
    """Give the session's windows back to tmux's own sizing (undo the claim holder's size)."""
    for window in list_windows(name):
        if window.panes:
            run("set-option", "-w", "-u", "-t", window.panes[0].id, "window-size")


def pipe_pane(pane_id: str, shell_command: str | None) -> None:
    """Start (`shell_command`) or stop (None) copying the pane's output to a command."""
    if shell_command is None:
        run("pipe-pane", "-t", pane_id)
    else:
        run("pipe-pane", "-o", "-t", pane_id, shell_command)


# ---------------------------------------------------------------------------------------------
# Live output: one control-mode client per streamed session.

_OCTAL = re.compile(rb"\\([0-7]{3})")
_PANE_ID_RE = re.compile(r"^%\d{1,9}$")


def unescape_output(data: bytes) -> bytes:
    """Control mode writes bytes < 0x20 and '\\' as three-digit octal escapes."""
    return _OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]), data)


@dataclass
class ControlEvent:
    kind: str  # "output" | "layout" | "sessions" (created/killed/renamed) | "exit"
    pane_id: str = ""
    data: str = ""


class ControlClient:
    """`tmux -C attach -t =<session> -f ignore-size`: %output lines as text events, and a pipe
    for `send-keys -H` commands (no process spawned per keystroke).

    Ignoring size, so watching never changes what the session looks like. Only this module
    writes commands to it, and only `send-keys -H -t %<n>` with hex-digit arguments: nothing a
    user typed is ever parsed by tmux. Replies (`%begin ... 1` / `%end` or `%error`) come back
    in order and settle the waiting command.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.proc: asyncio.subprocess.Process | None = None
        self._decoders: dict[str, codecs.IncrementalDecoder] = {}
        self._pending: collections.deque[asyncio.Future] = collections.deque()
        self._write_lock = asyncio.Lock()

    async def start(self) -> None:
        cmd = [*base_command(), "-C", "attach-session", "-t", _target(self.name)]
        cmd += ["-f", "ignore-size"]
        try:
            self.proc = await asyncio.wait_for(
                asyncio.create_subprocess_exec(
                    *cmd,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.DEVNULL,
                    limit=4 * 1024 * 1024,
                ),
                timeout=TIMEOUT,
            )
        except (OSError, TimeoutError) as exc:
            raise TmuxUnavailableError(str(exc)) from exc

    async def send_bytes(self, pane_id: str, data: bytes) -> None:
        """`send_bytes` through this client: the same exact hex keys, no subprocess."""
        if not _PANE_ID_RE.match(pane_id):
            raise TmuxNotFoundError(f"bad pane id {pane_id!r}")
        proc = self.proc
        if proc is None or proc.stdin is None or proc.returncode is not None:
            raise TmuxUnavailableError("control client is not running")
        futures = []
        async with self._write_lock:  # commands and their futures stay in the same order
            for start in range(0, len(data), SEND_CHUNK):
                chunk = data[start : start + SEND_CHUNK]
                line = f"send-keys -H -t {pane_id} " + " ".join(f"{b:02x}" for b in chunk)
                future = asyncio.get_running_loop().create_future()
                self._pending.append(future)
                futures.append(future)
                proc.stdin.write(line.encode("ascii") + b"\n")
            try:
                await asyncio.wait_for(proc.stdin.drain(), timeout=TIMEOUT)
            except (TimeoutError, ConnectionError) as exc:
                raise TmuxUnavailableError("control client not accepting input") from exc
        try:
            async with asyncio.timeout(TIMEOUT):
                for future in futures:
                    await future
        except TimeoutError as exc:
            raise TmuxUnavailableError(f"tmux did not answer within {TIMEOUT}s") from exc

    def _settle(self, error: str | None) -> None:
        while self._pending:
            future = self._pending.popleft()
            if future.done():
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(_classify(error))
            return

    def _decode(self, pane_id: str, raw: bytes) -> str:
        decoder = self._decoders.get(pane_id)
        if decoder is None:
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            self._decoders[pane_id] = decoder
        return decoder.decode(raw)

    async def events(self) -> AsyncIterator[ControlEvent]:
        if self.proc is None or self.proc.stdout is None:
            raise TmuxUnavailableError("control client not started")
        block: list[bytes] | None = None  # the reply to one of our commands, being read
        ours = False
        try:
            while True:
                line = await self.proc.stdout.readline()
                if not line:
                    yield ControlEvent("exit")
                    return
                line = line.rstrip(b"\r\n")
                if block is not None:
                    if line.startswith((b"%end ", b"%error ")):
                        if ours:
                            error = None
                            if line.startswith(b"%error"):
                                error = b"\n".join(block).decode("utf-8", "replace") or "error"
                            self._settle(error)
                        block = None
                    else:
                        block.append(line)
                    continue
                if line.startswith(b"%begin "):
                    block, ours = [], line.endswith(b" 1")
                elif line.startswith(b"%output "):
                    _, pane_id, payload = [*line.split(b" ", 2), b"", b""][:3]
                    text = self._decode(pane_id.decode(), unescape_output(payload))
                    if text:
                        yield ControlEvent("output", pane_id.decode(), text)
                elif line.startswith(
                    (b"%layout-change", b"%window-pane-changed", b"%session-window")
                ):
                    yield ControlEvent("layout")
                elif line.startswith((b"%sessions-changed", b"%session-renamed")):
                    yield ControlEvent("sessions")
                elif line.startswith(b"%exit"):
                    yield ControlEvent("exit")
                    return
        finally:
            while self._pending:
                future = self._pending.popleft()
                if not future.done():
                    future.set_exception(TmuxUnavailableError("control client exited"))

    async def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(Exception):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), timeout=2)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), timeout=2)
