"""WatchParty fan-out: a message from one member of a 10-member room reaching all 10 sockets.

Lobby (Daphne + Channels; chat is stored before it is broadcast) against a bare `websockets`
server that relays each frame to every connection, with the same client. The two alternate in
rounds, so drift in the machine's load falls on both; each figure pools every round's samples.
A third server shows how much of the gap is Daphne itself: a bare ASGI relay (no Django) served
by Daphne. The last rows spread one room over two Daphne processes on Redis: first that bare relay
publishing over Redis pub/sub (the floor for two processes), then Lobby on Redis and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from contextlib import ExitStack, suppress

import requests

from bench.common import Context, Row, lobby_env, manage, percentile
from tests import servers

MEMBERS = 10


def _bare_server(port: int, ready) -> None:  # type: ignore[no-untyped-def]
    """The baseline: relay every text frame to every open connection (sender included)."""
    import websockets
    from websockets.asyncio.server import broadcast, serve

    async def main() -> None:
        clients: set = set()

        async def handler(ws) -> None:  # type: ignore[no-untyped-def]
            clients.add(ws)
            try:
                async for frame in ws:
                    msg = json.loads(frame)
                    msg["timestamp"] = int(time.time() * 1000)
                    broadcast(clients, json.dumps(msg))
            except websockets.ConnectionClosed:
                pass
            finally:
                clients.discard(ws)

        async with serve(handler, "127.0.0.1", port, max_size=64 * 1024):
            ready.set()
            await asyncio.Future()

    asyncio.run(main())


# The bare relay again, as a plain ASGI app for Daphne. With RELAY_REDIS_URL (two processes) it
# also publishes each frame once over Redis pub/sub and relays what the other process publishes.
DAPHNE_RELAY = """
import asyncio, json, os, time, uuid
clients = {}
origin = uuid.uuid4().hex
redis = None
async def relay(text):
    for peer in list(clients.values()):
        await peer({"type": "websocket.send", "text": text})
async def listen():
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe("relay")
    async for message in pubsub.listen():
        sender, _, text = message["data"].decode().partition(" ")
        if sender != origin:
            await relay(text)
async def app(scope, receive, send):
    global redis
    if scope["type"] != "websocket":
        return
    if redis is None and os.environ.get("RELAY_REDIS_URL"):
        from redis.asyncio import Redis
        redis = Redis.from_url(os.environ["RELAY_REDIS_URL"])
        asyncio.ensure_future(listen())
    await receive()
    await send({"type": "websocket.accept"})
    key = object()
    clients[key] = send
    try:
        while (message := await receive())["type"] == "websocket.receive":
            msg = json.loads(message["text"])
            msg["timestamp"] = int(time.time() * 1000)
            text = json.dumps(msg)
            await relay(text)
            if redis is not None:
                await redis.publish("relay", f"{origin} {text}")
    finally:
        clients.pop(key, None)
"""


def _daphne_relay(workdir, port: int, redis_url: str = ""):  # type: ignore[no-untyped-def]
    """The same relay as the bare server, as a plain ASGI app served by Daphne (over Redis if
    `redis_url` is given)."""
    (workdir / "daphne_relay.py").write_text(DAPHNE_RELAY)
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-p", str(port), "daphne_relay:app"],
        cwd=workdir,
        env={**os.environ, "RELAY_REDIS_URL": redis_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    servers.wait_for(
        lambda: socket.create_connection(("127.0.0.1", port), 0.5).close() or True,
        what="daphne relay",
    )
    return proc


async def _fan_out(urls: list[str], kind: str, count: int, warmup: int) -> list[float]:
    """Latencies (ms) of every (message, receiver) pair; the sender is urls[0]'s client."""
    from websockets.asyncio.client import connect

    sockets = [await connect(u, open_timeout=10, max_size=None) for u in urls]
    sent: dict[int, float] = {}
    got: dict[int, int] = {}
    latencies: list[float] = []
    done: dict[int, asyncio.Event] = {}

    async def reader(ws) -> None:  # type: ignore[no-untyped-def]
        async for frame in ws:
            now = time.perf_counter()
            msg = json.loads(frame)
            if msg.get("type") != kind:
                continue
            payload = msg.get("payload") or {}
            if kind == "playback_state":
                seq = int(payload.get("currentTime"))
            else:
                text = payload.get("message" if kind == "chat" else "candidate")
                seq = int(str(text).rsplit(" ", 1)[-1])
            if seq not in sent:
                continue
            if seq >= warmup:
                latencies.append((now - sent[seq]) * 1000)
            got[seq] = got.get(seq, 0) + 1
            if got[seq] == receivers:
                done[seq].set()

    # signalling goes to every other member; chat and playback to everyone, sender included
    receivers = len(sockets) - 1 if kind == "ice_candidate" else len(sockets)
    readers = [asyncio.create_task(reader(ws)) for ws in sockets]
    await asyncio.sleep(0.5)  # let joins and states settle
    try:
        for seq in range(1, count + warmup + 1):
            done[seq] = asyncio.Event()
            if kind == "chat":
                frame = {"type": "chat", "payload": {"message": f"bench {seq}"}}
            elif kind == "ice_candidate":
                frame = {"type": "ice_candidate", "payload": {"candidate": f"bench {seq}"}}
            else:
                frame = {
                    "type": "playback_state",
                    "payload": {"playing": False, "currentTime": seq},
                }
            sent[seq] = time.perf_counter()
            await sockets[0].send(json.dumps(frame))
            with suppress(TimeoutError):
                await asyncio.wait_for(done[seq].wait(), timeout=10)
    finally:
        for task in readers:
            task.cancel()
        # A clean close leaves the room at once and a leaving host hands the role on: the host
        # (the sender, urls[0]) goes last, alone, so it is still the host in the next round.
        for ws in reversed(sockets):
            await ws.close()
    return latencies


def _room(base: str, members: int, other: str | None = None) -> tuple[str, list[str]]:
    """A room with `members` members (host first); joins alternate between `base` and `other`."""
    r = requests.post(
        f"{base}/watchparty/api/sessions/create",
        json={"name": "Bench room", "password": "bench-pass"},
        timeout=30,
    )
    r.raise_for_status()
    room = r.json()
    urls = [f"{base.replace('http', 'ws', 1)}/watchparty/ws/{room['id']}?token={room['token']}"]
    for i in range(members - 1):
        server = other if other and i % 2 == 0 else base
        j = requests.post(
            f"{server}/watchparty/api/sessions/join",
            json={"session_id": room["id"], "password": "bench-pass"},
            timeout=30,
        )
        j.raise_for_status()
        ws_base = server.replace("http", "ws", 1)
        urls.append(f"{ws_base}/watchparty/ws/{room['id']}?token={j.json()['token']}")
    return room["id"], urls


def _summary(lat: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95), "samples": len(lat)}


def run(ctx: Context) -> list[Row]:
    rounds, count, warmup, settle = (1, 40, 5, 10) if ctx.quick else (4, 150, 15, 150)
    results: dict[str, list[float]] = {}
    baselines: dict[str, list[float]] = {}
    with ExitStack() as stack:
        port = servers.free_port()
        ready = multiprocessing.Event()
        bare = multiprocessing.Process(target=_bare_server, args=(port, ready), daemon=True)
        bare.start()
        stack.callback(lambda: (bare.terminate(), bare.join(5)))
        if not ready.wait(10):
            raise RuntimeError("bare websockets server did not start")
        bare_urls = [f"ws://127.0.0.1:{port}/"] * MEMBERS

        def measure(key: str, urls: list[str], kind: str) -> None:
            """Both warmed up, then bare and Lobby in turns, `rounds` times; all samples kept."""
            asyncio.run(_fan_out(bare_urls, "chat", settle, 0))
            asyncio.run(_fan_out(urls, kind, settle, 0))
            baselines[key], results[key] = [], []
            for _ in range(rounds):
                baselines[key] += asyncio.run(_fan_out(bare_urls, "chat", count, warmup))
                results[key] += asyncio.run(_fan_out(urls, kind, count, warmup))

        relay_port = servers.free_port()
        relay = _daphne_relay(ctx.workdir, relay_port)
        stack.callback(lambda: servers.stop(relay))
        measure("daphne", [f"ws://127.0.0.1:{relay_port}/"] * MEMBERS, "chat")
        servers.stop(relay)

        # one Daphne, in-memory channel layer, SQLite
        env = lobby_env(ctx.workdir / "one", WATCHPARTY_BCRYPT_ROUNDS="4")
        (ctx.workdir / "one").mkdir(parents=True, exist_ok=True)
        manage(env, "lobby_setup")
        one = servers.Daphne(env).start()
        stack.callback(one.stop)
        for key, kind in (
            ("chat1", "chat"),
            ("play1", "playback_state"),
            ("ice1", "ice_candidate"),
        ):
            _, urls = _room(one.url, MEMBERS)
            measure(key, urls, kind)
        one.stop()

        # scaled mode: two Daphnes on Redis and PostgreSQL, members split between them
        redis_url = stack.enter_context(servers.redis_server(ctx.workdir / "redis"))
        relay_ports = servers.free_port(), servers.free_port()
        relays = [_daphne_relay(ctx.workdir, p, redis_url) for p in relay_ports]
        for proc in relays:
            stack.callback(servers.stop, proc)
        # members alternate between the two processes, as in the Lobby row below
        measure(
            "daphne2",
            [f"ws://127.0.0.1:{relay_ports[i % 2]}/" for i in range(MEMBERS)],
            "chat",
        )
        for proc in relays:
            servers.stop(proc)
        database_url = stack.enter_context(servers.postgres_server(ctx.workdir / "pg"))
        env2 = lobby_env(
            ctx.workdir / "two",
            WATCHPARTY_BCRYPT_ROUNDS="4",
            REDIS_URL=redis_url,
            DATABASE_URL=database_url,
        )
        (ctx.workdir / "two").mkdir(parents=True, exist_ok=True)
        manage(env2, "lobby_setup")
        a = servers.Daphne(env2).start()
        stack.callback(a.stop)
        b = servers.Daphne(env2).start()
        stack.callback(b.stop)
        _, urls = _room(a.url, MEMBERS, other=b.url)
        measure("chat2", urls, "chat")

    def row(name: str, key: str, goal: str, what: str = "") -> Row:
        r, base = _summary(results[key]), _summary(baselines[key])
        return Row(
            name=name,
            value=r["p95_ms"],
            unit="ms",
            baseline=base["p95_ms"],
            baseline_name="bare websockets p95",
            goal=goal,
            notes=(
                f"p50 {r['p50_ms']:.2f} ms vs bare {base['p50_ms']:.2f} ms; {MEMBERS} members, "
                f"{rounds}×{count} messages one at a time after {settle} to warm up, "
                f"alternating with bare{what}"
            ),
            extra={"lobby": r, "bare": base},
        )

    return [
        row("daphne relay, no Django (floor) p95", "daphne", "(Daphne's share)"),
        row("watchparty chat fan-out p95, 1 Daphne", "chat1", "ratio ≤ 2"),
        row("watchparty playback fan-out p95, 1 Daphne", "play1", "ratio ≤ 2"),
        row("watchparty ICE relay (not stored) p95, 1 Daphne", "ice1", "(no store)"),
        row("daphne relay over Redis, no Django, 2 Daphnes (floor) p95", "daphne2", "(floor)"),
        row(
            "watchparty chat fan-out p95, 2 Daphnes + Redis",
            "chat2",
            "ratio ≤ 3",
            "; PostgreSQL with fsync off",
        ),
    ]
