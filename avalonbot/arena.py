"""The arena: full games between agents, and win rates with 95 % intervals. Pure Python.

A side's win rate for an agent is measured with that agent in every seat of the side and the
opponent agent in every seat of the other. For each deal (seed) and opponent O, three games are
played on the same deal: (A good vs O evil), (O good vs O evil) and (O good vs A evil); A's
margin on a side is its win rate there minus O's own win rate in the same seats.
Mixed tables (`run_mixed`) put one agent among n - 1 copies of another, in every seat of every
deal, and the reverse, so a bot's strength is not measured only with copies of itself; they
report the lone seat's win rate against the other agent's own win rate in the same seats.
Every decision goes through ProAvalon's shapes: the engine builds the seat's `gameInfo`, the
agent sees only the parsed view (never `gameInfo.roles`).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from avalonbot.bot.agents import Decision, HeuristicAgent, ObserveAgent, RandomAgent, check_legal
from avalonbot.bot.policy import BeliefAgent
from avalonbot.bot.view import View, parse_setup, parse_view
from avalonbot.engine import rules
from avalonbot.engine.game import ASSASSINATION, EVIL, FINISHED, GOOD, LADY, MISSION, PICK, Game
from avalonbot.engine.proavalon import game_info, session_body

AGENTS: dict[str, Callable[[], Any]] = {
    "bot": BeliefAgent,  # search as AVALON_SEARCH says (on by default)
    "bot-search": lambda: BeliefAgent(search=True),
    "bot-nosearch": lambda: BeliefAgent(search=False),
    "random": RandomAgent,
    "heuristic": HeuristicAgent,
    "observe": ObserveAgent,
}
DEFAULT_ROLES = (rules.PERCIVAL, rules.MORGANA, rules.MORDRED, rules.OBERON)


def seed_for(*parts: object) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def fit_roles(n: int, wanted: Iterable[str]) -> tuple[str, ...]:
    """The wanted special roles that fit `n` players (evil ones dropped from the end)."""
    chosen = [r for r in rules.SPECIAL_ROLES if r in set(wanted)]
    while True:
        try:
            return rules.validate_setup(n, chosen)
        except rules.RulesError:
            evil = [r for r in chosen if rules.is_evil(r)]
            chosen.remove(evil[-1])


@dataclass
class Deal:
    seed: int
    n: int
    specials: tuple[str, ...]
    lady: bool
    roles: list[str]
    first_leader: int


def make_deal(seed: int, n: int, specials: Iterable[str], lady: bool) -> Deal:
    rng = random.Random(seed)  # noqa: S311 - a reproducible deal, not a secret
    fitted = fit_roles(n, specials)
    roles = rules.deal(n, fitted, rng)
    return Deal(seed, n, fitted, lady, roles, rng.randrange(n))


@dataclass
class GameRecord:
    deal: Deal
    good: str
    evil: str
    winner: str
    reason: str
    decisions: int
    seats: tuple[str, ...] = ()  # the agent in each seat

    def seat_won(self, seat: int) -> bool:
        return (self.winner == EVIL) == rules.is_evil(self.deal.roles[seat])


class Remote(Protocol):
    """The bot's seats played through the HTTP API (one object per game)."""

    def start(self, seat: int, body: dict) -> None: ...
    def act(self, seat: int, info: dict) -> dict: ...
    def end(self, seat: int, info: dict) -> None: ...


def _apply(game: Game, seat: int, view: View, decision: Decision) -> None:
    check_legal(view, decision)
    sel = decision.selected or []
    if game.phase == PICK:
        game.propose(seat, sel)
    elif game.phase == "vote":
        game.vote(seat, decision.button == "yes")
    elif game.phase == MISSION:
        game.play(seat, decision.button == "yes")
    elif game.phase == LADY:
        game.use_lady(seat, sel[0])
    elif game.phase == ASSASSINATION:
        game.assassinate(seat, sel[0])


def play(
    deal: Deal, good: str, evil: str, remote: Callable[[], Remote] | None = None
) -> GameRecord:
    """One full game of `deal` with agent `good` in every good seat and `evil` in every evil one."""
    kinds = [evil if rules.is_evil(role) else good for role in deal.roles]
    return play_seats(deal, kinds, remote)


def play_seats(
    deal: Deal, kinds: list[str], remote: Callable[[], Remote] | None = None
) -> GameRecord:
    """One full game of `deal` with agent `kinds[seat]` in each seat (`remote`: "bot" seats)."""
    names = [f"P{i}" for i in range(deal.n)]
    game = Game(list(deal.roles), first_leader=deal.first_leader, lady_enabled=deal.lady)
    agents = {}
    setups = {}
    bodies = {}
    for seat in range(deal.n):
        kind = kinds[seat]
        agents[seat] = (kind, AGENTS[kind]())
        bodies[seat] = session_body(game, seat, names)
        setups[seat] = parse_setup(bodies[seat])
    client = remote() if remote is not None else None
    remote_seats = [s for s in range(deal.n) if agents[s][0] == "bot"] if client else []
    for seat in remote_seats:
        client.start(seat, bodies[seat])  # type: ignore[union-attr]
    decisions = 0
    own_cards: dict[int, dict[int, bool]] = {seat: {} for seat in range(deal.n)}
    while game.phase != FINISHED:
        seat = game.actors()[0]
        kind, agent = agents[seat]
        info = game_info(game, seat, names)
        view = parse_view(setups[seat], info)
        view.own_cards = own_cards[seat]
        rng = random.Random(seed_for(deal.seed, seat, decisions))  # noqa: S311 - reproducible
        if client is not None and seat in remote_seats:
            decision = _decision_from_answer(view, client.act(seat, info))
        else:
            decision = agent.decide(view, rng)
        if game.phase == MISSION:
            own_cards[seat][game.mission] = decision.button == "yes"
        _apply(game, seat, view, decision)
        decisions += 1
    for seat in remote_seats:
        client.end(seat, game_info(game, seat, names))  # type: ignore[union-attr]
    good = sorted({kinds[s] for s in range(deal.n) if not game.evil(s)})
    evil = sorted({kinds[s] for s in range(deal.n) if game.evil(s)})
    winner = game.winner or ""
    return GameRecord(
        deal, "+".join(good), "+".join(evil), winner, game.reason, decisions, tuple(kinds)
    )


def _decision_from_answer(view: View, answer: dict) -> Decision:
    index = {name: i for i, name in enumerate(view.setup.players)}
    selected = answer.get("selectedPlayers")
    seats = [index[name] for name in selected] if selected is not None else None
    if view.phase in ("vote", "mission"):
        seats = None
    return Decision(answer["buttonPressed"], seats)


# --- statistics ----------------------------------------------------------------------------


def wilson(wins: int, games: int, z: float = 1.96) -> tuple[float, float]:
    if games == 0:
        return 0.0, 1.0
    p = wins / games
    denom = 1 + z * z / games
    centre = (p + z * z / (2 * games)) / denom
    half = z * math.sqrt(p * (1 - p) / games + z * z / (4 * games * games)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Tally:
    games: int = 0
    wins: int = 0

    def add(self, won: bool) -> None:
        self.games += 1
        self.wins += int(won)

    def as_dict(self) -> dict[str, Any]:
        lo, hi = wilson(self.wins, self.games)
        rate = self.wins / self.games if self.games else 0.0
        return {
            "games": self.games,
            "wins": self.wins,
            "win_rate": round(rate, 4),
            "ci95": [round(lo, 4), round(hi, 4)],
        }


@dataclass
class Report:
    agent: str
    opponents: list[str]
    records: list[GameRecord] = field(default_factory=list)

    def add(self, record: GameRecord) -> None:
        self.records.append(record)

    def summary(self) -> dict[str, Any]:
        sides: dict[tuple[str, str], Tally] = {}
        by_players: dict[tuple[str, str, int], Tally] = {}
        by_role: dict[tuple[str, str], Tally] = {}
        pair: dict[tuple[str, str, str], Tally] = {}  # (good agent, evil agent, side)
        for r in self.records:
            for side, agent in ((GOOD, r.good), (EVIL, r.evil)):
                won = r.winner == side
                sides.setdefault((agent, side), Tally()).add(won)
                by_players.setdefault((agent, side, r.deal.n), Tally()).add(won)
                pair.setdefault((r.good, r.evil, side), Tally()).add(won)
            for role in r.deal.roles:
                agent = r.evil if rules.is_evil(role) else r.good
                side = EVIL if rules.is_evil(role) else GOOD
                by_role.setdefault((agent, role), Tally()).add(r.winner == side)
        margins = {}
        for opp in self.opponents:
            if opp == self.agent:
                continue
            good = pair.get((self.agent, opp, GOOD))
            evil = pair.get((opp, self.agent, EVIL))
            base_good = pair.get((opp, opp, GOOD))
            base_evil = pair.get((opp, opp, EVIL))
            if not (good and evil and base_good and base_evil):
                continue
            margins[opp] = {
                "good": round(good.wins / good.games - base_good.wins / base_good.games, 4),
                "evil": round(evil.wins / evil.games - base_evil.wins / base_evil.games, 4),
                "games": good.games,
            }
        agents: dict[str, Any] = {}
        for (agent, side), tally in sorted(sides.items()):
            agents.setdefault(agent, {})[side] = tally.as_dict()
        matchups = [
            {"good": g, "evil": e, **t.as_dict()}
            for (g, e, side), t in sorted(pair.items())
            if side == GOOD
        ]
        players = [
            {"agent": a, "side": s, "players": n, **t.as_dict()}
            for (a, s, n), t in sorted(by_players.items())
        ]
        roles = [
            {"agent": a, "role": role, **t.as_dict()} for (a, role), t in sorted(by_role.items())
        ]
        return {
            "agent": self.agent,
            "games": len(self.records),
            "agents": agents,
            "matchups": matchups,
            "margins": margins,
            "by_players": players,
            "by_role": roles,
        }


def schedule(
    *,
    games: int,
    seed: int,
    players: Iterable[int],
    roles: Iterable[str],
    lady: bool,
) -> list[Deal]:
    counts = list(players)
    wanted = tuple(roles)
    return [
        make_deal(seed_for(seed, i), counts[i % len(counts)], wanted, lady) for i in range(games)
    ]


def matches(agent: str, opponents: list[str]) -> list[tuple[str, str]]:
    """(good agent, evil agent) pairs to play on every deal."""
    out: list[tuple[str, str]] = []
    for opp in opponents:
        for pair in ((agent, opp), (opp, opp), (opp, agent)):
            if pair not in out:
                out.append(pair)
    return out


def run(
    *,
    agent: str,
    opponents: list[str],
    deals: list[Deal],
    remote: Callable[[], Remote] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    report = Report(agent, opponents)
    pairs = matches(agent, opponents)
    total = len(deals) * len(pairs)
    done = 0
    for deal in deals:
        for good, evil in pairs:
            report.add(play(deal, good, evil, remote))
            done += 1
            if progress:
                progress(done, total)
    return report


# --- mixed tables --------------------------------------------------------------------------


@dataclass
class SeatTally:
    """Win rates of one agent's seats: all, by side, by role, by position after the first
    leader (0 leads first; n - 1 holds the first round's hammer)."""

    seat: Tally = field(default_factory=Tally)
    sides: dict[str, Tally] = field(default_factory=dict)
    roles: dict[str, Tally] = field(default_factory=dict)
    positions: dict[int, Tally] = field(default_factory=dict)

    def add(self, record: GameRecord, seat: int) -> None:
        won = record.seat_won(seat)
        role = record.deal.roles[seat]
        side = EVIL if rules.is_evil(role) else GOOD
        self.seat.add(won)
        self.sides.setdefault(side, Tally()).add(won)
        self.roles.setdefault(role, Tally()).add(won)
        position = (seat - record.deal.first_leader) % record.deal.n
        self.positions.setdefault(position, Tally()).add(won)

    def rate(self, side: str | None = None) -> float:
        t = self.seat if side is None else self.sides.get(side, Tally())
        return t.wins / t.games if t.games else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "seat": self.seat.as_dict(),
            **{side: self.sides.get(side, Tally()).as_dict() for side in (GOOD, EVIL)},
            "by_role": [{"role": r, **t.as_dict()} for r, t in sorted(self.roles.items())],
            "by_position": [
                {"position": p, **t.as_dict()} for p, t in sorted(self.positions.items())
            ],
        }


@dataclass
class MixedReport:
    agent: str
    opponents: list[str]
    records: list[tuple[GameRecord, int | None]] = field(default_factory=list)  # (game, lone)

    def add(self, record: GameRecord, lone: int | None) -> None:
        self.records.append((record, lone))

    def summary(self) -> dict[str, Any]:
        lone: dict[tuple[str, str], SeatTally] = {}  # (lone agent, the others' agent)
        homogeneous: dict[str, SeatTally] = {}
        deals: dict[tuple[str, str], set[int]] = {}
        for record, seat in self.records:
            if seat is None:
                tally = homogeneous.setdefault(record.seats[0], SeatTally())
                for s in range(record.deal.n):
                    tally.add(record, s)
                continue
            others = record.seats[(seat + 1) % record.deal.n]
            key = (record.seats[seat], others)
            lone.setdefault(key, SeatTally()).add(record, seat)
            deals.setdefault(key, set()).add(record.deal.seed)
        tables = []
        for (one, others), tally in sorted(lone.items()):
            own = homogeneous.get(others, SeatTally())
            tables.append(
                {
                    "lone": one,
                    "among": others,
                    "deals": len(deals[(one, others)]),
                    **tally.as_dict(),
                    "baseline": {"agent": others, **_brief(own)},
                    "margin": {
                        "seat": round(tally.rate() - own.rate(), 4),
                        GOOD: round(tally.rate(GOOD) - own.rate(GOOD), 4),
                        EVIL: round(tally.rate(EVIL) - own.rate(EVIL), 4),
                    },
                }
            )
        margins = {}
        for table in tables:
            if table["lone"] == self.agent:
                margins[table["among"]] = {
                    "good": table["margin"][GOOD],
                    "evil": table["margin"][EVIL],
                    "seat": table["margin"]["seat"],
                    "games": table["seat"]["games"],
                }
        return {
            "mode": "mixed",
            "agent": self.agent,
            "games": len(self.records),
            "tables": tables,
            "homogeneous": {a: _brief(t) for a, t in sorted(homogeneous.items())},
            "margins": margins,
        }


def _brief(tally: SeatTally) -> dict[str, Any]:
    return {
        "seat": tally.seat.as_dict(),
        **{side: tally.sides.get(side, Tally()).as_dict() for side in (GOOD, EVIL)},
    }


def run_mixed(
    *,
    agent: str,
    opponents: list[str],
    deals: list[Deal],
    remote: Callable[[], Remote] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MixedReport:
    """For every deal and opponent O: `agent` alone in each seat among O, O alone in each seat
    among `agent`, and both homogeneous tables (the baselines: each agent's own seat rates)."""
    report = MixedReport(agent, opponents)
    opps = [o for o in dict.fromkeys(opponents) if o != agent]
    total = sum(2 + 2 * d.n for d in deals) * len(opps) - len(deals) * max(len(opps) - 1, 0)
    done = 0

    def step(record: GameRecord, lone: int | None) -> None:
        nonlocal done
        report.add(record, lone)
        done += 1
        if progress:
            progress(done, total)

    for deal in deals:
        step(play_seats(deal, [agent] * deal.n, remote), None)
        for opp in opps:
            step(play_seats(deal, [opp] * deal.n, remote), None)
            for seat in range(deal.n):
                kinds = [opp] * deal.n
                kinds[seat] = agent
                step(play_seats(deal, kinds, remote), seat)
                kinds = [agent] * deal.n
                kinds[seat] = opp
                step(play_seats(deal, kinds, remote), seat)
    return report
