"""Agents: a decision from a `View`. `random` and `heuristic` are the arena's baselines."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Protocol

from avalonbot.bot.belief import hypotheses
from avalonbot.bot.view import View
from avalonbot.engine import rules

YES, NO = "yes", "no"


class IllegalDecisionError(ValueError):
    pass


@dataclass
class Decision:
    button: str
    selected: list[int] | None = None
    beliefs: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    def answer(self, view: View) -> dict[str, Any]:
        """The API's response body."""
        body: dict[str, Any] = {"buttonPressed": self.button}
        if self.selected is not None:
            body["selectedPlayers"] = [view.name(s) for s in self.selected]
        return body


class Agent(Protocol):
    name: str

    def decide(self, view: View, rng: random.Random) -> Decision: ...


def check_legal(view: View, decision: Decision) -> None:
    """Raise IllegalDecisionError unless `decision` is a legal answer in `view`'s phase."""
    phase = view.phase
    if decision.button not in (YES, NO):
        raise IllegalDecisionError("buttonPressed must be yes or no")
    sel = decision.selected
    if phase == "pick":
        if decision.button != YES or sel is None or len(set(sel)) != view.team_size:
            raise IllegalDecisionError("a team of the mission's size is required")
        if len(sel) != len(set(sel)) or any(not 0 <= s < view.n for s in sel):
            raise IllegalDecisionError("team members must be distinct players")
    elif phase == "vote":
        if sel is not None:
            raise IllegalDecisionError("no players are selected when voting")
    elif phase == "mission":
        if decision.button == NO and not view.setup.evil:
            raise IllegalDecisionError("good players can only succeed")
    elif phase == "assassination":
        if decision.button != YES or sel is None or len(sel) != 1:
            raise IllegalDecisionError("the assassin selects one player")
        if sel[0] not in view.assassination_targets():
            raise IllegalDecisionError("that player cannot be shot")
    elif phase == "lady":
        if decision.button != YES or sel is None or len(sel) != 1:
            raise IllegalDecisionError("the Lady selects one player")
        if sel[0] not in view.lady_targets():
            raise IllegalDecisionError("the Lady cannot look at that player")
    else:
        raise IllegalDecisionError(f"nothing to decide in phase {phase}")


class RandomAgent:
    """Uniformly random legal play (evil fails half the time)."""

    name = "random"

    def decide(self, view: View, rng: random.Random) -> Decision:
        phase = view.phase
        if phase == "pick":
            return Decision(YES, sorted(rng.sample(range(view.n), view.team_size)))
        if phase == "vote":
            return Decision(rng.choice((YES, NO)))
        if phase == "mission":
            return Decision(NO if view.setup.evil and rng.random() < 0.5 else YES)
        if phase in ("assassination", "lady"):
            targets = (
                view.assassination_targets() if phase == "assassination" else view.lady_targets()
            )
            if not targets:
                raise IllegalDecisionError(f"no eligible target in phase {phase}")
            return Decision(YES, [rng.choice(targets)])
        raise IllegalDecisionError(f"nothing to decide in phase {phase}")


def _suspicion(view: View) -> list[float]:
    """Fixed-rule suspicion: fail cards spread over the failed teams, plus known facts."""
    score = [0.0] * view.n
    for m in view.missions:
        if m.fails and m.team:
            for s in m.team:
                score[s] += m.fails / len(m.team) * 2
        elif m.team:
            for s in m.team:
                score[s] -= 0.25
    # Who led or waved through a team that failed is suspect; who rejected it is less so.
    approved = {p.mission: p for p in view.proposals if p.approved}
    for m in view.missions:
        p = approved.get(m.mission)
        if p is None or p.votes is None:
            continue
        sign = 1.0 if m.fails else -0.3
        score[p.leader] += 0.5 * sign
        for s in range(view.n):
            if s not in m.team:
                score[s] += (0.35 if p.votes[s] else -0.35) * sign
    for s in view.setup.spies:
        score[s] += 100
    for target, evil in view.lady_results.items():
        score[target] += 100 if evil else -100
    score[view.me] = -1000 if not view.setup.evil else score[view.me]
    return score


class HeuristicAgent:
    """Sensible fixed rules: good trusts those off failed missions, evil fails and hides."""

    name = "heuristic"

    def decide(self, view: View, rng: random.Random) -> Decision:
        setup = view.setup
        phase = view.phase
        evil = setup.evil
        n = view.n
        known_evil = set(setup.spies) | ({view.me} if evil else set())
        if phase == "pick":
            if evil:
                score = _suspicion(view)
                goods = [s for s in range(n) if s not in known_evil]
                goods.sort(key=lambda s: (score[s], rng.random()))
                team = [view.me, *goods[: view.team_size - 1]]
            else:
                score = _suspicion(view)
                others = [s for s in range(n) if s != view.me]
                others.sort(key=lambda s: (score[s], rng.random()))
                team = [view.me, *others[: view.team_size - 1]]
            return Decision(YES, sorted(team))
        if phase == "vote":
            team = view.proposed
            if view.pick == rules.MAX_PICKS - 1:
                return Decision(NO if evil and not (team & known_evil) else YES)
            if evil:
                return Decision(YES if team & known_evil else NO)
            if view.leader == view.me:
                return Decision(YES)
            score = _suspicion(view)
            # Trust the n - evil least suspicious players (ties count as trusted).
            cutoff = sorted(score)[n - rules.EVIL_COUNT[n] - 1]
            trusted = {s for s in range(n) if score[s] <= cutoff}
            if setup.role == rules.PERCIVAL and setup.merlins and len(setup.merlins) == 1:
                trusted |= set(setup.merlins)
            return Decision(YES if team <= trusted else NO)
        if phase == "mission":
            if not evil:
                return Decision(YES)
            mates = sorted(s for s in view.proposed if s in known_evil) or [view.me]
            need = view.fails_required()
            return Decision(NO if view.me in mates[:need] else YES)
        if phase == "assassination":
            targets = view.assassination_targets()
            # Merlin looks like the player who never approved a team with a known spy.
            score = {s: 0.0 for s in targets}
            for p in view.proposals:
                dirty = bool(p.team & known_evil)
                for s in targets:
                    if p.votes is not None and p.votes[s] != dirty:
                        score[s] += 1
            best = max(score.values())
            return Decision(YES, [rng.choice([s for s in targets if score[s] == best])])
        if phase == "lady":
            targets = view.lady_targets()
            score = _suspicion(view)
            return Decision(YES, [max(targets, key=lambda s: (abs(score[s]) < 50, rng.random()))])
        raise IllegalDecisionError(f"nothing to decide in phase {phase}")


class ObserveAgent:
    """DeepRole's ObserveBot ("LogicBot"): deduction only, no behaviour model.

    It keeps every assignment (evil set, Merlin) still possible from its seat: consistent with its
    role and what it was shown, its Lady results, its own mission cards and every fail count (a
    mission with f fail cards had at least f evil players on it). At each decision it draws one of
    them uniformly at random and acts as if it were the truth:

    - good leader: a uniformly random team of players who are good in the drawn assignment;
    - vote: approve the fifth proposal always; otherwise approve iff the leader and every team
      member are good in the drawn assignment (evil: the opposite, so it approves teams with a
      spy on them or led by one);
    - mission: evil always fails, good succeeds;
    - evil leader, the assassination and the Lady: uniformly random legal choices.

    So a good ObserveBot never proposes or approves (before the fifth proposal) a team that holds a
    spy in every possible assignment, and approves any team with the probability that it is clean
    under a uniform prior over the possible assignments.
    """

    name = "observe"

    def _draw(self, view: View, rng: random.Random) -> int:
        hyps = hypotheses(view)
        return rng.choice(hyps)[0] if hyps else 0

    def decide(self, view: View, rng: random.Random) -> Decision:
        phase = view.phase
        evil = view.setup.evil
        if phase == "pick":
            if evil:
                return Decision(YES, sorted(rng.sample(range(view.n), view.team_size)))
            mask = self._draw(view, rng)
            goods = [s for s in range(view.n) if not mask >> s & 1]
            rng.shuffle(goods)
            return Decision(YES, sorted(goods[: view.team_size]), note="a clean team if drawn")
        if phase == "vote":
            if view.pick == rules.MAX_PICKS - 1:
                return Decision(YES, note="fifth proposal")
            mask = self._draw(view, rng)
            leader_good = view.leader is None or not mask >> view.leader & 1
            clean = leader_good and not any(mask >> s & 1 for s in view.proposed)
            return Decision(YES if clean != evil else NO, note=f"drawn clean={clean}")
        if phase == "mission":
            return Decision(NO if evil else YES)
        return RandomAgent().decide(view, rng)


def all_teams(n: int, size: int, must: int | None = None) -> list[tuple[int, ...]]:
    if must is None:
        return list(combinations(range(n), size))
    others = [s for s in range(n) if s != must]
    return [tuple(sorted((must, *c))) for c in combinations(others, size - 1)]
