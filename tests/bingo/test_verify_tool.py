"""tools/verify_bingo.py: the standalone offline verifier (stdlib + openssl, no Lobby imports)."""

from __future__ import annotations

import ast
import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bingo import services, tsa
from tests.bingo.conftest import join

pytestmark = pytest.mark.django_db

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "verify_bingo.py"


def run(tmp_path: Path, data: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "verify.json"
    path.write_text(json.dumps(data))
    cert = tmp_path / "cert.pem"
    cert.write_bytes(tsa.certificate_pem())
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(path), "--cert", str(cert)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def finished(api, admin_user, game, player_factory):  # type: ignore[no-untyped-def]
    join(player_factory(), game, client_seed="entropy!")
    join(player_factory(), game)
    for _ in range(12):
        services.draw_next(game_id=game.public_id, by=admin_user)
    services.game_end(game_id=game.public_id, by=admin_user)
    return api.get(f"/bingo/games/{game.public_id}/verify").json()


def test_the_script_imports_only_the_standard_library():
    tree = ast.parse(SCRIPT.read_text())
    modules = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}


def test_a_finished_game_passes_every_check(tmp_path, finished):
    result = run(tmp_path, finished)
    assert result.returncode == 0, result.stdout
    assert "0 failed, 0 skipped" in result.stdout


def test_a_running_game_skips_only_the_hmac(tmp_path, api, admin_user, game):
    for _ in range(3):
        services.draw_next(game_id=game.public_id, by=admin_user)
    result = run(tmp_path, api.get(f"/bingo/games/{game.public_id}/verify").json())
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout and "S not revealed" in result.stdout


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda d: d["draws"][4].update(number=(d["draws"][4]["number"] % 75) + 1), "draw 5"),
        (lambda d: d.update(secret="00" * 32), "commitment = SHA256(S)"),
        (
            lambda d: d["audit_entries"][2].update(body=d["audit_entries"][2]["body"] + " "),
            "audit entry 3",
        ),
        (lambda d: d["draws"][0].update(token=d["draws"][1]["token"]), "draw 1 ("),
        (lambda d: d.update(entropy="ab" * 32), "entropy"),
        (lambda d: d["player_seeds"].clear() or d["audit_entries"][1].update(body="{}"), "audit"),
    ],
)
def test_tampering_is_reported(tmp_path, finished, tamper, message):
    data = copy.deepcopy(finished)
    tamper(data)
    result = run(tmp_path, data)
    assert result.returncode == 1
    fails = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert fails and any(message in line for line in fails), result.stdout
