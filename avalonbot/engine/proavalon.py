"""What ProAvalon sends a bot, built from an engine `Game`: session bodies and `gameInfo`.

Two shapes (see specs/proavalon-gameinfo.md): "real" is what ProAvalon's client really sends
(capitalised roles, `cards`, seat order reversed after seat 0, `see` per role, the full
`gameInfo` with every seat's true role in `roles`); "doc" is the API document's session body.
Engine seats are in leader order, which is the real client's `players` /
`playerUsernamesOrderedReversed`; `playerUsernamesOrdered` is ProAvalon's seat order.
"""

from __future__ import annotations

from typing import Any

from avalonbot.engine import rules
from avalonbot.engine.game import ASSASSINATION, FINISHED, LADY, MISSION, PICK, VOTE, Game

REAL, DOC = "real", "doc"
LADY_CARD = "Lady of the Lake"
CAPITALISED = {
    rules.MERLIN: "Merlin",
    rules.PERCIVAL: "Percival",
    rules.SERVANT: "Resistance",
    rules.ASSASSIN: "Assassin",
    rules.MORGANA: "Morgana",
    rules.MORDRED: "Mordred",
    rules.OBERON: "Oberon",
    rules.MINION: "Spy",
}
PHASES = {
    PICK: "pickingTeam",
    VOTE: "votingTeam",
    MISSION: "votingMission",
    ASSASSINATION: "assassination",
    LADY: "lady",
    FINISHED: "finished",
}


def alliance(role: str) -> str:
    return "Spy" if rules.is_evil(role) else "Resistance"


def ordered(names: list[str]) -> list[str]:
    """ProAvalon's seat order from leader order: [p0, p(n-1), ..., p1] is its own inverse."""
    return [names[0], *names[:0:-1]]


def _ordered_index(n: int, seat: int) -> int:
    return (n - seat) % n


def session_body(game: Game, seat: int, names: list[str], shape: str = REAL) -> dict[str, Any]:
    """The `POST /v0/session` body ProAvalon sends for `seat`."""
    role = game.roles[seat]
    seen = rules.sees(game.roles, seat)
    if shape == DOC:
        return {
            "numPlayers": game.n,
            "roles": list(game.specials),
            "ladyOfTheLake": game.lady_enabled,
            "teamLeader": game.first_leader,
            "players": list(names),
            "name": names[seat],
            "role": role,
            "see": {
                "spies": [names[s] for s in sorted(seen["spies"])],
                "merlins": [names[s] for s in sorted(seen["merlins"])],
            },
        }
    body: dict[str, Any] = {
        "numPlayers": game.n,
        "roles": [CAPITALISED[r] for r in game.roles if r not in (rules.MERLIN, rules.ASSASSIN)],
        "cards": [LADY_CARD] if game.lady_enabled else [],
        "teamLeader": game.first_leader,
        "players": list(names),
        "name": names[seat],
        "role": CAPITALISED[role],
    }
    if role == rules.OBERON:
        body["see"] = {"spies": [names[seat]]}
    elif role == rules.PERCIVAL:
        body["see"] = {names[s]: {"roleTag": "Merlin?"} for s in sorted(seen["merlins"])}
    elif role == rules.MERLIN or rules.is_evil(role):
        body["see"] = {"spies": [names[s] for s in sorted(seen["spies"])]}
    return body


def _buttons(game: Game, seat: int) -> dict[str, Any]:
    hidden = {"hidden": True, "disabled": True, "setText": ""}
    acting = seat in game.actors()
    texts = {
        PICK: ("Pick", ""),
        VOTE: ("Approve", "Reject"),
        MISSION: ("SUCCEED", "FAIL"),
        ASSASSINATION: ("Shoot", ""),
        LADY: ("Card", ""),
    }.get(game.phase)
    if not acting or texts is None:
        return {"green": hidden, "red": hidden}
    green = {"hidden": False, "disabled": False, "setText": texts[0]}
    red = {"hidden": not texts[1], "disabled": not texts[1], "setText": texts[1]}
    if game.phase == MISSION and not game.evil(seat):
        red = {"hidden": False, "disabled": True, "setText": texts[1]}
    return {"green": green, "red": red}


def _vote_history(game: Game, names: list[str]) -> dict[str, list[list[str]]]:
    """voteHistory[name][mission][pick]: ProAvalon's space-separated tags, keys in seat order."""
    n = game.n
    history: dict[str, list[list[str]]] = {names[(n - i) % n]: [] for i in range(n)}
    entries = [(p.mission, p.pick, p.leader, p.team, p.votes) for p in game.proposals]
    if game.phase == VOTE:  # the proposal being voted on: picked and leader, no votes yet
        entries.append((game.mission, game.pick, game.leader, game.team, None))
    for mission, pick, leader, team, votes in entries:
        for seat, name in enumerate(names):
            missions = history[name]
            while len(missions) <= mission:
                missions.append([])
            while len(missions[mission]) <= pick:
                missions[mission].append("")
            tag = ""
            if seat in team:
                tag += "VHpicked "
            if seat == leader:
                tag += "VHleader "
            if votes is not None:
                tag += "VHapprove" if votes[seat] else "VHreject"
            missions[mission][pick] = tag
    return history


def game_info(game: Game, seat: int, names: list[str], room_id: int = 1) -> dict[str, Any]:
    """The `gameInfo` ProAvalon sends `seat` (real shape; absent keys where undefined)."""
    n = game.n
    role = game.roles[seat]
    by_ordered = ordered(names)
    oi = lambda s: _ordered_index(n, s)  # noqa: E731 - tiny local helper
    leader = game.leader
    hammer = (game.leader + (rules.MAX_PICKS - 1 - game.pick)) % n
    sizes = [
        f"{size}*" if rules.fails_required(n, m) == 2 else str(size)
        for m, size in enumerate(rules.TEAM_SIZES[n])
    ]
    mission_history = ["succeeded" if r.succeeded else "failed" for r in game.results]
    if game.hammer_rejected:
        mission_history.append("failed")
    if game.phase == VOTE:
        yet = [name for s, name in enumerate(by_ordered) if (n - s) % n not in game.votes]
    elif game.phase == MISSION:
        yet = [names[s] for s in game.team if s not in game.cards]
        yet.sort(key=lambda name: by_ordered.index(name))
    else:
        yet = []
    last = game.proposals[-1] if game.proposals else None
    votes: list[str] = []
    if last is not None and game.phase == MISSION:
        votes = ["approve" if last.votes[(n - i) % n] else "reject" for i in range(n)]
    if game.phase == VOTE or game.phase == MISSION:
        team = game.team
    elif last is not None and game.phase in (FINISHED, LADY, ASSASSINATION):
        team = last.team
    else:
        team = ()
    num_select = None
    if game.phase == PICK:
        num_select = game.team_size
    elif game.phase in (ASSASSINATION, LADY):
        num_select = 1
    winner = ""
    if game.phase == ASSASSINATION:
        winner = "Resistance"
    elif game.phase == FINISHED:
        winner = "Resistance" if game.winner == "good" else "Spy"
    public_roles: dict[str, Any] = {}
    if game.assassin_target is not None:
        public_roles["assassinShotUsername"] = names[game.assassin_target]
    public_cards: dict[str, Any] = {}
    if game.lady_enabled and game.lady_holder is not None:
        public_cards["lady"] = {
            "index": oi(game.lady_holder),
            "history": [names[s] for s in game.lady_history],
            "name": names[game.lady_holder],
        }
    info: dict[str, Any] = {
        "alliance": alliance(role),
        "role": CAPITALISED[role],
        "username": names[seat],
        "buttons": _buttons(game, seat),
        "statusMessage": _status(game, names),
        "missionNum": game.mission + 1,
        "missionHistory": mission_history,
        "numFailsHistory": [r.fails for r in game.results],
        "pickNum": game.pick + 1,
        "teamLeader": oi(leader),
        "teamLeaderReversed": leader,
        "hammer": oi(hammer),
        "hammerReversed": hammer,
        "playersYetToVote": yet,
        "phase": PHASES[game.phase],
        "proposedTeam": [names[s] for s in sorted(team, key=oi)],
        "numPlayersOnMission": sizes,
        "numSelectTargets": num_select,
        "votes": votes,
        "voteHistory": _vote_history(game, names),
        "winner": winner,
        "playerUsernamesOrdered": by_ordered,
        "playerUsernamesOrderedReversed": list(names),
        "spectator": False,
        "gamePlayersInRoom": list(by_ordered),
        "roomId": room_id,
        "toShowGuns": True,
        "publicData": {"roles": public_roles, "cards": public_cards},
        "roles": [CAPITALISED[game.roles[(n - i) % n]] for i in range(n)],
        "cards": [LADY_CARD] if game.lady_enabled else [],
    }
    if game.phase == ASSASSINATION:
        known = rules.sees(game.roles, game.assassin)["spies"] | {game.assassin}
        info["prohibitedIndexesToPicks"] = sorted(oi(s) for s in known)
    elif game.phase == LADY:
        info["prohibitedIndexesToPicks"] = sorted(oi(s) for s in game.lady_history)
    if game.phase == FINISHED:
        info["see"] = {
            "spies": [names[s] for s in range(n) if game.evil(s)],
            "roles": {names[s]: CAPITALISED[r] for s, r in enumerate(game.roles)},
        }
    own = [r for r in game.lady_results if r.holder == seat]
    if own:
        # Lobby extension: ProAvalon tells the holder out of band; our arena puts it here.
        info["lobbyLadyResults"] = [
            {"target": names[r.target], "alliance": "Spy" if r.target_evil else "Resistance"}
            for r in own
        ]
    return info


def _status(game: Game, names: list[str]) -> str:
    if game.phase == PICK:
        return f"Waiting for {names[game.leader]} to select a team."
    if game.phase == VOTE:
        team = ", ".join(names[s] for s in game.team)
        return f"{names[game.leader]} has picked: {team}."
    if game.phase == MISSION:
        return "Waiting for mission votes."
    if game.phase == LADY and game.lady_holder is not None:
        return f"Waiting for {names[game.lady_holder]} to use the Lady of the Lake."
    if game.phase == ASSASSINATION:
        return "Waiting for the assassin to shoot."
    return f"Game over: {game.reason}."
