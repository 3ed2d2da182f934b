"""The belief bot: acts to maximise its side's chance of winning under its belief."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import random
from collections.abc import Iterable
from typing import Any

from avalonbot.bot import search as lookahead
from avalonbot.bot.agents import (
    NO,
    YES,
    Decision,
    IllegalDecisionError,
    RandomAgent,
    all_teams,
    check_legal,
)
from avalonbot.bot.belief import Belief, belief, publicly_trusted
from avalonbot.bot.view import Setup, View, parse_view
from avalonbot.engine import rules

logger = logging.getLogger(__name__)

# Good voters approve a team whose chance of being clean is at least this share of the best
# team's chance (the rest of the rounds can still find a better one).
APPROVE_SHARE = 0.8
# Evil: probability of failing a mission when failing is not forced (hiding early).
EVIL_FAIL_EARLY = 0.5
# Evil approves publicly trusted clean teams while fewer than this many missions succeeded.
EVIL_BLEND_UNTIL = 2
# Merlin: chance of approving a team holding a spy he can see, when nothing is at stake.
MERLIN_SOFT_APPROVE = 0.9
# Look-ahead (search.py) where it matters; `avalonbot.apps` sets this from AVALON_SEARCH.
SEARCH_DEFAULT = True
# Team proposals the search compares: the policy's best and the next most likely clean ones.
SEARCH_TEAMS = 6
SEARCH_TEAM_SHARE = 0.5  # ... whose chance of being clean is at least this share of the best


def _mask(seats: Iterable[int]) -> int:
    out = 0
    for s in seats:
        out |= 1 << s
    return out


class BeliefAgent:
    """The belief bot. `search`: look ahead where it matters (None: `SEARCH_DEFAULT`);
    `config`: the search's iterations, time budget and clock."""

    name = "bot"

    def __init__(
        self, search: bool | None = None, config: lookahead.SearchConfig | None = None
    ) -> None:
        self.search = SEARCH_DEFAULT if search is None else search
        self.config = config or lookahead.SearchConfig()
        self._deadline: lookahead.Deadline | None = None

    def decide(self, view: View, rng: random.Random) -> Decision:
        # The budget covers the whole decision, belief included.
        self._deadline = lookahead.Deadline(self.config.budget_s, self.config.clock)
        phase = view.phase
        handler = {
            "pick": self._pick,
            "vote": self._vote,
            "mission": self._mission,
            "lady": self._lady,
            "assassination": self._assassinate,
        }.get(phase)
        if handler is None:
            raise IllegalDecisionError(f"nothing to decide in phase {phase}")
        b = belief(view)
        decision = handler(view, b, rng)
        decision.beliefs = b.top(view.setup.players)
        return decision

    # --- good and evil ---------------------------------------------------------------------
    def _known_evil(self, view: View) -> set[int]:
        known = set(view.setup.spies)
        if view.setup.evil:
            known.add(view.me)
        return known

    def _pick(self, view: View, b: Belief, rng: random.Random) -> Decision:
        size = view.team_size
        if view.setup.evil:
            return self._evil_pick(view, b, rng)
        sets = b.evil_sets()
        teams = all_teams(view.n, size, view.me)
        if view.setup.role == rules.MERLIN:
            # Merlin picks like a servant would (from public facts), among the teams without a
            # spy he can see: the mission is safe and the choice looks ordinary.
            cover = belief(_as_servant(view)).evil_sets()
            spies = _mask(view.setup.spies)
            scored = [
                (_p_clean(cover, _mask(t)), rng.random(), t) for t in teams if not _mask(t) & spies
            ] or [(b.p_clean(_mask(t), sets), rng.random(), t) for t in teams]
        else:
            scored = [(b.p_clean(_mask(t), sets), rng.random(), t) for t in teams]
        best = max(scored)
        note = f"p_clean={best[0]:.3f}"
        if self.search and view.setup.role != rules.MERLIN:
            # Merlin keeps his cover pick: the rollouts do not model the assassin reading it.
            ranked = sorted(scored, reverse=True)
            candidates = [
                t for p, _r, t in ranked[:SEARCH_TEAMS] if p >= SEARCH_TEAM_SHARE * best[0]
            ]
            found = self._search("pick", view, b, rng, candidates=candidates, default=best[2])
            return Decision(YES, list(found.action), note=f"{note}; {found.note()}")
        return Decision(YES, list(best[2]), note=note)

    def _search(self, kind: str, view: View, b: Belief, rng: random.Random, **kw: Any):  # type: ignore[no-untyped-def]
        deadline = self._deadline or lookahead.Deadline(self.config.budget_s, self.config.clock)
        srng = random.Random(rng.getrandbits(64))  # noqa: S311 - reproducible search
        fn = {
            "pick": lookahead.search_pick,
            "vote": lookahead.search_vote,
            "card": lookahead.search_card,
        }[kind]
        return fn(view, b, rng=srng, config=self.config, deadline=deadline, **kw)

    def _evil_pick(self, view: View, b: Belief, rng: random.Random) -> Decision:
        size = view.team_size
        need = view.fails_required()
        known = self._known_evil(view)
        public = belief(view, public=True)
        p_evil = public.p_evil()
        goods = sorted(
            (s for s in range(view.n) if s not in known), key=lambda s: (p_evil[s], rng.random())
        )
        mates = sorted((s for s in known if s != view.me), key=lambda s: (p_evil[s], rng.random()))
        team = [view.me, *mates[: need - 1]]
        team += goods[: size - len(team)]
        if len(team) < size:  # not enough good players to fill (tiny games): anyone
            team += [s for s in range(view.n) if s not in team][: size - len(team)]
        default = tuple(sorted(team[:size]))
        if not self.search:
            return Decision(YES, list(default), note="evil pick")
        # Alternatives: the same evil members with other good players, and one more evil member.
        candidates = [default]
        base = [view.me, *mates[: need - 1]]
        for i in range(len(goods)):
            pool = goods[:i] + goods[i + 1 :]
            candidates.append(tuple(sorted(base + pool[: size - len(base)])))
        if len(mates) >= need and size > need:
            extra = [view.me, *mates[:need]]
            candidates.append(tuple(sorted(extra + goods[: size - len(extra)])))
        candidates = [t for t in dict.fromkeys(candidates) if len(set(t)) == size][:SEARCH_TEAMS]
        found = self._search("pick", view, b, rng, candidates=candidates, default=default)
        return Decision(YES, list(found.action), note=f"evil pick; {found.note()}")

    def _vote(self, view: View, b: Belief, rng: random.Random) -> Decision:
        decision = self._policy_vote(view, b, rng)
        # The fourth proposal: rejecting hands the hammer on, so look ahead (not Merlin, whose
        # votes are his cover; the fifth is decided by the rules: rejecting it loses for good).
        if self.search and view.pick == rules.MAX_PICKS - 2 and view.setup.role != rules.MERLIN:
            found = self._search("vote", view, b, rng, default=decision.button == YES)
            button = YES if found.action else NO
            return Decision(button, note=f"{decision.note}; {found.note()}")
        return decision

    def _policy_vote(self, view: View, b: Belief, rng: random.Random) -> Decision:
        team = view.proposed
        hammer = view.pick == rules.MAX_PICKS - 1
        if view.setup.evil:
            known = self._known_evil(view)
            dirty = len(team & known)
            if hammer:
                return Decision(YES if dirty else NO, note="hammer")
            if view.leader == view.me:
                return Decision(YES)
            if view.failures == rules.WINS_NEEDED - 1:
                return Decision(YES if dirty >= view.fails_required() else NO)
            if dirty:
                return Decision(YES, note=f"evil on team={dirty}")
            # A clean team: rejecting it marks us once it succeeds. Vote as a good player
            # would while a success is affordable.
            trusted = publicly_trusted(view, view.mission)
            if view.successes < EVIL_BLEND_UNTIL and team <= trusted | {view.me}:
                return Decision(YES, note="clean team, blending in")
            return Decision(NO, note="clean team")
        if hammer or view.leader == view.me:
            return Decision(YES, note="hammer" if hammer else "own team")
        if view.setup.role == rules.MERLIN:
            return self._merlin_vote(view, b, rng)
        return self._good_vote(view, b)

    def _good_vote(self, view: View, b: Belief) -> Decision:
        team = view.proposed
        sets = b.evil_sets()
        p_team = b.p_clean(_mask(team), sets)
        best = max(
            b.p_clean(_mask(t), sets) for t in all_teams(view.n, len(team) or view.team_size)
        )
        threshold = APPROVE_SHARE * best
        if view.pick >= 3:
            threshold *= 0.85
        approve = p_team >= threshold - 1e-9
        return Decision(YES if approve else NO, note=f"p_clean={p_team:.3f} best={best:.3f}")

    def _merlin_vote(self, view: View, b: Belief, rng: random.Random) -> Decision:
        """Vote as a servant would, except never let a visible spy's team through when it
        matters (it would lose the game, or two fail cards are needed and available)."""
        cover = self._good_vote(_as_servant(view), belief(_as_servant(view)))
        spies_on = len(view.proposed & view.setup.spies)
        if not spies_on:
            return Decision(cover.button, note="clean; " + cover.note)
        critical = view.failures == rules.WINS_NEEDED - 1 or spies_on >= 2
        if cover.button == NO:
            return Decision(NO, note="spy on team; a servant would reject too")
        if critical or rng.random() >= MERLIN_SOFT_APPROVE:
            return Decision(NO, note="spy on team")
        return Decision(YES, note="spy on team (hiding)")

    def _mission(self, view: View, b: Belief, rng: random.Random) -> Decision:
        if not view.setup.evil:
            return Decision(YES)
        known = self._known_evil(view)
        need = view.fails_required()
        mates = sorted(s for s in view.proposed if s in known)
        if view.setup.role == rules.OBERON:
            failing = [view.me]
        else:
            failing = mates[:need] if len(mates) >= need else mates
        if view.me not in failing:
            return Decision(YES, note="a teammate fails")
        if len(mates) < need:
            return Decision(YES, note="not enough evil to fail")
        forced = view.failures == rules.WINS_NEEDED - 1 or view.successes == rules.WINS_NEEDED - 1
        if forced:
            return Decision(NO, note="fail (forced)")
        default = view.mission > 0 or rng.random() < EVIL_FAIL_EARLY
        if self.search:
            found = self._search("card", view, b, rng, default=not default)
            return Decision(YES if found.action else NO, note=found.note())
        return Decision(NO, note="fail") if default else Decision(YES, note="hide")

    def _lady(self, view: View, b: Belief, rng: random.Random) -> Decision:
        targets = view.lady_targets()
        if not targets:
            raise IllegalDecisionError("no eligible Lady target")
        p = b.p_evil()
        if view.setup.evil:
            choice = max(targets, key=lambda s: (s not in self._known_evil(view), rng.random()))
        else:
            choice = max(targets, key=lambda s: (_entropy(p[s]), rng.random()))
        return Decision(YES, [choice], note=f"p_evil={p[choice]:.3f}")

    def _assassinate(self, view: View, b: Belief, rng: random.Random) -> Decision:
        targets = view.assassination_targets()
        if not targets:
            raise IllegalDecisionError("no player may be shot")
        pm = b.p_merlin()
        choice = max(targets, key=lambda s: (pm[s], rng.random()))
        return Decision(YES, [choice], note=f"p_merlin={pm[choice]:.3f}")


def _as_servant(view: View) -> View:
    """The same view without Merlin's private knowledge (what a servant in his seat knows)."""
    setup = dataclasses.replace(view.setup, role=rules.SERVANT, spies=frozenset())
    return dataclasses.replace(view, setup=setup)


def _p_clean(sets: dict[int, float], team: int) -> float:
    return sum(w for mask, w in sets.items() if not mask & team)


def _entropy(p: float) -> float:
    if p <= 0 or p >= 1:
        return 0.0
    return -(p * math.log(p) + (1 - p) * math.log(1 - p))


def decision_seed(seed: int, view: View) -> int:
    """Same seed + same game state -> same decision (a retried call gets the same answer)."""
    key = f"{seed}|{view.phase}|{view.mission}|{view.pick}|{len(view.proposals)}|{view.me}"
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def act(
    setup: Setup,
    info: Any,
    seed: int,
    own_cards: dict[int, bool] | None = None,
    *,
    search: bool | None = None,
    config: lookahead.SearchConfig | None = None,
) -> tuple[View, Decision]:
    """The bot's legal answer to one `gameInfo` (raises GameInfoError / IllegalDecisionError).

    `own_cards`: the mission cards this seat played (mission -> success), which it remembers
    but `gameInfo` does not say. `search`/`config`: see `BeliefAgent`.
    """
    view = parse_view(setup, info)
    view.own_cards = dict(own_cards or {})
    rng = random.Random(decision_seed(seed, view))  # noqa: S311 - reproducible play
    try:
        decision = BeliefAgent(search=search, config=config).decide(view, rng)
    except IllegalDecisionError:
        raise
    except Exception:  # a bug must not get the bot removed from a game: answer legally anyway
        logger.exception("belief bot failed in phase %s; answering at random", view.phase)
        decision = Decision(NO if view.phase == "vote" else YES, note="error")
    try:
        check_legal(view, decision)
    except IllegalDecisionError:  # never answer illegally: fall back to a random legal move
        fallback = RandomAgent().decide(view, rng)
        check_legal(view, fallback)
        fallback.beliefs, fallback.note = decision.beliefs, "fallback: " + decision.note
        decision = fallback
    return view, decision
