"""Look-ahead for the belief bot: determinised Monte-Carlo rollouts from the current public state.

Where one decision can swing the game (a team proposal, a vote on the fourth proposal, an evil
mission card) the bot compares its candidate actions by simulation. Each iteration draws one
hidden assignment (evil set, Merlin) from the bot's exact belief, then plays the rest of the game
out once per candidate with the same draw and the same random stream (common random numbers, so
the comparison is not drowned in noise), every seat following a fast rollout policy:

- a servant (and Percival) leads with itself and the least publicly suspected players and
  approves a team when no member is outside the n - evil least suspected (with a little noise);
- Merlin leads with players he knows are good and approves only teams without a spy he sees;
- evil leads with itself (plus the mates a two-fail mission needs) and the least suspected good
  players, approves exactly the teams holding a spy, and the lowest evil seats on a team play the
  fail cards the mission needs;
- suspicion is updated after every simulated mission as the bot's public model does (fail cards
  spread over the team, the leader and the approvers of failed teams);
- three successes end in the assassination, which evil wins with probability `ASSASSIN_HIT`
  (the value is that expectation, not a draw). The Lady is not simulated.

The value of an action is the mean over iterations of the bot's side winning. The search replaces
the policy's own choice only when a candidate beats it by `SWITCH_MARGIN` after at least
`MIN_ITERATIONS` iterations, so noise cannot make the bot worse than its policy by much.

It is bounded twice: by `SearchConfig.iterations` (deterministic for a given seed and state) and
by a `Deadline` on an injectable clock, read once per iteration; when the deadline passes the
search stops and answers from what it has (or keeps the policy's choice). The assassination needs
no rollouts: with nothing after the shot, its exact one-step expectimax is the belief's most
likely Merlin, which is what the policy already shoots.
"""

from __future__ import annotations

import bisect
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from avalonbot.bot.belief import Belief, public_suspicion
from avalonbot.bot.view import View
from avalonbot.engine import rules

ASSASSIN_HIT = 0.35  # P(the assassin finds Merlin) in a rollout that reaches the shot
SWITCH_MARGIN = 0.03
MIN_ITERATIONS = 8
SERVANT_APPROVE_TRUSTED, SERVANT_APPROVE_SUSPECT = 0.92, 0.12
MAX_ROLLOUT_STEPS = 64  # a game has at most 5 missions x 5 proposals; this is a safety net


@dataclass
class SearchConfig:
    iterations: int = 48
    budget_s: float = 1.5  # the whole decision, belief included (ProAvalon's p95 goal: 2 s)
    clock: Callable[[], float] = time.monotonic


class Deadline:
    def __init__(self, budget_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.end = clock() + budget_s

    def expired(self) -> bool:
        return self.clock() >= self.end


@dataclass
class Result:
    action: object
    values: dict[object, float] = field(default_factory=dict)
    iterations: int = 0
    cut_short: bool = False
    switched: bool = False

    def note(self) -> str:
        vals = ", ".join(f"{_label(a)}={v:.2f}" for a, v in self.values.items())
        tail = " (deadline)" if self.cut_short else ""
        return f"search {self.iterations} it{tail}: {vals}"


def _label(action: object) -> str:
    if isinstance(action, tuple):
        return "[" + " ".join(str(s) for s in action) + "]"
    return str(action)


# --- the simulator -----------------------------------------------------------------------------


@dataclass
class _Start:
    """The public state a rollout starts from (copied per rollout)."""

    n: int
    k: int
    mission: int
    pick: int
    leader: int
    successes: int
    failures: int
    score: list[float]


def start_state(view: View) -> _Start:
    leader = view.leader if view.leader is not None else 0
    return _Start(
        n=view.n,
        k=rules.EVIL_COUNT[view.n],
        mission=view.mission,
        pick=view.pick,
        leader=leader,
        successes=view.successes,
        failures=view.failures,
        score=public_suspicion(view, view.mission),
    )


class _Rollout:
    __slots__ = ("evil", "f", "k", "leader", "merlin", "mission", "n", "pick", "rng", "s", "score")

    def __init__(self, start: _Start, evil: int, merlin: int, rng: random.Random) -> None:
        self.n, self.k = start.n, start.k
        self.evil, self.merlin = evil, merlin
        self.score = list(start.score)
        self.rng = rng
        self.mission, self.pick, self.leader = start.mission, start.pick, start.leader
        self.s, self.f = start.successes, start.failures

    # -- seats' rollout policy --
    def team(self) -> int:
        n, leader, evil, score, rnd = self.n, self.leader, self.evil, self.score, self.rng.random
        size = rules.TEAM_SIZES[n][self.mission]
        order = sorted(range(n), key=lambda s: score[s] + 0.01 * rnd())
        chosen = 1 << leader
        count = 1
        if evil >> leader & 1:
            need = rules.fails_required(n, self.mission)
            for s in order:
                if count >= need:
                    break
                if s != leader and evil >> s & 1:
                    chosen |= 1 << s
                    count += 1
            pool = [s for s in order if not evil >> s & 1]
        elif leader == self.merlin:
            pool = [s for s in order if s != leader and not evil >> s & 1]
        else:
            pool = [s for s in order if s != leader]
        for s in pool:
            if count >= size:
                break
            if not chosen >> s & 1:
                chosen |= 1 << s
                count += 1
        for s in order:  # tiny tables: fill from anyone
            if count >= size:
                break
            if not chosen >> s & 1:
                chosen |= 1 << s
                count += 1
        return chosen

    def votes(self, team: int, fixed: dict[int, bool]) -> list[bool]:
        n, evil, score, rnd = self.n, self.evil, self.score, self.rng.random
        dirty = bool(team & evil)
        hammer = self.pick == rules.MAX_PICKS - 1
        cutoff = sorted(score)[n - self.k - 1]
        untrusted = 0
        for s in range(n):
            if score[s] > cutoff:
                untrusted |= 1 << s
        out = []
        for s in range(n):
            if s in fixed:
                v = fixed[s]
            elif evil >> s & 1:
                v = dirty
            elif hammer or s == self.leader:
                v = True
            elif s == self.merlin:
                v = not dirty
            else:
                suspect = bool(team & untrusted & ~(1 << s))
                v = rnd() < (SERVANT_APPROVE_SUSPECT if suspect else SERVANT_APPROVE_TRUSTED)
            out.append(v)
        return out

    def fails(self, team: int, card: tuple[int, bool] | None) -> int:
        need = rules.fails_required(self.n, self.mission)
        evil_on = [s for s in range(self.n) if team >> s & 1 and self.evil >> s & 1]
        failers = evil_on[:need] if len(evil_on) >= need else []
        out = 0
        for s in evil_on:
            if card is not None and s == card[0]:
                out += not card[1]
            elif s in failers:
                out += 1
        return out

    # -- the game's arithmetic --
    def after_mission(self, team: int, votes: list[bool], fails: int) -> None:
        n, score = self.n, self.score
        size = team.bit_count()
        sign = 1.0 if fails else -0.3
        for s in range(n):
            if team >> s & 1:
                score[s] += fails / size * 2 if fails else -0.25
            else:
                score[s] += (0.35 if votes[s] else -0.35) * sign
        score[self.leader] += 0.5 * sign
        if fails >= rules.fails_required(n, self.mission):
            self.f += 1
        else:
            self.s += 1
        self.mission += 1
        self.pick = 0
        self.leader = (self.leader + 1) % n

    def good_value(self) -> float | None:
        if self.f >= rules.WINS_NEEDED:
            return 0.0
        if self.s >= rules.WINS_NEEDED:
            return 1.0 - ASSASSIN_HIT
        return None

    def play(
        self,
        *,
        team: int | None = None,
        vote: tuple[int, bool] | None = None,
        card: tuple[int, bool] | None = None,
        approved: bool = False,
    ) -> float:
        """Play to the end from a pick (team=None), a proposed `team` (with the bot's `vote`) or
        an approved `team` (with the bot's mission `card`); P(good wins)."""
        for _ in range(MAX_ROLLOUT_STEPS):
            value = self.good_value()
            if value is not None:
                return value
            if team is None:
                team = self.team()
            if not approved:
                fixed = {vote[0]: vote[1]} if vote is not None else {}
                votes = self.votes(team, fixed)
                if sum(votes) * 2 <= self.n:
                    self.pick += 1
                    self.leader = (self.leader + 1) % self.n
                    team, vote = None, None
                    if self.pick >= rules.MAX_PICKS:
                        return 0.0
                    continue
            else:
                votes = [True] * self.n
            self.after_mission(team, votes, self.fails(team, card))
            team, vote, card, approved = None, None, None, False
        return 0.5


# --- searching ---------------------------------------------------------------------------------


class _Sampler:
    def __init__(self, b: Belief) -> None:
        self.hyps = b.hyps
        total, cum = 0.0, []
        for w in b.weights:
            total += w
            cum.append(total)
        self.cum, self.total = cum, total

    def draw(self, rng: random.Random) -> tuple[int, int]:
        i = bisect.bisect_left(self.cum, rng.random() * self.total)
        return self.hyps[min(i, len(self.hyps) - 1)]


def compare(
    view: View,
    b: Belief,
    candidates: Sequence[object],
    default: object,
    run: Callable[[_Rollout, object], float],
    rng: random.Random,
    config: SearchConfig,
    deadline: Deadline,
) -> Result:
    """Mean value of every candidate for the bot's side over common determinisations."""
    candidates = list(dict.fromkeys([default, *candidates]))
    if len(candidates) < 2 or not b.hyps:
        return Result(default)
    start = start_state(view)
    sampler = _Sampler(b)
    good = not view.setup.evil
    totals = dict.fromkeys(candidates, 0.0)
    done = 0
    cut = False
    for _ in range(config.iterations):
        if deadline.expired():
            cut = True
            break
        mask, merlin = sampler.draw(rng)
        seed = rng.getrandbits(64)
        for action in candidates:
            sim = _Rollout(start, mask, merlin, random.Random(seed))  # noqa: S311 - simulation
            v = run(sim, action)
            totals[action] += v if good else 1.0 - v
        done += 1
    if done == 0:
        return Result(default, iterations=0, cut_short=cut)
    values = {a: t / done for a, t in totals.items()}
    best = max(candidates, key=lambda a: values[a])
    switch = done >= MIN_ITERATIONS and values[best] >= values[default] + SWITCH_MARGIN
    return Result(
        best if switch else default,
        values=values,
        iterations=done,
        cut_short=cut,
        switched=switch and best != default,
    )


def _mask(seats) -> int:  # type: ignore[no-untyped-def]
    out = 0
    for s in seats:
        out |= 1 << s
    return out


def search_pick(
    view: View,
    b: Belief,
    candidates: Sequence[tuple[int, ...]],
    default: tuple[int, ...],
    rng: random.Random,
    config: SearchConfig,
    deadline: Deadline,
) -> Result:
    me = view.me

    def run(sim: _Rollout, team: object) -> float:
        return sim.play(team=_mask(team), vote=(me, True))  # type: ignore[arg-type]

    return compare(view, b, candidates, default, run, rng, config, deadline)


def search_vote(
    view: View,
    b: Belief,
    default: bool,
    rng: random.Random,
    config: SearchConfig,
    deadline: Deadline,
) -> Result:
    team, me = _mask(view.proposed), view.me

    def run(sim: _Rollout, approve: object) -> float:
        return sim.play(team=team, vote=(me, bool(approve)))

    return compare(view, b, [True, False], default, run, rng, config, deadline)


def search_card(
    view: View,
    b: Belief,
    default: bool,
    rng: random.Random,
    config: SearchConfig,
    deadline: Deadline,
) -> Result:
    team, me = _mask(view.proposed), view.me

    def run(sim: _Rollout, success: object) -> float:
        return sim.play(team=team, card=(me, bool(success)), approved=True)

    return compare(view, b, [True, False], default, run, rng, config, deadline)
