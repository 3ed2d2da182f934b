"""Parse what ProAvalon sends (both shapes) into what one seat may know.

`parse_setup` reads the `POST /v0/session` body; `parse_view` reads a `gameInfo`. Neither ever
reads `gameInfo.roles` (every seat's true role) or `gameInfo.see` at the end of the game: a bot
decides only from what its seat may know. Anything malformed raises `GameInfoError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from avalonbot.engine import rules

MAX_NAME = 100

ROLE_NAMES = {
    "merlin": rules.MERLIN,
    "percival": rules.PERCIVAL,
    "servant": rules.SERVANT,
    "resistance": rules.SERVANT,
    "loyal servant of arthur": rules.SERVANT,
    "assassin": rules.ASSASSIN,
    "morgana": rules.MORGANA,
    "mordred": rules.MORDRED,
    "oberon": rules.OBERON,
    "minion": rules.MINION,
    "spy": rules.MINION,
    "minion of mordred": rules.MINION,
}
# Roles several seats hold; every other role is held by one seat at most.
REPEATABLE_ROLES = frozenset({rules.SERVANT, rules.MINION})
LADY_CARD = "lady of the lake"
PHASES = {
    "pickingteam": "pick",
    "votingteam": "vote",
    "votingmission": "mission",
    "assassination": "assassination",
    "lady": "lady",
    "ladyofthelake": "lady",
    "finished": "finished",
}


class GameInfoError(ValueError):
    """A session body or gameInfo this bot cannot accept (the message says why)."""


@dataclass(frozen=True)
class Setup:
    """One seat's start-of-game knowledge, from the session body."""

    num_players: int
    players: tuple[str, ...]
    me: int
    role: str
    specials: tuple[str, ...]
    lady: bool
    team_leader: int
    spies: frozenset[int]
    merlins: frozenset[int]

    @property
    def evil(self) -> bool:
        return rules.is_evil(self.role)

    @property
    def name(self) -> str:
        return self.players[self.me]

    def as_dict(self) -> dict[str, Any]:
        return {
            "numPlayers": self.num_players,
            "players": list(self.players),
            "me": self.me,
            "role": self.role,
            "specials": list(self.specials),
            "lady": self.lady,
            "teamLeader": self.team_leader,
            "spies": sorted(self.spies),
            "merlins": sorted(self.merlins),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Setup:
        return cls(
            num_players=data["numPlayers"],
            players=tuple(data["players"]),
            me=data["me"],
            role=data["role"],
            specials=tuple(data["specials"]),
            lady=data["lady"],
            team_leader=data["teamLeader"],
            spies=frozenset(data["spies"]),
            merlins=frozenset(data["merlins"]),
        )


@dataclass(frozen=True)
class PastProposal:
    mission: int
    pick: int
    leader: int
    team: frozenset[int]
    votes: tuple[bool, ...] | None  # by seat index of Setup.players

    @property
    def approved(self) -> bool:
        return self.votes is not None and sum(self.votes) * 2 > len(self.votes)


@dataclass(frozen=True)
class PastMission:
    mission: int
    team: frozenset[int]
    fails: int
    succeeded: bool


@dataclass
class View:
    """What one seat knows at one decision. Seats are indexes into `setup.players`."""

    setup: Setup
    phase: str
    mission: int  # 0-based
    pick: int  # 0-based
    leader: int | None
    proposed: frozenset[int]
    team_size: int
    num_select: int | None
    proposals: list[PastProposal] = field(default_factory=list)
    missions: list[PastMission] = field(default_factory=list)
    lady_holder: int | None = None
    lady_history: tuple[int, ...] = ()
    lady_results: dict[int, bool] = field(default_factory=dict)  # target -> evil
    prohibited: frozenset[int] = frozenset()
    # leader order (0..n-1 -> seat), when the client sent it
    leader_order: tuple[int, ...] = ()
    # the seat's own mission cards (mission -> played success), from its own past answers
    own_cards: dict[int, bool] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.setup.num_players

    @property
    def me(self) -> int:
        return self.setup.me

    @property
    def failures(self) -> int:
        return sum(not m.succeeded for m in self.missions)

    @property
    def successes(self) -> int:
        return sum(m.succeeded for m in self.missions)

    def fails_required(self, mission: int | None = None) -> int:
        return rules.fails_required(self.n, self.mission if mission is None else mission)

    def name(self, seat: int) -> str:
        return self.setup.players[seat]

    def assassination_targets(self) -> list[int]:
        banned = set(self.prohibited) | set(self.setup.spies) | {self.me}
        return [s for s in range(self.n) if s not in banned]

    def lady_targets(self) -> list[int]:
        banned = set(self.lady_history) | set(self.prohibited)
        if self.lady_holder is not None:
            banned.add(self.lady_holder)
        banned.add(self.me)
        return [s for s in range(self.n) if s not in banned]


# --- helpers -------------------------------------------------------------------------------


def _fail(message: str) -> GameInfoError:
    return GameInfoError(message)


def _int(value: Any, what: str, lo: int, hi: int, *, strict: bool = False) -> int:
    """An integer in [lo, hi]; `strict`: a JSON integer only (not "5", 5.0 or true)."""
    if isinstance(value, bool) or not isinstance(value, int):
        if not strict and isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        else:
            raise _fail(f"{what} must be an integer")
    if not lo <= value <= hi:
        raise _fail(f"{what} must be between {lo} and {hi}")
    return value


def _str_list(value: Any, what: str, limit: int = 64) -> list[str]:
    if not isinstance(value, list) or len(value) > limit:
        raise _fail(f"{what} must be a list of at most {limit} strings")
    if not all(isinstance(v, str) and len(v) <= MAX_NAME for v in value):
        raise _fail(f"{what} must be a list of strings")
    return value


def _role(value: Any, what: str = "role") -> str:
    if not isinstance(value, str) or value.strip().lower() not in ROLE_NAMES:
        raise _fail(f"{what}: unknown role {str(value)[:40]!r}")
    return ROLE_NAMES[value.strip().lower()]


def _seats(names: list[str], index: Mapping[str, int], what: str) -> frozenset[int]:
    seats = set()
    for name in names:
        if name not in index:
            raise _fail(f"{what}: {name[:40]!r} is not a player")
        seats.add(index[name])
    return frozenset(seats)


def _name_or_index_seats(
    items: list, index: Mapping[str, int], ordered: list[str] | None, n: int
) -> set[int]:
    """Seats named by player names or by indexes into ProAvalon's seat order (both are sent)."""
    seats = set()
    for item in items[:n]:
        if isinstance(item, str) and item in index:
            seats.add(index[item])
        elif isinstance(item, int) and not isinstance(item, bool) and 0 <= item < n:
            seats.add(index[ordered[item]] if ordered else item)
        else:
            raise _fail("seat lists hold player names or seat indexes")
    return seats


# --- session body --------------------------------------------------------------------------


def parse_setup(body: Any) -> Setup:
    """A `POST /v0/session` body in the document's shape or the real client's."""
    if not isinstance(body, Mapping):
        raise _fail("the body must be a JSON object")
    for key in ("numPlayers", "players", "name", "role"):
        if key not in body:
            raise _fail(f"{key} is required")
    n = _int(body["numPlayers"], "numPlayers", rules.MIN_PLAYERS, rules.MAX_PLAYERS, strict=True)
    players = _str_list(body["players"], "players", rules.MAX_PLAYERS)
    if len(players) != n:
        raise _fail("players must list numPlayers names")
    if len(set(players)) != n or any(not p for p in players):
        raise _fail("players must be distinct non-empty names")
    index = {name: i for i, name in enumerate(players)}
    name = body["name"]
    if not isinstance(name, str) or name not in index:
        raise _fail("name must be one of players")
    me = index[name]
    role = _role(body["role"])
    leader = _int(body.get("teamLeader", 0), "teamLeader", 0, n - 1, strict=True)

    raw_roles = body.get("roles", [])
    raw_roles = _str_list(raw_roles, "roles", rules.MAX_PLAYERS)
    roles = [_role(r, "roles") for r in raw_roles]
    # The real client lists every seat's role but Merlin's and the Assassin's, so only the plain
    # roles (Resistance/servant, Spy/minion) may repeat; any other role is one seat.
    repeated = sorted({r for r in roles if roles.count(r) > 1} - REPEATABLE_ROLES)
    if repeated:
        raise _fail(f"roles: {repeated[0]!r} is listed more than once")
    evil_seats = rules.EVIL_COUNT.get(n, 0)
    if sum(rules.is_evil(r) for r in roles) > evil_seats:
        raise _fail("roles lists more evil roles than evil seats")
    if sum(not rules.is_evil(r) for r in roles) > n - evil_seats:
        raise _fail("roles lists more good roles than good seats")
    specials = set(roles) & set(rules.SPECIAL_ROLES)
    if role in rules.SPECIAL_ROLES:
        specials.add(role)
    try:
        specials_t = rules.validate_setup(n, specials)
    except rules.RulesError as exc:
        raise _fail(str(exc)) from exc
    if len(roles) > n:
        raise _fail("roles lists more roles than players")

    lady = False
    if "ladyOfTheLake" in body:
        if not isinstance(body["ladyOfTheLake"], bool):
            raise _fail("ladyOfTheLake must be a boolean")
        lady = body["ladyOfTheLake"]
    if "cards" in body:
        cards = _str_list(body["cards"], "cards", 8)
        unknown = [c for c in cards if c.strip().lower() != LADY_CARD]
        if unknown:
            raise _fail(f"cards: this bot does not play {unknown[0][:40]!r}")
        lady = lady or bool(cards)

    spies: frozenset[int] = frozenset()
    merlins: frozenset[int] = frozenset()
    see = body.get("see")
    if see is not None:
        if not isinstance(see, Mapping):
            raise _fail("see must be an object")
        if "spies" in see:
            spies = _seats(_str_list(see["spies"], "see.spies", n), index, "see.spies")
        if "merlins" in see:
            merlins = _seats(_str_list(see["merlins"], "see.merlins", n), index, "see.merlins")
        tagged = [k for k, v in see.items() if k not in ("spies", "merlins", "roles")]
        for key in tagged:
            value = see[key]
            if not isinstance(value, Mapping):
                raise _fail(f"see.{key[:40]} must be an object")
            tag = str(value.get("roleTag", "")).lower()
            if key not in index:
                raise _fail(f"see: {key[:40]!r} is not a player")
            if "merlin" in tag or "morgana" in tag:
                merlins = merlins | {index[key]}
            elif "spy" in tag:
                spies = spies | {index[key]}
    spies = spies - {me}  # Oberon "sees" himself
    merlins = merlins - {me}
    if not rules.is_evil(role) and role != rules.MERLIN and spies:
        raise _fail("only Merlin and evil roles see spies")
    if role != rules.PERCIVAL and merlins:
        raise _fail("only Percival sees Merlin")
    if len(spies) >= rules.EVIL_COUNT[n] + (0 if rules.is_evil(role) else 1):
        raise _fail("see.spies lists more spies than the game has")
    if len(merlins) > 2:
        raise _fail("Percival sees at most two players")
    return Setup(
        num_players=n,
        players=tuple(players),
        me=me,
        role=role,
        specials=specials_t,
        lady=lady,
        team_leader=leader,
        spies=spies,
        merlins=merlins,
    )


# --- gameInfo ------------------------------------------------------------------------------


def parse_phase(info: Mapping[str, Any]) -> str:
    phase = info.get("phase")
    if not isinstance(phase, str):
        raise _fail("gameInfo.phase is required")
    key = phase.replace("_", "").replace(" ", "").lower()
    if key not in PHASES:
        raise _fail(f"gameInfo.phase: unknown phase {phase[:40]!r}")
    return PHASES[key]


def _tags(value: Any) -> set[str]:
    if not isinstance(value, str):
        raise _fail("voteHistory entries must be strings")
    return set(value.split())


def _history(
    info: Mapping[str, Any], setup: Setup, index: Mapping[str, int]
) -> tuple[list[PastProposal], list[PastProposal]]:
    """(completed proposals, pending proposals without votes) from voteHistory."""
    raw = info.get("voteHistory")
    if raw is None:
        return [], []
    if not isinstance(raw, Mapping):
        raise _fail("voteHistory must be an object")
    n = setup.num_players
    per_player: dict[int, list] = {}
    for name, missions in raw.items():
        if name not in index:
            raise _fail(f"voteHistory: {str(name)[:40]!r} is not a player")
        if not isinstance(missions, list) or len(missions) > rules.MISSIONS:
            raise _fail("voteHistory entries must be lists of at most five missions")
        for picks in missions:
            if not isinstance(picks, list) or len(picks) > rules.MAX_PICKS:
                raise _fail("voteHistory missions must be lists of at most five picks")
        per_player[index[name]] = missions
    if not per_player:
        return [], []
    if len(per_player) != n:
        raise _fail("voteHistory must list every player")
    done: list[PastProposal] = []
    pending: list[PastProposal] = []
    num_missions = max(len(m) for m in per_player.values())
    for mission in range(num_missions):
        num_picks = max(
            (len(m[mission]) for m in per_player.values() if len(m) > mission), default=0
        )
        for pick in range(num_picks):
            tags = []
            for seat in range(n):
                missions = per_player[seat]
                entry = (
                    missions[mission][pick]
                    if len(missions) > mission and len(missions[mission]) > pick
                    else ""
                )
                tags.append(_tags(entry))
            leaders = [s for s in range(n) if "VHleader" in tags[s]]
            team = frozenset(s for s in range(n) if "VHpicked" in tags[s])
            if len(leaders) != 1:
                if not team and not any(tags):
                    continue
                raise _fail("voteHistory: each proposal needs exactly one leader")
            voted = [("VHapprove" in t) or ("VHreject" in t) for t in tags]
            if all(voted):
                votes = tuple("VHapprove" in t for t in tags)
                done.append(PastProposal(mission, pick, leaders[0], team, votes))
            elif not any(voted):
                pending.append(PastProposal(mission, pick, leaders[0], team, None))
            else:
                raise _fail("voteHistory: a proposal has votes from only some players")
    return done, pending


def parse_view(setup: Setup, info: Any) -> View:
    """The seat's view from a gameInfo (real shape; tolerant of missing optional keys)."""
    if not isinstance(info, Mapping):
        raise _fail("gameInfo must be an object")
    n = setup.num_players
    index = {name: i for i, name in enumerate(setup.players)}
    phase = parse_phase(info)
    mission = _int(info.get("missionNum", 1), "gameInfo.missionNum", 1, rules.MISSIONS) - 1
    pick = _int(info.get("pickNum", 1), "gameInfo.pickNum", 1, rules.MAX_PICKS) - 1

    for key in ("playerUsernamesOrdered", "playerUsernamesOrderedReversed"):
        if key in info:
            names = _str_list(info[key], f"gameInfo.{key}", rules.MAX_PLAYERS)
            if sorted(names) != sorted(setup.players):
                raise _fail(f"gameInfo.{key} must list the session's players")
    leader_order: tuple[int, ...] = ()
    if "playerUsernamesOrderedReversed" in info:
        leader_order = tuple(index[x] for x in info["playerUsernamesOrderedReversed"])

    leader: int | None = None
    ordered = info.get("playerUsernamesOrdered")
    if "teamLeader" in info and info["teamLeader"] is not None:
        li = _int(info["teamLeader"], "gameInfo.teamLeader", 0, n - 1)
        leader = index[ordered[li]] if ordered else li

    proposed = _seats(
        _str_list(info.get("proposedTeam") or [], "gameInfo.proposedTeam", n),
        index,
        "gameInfo.proposedTeam",
    )

    sizes = info.get("numPlayersOnMission")
    team_size = rules.team_size(n, mission)
    if sizes is not None:
        if not isinstance(sizes, list) or len(sizes) != rules.MISSIONS:
            raise _fail("gameInfo.numPlayersOnMission must list five missions")
        raw = sizes[mission]
        text = str(raw).rstrip("*") if isinstance(raw, str | int) else ""
        team_size = _int(text, "gameInfo.numPlayersOnMission", 1, n)
    num_select = info.get("numSelectTargets")
    if num_select is not None:
        num_select = _int(num_select, "gameInfo.numSelectTargets", 1, n)
        if phase == "pick":
            team_size = num_select

    done, pending = _history(info, setup, index)
    history = info.get("missionHistory") or []
    fails_hist = info.get("numFailsHistory") or []
    if not isinstance(history, list) or len(history) > rules.MISSIONS:
        raise _fail("gameInfo.missionHistory must be a list of at most five results")
    if not isinstance(fails_hist, list) or len(fails_hist) > rules.MISSIONS:
        raise _fail("gameInfo.numFailsHistory must be a list of at most five counts")
    for result in history:
        if result not in ("succeeded", "failed"):
            raise _fail("gameInfo.missionHistory entries are 'succeeded' or 'failed'")
    fails = [_int(f, "gameInfo.numFailsHistory", 0, n) for f in fails_hist]
    approved = {}
    for p in done:
        if p.approved:
            approved[p.mission] = p
    missions: list[PastMission] = []
    for m, count in enumerate(fails):
        if m >= len(history):
            break
        team = approved[m].team if m in approved else frozenset()
        missions.append(PastMission(m, team, count, history[m] == "succeeded"))

    lady_holder = None
    lady_history: tuple[int, ...] = ()
    public = info.get("publicData")
    if isinstance(public, Mapping):
        cards = public.get("cards")
        lady_card = cards.get("lady") if isinstance(cards, Mapping) else None
        if isinstance(lady_card, Mapping):
            holder = lady_card.get("name")
            if isinstance(holder, str) and holder in index:
                lady_holder = index[holder]
            hist = lady_card.get("history")
            if isinstance(hist, list):
                lady_history = tuple(sorted(_name_or_index_seats(hist, index, ordered, n)))
    prohibited: frozenset[int] = frozenset()
    if "prohibitedIndexesToPicks" in info and info["prohibitedIndexesToPicks"] is not None:
        raw_p = info["prohibitedIndexesToPicks"]
        if not isinstance(raw_p, list) or len(raw_p) > n:
            raise _fail("gameInfo.prohibitedIndexesToPicks must be a list of seat indexes")
        prohibited = frozenset(_name_or_index_seats(raw_p, index, ordered, n))

    lady_results: dict[int, bool] = {}
    extra = info.get("lobbyLadyResults")
    if isinstance(extra, list):
        for item in extra[:n]:
            if isinstance(item, Mapping) and item.get("target") in index:
                lady_results[index[item["target"]]] = str(item.get("alliance")).lower() == "spy"

    if phase == "vote" and not proposed and pending:
        proposed = pending[-1].team
    if leader is None and pending:
        leader = pending[-1].leader
    return View(
        setup=setup,
        phase=phase,
        mission=mission,
        pick=pick,
        leader=leader,
        proposed=proposed,
        team_size=team_size,
        num_select=num_select,
        proposals=done,
        missions=missions,
        lady_holder=lady_holder,
        lady_history=lady_history,
        lady_results=lady_results,
        prohibited=prohibited,
        leader_order=leader_order,
    )
