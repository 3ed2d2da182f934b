"""An unmodified client written from the spec plays a whole game against real Daphne processes.

requests for the API; the spec's JS verifier in node; `openssl ts -verify` for every token;
the offline verifier script; a restart of the server mid-game; the PIN lockout shared by two
processes through Redis.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from bingo import fairness
from tests import servers
from tests.bingo.conftest import ADMIN_EMAIL
from tests.conftest import server_env

pytestmark = pytest.mark.django_db(transaction=True)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LOCKOUT = "Too many failed attempts. Try again in 15 minutes."


def daphne(**env: str) -> servers.Daphne:
    return servers.Daphne(
        server_env(
            BINGO_ADMIN_EMAILS=ADMIN_EMAIL,
            BINGO_RATE_GET="100000/m",
            BINGO_RATE_POST="100000/m",
            **env,
        )
    ).start()


class Client:
    """What a ProofPlay client does, from the spec: base URL + X-Session-Id."""

    def __init__(self, base: str, session_id: str | None = None) -> None:
        self.base = base
        self.headers = {"X-Session-Id": session_id} if session_id else {}

    def post(self, path: str, body: dict | None = None) -> requests.Response:
        return requests.post(f"{self.base}{path}", json=body, headers=self.headers, timeout=10)

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.base}{path}", headers=self.headers, timeout=10)


def new_session(base: str, email: str, device: str, bearer: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    r = requests.post(
        f"{base}/auth/session",
        json={"email": email, "device_key_hash": device},
        headers=headers,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()


def wrong(pin: str) -> str:
    return "0000" if pin != "0000" else "1111"


def openssl_ok(tmp: Path, token_b64: str, digest_hex: str, cert: Path) -> bool:
    token = tmp / "t.der"
    token.write_bytes(base64.b64decode(token_b64))
    result = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-digest",
            digest_hex,
            "-in",
            str(token),
            "-token_in",
            "-CAfile",
            str(cert),
        ],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    return result.returncode == 0 and "Verification: OK" in result.stdout


def test_a_spec_client_plays_a_whole_game_across_a_restart(admin_user, bearer, tmp_path):
    server = daphne()
    try:
        base = f"{server.url}/bingo"
        admin = new_session(base, ADMIN_EMAIL, "caller-device", bearer=bearer(admin_user))
        assert admin["role"] == "admin"
        caller = Client(base, admin["session_id"])
        created = caller.post("/games", {"name": "Friday Night Bingo"}).json()
        gid, pin = created["game_id"], created["pin"]
        assert created["status"] == "waiting"

        players = []
        for i in range(2):
            s = new_session(base, f"p{i}@example.com", f"device-{i}")
            assert s["role"] == "player"
            players.append(Client(base, s["session_id"]))
        cards = []
        for player, seed in zip(players, ["alice-entropy", ""], strict=True):
            body = {"pin": pin, **({"client_seed": seed} if seed else {})}
            joined = player.post(f"/games/{gid}/join", body)
            assert joined.status_code == 200
            cards.append(joined.json())
        assert requests.get(f"{base}/games/{gid}", timeout=10).json()["player_count"] == 2
        # a PIN guesser from the same address is locked out (per game and session, and IP)
        intruder = Client(base, new_session(base, "x@example.com", "x")["session_id"])
        for _ in range(5):
            assert intruder.post(f"/games/{gid}/join", {"pin": wrong(pin)}).json() == {
                "detail": "Incorrect PIN"
            }
        assert intruder.post(f"/games/{gid}/join", {"pin": pin}).json() == {"detail": LOCKOUT}

        bingo_seen = False
        for k in range(1, 76):
            if k == 31:  # restart every process mid-game: nothing may be lost
                server.stop()
                server = daphne()
                base = f"{server.url}/bingo"
                caller.base = base
                for p in [*players, intruder]:
                    p.base = base
                # the lockout is in the (database) cache: it survived the restart
                assert intruder.post(f"/games/{gid}/join", {"pin": pin}).json() == {
                    "detail": LOCKOUT
                }
                state = requests.get(f"{base}/games/{gid}", timeout=10).json()
                assert [d["sequence"] for d in state["draws"]] == list(range(1, 31))
            draw = caller.post(f"/games/{gid}/draw")
            assert draw.status_code == 200, draw.text
            number = draw.json()["number"]
            assert draw.json()["sequence"] == k
            for player, card in zip(players, cards, strict=True):
                for r in range(5):
                    for c in range(5):
                        if card["numbers"][r][c] == number:
                            marked = player.post(f"/games/{gid}/mark", {"row": r, "col": c})
                            assert marked.status_code == 200
                            bingo_seen |= marked.json()["bingo"]
        assert bingo_seen
        assert caller.post(f"/games/{gid}/draw").json() == {
            "detail": "Not authorized or all numbers drawn"
        }
        state = requests.get(f"{base}/games/{gid}", timeout=10).json()
        assert state["game"]["status"] == "finished"
        assert state["winner"] is not None

        verify = requests.get(f"{base}/games/{gid}/verify", timeout=10).json()
        assert len(verify["draws"]) == 75
        assert verify["audit_chain_valid"] is True
        assert verify["secret"]

        # The spec's JS verifier, unmodified, in node
        node = subprocess.run(
            ["node", str(HERE / "spec_verifier.mjs"), base, gid],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert node.returncode == 0, node.stderr
        assert json.loads(node.stdout) == {"checks": 150, "failures": 0, "draws": 75}

        # openssl ts -verify for every draw and the commitment
        cert = tmp_path / "certificate.pem"
        cert.write_bytes(requests.get(f"{base}/tsa/certificate.pem", timeout=10).content)
        for d in verify["draws"]:  # each token stamps the seed hash with the chain's head
            record = fairness.draw_record(
                gid, d["sequence"], d["seed_hash"], d["chain_count"], d["chain_head"]
            )
            assert d["stamped_digest"] == fairness.record_digest(record).hex()
            assert openssl_ok(tmp_path, d["token"], d["stamped_digest"], cert), d["sequence"]
        final = verify["final_anchor"]
        assert openssl_ok(tmp_path, final["token"], final["stamped_digest"], cert)
        assert openssl_ok(tmp_path, verify["commitment_token"], verify["commitment"], cert)
        assert not openssl_ok(
            tmp_path, verify["draws"][0]["token"], verify["draws"][1]["stamped_digest"], cert
        )

        # The offline verifier script
        path = tmp_path / "verify.json"
        path.write_text(json.dumps(verify))
        script = subprocess.run(
            [
                sys.executable,
                str(ROOT / "tools" / "verify_bingo.py"),
                str(path),
                "--cert",
                str(cert),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert script.returncode == 0, script.stdout + script.stderr
        assert "0 failed, 0 skipped" in script.stdout
    finally:
        server.stop()


@pytest.mark.redis
def test_pin_lockout_holds_across_two_processes(redis_url, game, player_factory):
    a = daphne(REDIS_URL=redis_url)
    b = daphne(REDIS_URL=redis_url)
    try:
        session = player_factory().session_id
        on_a = Client(f"{a.url}/bingo", session)
        on_b = Client(f"{b.url}/bingo", session)
        gid = game.public_id
        for client in (on_a, on_b, on_a, on_b, on_a):
            assert client.post(f"/games/{gid}/join", {"pin": wrong(game.pin)}).json() == {
                "detail": "Incorrect PIN"
            }
        assert on_b.post(f"/games/{gid}/join", {"pin": game.pin}).json() == {"detail": LOCKOUT}
        assert on_a.post(f"/games/{gid}/join", {"pin": game.pin}).json() == {"detail": LOCKOUT}
    finally:
        a.stop()
        b.stop()


def test_concurrent_draws_on_two_processes_stay_in_order(admin_user, bearer):
    from concurrent.futures import ThreadPoolExecutor

    a, b = daphne(), daphne()
    try:
        admin = new_session(f"{a.url}/bingo", ADMIN_EMAIL, "d", bearer=bearer(admin_user))
        callers = [Client(f"{s.url}/bingo", admin["session_id"]) for s in (a, b)]
        ended = callers[0].post("/games", {"name": "ended"}).json()["game_id"]
        assert callers[1].post(f"/games/{ended}/end").status_code == 200  # other process
        with ThreadPoolExecutor(4) as pool:
            late = list(pool.map(lambda i: callers[i % 2].post(f"/games/{ended}/draw"), range(4)))
        assert [r.status_code for r in late] == [400] * 4
        gid = callers[0].post("/games", {"name": "race 2"}).json()["game_id"]
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda i: callers[i % 2].post(f"/games/{gid}/draw"), range(24)))
        assert all(r.status_code == 200 for r in results), [r.text for r in results]
        assert sorted(r.json()["sequence"] for r in results) == list(range(1, 25))
        assert len({r.json()["number"] for r in results}) == 24
        verify = requests.get(f"{a.url}/bingo/games/{gid}/verify", timeout=10).json()
        assert verify["audit_chain_valid"] is True
        assert verify["audit_entries_verified"] == "Chain verified: 25 entries"
    finally:
        a.stop()
        b.stop()


@pytest.mark.redis
def test_a_draw_on_one_process_reaches_sockets_on_the_other(redis_url, admin_user, bearer):
    from websockets.sync.client import connect

    a = daphne(REDIS_URL=redis_url)
    b = daphne(REDIS_URL=redis_url)
    try:
        admin = new_session(f"{a.url}/bingo", ADMIN_EMAIL, "d", bearer=bearer(admin_user))
        caller = Client(f"{a.url}/bingo", admin["session_id"])
        gid = caller.post("/games", {"name": "fan-out"}).json()["game_id"]
        with connect(f"ws://127.0.0.1:{b.port}/bingo/ws/games/{gid}", open_timeout=10) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "state"
            number = caller.post(f"/games/{gid}/draw").json()["number"]
            message = json.loads(ws.recv(timeout=10))
            assert message["type"] == "draw" and message["number"] == number
    finally:
        a.stop()
        b.stop()
