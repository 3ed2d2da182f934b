"""A ProAvalon-like HTTP client of the bot API (what `avalon_arena --http` and tests drive)."""

from __future__ import annotations

from typing import Any

import requests

TIMEOUTS = {"info": 4, "session": 3, "act": 20, "gameover": 1, "delete": 1}


class BotApiError(RuntimeError):
    pass


class BotApi:
    def __init__(self, base_url: str, key: str, *, session: requests.Session | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.key = key
        self.http = session or requests.Session()

    def _post(self, path: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        response = self.http.post(
            f"{self.base}/{path}",
            json=body,
            headers={"Authorization": self.key},
            timeout=timeout,
        )
        if response.status_code != 200:  # ProAvalon counts any other status as a failure
            raise BotApiError(f"{path}: HTTP {response.status_code} {response.text[:300]}")
        return response.json() if response.content else {}

    def info(self) -> dict[str, Any]:
        response = self.http.get(f"{self.base}/v0/info", timeout=TIMEOUTS["info"])
        if response.status_code != 200:
            raise BotApiError(f"info: HTTP {response.status_code}")
        return response.json()

    def session(self, body: dict[str, Any]) -> str:
        return self._post("v0/session", body, TIMEOUTS["session"])["sessionID"]

    def act(self, session_id: str, game_info: dict[str, Any]) -> dict[str, Any]:
        return self._post(
            "v0/session/act", {"sessionID": session_id, "gameInfo": game_info}, TIMEOUTS["act"]
        )

    def gameover(self, session_id: str, game_info: dict[str, Any]) -> None:
        self._post(
            "v0/session/gameover",
            {"sessionID": session_id, "gameInfo": game_info},
            TIMEOUTS["gameover"] * 5,  # our own arena tolerates a slow disk more than ProAvalon
        )


class HttpSeats:
    """arena.Remote: every bot seat of one game through the API."""

    def __init__(self, api: BotApi) -> None:
        self.api = api
        self.sessions: dict[int, str] = {}

    def start(self, seat: int, body: dict) -> None:
        self.sessions[seat] = self.api.session(body)

    def act(self, seat: int, info: dict) -> dict:
        return self.api.act(self.sessions[seat], info)

    def end(self, seat: int, info: dict) -> None:
        self.api.gameover(self.sessions[seat], info)
