"""Truncating the audit chain shows: each draw's token and the end's token stamp the chain's
head (entries, hash of the last), and /verify checks those heads are still in the chain."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bingo import fairness, services, tsa
from bingo.models import Draw, Game

pytestmark = pytest.mark.django_db

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "verify_bingo.py"


def play(game: Game, admin_user, player, *, draws: int = 6, end: bool = True) -> None:  # type: ignore[no-untyped-def]
    card, _ = services.card_join(
        game_id=game.public_id, user=player, pin=None, who="", ip="", client_seed="mine"
    )
    for _ in range(draws):
        draw = services.draw_next(game_id=game.public_id, by=admin_user)
        for r in range(5):
            for c in range(5):
                if card.numbers[r][c] == draw.number:
                    services.card_mark(game_id=game.public_id, user=player, row=r, col=c)
    if end:
        services.game_end(game_id=game.public_id, by=admin_user)


def verify(api, game: Game) -> dict:  # type: ignore[no-untyped-def]
    r = api.get(f"/bingo/games/{game.public_id}/verify")
    assert r.status_code == 200
    return r.json()


def test_a_finished_game_anchors_its_whole_chain(api, admin_user, user, game):
    play(game, admin_user, user)
    v = verify(api, game)
    n = len(v["audit_entries"])
    assert v["audit_chain_valid"] is True
    assert v["audit_entries_verified"] == f"Chain verified: {n} entries"
    assert v["audit_entries_anchored"] == n
    assert v["final_anchor"]["chain_count"] == n
    assert v["final_anchor"]["chain_head"] == v["audit_entries"][-1]["hash"]
    assert json.loads(v["audit_entries"][-1]["body"])["event"] == "end"
    for d in v["draws"]:  # each draw anchored the chain before its own entry
        body = next(
            json.loads(e["body"])
            for e in v["audit_entries"]
            if json.loads(e["body"]).get("event") == "draw"
            and json.loads(e["body"])["sequence"] == d["sequence"]
        )
        assert (body["chain_count"], body["chain_head"]) == (d["chain_count"], d["chain_head"])
        assert d["chain_head"] == v["audit_entries"][d["chain_count"] - 1]["hash"]


def test_deleting_the_last_entries_of_a_finished_game_breaks_the_chain(api, admin_user, user, game):
    play(game, admin_user, user)
    n = game.audit_entries.count()
    game.audit_entries.filter(seq__gt=n - 2).delete()  # the end and the entry before it
    v = verify(api, game)
    assert v["audit_chain_valid"] is False
    assert v["audit_entries_verified"] == (
        f"Chain broken: the time stamp of the game's end anchors {n} entries, the chain has {n - 2}"
    )
    assert len(v["audit_entries"]) == n - 2
    assert v["status"] == "finished"


def test_deleting_back_past_a_draw_names_the_first_anchor_it_breaks(api, admin_user, user, game):
    play(game, admin_user, user)
    draw = Draw.objects.get(game=game, sequence=4)
    game.audit_entries.filter(seq__gte=draw.chain_count).delete()
    v = verify(api, game)
    assert v["audit_chain_valid"] is False
    assert v["audit_entries_verified"] == (
        f"Chain broken: the time stamp of draw 4 anchors {draw.chain_count} entries, "
        f"the chain has {draw.chain_count - 1}"
    )


def test_deleting_the_last_draw_entry_of_a_running_game_breaks_the_chain(
    api, admin_user, game, user
):
    play(game, admin_user, user, draws=3, end=False)
    third = game.audit_entries.get(kind="draw", body__contains='"sequence":3,')
    game.audit_entries.filter(seq__gte=third.seq).delete()  # draw 3's entry, and its mark
    v = verify(api, game)
    assert v["audit_chain_valid"] is False
    assert v["audit_entries_verified"] == "Chain broken: draw 3 has no audit entry"


def test_rewriting_a_draws_anchor_to_fit_a_shorter_chain_shows(api, admin_user, user, game):
    play(game, admin_user, user)
    draw = Draw.objects.get(game=game, sequence=6)
    game.audit_entries.filter(seq__gt=draw.chain_count - 1).delete()
    keep = game.audit_entries.get(seq=draw.chain_count - 1)
    Draw.objects.filter(pk=draw.pk).update(chain_count=keep.seq, chain_head=keep.hash)
    # and pretend the game is still running: no end, no end anchor
    Game.objects.filter(pk=game.pk).update(
        status=Game.Status.ACTIVE, final_chain_count=None, final_token=None
    )
    v = verify(api, game)
    assert v["audit_chain_valid"] is False
    assert v["audit_entries_verified"] == (
        "Chain broken: the time stamp of draw 6 does not cover its anchor"
    )


def test_a_finished_game_whose_end_anchor_was_removed_is_broken(api, admin_user, user, game):
    play(game, admin_user, user)
    game.audit_entries.filter(kind="end").delete()
    Game.objects.filter(pk=game.pk).update(final_chain_count=None, final_token=None)
    v = verify(api, game)
    assert v["audit_chain_valid"] is False
    assert v["audit_entries_verified"] == (
        "Chain broken: the game's end is not anchored by a time stamp"
    )
    assert v["final_anchor"] is None


def test_the_end_token_stamps_the_end_record(admin_user, user, game):
    play(game, admin_user, user)
    game.refresh_from_db()
    end = game.audit_entries.get(kind="end")
    assert (game.final_chain_count, game.final_chain_head) == (end.seq, end.hash)
    record = fairness.end_record(game.public_id, end.seq, end.hash)
    assert tsa.token_info(bytes(game.final_token))[0] == fairness.record_digest(record)
    assert game.final_authority == "lobby.local"


def run_tool(tmp_path: Path, data: dict) -> subprocess.CompletedProcess:
    (tmp_path / "verify.json").write_text(json.dumps(data))
    (tmp_path / "cert.pem").write_bytes(tsa.certificate_pem())
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "verify.json"), "--cert",
         str(tmp_path / "cert.pem")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_the_offline_verifier_detects_a_truncated_chain(tmp_path, api, admin_user, user, game):
    play(game, admin_user, user)
    whole = verify(api, game)
    n = len(whole["audit_entries"])
    assert run_tool(tmp_path, whole).returncode == 0
    # cut from the document the server published ...
    cut = {**whole, "audit_entries": whole["audit_entries"][:-2]}
    result = run_tool(tmp_path, cut)
    assert result.returncode == 1
    assert (
        f"FAIL  audit chain holds the head time-stamped by the end (entry {n}): "
        f"entry {n} is missing or changed: the chain has {n - 2} entries"
    ) in result.stdout
    # ... and in the database: the server says broken too, and the tool agrees with it
    game.audit_entries.filter(seq__gt=n - 2).delete()
    result = run_tool(tmp_path, verify(api, game))
    assert result.returncode == 1
    fails = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert fails[0] == (
        f"FAIL  audit chain holds the head time-stamped by the end (entry {n}): "
        f"entry {n} is missing or changed: the chain has {n - 2} entries"
    ), result.stdout
    assert not any("agrees" in line for line in fails)  # the server said broken as well
