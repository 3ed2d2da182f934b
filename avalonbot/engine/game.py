"""Avalon's state machine: proposals, votes, missions, the Lady of the Lake, the assassination.

Seats are 0..n-1 in the order the leader moves (the leader passes to seat + 1 after every
proposal). Every action is checked; an illegal one raises `IllegalActionError` and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from avalonbot.engine import rules
from avalonbot.engine.rules import RulesError

PICK, VOTE, MISSION, LADY, ASSASSINATION, FINISHED = (
    "pick",
    "vote",
    "mission",
    "lady",
    "assassination",
    "finished",
)
GOOD, EVIL = "good", "evil"


class IllegalActionError(RulesError):
    pass


@dataclass(frozen=True)
class Proposal:
    mission: int  # 0-based
    pick: int  # 0-based
    leader: int
    team: tuple[int, ...]
    votes: tuple[bool, ...] | None = None  # approve per seat, once everyone voted

    @property
    def approved(self) -> bool:
        return self.votes is not None and sum(self.votes) * 2 > len(self.votes)


@dataclass(frozen=True)
class MissionResult:
    mission: int
    team: tuple[int, ...]
    fails: int
    succeeded: bool


@dataclass(frozen=True)
class LadyResult:
    holder: int
    target: int
    target_evil: bool


@dataclass
class Game:
    roles: list[str]
    first_leader: int = 0
    lady_enabled: bool = False

    phase: str = PICK
    mission: int = 0
    pick: int = 0
    leader: int = 0
    team: tuple[int, ...] = ()
    votes: dict[int, bool] = field(default_factory=dict)
    cards: dict[int, bool] = field(default_factory=dict)  # seat -> played success
    proposals: list[Proposal] = field(default_factory=list)
    results: list[MissionResult] = field(default_factory=list)
    hammer_rejected: bool = False
    lady_holder: int | None = None
    lady_history: list[int] = field(default_factory=list)
    lady_results: list[LadyResult] = field(default_factory=list)
    assassin_target: int | None = None
    winner: str | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        n = len(self.roles)
        if n not in rules.TEAM_SIZES:
            raise RulesError("Avalon is played by 5 to 10 players")
        if sorted(self.roles) != sorted(
            rules.role_list(n, [r for r in self.roles if r in rules.SPECIAL_ROLES])
        ):
            raise RulesError("the roles are not a legal deal for this player count")
        if not 0 <= self.first_leader < n:
            raise RulesError("first leader out of range")
        self.leader = self.first_leader
        if self.lady_enabled:
            # ProAvalon gives the Lady to the seat that leads last in the first round.
            self.lady_holder = (self.first_leader - 1) % n
            self.lady_history = [self.lady_holder]

    # --- facts -------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.roles)

    @property
    def specials(self) -> tuple[str, ...]:
        return rules.validate_setup(self.n, [r for r in self.roles if r in rules.SPECIAL_ROLES])

    @property
    def team_size(self) -> int:
        return rules.team_size(self.n, self.mission)

    def evil(self, seat: int) -> bool:
        return rules.is_evil(self.roles[seat])

    @property
    def successes(self) -> int:
        return sum(r.succeeded for r in self.results)

    @property
    def failures(self) -> int:
        return sum(not r.succeeded for r in self.results) + int(self.hammer_rejected)

    @property
    def assassin(self) -> int:
        return self.roles.index(rules.ASSASSIN)

    def assassination_targets(self) -> list[int]:
        known = rules.sees(self.roles, self.assassin)["spies"] | {self.assassin}
        return [s for s in range(self.n) if s not in known]

    def lady_targets(self) -> list[int]:
        return [s for s in range(self.n) if s not in self.lady_history]

    def actors(self) -> list[int]:
        """Seats that must act now (in seat order)."""
        if self.phase == PICK:
            return [self.leader]
        if self.phase == VOTE:
            return [s for s in range(self.n) if s not in self.votes]
        if self.phase == MISSION:
            return [s for s in self.team if s not in self.cards]
        if self.phase == LADY:
            return [self.lady_holder] if self.lady_holder is not None else []
        if self.phase == ASSASSINATION:
            return [self.assassin]
        return []

    # --- actions -----------------------------------------------------------------------------
    def _expect(self, phase: str, seat: int) -> None:
        if self.phase != phase:
            raise IllegalActionError(f"not the {phase} phase (phase is {self.phase})")
        if seat not in self.actors():
            raise IllegalActionError(f"seat {seat} does not act now")

    def propose(self, seat: int, team: list[int] | tuple[int, ...]) -> None:
        self._expect(PICK, seat)
        chosen = tuple(sorted(team))
        if len(set(chosen)) != len(chosen) or len(chosen) != self.team_size:
            raise IllegalActionError(f"the team must be {self.team_size} different players")
        if any(not 0 <= s < self.n for s in chosen):
            raise IllegalActionError("team member out of range")
        self.team = chosen
        self.votes = {}
        self.phase = VOTE

    def vote(self, seat: int, approve: bool) -> None:
        self._expect(VOTE, seat)
        self.votes[seat] = bool(approve)
        if len(self.votes) < self.n:
            return
        proposal = Proposal(
            self.mission,
            self.pick,
            self.leader,
            self.team,
            tuple(self.votes[s] for s in range(self.n)),
        )
        self.proposals.append(proposal)
        if proposal.approved:
            self.cards = {}
            self.phase = MISSION
            return
        self.pick += 1
        if self.pick >= rules.MAX_PICKS:
            self.hammer_rejected = True
            self._finish(EVIL, "five proposals rejected")
            return
        self.leader = (self.leader + 1) % self.n
        self.team = ()
        self.phase = PICK

    def play(self, seat: int, success: bool) -> None:
        self._expect(MISSION, seat)
        if not success and not self.evil(seat):
            raise IllegalActionError("good players can only succeed missions")
        self.cards[seat] = bool(success)
        if len(self.cards) < len(self.team):
            return
        fails = sum(not c for c in self.cards.values())
        succeeded = fails < rules.fails_required(self.n, self.mission)
        self.results.append(MissionResult(self.mission, self.team, fails, succeeded))
        if self.failures >= rules.WINS_NEEDED:
            self._finish(EVIL, "three missions failed")
            return
        if self.successes >= rules.WINS_NEEDED:
            self.phase = ASSASSINATION
            return
        if self.lady_enabled and self.mission in rules.LADY_AFTER_MISSIONS and self.lady_targets():
            self.phase = LADY
            return
        self._next_mission()

    def _next_mission(self) -> None:
        self.mission += 1
        self.pick = 0
        self.leader = (self.leader + 1) % self.n
        self.team = ()
        self.votes = {}
        self.cards = {}
        self.phase = PICK

    def use_lady(self, seat: int, target: int) -> LadyResult:
        self._expect(LADY, seat)
        if target not in self.lady_targets():
            raise IllegalActionError("the Lady cannot look at that player")
        result = LadyResult(seat, target, self.evil(target))
        self.lady_results.append(result)
        self.lady_holder = target
        self.lady_history.append(target)
        self._next_mission()
        return result

    def assassinate(self, seat: int, target: int) -> None:
        self._expect(ASSASSINATION, seat)
        if target not in self.assassination_targets():
            raise IllegalActionError("the assassin cannot shoot that player")
        self.assassin_target = target
        if self.roles[target] == rules.MERLIN:
            self._finish(EVIL, "Merlin assassinated")
        else:
            self._finish(GOOD, "three missions succeeded and Merlin survived")

    def _finish(self, winner: str, reason: str) -> None:
        self.winner = winner
        self.reason = reason
        self.phase = FINISHED
