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
