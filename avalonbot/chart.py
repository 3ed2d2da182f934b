"""A small server-side SVG line chart of win rate by player count (no JavaScript, no CDN)."""

from __future__ import annotations

from html import escape
from typing import Any

# Good is blue and evil red, as on every Avalon page; agents differ by line style and marker.
SIDE_COLOURS = {"good": "#2563eb", "evil": "#dc2626"}
OTHER_COLOUR = "#667085"
DASHES = ["", "6,3", "2,3", "9,3,2,3", "1,5"]


def win_rate_svg(by_players: list[dict[str, Any]], width: int = 640, height: int = 300) -> str:
    series: dict[tuple[str, str], dict[int, float]] = {}
    for row in by_players:
        key = (str(row["agent"]), str(row["side"]))
        series.setdefault(key, {})[int(row["players"])] = float(row["win_rate"])
    agents = sorted({agent for agent, _ in series})
    counts = sorted({n for points in series.values() for n in points}) or [5, 10]
    left, right, top, bottom = 48, 170, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    lo, hi = counts[0], counts[-1]

    def x(n: int) -> float:
        return left + (plot_w * (n - lo) / (hi - lo) if hi > lo else plot_w / 2)

    def y(rate: float) -> float:
        return top + plot_h * (1 - rate)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        'aria-label="Win rate by player count" class="avalon-chart">',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#999"/>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" font-size="11" '
            f'text-anchor="end">{tick:.2f}</text>'
        )
    for n in counts:
        parts.append(
            f'<text x="{x(n):.1f}" y="{height - 16}" font-size="11" text-anchor="middle">{n}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 2}" font-size="11" '
        'text-anchor="middle">players</text>'
    )
    for i, ((agent, side), points) in enumerate(sorted(series.items())):
        label = f"{agent} ({side})"
        colour = SIDE_COLOURS.get(side, OTHER_COLOUR)
        pattern = DASHES[agents.index(agent) % len(DASHES)]
        dash = f' stroke-dasharray="{pattern}"' if pattern else ""
        coords = " ".join(f"{x(n):.1f},{y(points[n]):.1f}" for n in sorted(points))
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dash}'
            f' data-side="{escape(side)}"/>'
        )
        for n in sorted(points):
            parts.append(f'<circle cx="{x(n):.1f}" cy="{y(points[n]):.1f}" r="3" fill="{colour}"/>')
        ly = top + 14 + 18 * i
        parts.append(
            f'<line x1="{width - right + 10}" x2="{width - right + 30}" y1="{ly - 4}" '
            f'y2="{ly - 4}" stroke="{colour}" stroke-width="2"{dash}/>'
            f'<text x="{width - right + 36}" y="{ly}" font-size="11">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
