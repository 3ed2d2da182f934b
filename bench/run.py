"""`make bench`: run every bench/bench_*.py, print one table, write bench/results.json.

Each row is measured in this run against a bare baseline on this machine; the ratio is
value / baseline (for latencies lower is better, for throughput the row says which way).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Context, Row  # noqa: E402


def machine() -> dict[str, str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "system": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return f"{text} {unit}".strip()


def print_table(rows: list[Row]) -> None:
    headers = ["benchmark", "value", "baseline", "ratio", "goal"]
    lines = [
        [
            r.name,
            fmt(r.value, r.unit),
            f"{fmt(r.baseline, r.unit)} {r.baseline_name}".strip()
            if r.baseline is not None
            else "—",
            fmt(r.ratio) + ("×" if r.ratio is not None else ""),
            r.goal,
        ]
        for r in rows
    ]
    widths = [
        max(len(h), *(len(line[i]) for line in lines)) if lines else len(h)
        for i, h in enumerate(headers)
    ]
    print(" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for line in lines:
        print(" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", help="module names, e.g. platform bingo")
    parser.add_argument("--quick", action="store_true", help="a few seconds per benchmark")
    args = parser.parse_args()

    names = sorted(p.stem.removeprefix("bench_") for p in (ROOT / "bench").glob("bench_*.py"))
    if args.only:
        names = [n for n in names if n in args.only]
    rows: list[Row] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lobby-bench-") as tmp:
        for name in names:
            print(f"… {name}", file=sys.stderr, flush=True)
            ctx = Context(workdir=Path(tmp) / name, quick=args.quick)
            ctx.workdir.mkdir(parents=True)
            started = time.monotonic()
            try:
                module = importlib.import_module(f"bench.bench_{name}")
                rows.extend(module.run(ctx))
            except Exception:
                failures.append(name)
                traceback.print_exc()
            print(f"  {name}: {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)

    print()
    print_table(rows)
    info = machine()
    print(
        f"\nMachine: {info['cpu']} ({info['cores']} cores), Python {info['python']}, {info['date']}"
    )
    results = {"machine": info, "rows": [r.as_dict() for r in rows], "failed": failures}
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2))
    if (ROOT / "bench" / "chart.py").exists():
        try:
            from bench.chart import write_chart

            write_chart(rows, ROOT / "bench" / "fanout.png")
        except Exception:
            traceback.print_exc()
    if failures:
        print(f"failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
