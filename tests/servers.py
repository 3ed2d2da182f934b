"""Real servers for tests: Daphne, redis-server and a throwaway PostgreSQL cluster.

Each starts on a free loopback port, waits until it answers, and is stopped by its fixture.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout: float = 20.0, what: str = "server") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:
            last = exc
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not start within {timeout}s: {last}")


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)


class Daphne:
    """A Daphne process (`config.server`, as `make run` starts it) serving config.asgi on a free
    port with the given environment."""

    def __init__(self, env: dict[str, str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.log_path = Path(env["LOBBY_DATA_DIR"]) / f"daphne-{self.port}.log"

    def start(self) -> Daphne:
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the fd
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "config.server",  # Daphne with Lobby's request limits
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "config.asgi:application",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._healthy, what=f"daphne on {self.port} (log: {self.log_path})")
        return self

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"daphne exited: {self.log_path.read_text()[-2000:]}")
        url = f"{self.url}/health"
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own http URL
            return response.status == 200

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@contextlib.contextmanager
def redis_server(workdir: Path, port: int | None = None) -> Iterator[str]:
    """redis-server on `port` (default: a free one); yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server")
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: socket.create_connection(("127.0.0.1", port), timeout=0.5).close() or True,
            what="redis-server",
        )
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc)


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise FileNotFoundError(name)


@contextlib.contextmanager
def postgres_server(workdir: Path) -> Iterator[str]:
    """A throwaway PostgreSQL cluster (initdb + pg_ctl); yields a DATABASE_URL.

    PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user.
    """
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    port = free_port()
    prefix: list[str] = []
    if os.geteuid() == 0:
        # The `postgres` user must reach the cluster: not under pytest's root-only 0700 dirs.
        workdir = Path(tempfile.mkdtemp(prefix="lobby-pg-", dir="/tmp"))
        shutil.chown(workdir, user="postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data = workdir / "pgdata"
    workdir.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=60)

    run(initdb, "-D", str(data), "-U", "lobby", "--auth=trust", "-E", "UTF8", "--no-sync")
    run(
        pg_ctl,
        "-D",
        str(data),
        "-l",
        str(workdir / "pg.log"),
        "-w",
        "-o",
        f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
        "start",
    )
    try:
        yield f"postgres://lobby@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        if prefix:
            shutil.rmtree(workdir, ignore_errors=True)
