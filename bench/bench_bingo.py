"""Bingo: stamped draws, /verify of a finished game, and the offline verifier.

Rows (each against a bare baseline measured in the same run, same machine, same database):
- draw (service): derive the seed, time-stamp it with the local RFC 3161 authority, store draw
  and audit entry, one transaction — vs local TSA signing + one DB insert (goal ≤ 2×).
- POST /bingo/games/<id>/draw over HTTP — vs GET /bench/bare + (signing + one insert) (≤ 2×).
- GET /bingo/games/<id>/verify of a finished 75-draw game: p95 (goal ≤ 200 ms) vs GET /bench/bare.
- tools/verify_bingo.py on that game (goal ≤ 2 s) vs 76 sequential `openssl ts -verify` runs.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from pathlib import Path

from bench.common import Context, Row, lobby_env, manage, percentile
from tests.servers import Daphne

ADMIN = "bench-admin@example.com"
ROOT = Path(__file__).resolve().parent.parent

IN_PROCESS = r"""
import json, time
from django.db import transaction
from django.utils import timezone
from accounts.models import User
from bingo import services, tsa
from bingo.models import AuditEntry, Game
admin = User.objects.get(email="%(admin)s")
games, n_games = [], %(games)d
draw_times, base_times = [], []
scratch = services.game_create(name="baseline", creator=admin)
seq = 1000
for g in range(n_games):
    game = services.game_create(name=f"bench {g}", creator=admin)
    for _ in range(75):
        t = time.perf_counter()
        services.draw_next(game_id=game.public_id, by=admin)
        draw_times.append(time.perf_counter() - t)
        # the baseline, interleaved: local TSA signing + one insert, one transaction
        seq += 1
        t = time.perf_counter()
        with transaction.atomic():
            stamp = tsa.local_stamp(bytes(32))
            AuditEntry.objects.create(game=scratch, seq=seq, kind="draw", body="x",
                prev_hash=str(seq), hash=stamp.token[:32].hex(), created_at=timezone.now())
        base_times.append(time.perf_counter() - t)
print(json.dumps({"draw": draw_times, "base": base_times}))
"""

SETUP = r"""
from accounts.models import User
from accounts.services import api_session_create
u = User.objects.create_user(email="%(admin)s", password=None)
print(api_session_create(user=u, label="bench")[1])
"""


def timed_requests(port: int, requests_: list[tuple[str, str, dict]]) -> tuple[list[float], list]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, bodies = [], []
    for method, path, headers in requests_:
        start = time.perf_counter()
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        latencies.append(time.perf_counter() - start)
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {body[:200]!r}")
        bodies.append(body)
    conn.close()
    return latencies, bodies


def run(ctx: Context) -> list[Row]:
    env = lobby_env(ctx.workdir, DJANGO_SETTINGS_MODULE="bench.settings", BINGO_ADMIN_EMAILS=ADMIN)
    manage(env, "lobby_setup")
    token = manage(env, "shell", "-v", "0", "-c", SETUP % {"admin": ADMIN}).strip().splitlines()[-1]
    games = 1 if ctx.quick else 4

    # 1. In-process: the draw service vs signing + one insert
    timings = json.loads(
        manage(env, "shell", "-v", "0", "-c", IN_PROCESS % {"admin": ADMIN, "games": games})
        .strip()
        .splitlines()[-1]
    )
    draw_p95 = percentile(timings["draw"], 95) * 1000
    base_p95 = percentile(timings["base"], 95) * 1000
    draw_p50 = percentile(timings["draw"], 50) * 1000
    base_p50 = percentile(timings["base"], 50) * 1000

    daphne = Daphne(env).start()
    try:
        auth = {"X-Session-Id": token, "Content-Type": "application/json"}
        conn = http.client.HTTPConnection("127.0.0.1", daphne.port, timeout=30)
        game_ids = []
        for g in range(games):
            conn.request(
                "POST", "/bingo/games", body=json.dumps({"name": f"http {g}"}), headers=auth
            )
            game_ids.append(json.loads(conn.getresponse().read())["game_id"])
        conn.close()
        # 2. HTTP draws (75 per game, so every game ends finished)
        draws = [("POST", f"/bingo/games/{gid}/draw", auth) for gid in game_ids for _ in range(75)]
        http_draw, _ = timed_requests(daphne.port, draws)
        bare, _ = timed_requests(daphne.port, [("GET", "/bench/bare", {})] * len(draws))
        # 3. /verify of a finished 75-draw game
        n_verify = 20 if ctx.quick else 60
        verify_lat, bodies = timed_requests(
            daphne.port, [("GET", f"/bingo/games/{game_ids[0]}/verify", {})] * n_verify
        )
        verify_doc = json.loads(bodies[-1])
        assert verify_doc["status"] == "finished" and len(verify_doc["draws"]) == 75
        conn = http.client.HTTPConnection("127.0.0.1", daphne.port, timeout=30)
        conn.request("GET", "/bingo/tsa/certificate.pem")
        cert_pem = conn.getresponse().read()
        conn.close()
    finally:
        daphne.stop()

    # 4. The offline verifier
    doc = ctx.workdir / "verify.json"
    doc.write_text(json.dumps(verify_doc))
    cert = ctx.workdir / "certificate.pem"
    cert.write_bytes(cert_pem)
    runs = []
    for _ in range(2 if ctx.quick else 5):
        start = time.perf_counter()
        out = subprocess.run(
            [
                sys.executable,
                str(ROOT / "tools" / "verify_bingo.py"),
                str(doc),
                "--cert",
                str(cert),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        runs.append(time.perf_counter() - start)
        if out.returncode != 0:
            raise RuntimeError(f"offline verifier failed: {out.stdout[-1000:]}")
    import base64

    token_file = ctx.workdir / "token.der"
    token_file.write_bytes(base64.b64decode(verify_doc["draws"][0]["token"]))
    start = time.perf_counter()
    for _ in range(10):
        subprocess.run(
            [
                "openssl",
                "ts",
                "-verify",
                "-digest",
                verify_doc["draws"][0]["seed_hash"],
                "-in",
                str(token_file),
                "-token_in",
                "-CAfile",
                str(cert),
            ],
            capture_output=True,
            timeout=30,
            check=True,
        )
    one_openssl = (time.perf_counter() - start) / 10
    tokens = len(verify_doc["draws"]) + 1

    http_draw_p95 = percentile(http_draw, 95) * 1000
    bare_p95 = percentile(bare, 95) * 1000
    return [
        Row(
            name="bingo draw, service (derive + RFC 3161 stamp + store + audit)",
            value=draw_p95,
            unit="ms p95",
            baseline=base_p95,
            baseline_name="local TSA signing + one DB insert",
            goal="ratio ≤ 2",
            notes=f"{len(timings['draw'])} draws; medians {draw_p50:.2f} vs {base_p50:.2f} ms",
        ),
        Row(
            name="POST /bingo/games/<id>/draw (HTTP)",
            value=http_draw_p95,
            unit="ms p95",
            baseline=bare_p95 + base_p95,
            baseline_name="bare view + signing + one insert",
            goal="ratio ≤ 2",
            notes=f"{len(http_draw)} draws, sequential; bare view p95 {bare_p95:.2f} ms",
        ),
        Row(
            name="GET /bingo/games/<id>/verify (finished, 75 draws)",
            value=percentile(verify_lat, 95) * 1000,
            unit="ms p95",
            baseline=bare_p95,
            baseline_name="bare view",
            goal="≤ 200 ms",
            notes=f"{n_verify} requests, {len(bodies[-1]) // 1024} KiB each",
        ),
        Row(
            name="tools/verify_bingo.py (75 draws, 76 tokens)",
            value=min(runs),
            unit="s",
            baseline=one_openssl * tokens,
            baseline_name=f"{tokens} sequential openssl ts -verify",
            goal="≤ 2 s",
            notes=f"best of {len(runs)}; worst {max(runs):.2f} s",
        ),
    ]
