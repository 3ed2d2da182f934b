"""Concurrent sockets held by one Daphne, broadcast latency as sockets and rooms grow, memory.

The sockets are bingo game sockets (`/bingo/ws/games/<id>`, spectators need no account). A
broadcast is a draw: the game's creator draws through the REST API and every socket of the game
gets `{"type": "draw", ...}`; its latency is from the request being sent to each socket's frame
(so it includes the draw itself: time-stamp, database, then the fan-out).

- Sockets held: N idle sockets (on another game) are opened on the one process; at several
  levels of N the p95 of a draw to a 10-member room is measured again. Goal: ≥ 2,000 sockets,
  p95 within 20 % of the case where the process holds only those 10.
- Memory per socket: the Daphne's RSS growth over the N idle sockets / N, against a bare
  `websockets` server holding as many.
- Fan-out against room size: the same draw to rooms of 10 … 500 members, against the bare
  `websockets` relay (bench_watchparty's) broadcasting to as many.

Rows carry their curves for `bench/chart.py` in `extra["series"]` (see there).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import resource
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from pathlib import Path

import requests

from bench.common import Context, Row, lobby_env, manage, percentile
from tests import servers

ADMIN_EMAIL = "bench-caller@example.com"
ROOM = 10
SETUP = (
    "from accounts.models import User; from accounts.services import api_session_create;"
    f"u = User.objects.create_user(email={ADMIN_EMAIL!r}, password='bench-Lobby-123');"
    "print(api_session_create(user=u, label='bench')[1])"
)


def raise_fd_limit(wanted: int) -> int:
    """Raise this process's open-file limit (children inherit it) as far as allowed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": percentile(samples, 50),
        "p95_ms": percentile(samples, 95),
        "samples": len(samples),
    }


class Lobby:
    """One Daphne, SQLite, the local TSA, a bingo admin session; in-memory channel layer unless
    `REDIS_URL` is given."""

    def __init__(self, workdir: Path, stack: ExitStack, **env_overrides: str) -> None:
        env = lobby_env(workdir, BINGO_ADMIN_EMAILS=ADMIN_EMAIL, BINGO_TSA_URLS="", **env_overrides)
        workdir.mkdir(parents=True, exist_ok=True)
        manage(env, "lobby_setup")
        self.admin = manage(env, "shell", "-v", "0", "-c", SETUP).strip().splitlines()[-1]
        self.daphne = servers.Daphne(env).start()
        stack.callback(self.daphne.stop)
        self.http = requests.Session()
        self.http.headers["X-Session-Id"] = self.admin
        self.pool = ThreadPoolExecutor(1)
        stack.callback(self.pool.shutdown)

    @property
    def pid(self) -> int:
        assert self.daphne.proc is not None
        return self.daphne.proc.pid

    def game(self) -> str:
        r = self.http.post(f"{self.daphne.url}/bingo/games", json={"name": "Bench"}, timeout=30)
        r.raise_for_status()
        return r.json()["game_id"]

    def draw(self, game_id: str) -> int:
        r = self.http.post(f"{self.daphne.url}/bingo/games/{game_id}/draw", timeout=30)
        r.raise_for_status()
        return r.json()["sequence"]

    def ws(self, game_id: str) -> str:
        return f"ws://127.0.0.1:{self.daphne.port}/bingo/ws/games/{game_id}"


async def open_many(url: str, count: int, batch: int = 100) -> list:
    """`count` client sockets to `url`, opened `batch` at a time."""
    from websockets.asyncio.client import connect

    sockets: list = []
    while len(sockets) < count:
        n = min(batch, count - len(sockets))
        sockets += await asyncio.gather(
            *(connect(url, open_timeout=30, ping_interval=None, max_size=None) for _ in range(n))
        )
    return sockets


async def close_all(sockets: list) -> None:
    for i in range(0, len(sockets), 200):
        await asyncio.gather(*(ws.close() for ws in sockets[i : i + 200]))


async def room_latency(lobby: Lobby, members: int, draws: int, warmup: int = 3) -> list[float]:
    """Latencies (ms) of `draws` draws to each of `members` sockets of a fresh game."""
    loop = asyncio.get_running_loop()
    game_id = await loop.run_in_executor(lobby.pool, lobby.game)
    sockets = await open_many(lobby.ws(game_id), members)
    sent: dict[int, float] = {}
    got: dict[int, int] = {}
    done: dict[int, asyncio.Event] = {}
    latencies: list[float] = []
    expected = iter(range(1, draws + warmup + 1))

    async def reader(ws) -> None:  # type: ignore[no-untyped-def]
        async for frame in ws:
            now = time.perf_counter()
            msg = json.loads(frame)
            if msg.get("type") != "draw":
                continue
            seq = msg["sequence"]
            if seq > warmup:
                latencies.append((now - sent[seq]) * 1000)
            got[seq] = got.get(seq, 0) + 1
            if got[seq] == members:
                done[seq].set()

    readers = [asyncio.create_task(reader(ws)) for ws in sockets]
    try:
        for seq in expected:
            done[seq] = asyncio.Event()
            sent[seq] = time.perf_counter()
            drawn = await loop.run_in_executor(lobby.pool, lobby.draw, game_id)
            assert drawn == seq, (drawn, seq)
            with suppress(TimeoutError):
                await asyncio.wait_for(done[seq].wait(), timeout=15)
    finally:
        for task in readers:
            task.cancel()
        await close_all(sockets)
    return latencies


def _bare_holder(port: int, ready) -> None:  # type: ignore[no-untyped-def]
    from bench.bench_watchparty import _bare_server

    _bare_server(port, ready)


async def bare_latency(port: int, members: int, count: int, warmup: int = 3) -> list[float]:
    """The bare relay: one client sends, the server broadcasts to all `members` sockets."""
    sockets = await open_many(f"ws://127.0.0.1:{port}/", members)
    sent: dict[int, float] = {}
    got: dict[int, int] = {}
    done: dict[int, asyncio.Event] = {}
    latencies: list[float] = []

    async def reader(ws) -> None:  # type: ignore[no-untyped-def]
        async for frame in ws:
            now = time.perf_counter()
            seq = json.loads(frame)["n"]
            if seq > warmup:
                latencies.append((now - sent[seq]) * 1000)
            got[seq] = got.get(seq, 0) + 1
            if got[seq] == members:
                done[seq].set()

    readers = [asyncio.create_task(reader(ws)) for ws in sockets]
    try:
        for seq in range(1, count + warmup + 1):
            done[seq] = asyncio.Event()
            sent[seq] = time.perf_counter()
            await sockets[0].send(json.dumps({"n": seq}))
            with suppress(TimeoutError):
                await asyncio.wait_for(done[seq].wait(), timeout=15)
    finally:
        for task in readers:
            task.cancel()
        await close_all(sockets)
    return latencies


def _hold(url: str, conn) -> None:  # type: ignore[no-untyped-def]
    """Child process: open (or close) sockets to `url` to each count asked for; report how many
    are open."""

    async def main() -> None:
        sockets: list = []
        loop = asyncio.get_running_loop()
        while True:
            target = await loop.run_in_executor(None, conn.recv)
            if target is None:
                break
            if target > len(sockets):
                sockets += await open_many(url, target - len(sockets))
            elif target < len(sockets):
                await close_all(sockets[target:])
                del sockets[target:]
            conn.send(sum(1 for ws in sockets if ws.state.name == "OPEN"))
        await close_all(sockets)
        conn.send(0)

    asyncio.run(main())


class Holder:
    """Idle client sockets held open by a separate process."""

    def __init__(self, url: str) -> None:
        self.conn, child = multiprocessing.Pipe()
        self.proc = multiprocessing.Process(target=_hold, args=(url, child), daemon=True)
        self.proc.start()
        self.count = 0
        self.most = 0  # the most sockets open at once

    def hold(self, count: int) -> int:
        self.conn.send(count)
        if not self.conn.poll(120):
            raise TimeoutError(f"could not open {count} sockets")
        self.count = self.conn.recv()
        self.most = max(self.most, self.count)
        return self.count

    def stop(self) -> None:
        with suppress(OSError, EOFError):
            self.conn.send(None)
            self.conn.poll(30)
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.terminate()


async def measure_ends(
    lobby: Lobby,
    holder: Holder,
    order: tuple[int, ...],
    draws: int,
    seed: dict[int, list[float]] | None = None,
) -> dict[str, dict[str, float]]:
    """The 10-member room with 10 sockets held (level 0) and with N + 10 (level N), measured at
    the levels in `order` (e.g. 0, N, N, 0), so load from anything else on the machine falls on
    both ends alike. `seed`: samples already taken at either end."""
    loop = asyncio.get_running_loop()
    ends: dict[int, list[float]] = {level: [] for level in order}
    for level, samples in (seed or {}).items():
        ends[level] += samples
    for level in order:
        if level != holder.count:
            await loop.run_in_executor(None, holder.hold, level)
        ends[level] += await room_latency(lobby, ROOM, draws)
    base, top = min(ends), max(ends)
    return {"base": summary(ends[base]), "top": summary(ends[top])}


async def measure_redis(lobby: Lobby, quick: bool) -> dict:
    held_target = 300 if quick else 2000
    draws = 10 if quick else 20
    sizes = [10, 50] if quick else [10, 100, 250]
    room = [summary(await room_latency(lobby, k, draws * 2 // 3)) for k in sizes]
    loop = asyncio.get_running_loop()
    holder = Holder(lobby.ws(await loop.run_in_executor(lobby.pool, lobby.game)))
    try:
        ends = await measure_ends(lobby, holder, (0, held_target, held_target, 0), draws)
        return {"ends": ends, "held_reached": holder.most, "room": room, "sizes": sizes}
    finally:
        holder.stop()


async def measure(lobby: Lobby, bare_port: int, bare_pid: int, quick: bool) -> dict:
    held_target = 300 if quick else 2000
    levels = [0, held_target // 2, held_target]
    sizes = [10, 50] if quick else [10, 50, 100, 250]
    draws = 10 if quick else 20
    out: dict = {"sizes": sizes, "levels": levels, "held_target": held_target}

    # fan-out against room size, Lobby and the bare relay
    out["room"] = [summary(await room_latency(lobby, k, draws * 2 // 3)) for k in sizes]
    out["bare_room"] = [summary(await bare_latency(bare_port, k, draws)) for k in sizes]

    # sockets held: idle spectators of another game, opened by a separate client process (so
    # the measuring client stays as light as in the 10-socket case); a 10-member room measured
    # at each level
    loop = asyncio.get_running_loop()
    idle_game = await loop.run_in_executor(lobby.pool, lobby.game)
    holder = Holder(lobby.ws(idle_game))
    out["held"] = []
    rss_before = rss_kib(lobby.pid)
    try:
        seed: dict[int, list[float]] = {}
        for level in levels:
            if level:
                await loop.run_in_executor(None, holder.hold, level)
            seed[level] = await room_latency(lobby, ROOM, draws)
            out["held"].append(summary(seed[level]))
        out["held_reached"] = holder.count
        out["lobby_kib_per_socket"] = (rss_kib(lobby.pid) - rss_before) / max(1, holder.count)
        out["held_open_at_end"] = holder.count
        seed = {0: seed[0], held_target: seed[held_target]}
        out["ends"] = await measure_ends(lobby, holder, (held_target, 0), draws, seed)
    finally:
        holder.stop()

    bare_before = rss_kib(bare_pid)
    bare_holder = Holder(f"ws://127.0.0.1:{bare_port}/")
    try:
        held = await loop.run_in_executor(None, bare_holder.hold, held_target)
        out["bare_kib_per_socket"] = (rss_kib(bare_pid) - bare_before) / held
    finally:
        bare_holder.stop()
    return out


def run(ctx: Context) -> list[Row]:
    limit = raise_fd_limit(16384)
    with ExitStack() as stack:
        port = servers.free_port()
        ready = multiprocessing.Event()
        bare = multiprocessing.Process(target=_bare_holder, args=(port, ready), daemon=True)
        bare.start()
        stack.callback(lambda: (bare.terminate(), bare.join(5)))
        if not ready.wait(10):
            raise RuntimeError("bare websockets server did not start")
        lobby = Lobby(ctx.workdir / "lobby", stack)
        assert bare.pid is not None
        r = asyncio.run(measure(lobby, port, bare.pid, ctx.quick))
        lobby.daphne.stop()
        # the scaled mode's channel layer: Redis (cache too), the same process otherwise
        redis_url = stack.enter_context(servers.redis_server(ctx.workdir / "redis"))
        scaled = Lobby(ctx.workdir / "scaled", stack, REDIS_URL=redis_url)
        rr = asyncio.run(measure_redis(scaled, ctx.quick))

    sizes, levels = r["sizes"], r["levels"]
    base, top = r["ends"]["base"], r["ends"]["top"]
    reached = r["held_reached"]
    held_series = {
        "panel": "sockets held by the process",
        "label": f"Lobby bingo draw, {ROOM}-member room (in-memory layer)",
        "x": [lv + ROOM for lv in levels],
        "p50": [h["p50_ms"] for h in r["held"]],
        "p95": [h["p95_ms"] for h in r["held"]],
    }
    room_series = [
        {
            "panel": "room size (sockets receiving each broadcast)",
            "label": "Lobby bingo draw (1 Daphne, in-memory layer)",
            "x": sizes,
            "p50": [s["p50_ms"] for s in r["room"]],
            "p95": [s["p95_ms"] for s in r["room"]],
        },
        {
            "panel": "room size (sockets receiving each broadcast)",
            "label": "Lobby bingo draw (1 Daphne, Redis layer)",
            "x": rr["sizes"],
            "p50": [s["p50_ms"] for s in rr["room"]],
            "p95": [s["p95_ms"] for s in rr["room"]],
        },
        {
            "panel": "room size (sockets receiving each broadcast)",
            "label": "bare websockets relay",
            "x": sizes,
            "p50": [s["p50_ms"] for s in r["bare_room"]],
            "p95": [s["p95_ms"] for s in r["bare_room"]],
        },
    ]
    return [
        Row(
            name="sockets held open by one Daphne",
            value=reached,
            unit="sockets",
            goal="≥ 2,000",
            notes=f"bingo spectator sockets, {r['held_open_at_end']} still open at the end; "
            f"open-file limit {limit}",
            extra={"held": r["held"], "levels": levels},
        ),
        Row(
            name=f"bingo draw p95, {ROOM}-member room, {reached + ROOM} sockets held, "
            "in-memory layer",
            value=top["p95_ms"],
            unit="ms",
            baseline=base["p95_ms"],
            baseline_name=f"same, {ROOM} sockets held",
            goal="ratio ≤ 1.2",
            notes=f"p50 {top['p50_ms']:.2f} vs {base['p50_ms']:.2f} ms; {top['samples']} samples",
            extra={"series": [held_series]},
        ),
        Row(
            name=f"same, Redis channel layer, {rr['held_reached'] + ROOM} sockets held",
            value=rr["ends"]["top"]["p95_ms"],
            unit="ms",
            baseline=rr["ends"]["base"]["p95_ms"],
            baseline_name=f"same, {ROOM} sockets held",
            goal="ratio ≤ 1.2",
            notes=f"p50 {rr['ends']['top']['p50_ms']:.2f} vs {rr['ends']['base']['p50_ms']:.2f} ms",
        ),
        Row(
            name="memory per held socket, Daphne",
            value=r["lobby_kib_per_socket"],
            unit="KiB",
            baseline=r["bare_kib_per_socket"],
            baseline_name="bare websockets server",
            goal="report",
            notes=f"RSS growth over {reached} idle sockets / {reached}",
        ),
        Row(
            name=f"bingo draw fan-out p95, room of {sizes[-1]}",
            value=r["room"][-1]["p95_ms"],
            unit="ms",
            baseline=r["bare_room"][-1]["p95_ms"],
            baseline_name=f"bare websockets broadcast to {sizes[-1]}",
            goal="report",
            notes="in-memory layer; draw = time-stamp + insert + fan-out; Redis layer "
            + ", ".join(
                f"{k}: {s['p95_ms']:.1f}" for k, s in zip(rr["sizes"], rr["room"], strict=True)
            )
            + " ms p95; in-memory "
            + ", ".join(f"{k}: {s['p95_ms']:.1f}" for k, s in zip(sizes, r["room"], strict=True))
            + " ms p95",
            extra={"series": room_series},
        ),
    ]
