"""A ProAvalon-like client for tests: drives the API through Django's test client."""

from avalonbot import arena
from avalonbot.engine.proavalon import DOC, REAL


class ClientSeats:
    """arena.Remote over DRF's APIClient, sending the real client's shapes (or the document's)."""

    def __init__(self, api, key: str, shape: str = REAL, end_path: str = "gameover") -> None:
        self.api, self.key, self.shape, self.end_path = api, key, shape, end_path
        self.sessions: dict[int, str] = {}
        self.answers: list[dict] = []

    def post(self, path: str, body: dict):
        return self.api.post(f"/avalon/v0/{path}", body, format="json", HTTP_AUTHORIZATION=self.key)

    def start(self, seat: int, body: dict) -> None:
        if self.shape == DOC:
            body = self.doc_body
        r = self.post("session", body)
        assert r.status_code == 200, r.content
        self.sessions[seat] = r.json()["sessionID"]

    def act(self, seat: int, info: dict) -> dict:
        r = self.post("session/act", {"sessionID": self.sessions[seat], "gameInfo": info})
        assert r.status_code == 200, r.content
        self.answers.append(r.json())
        return r.json()

    def end(self, seat: int, info: dict) -> None:
        body = {"sessionID": self.sessions[seat], "gameInfo": info}
        if self.end_path == "delete":
            body["reason"] = "complete"
        r = self.post(f"session/{self.end_path}", body)
        assert r.status_code == 200, r.content


def play_through_api(api, key, n, specials, lady, seed, *, good="bot", evil="bot", **kw):
    deal = arena.make_deal(seed, n, specials, lady)
    seats = []

    def factory():
        seats.append(ClientSeats(api, key, **kw))
        return seats[-1]

    record = arena.play(deal, good, evil, remote=factory)
    return record, seats[0]
