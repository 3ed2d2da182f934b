"""A belief over hidden roles: every (evil set, Merlin) consistent with hard facts, weighted by a
behaviour model of proposals, votes and mission cards (DeepRole's deductive + Bayesian layers,
with a hand-set behaviour model instead of trained networks).

Hypotheses are (E, m): E a bitmask of the evil seats, m Merlin's seat. Hard facts remove
hypotheses (own role, `see`, Lady results, more fail cards than evil players on a team); soft
evidence multiplies weights. Pure Python, deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

from avalonbot.bot.view import View
from avalonbot.engine import rules

# Behaviour model: P(action | the actor's side, whether the team holds evil).
# Leaders: weight of a team with j evil members among the teams that contain the leader.
LEAD_GOOD = (1.0, 0.55)  # j == 0, j >= 1
LEAD_MERLIN = (1.0, 0.12)
LEAD_EVIL_ONE, LEAD_EVIL_MORE = 1.0, 0.35
# Voters: P(approve).
# A good voter does not know the evil set: its vote follows public suspicion (a team member
# was on a failed mission), not the truth. Merlin's and evil's votes follow the truth.
VOTE_GOOD = {"on": 0.85, "trusted": 0.8, "suspect": 0.25, "lead": 0.97}
VOTE_MERLIN = {"on_clean": 0.95, "on_dirty": 0.3, "clean": 0.85, "dirty": 0.15}
VOTE_EVIL = {"dirty": 0.85, "clean": 0.3}
HAMMER_GOOD, HAMMER_EVIL_DIRTY, HAMMER_EVIL_CLEAN = 0.97, 0.95, 0.5
FAIL_CARD = 0.8  # P(an evil team member plays fail)


def popcount(x: int) -> int:
    return x.bit_count()


@dataclass
class Belief:
    n: int
    hyps: list[tuple[int, int]]  # (evil mask, merlin seat)
    weights: list[float]  # normalised

    def p_evil(self) -> list[float]:
        out = [0.0] * self.n
        for (mask, _m), w in zip(self.hyps, self.weights, strict=True):
            for s in range(self.n):
                if mask >> s & 1:
                    out[s] += w
        return out

    def p_merlin(self) -> list[float]:
        out = [0.0] * self.n
        for (_mask, m), w in zip(self.hyps, self.weights, strict=True):
            if m >= 0:
                out[m] += w
        return out

    def evil_sets(self) -> dict[int, float]:
        sets: dict[int, float] = {}
        for (mask, _m), w in zip(self.hyps, self.weights, strict=True):
            sets[mask] = sets.get(mask, 0.0) + w
        return sets

    def p_clean(self, team_mask: int, sets: dict[int, float] | None = None) -> float:
        sets = self.evil_sets() if sets is None else sets
        return sum(w for mask, w in sets.items() if not mask & team_mask)

    def top(self, names: tuple[str, ...], k: int = 3) -> list[dict]:
        """The k most likely evil sets with their probability and likeliest Merlin."""
        sets = sorted(self.evil_sets().items(), key=lambda kv: -kv[1])[:k]
        merlin = self.p_merlin()
        best_m = max(range(self.n), key=lambda s: merlin[s])
        return [
            {
                "evil": [names[s] for s in range(self.n) if mask >> s & 1],
                "p": round(p, 4),
                "merlin": names[best_m],
                "p_merlin": round(merlin[best_m], 4),
            }
            for mask, p in sets
        ]


@lru_cache(maxsize=512)
def _lead_norms(n: int, k: int, size: int) -> tuple[float, float, float]:
    """log normalisers of the leader model over teams that contain the leader."""
    comb = math.comb
    z_good = sum(
        comb(k, j) * comb(n - k - 1, size - 1 - j) * (LEAD_GOOD[0] if j == 0 else LEAD_GOOD[1])
        for j in range(0, min(k, size - 1) + 1)
    )
    z_merlin = sum(
        comb(k, j) * comb(n - k - 1, size - 1 - j) * (LEAD_MERLIN[0] if j == 0 else LEAD_MERLIN[1])
        for j in range(0, min(k, size - 1) + 1)
    )
    z_evil = sum(
        comb(k - 1, j - 1) * comb(n - k, size - j) * (LEAD_EVIL_ONE if j == 1 else LEAD_EVIL_MORE)
        for j in range(1, min(k, size) + 1)
    )
    return math.log(z_good), math.log(z_merlin), math.log(z_evil)


def _vote_logs(
    approve: bool, on: bool, lead: bool, hammer: bool, suspect: bool = False
) -> tuple[tuple[float, float], ...]:
    """((good clean, good dirty), (merlin clean, merlin dirty), (evil clean, evil dirty)) logs."""

    def lg(p: float) -> float:
        return math.log(p if approve else 1.0 - p)

    if hammer or lead:
        p = HAMMER_GOOD if hammer else VOTE_GOOD["lead"]
        g = (lg(p), lg(p))
        if lead:
            return g, g, g
        return g, g, (lg(HAMMER_EVIL_CLEAN), lg(HAMMER_EVIL_DIRTY))
    if on:
        g = (lg(VOTE_GOOD["on"]), lg(VOTE_GOOD["on"]))
        mm = (lg(VOTE_MERLIN["on_clean"]), lg(VOTE_MERLIN["on_dirty"]))
    else:
        pg = VOTE_GOOD["suspect" if suspect else "trusted"]
        g = (lg(pg), lg(pg))
        mm = (lg(VOTE_MERLIN["clean"]), lg(VOTE_MERLIN["dirty"]))
    return g, mm, (lg(VOTE_EVIL["clean"]), lg(VOTE_EVIL["dirty"]))


def publicly_trusted(view: View, mission: int) -> frozenset[int]:
    """Seats a good player with no private knowledge trusts before `mission`: the n - evil
    least suspect by fail cards and by who led or approved failed teams (ties trusted)."""
    n = view.n
    score = public_suspicion(view, mission)
    cutoff = sorted(score)[n - rules.EVIL_COUNT[n] - 1]
    return frozenset(s for s in range(n) if score[s] <= cutoff)


def public_suspicion(view: View, mission: int) -> list[float]:
    """Each seat's public suspicion score before `mission` (higher is more suspect)."""
    n = view.n
    score = [0.0] * n
    approved = {p.mission: p for p in view.proposals if p.approved}
    for m in view.missions:
        if m.mission >= mission or not m.team:
            continue
        sign = 1.0 if m.fails else -0.3
        for s in m.team:
            score[s] += (m.fails / len(m.team) * 2) if m.fails else -0.25
        p = approved.get(m.mission)
        if p is not None and p.votes is not None:
            score[p.leader] += 0.5 * sign
            for s in range(n):
                if s not in m.team:
                    score[s] += (0.35 if p.votes[s] else -0.35) * sign
    return score


def _card_facts(view: View, *, public: bool) -> list[tuple[int, int]]:
    """(team mask, fail cards) per played mission; the seat's own card is taken out of both
    when it knows it (it played on that team)."""
    facts = []
    me = view.setup.me
    for m in view.missions:
        if not m.team:
            continue
        team, fails = sum(1 << s for s in m.team), m.fails
        own = view.own_cards.get(m.mission) if not public else None
        if own is not None and me in m.team:
            team &= ~(1 << me)
            fails -= 0 if own else 1
            if fails < 0:  # inconsistent report: keep the public fact
                team, fails = sum(1 << s for s in m.team), m.fails
        facts.append((team, fails))
    return facts


def hypotheses(view: View, *, public: bool = False) -> list[tuple[int, int]]:
    """Every (evil mask, Merlin) consistent with the seat's hard facts (or only public facts)."""
    n, k = view.n, rules.EVIL_COUNT[view.n]
    setup = view.setup
    me = setup.me
    specials = set(setup.specials)
    role = setup.role
    must_evil, must_good = 0, 0
    merlin_fixed: int | None = None
    merlin_in: frozenset[int] | None = None
    if not public:
        spies_mask = sum(1 << s for s in setup.spies)
        if rules.is_evil(role):
            must_evil |= 1 << me | spies_mask
        else:
            must_good |= 1 << me
        if role == rules.MERLIN:
            merlin_fixed = me
            must_evil |= spies_mask
        if role == rules.PERCIVAL and setup.merlins:
            merlin_in = setup.merlins
        for target, evil in view.lady_results.items():
            if evil:
                must_evil |= 1 << target
            else:
                must_good |= 1 << target
        if role == rules.MERLIN:
            known_exact = rules.MORDRED not in specials
        elif rules.is_evil(role) and role != rules.OBERON:
            known_exact = rules.OBERON not in specials
        else:
            known_exact = False
    else:
        known_exact = False
    fail_facts = _card_facts(view, public=public)
    out: list[tuple[int, int]] = []
    for combo in combinations(range(n), k):
        mask = 0
        for s in combo:
            mask |= 1 << s
        if mask & must_good or (mask & must_evil) != must_evil:
            continue
        if not public and known_exact and mask != must_evil:
            continue
        extra = popcount(mask & ~must_evil)
        if not public and role == rules.MERLIN and rules.MORDRED in specials and extra > 1:
            continue
        if any(popcount(mask & team) < fails for team, fails in fail_facts):
            continue
        if merlin_fixed is not None:
            candidates = [merlin_fixed]
        elif merlin_in is not None:
            candidates = [m for m in merlin_in if not mask >> m & 1]
            if rules.MORGANA in specials and len(merlin_in) == 2:
                # the other candidate is Morgana, so evil
                candidates = [
                    m for m in candidates if all(mask >> o & 1 for o in merlin_in if o != m)
                ]
        else:
            candidates = [
                s for s in range(n) if not mask >> s & 1 and (public or s != me or role == "merlin")
            ]
        for m in candidates:
            out.append((mask, m))
    return out


def belief(view: View, *, public: bool = False) -> Belief:
    n, k = view.n, rules.EVIL_COUNT[view.n]
    hyps = hypotheses(view, public=public)
    if not hyps:  # inconsistent evidence (should not happen): fall back to public facts
        hyps = hypotheses(view, public=True) or [(0, -1)]
    # Per-proposal precomputation.
    props = []
    for p in view.proposals:
        team = sum(1 << s for s in p.team)
        size = len(p.team)
        hammer = p.pick == rules.MAX_PICKS - 1
        trusted = publicly_trusted(view, p.mission)
        seat_logs = [
            _vote_logs(p.votes[s], s in p.team, s == p.leader, hammer, not p.team <= trusted | {s})
            for s in range(n)
        ]
        sum_good = (
            sum(seat_logs[s][0][0] for s in range(n)),
            sum(seat_logs[s][0][1] for s in range(n)),
        )
        leader_in = p.leader in p.team and 0 < size <= n
        props.append((team, p.leader, leader_in, size, seat_logs, sum_good))
    missions = _card_facts(view, public=public)
    setup = view.setup
    # Merlin does not see Mordred: from an evil seat, average Merlin's evidence over which
    # evil seat is Mordred (a good seat keeps the cheaper full-evil-set approximation).
    mordred_unknown = setup.evil and rules.MORDRED in setup.specials

    def merlin_ratio(mask: int, visible: int) -> list[float]:
        ratio = [0.0] * n  # log P(acts as Merlin) - log P(acts as a good player), per seat
        for team, leader, leader_in, size, seat_logs, _sum_good in props:
            jv = popcount(team & visible)
            d = 1 if jv else 0
            for s in range(n):
                if not mask >> s & 1:
                    ratio[s] += seat_logs[s][1][d] - seat_logs[s][0][d]
            if leader_in and not mask >> leader & 1:
                zg, zm, _ze = _lead_norms(n, k, size)
                j = popcount(team & mask)
                ratio[leader] += (
                    math.log(LEAD_MERLIN[0] if jv == 0 else LEAD_MERLIN[1])
                    - zm
                    - (math.log(LEAD_GOOD[0] if j == 0 else LEAD_GOOD[1]) - zg)
                )
        return ratio

    logw: list[float] = []
    cache: dict[int, tuple[float, list[float]]] = {}
    for mask, m in hyps:
        if mask not in cache:
            base = 0.0
            evil_seats = [s for s in range(n) if mask >> s & 1]
            for team, leader, leader_in, size, seat_logs, sum_good in props:
                j = popcount(team & mask)
                d = 1 if j else 0
                base += sum_good[d]
                for s in evil_seats:
                    base += seat_logs[s][2][d] - seat_logs[s][0][d]
                if leader_in:
                    zg, _zm, ze = _lead_norms(n, k, size)
                    if mask >> leader & 1:
                        f = LEAD_EVIL_ONE if j == 1 else LEAD_EVIL_MORE
                        base += math.log(f) - ze
                    else:
                        base += math.log(LEAD_GOOD[0] if j == 0 else LEAD_GOOD[1]) - zg
            for team, fails in missions:
                j = popcount(team & mask)
                base += (
                    math.log(math.comb(j, fails))
                    + fails * math.log(FAIL_CARD)
                    + (j - fails) * math.log(1 - FAIL_CARD)
                )
            if mordred_unknown:
                if setup.role == rules.MORDRED:
                    candidates = [setup.me]
                else:
                    candidates = [s for s in evil_seats if s != setup.me]
                ratios = [merlin_ratio(mask, mask & ~(1 << c)) for c in candidates]
                ratio = [_log_mean_exp([r[s] for r in ratios]) for s in range(n)]
            else:
                ratio = merlin_ratio(mask, mask)
            cache[mask] = (base, ratio)
        base, ratio = cache[mask]
        logw.append(base + (ratio[m] if m >= 0 else 0.0))
    top = max(logw)
    weights = [math.exp(x - top) for x in logw]
    total = sum(weights)
    return Belief(n=n, hyps=hyps, weights=[w / total for w in weights])


def _log_mean_exp(values: list[float]) -> float:
    if not values:
        return 0.0
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values) / len(values))
