"""Shared benchmark plumbing: each `bench/bench_<name>.py` defines `run(ctx) -> list[Row]`."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Row:
    """One line of the table: what was measured, its figure, the bare baseline and their ratio."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    goal: str = ""
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    def as_dict(self) -> dict:
        return asdict(self) | {"ratio": self.ratio}


@dataclass
class Context:
    """What every benchmark gets: a scratch directory and the helpers to start real servers."""

    workdir: Path
    quick: bool = False


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


# --- Servers and load --------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def lobby_env(workdir: Path, **overrides: str) -> dict[str, str]:
    """Environment for a Lobby process on its own data directory, rate limits lifted."""
    import os

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "LOBBY_", "REDIS_", "DATABASE_"))
    }
    env.update(
        LOBBY_DATA_DIR=str(workdir),
        LOBBY_LOG_LEVEL="ERROR",
        BINGO_RATE_GET="1000000/m",
        BINGO_RATE_POST="1000000/m",
        WATCHPARTY_RATE_CREATE="1000000/h",
        WATCHPARTY_RATE_JOIN="1000000/m",
        WATCHPARTY_RATE_WS="1000000/m",
        LOBBY_DEVICE_CODE_RATE="1000000/m",
    )
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {out.stderr[-2000:]}")
    return out.stdout


def _http_worker(args: tuple) -> tuple[int, list[float]]:
    import http.client
    import time

    port, requests_, duration = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies: list[float] = []
    errors = 0
    end = time.perf_counter() + duration
    i = 0
    while time.perf_counter() < end:
        method, path, body, headers = requests_[i % len(requests_)]
        i += 1
        start = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status < 500 and response.status != 429
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            ok = False
        if ok:
            latencies.append(time.perf_counter() - start)
        else:
            errors += 1
    conn.close()
    return errors, latencies


def http_load(
    port: int,
    requests_: list[tuple[str, str, bytes | None, dict]],
    *,
    duration: float,
    connections: int = 8,
) -> dict[str, float]:
    """Closed-loop load from `connections` keep-alive clients in worker processes."""
    from multiprocessing import Pool

    per_worker = [requests_[i::connections] or requests_ for i in range(connections)]
    with Pool(connections) as pool:
        results = pool.map(_http_worker, [(port, reqs, duration) for reqs in per_worker])
    latencies = [lat for _, lats in results for lat in lats]
    errors = sum(err for err, _ in results)
    return {
        "rps": len(latencies) / duration,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "errors": errors,
    }
