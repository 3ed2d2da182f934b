"""`avalon_arena --games N --seed S [--players 5-10] [--roles ...] [--mixed] [--json] [--http]`."""

from __future__ import annotations

import json
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from avalonbot import arena, services
from avalonbot.engine import rules


def parse_players(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = (int(x) for x in part.split("-", 1))
            out.extend(range(lo, hi + 1))
        elif part:
            out.append(int(part))
    if not out or any(n not in rules.PLAYER_COUNTS for n in out):
        raise ValueError("player counts are 5 to 10")
    return out


class Progress:
    def __init__(self, stream, width: int = 30) -> None:  # type: ignore[no-untyped-def]
        self.stream, self.width, self.started = stream, width, time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        filled = int(self.width * done / total) if total else self.width
        rate = done / max(time.monotonic() - self.started, 1e-9)
        eta = (total - done) / rate if rate else 0
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} games "
            f"{rate:.1f}/s eta {eta:.0f}s"
        )
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Play full Avalon games between agents and print win rates with 95 % intervals."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument(
            "--games", type=int, default=50, help="deals to play (each 3 games per opponent)"
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--players", default="5-10", help="e.g. 5-10 or 5,7,10")
        parser.add_argument(
            "--roles",
            default=",".join(arena.DEFAULT_ROLES),
            help="special roles (dropped where they do not fit); empty for none",
        )
        parser.add_argument("--agent", default="bot", choices=sorted(arena.AGENTS))
        parser.add_argument("--opponents", default="random,heuristic")
        parser.add_argument("--no-lady", action="store_true")
        parser.add_argument(
            "--mixed",
            action="store_true",
            help="mixed tables: the agent alone in every seat among each opponent, and the reverse",
        )
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")
        parser.add_argument(
            "--http", action="store_true", help="send the bot's decisions through the API"
        )
        parser.add_argument(
            "--url", default="", help="API base for --http (default http://127.0.0.1:8000/avalon)"
        )
        parser.add_argument(
            "--key", default="", help="API key for --http (default: the first AVALON_API_KEY)"
        )
        parser.add_argument("--no-save", action="store_true", help="do not store the run")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: object, **opts) -> None:  # type: ignore[no-untyped-def]
        if opts["games"] < 1 or opts["games"] > 100_000:
            raise CommandError("--games must be 1..100000")
        try:
            players = parse_players(opts["players"])
        except ValueError as exc:
            raise CommandError(f"--players: {exc}") from exc
        roles = [r.strip().lower() for r in opts["roles"].split(",") if r.strip()]
        unknown = set(roles) - set(rules.SPECIAL_ROLES)
        if unknown:
            raise CommandError(f"--roles: unknown {', '.join(sorted(unknown))}")
        opponents = [o.strip() for o in opts["opponents"].split(",") if o.strip()]
        if not opponents or set(opponents) - set(arena.AGENTS):
            raise CommandError(f"--opponents: choose from {', '.join(sorted(arena.AGENTS))}")
        remote = None
        if opts["http"]:
            from avalonbot.client import BotApi, HttpSeats

            url = opts["url"] or "http://127.0.0.1:8000/avalon"
            key = opts["key"] or (settings.AVALON_API_KEY[0] if settings.AVALON_API_KEY else "")
            if not key:
                raise CommandError("--http needs --key or AVALON_API_KEY")
            api = BotApi(url, key)
            remote = lambda: HttpSeats(api)  # noqa: E731
        deals = arena.schedule(
            games=opts["games"],
            seed=opts["seed"],
            players=players,
            roles=roles,
            lady=not opts["no_lady"],
        )
        started = time.monotonic()
        progress = None if opts["quiet"] else Progress(sys.stderr)
        runner = arena.run_mixed if opts["mixed"] else arena.run
        if opts["mixed"] and not set(opponents) - {opts["agent"]}:
            raise CommandError("--mixed needs an opponent other than the agent")
        report = runner(
            agent=opts["agent"], opponents=opponents, deals=deals, remote=remote, progress=progress
        )
        duration = time.monotonic() - started
        summary = report.summary()
        summary["seed"] = opts["seed"]
        if not opts["no_save"]:
            run = services.arena_run_record(
                agent=opts["agent"],
                opponents=opponents,
                games=opts["games"],
                seed=opts["seed"],
                players=players,
                roles=roles,
                lady=not opts["no_lady"],
                http=opts["http"],
                duration_s=duration,
                summary=summary,
            )
            summary["run_id"] = run.pk
        if opts["json"]:
            self.stdout.write(json.dumps(summary, indent=2))
            return
        render = render_mixed if opts["mixed"] else render_text
        self.stdout.write(render(summary, duration))


def _row(label: str, t: dict) -> str:
    lo, hi = t["ci95"]
    return f"  {label:<28} {t['games']:>6} {t['win_rate']:>8.3f}   [{lo:.3f}, {hi:.3f}]"


def render_text(summary: dict, duration: float) -> str:
    lines = [f"{summary['games']} games in {duration:.1f}s", "", "Win rate by agent and side:"]
    lines.append(f"  {'':<28} {'games':>6} {'win rate':>8}   95 % interval")
    for agent, sides in summary["agents"].items():
        for side, t in sides.items():
            lines.append(_row(f"{agent} {side}", t))
    lines += ["", "Matchups (good vs evil, good side's win rate):"]
    for m in summary["matchups"]:
        lines.append(_row(f"{m['good']} vs {m['evil']}", m))
    lines += ["", "By player count:"]
    for r in summary["by_players"]:
        lines.append(_row(f"{r['agent']} {r['side']} n={r['players']}", r))
    lines += ["", "By role (the role's side wins):"]
    for r in summary["by_role"]:
        lines.append(_row(f"{r['agent']} {r['role']}", r))
    lines += [
        "",
        f"Margins of {summary['agent']} (its win rate minus the opponent's own, "
        "same seats and deals):",
    ]
    for opp, m in summary["margins"].items():
        lines.append(
            f"  vs {opp:<10} good {m['good']:+.3f}   evil {m['evil']:+.3f}   ({m['games']} deals)"
        )
    return "\n".join(lines) + "\n"


def render_mixed(summary: dict, duration: float) -> str:
    lines = [
        f"{summary['games']} games in {duration:.1f}s (mixed tables)",
        "",
        "One agent alone among the others (every seat of every deal), against the others' own "
        "win rate in the same seats:",
        f"  {'':<28} {'games':>6} {'win rate':>8}   95 % interval",
    ]
    for t in summary["tables"]:
        label = f"{t['lone']} among {t['among']}"
        for side in ("seat", "good", "evil"):
            lines.append(_row(f"{label} {side}", t[side]))
        for side in ("seat", "good", "evil"):
            lines.append(_row(f"  {t['among']}'s own {side}", t["baseline"][side]))
        m = t["margin"]
        lines.append(
            f"  margin: seat {m['seat']:+.3f}   good {m['good']:+.3f}   evil {m['evil']:+.3f}"
        )
        lines.append("")
    return "\n".join(lines) + "\n"
