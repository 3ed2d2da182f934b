"""`write_chart(rows, path)`: fan-out latency against room size and socket count, as a PNG.

Convention: a row that has a curve to draw puts it in `row.extra["series"]`, a list of

    {"panel": "room size (sockets receiving each broadcast)",   # the x axis; one panel each
     "label": "Lobby bingo draw (1 Daphne)",                    # the legend
     "x": [10, 50, ...], "p50": [ms, ...], "p95": [ms, ...]}

Every series with the same `panel` shares a plot; p95 is drawn solid, p50 dashed. Rows without
`series` are ignored, so any benchmark can add a curve. `bench/run.py` calls this after a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def collect(rows: list[Any]) -> dict[str, list[dict]]:
    panels: dict[str, list[dict]] = {}
    for row in rows:
        extra = row.extra if hasattr(row, "extra") else row.get("extra", {})
        for series in (extra or {}).get("series", []):
            if series.get("x") and len(series["x"]) == len(series.get("p95", [])):
                panels.setdefault(series["panel"], []).append(series)
    return panels


def write_chart(rows: list[Any], path: Path | str) -> Path | None:
    """Draw every series found in `rows` (Row objects or their dicts); None if there is none."""
    panels = collect(rows)
    if not panels:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.6), squeeze=False)
    for ax, (panel, series_list) in zip(axes[0], sorted(panels.items()), strict=True):
        for i, series in enumerate(series_list):
            color = f"C{i}"
            ax.plot(series["x"], series["p95"], "o-", color=color, label=f"{series['label']} p95")
            if series.get("p50"):
                ax.plot(
                    series["x"],
                    series["p50"],
                    "s--",
                    color=color,
                    alpha=0.6,
                    label=f"{series['label']} p50",
                )
        ax.set_xscale("log")
        ax.set_xlabel(panel)
        ax.set_ylabel("latency (ms)")
        ax.set_ylim(bottom=0)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle("Lobby fan-out latency (one run, this machine)")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":  # redraw from the last bench/results.json
    import json

    here = Path(__file__).resolve().parent
    results = json.loads((here / "results.json").read_text())
    print(write_chart(results["rows"], here / "fanout.png"))
