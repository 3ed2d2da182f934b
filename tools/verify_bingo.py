#!/usr/bin/env python3
"""Check a Lobby bingo game offline, trusting nobody: standard library + `openssl` on PATH.

    python3 tools/verify_bingo.py verify.json --cert certificate.pem

`verify.json` is what `GET /bingo/games/<id>/verify` returned (a file, or an http(s) URL);
`certificate.pem` is the local time-stamping authority's certificate
(`GET /bingo/tsa/certificate.pem`). Tokens from other authorities are checked when their CA
is given with --ca-file (repeatable), else reported as skipped.

Checks, each printed as PASS / FAIL / SKIP:
- commitment = SHA256(S) once S is revealed; the commitment's RFC 3161 token (openssl ts -verify)
- every draw: seed_hash = SHA256(bytes(seed)); number = available[int(seed[0:8],16) % len];
  anchor_id shape and hash prefix; its token over seed_hash (openssl ts -verify);
  seed = HMAC-SHA256(S, entropy || uint32_be(sequence)) once S is revealed
- entropy = SHA256 of each non-empty player seed joined before draw 1, from the audit log
- the audit log's hash chain, and that its create / draw entries say what /verify says
- truncation: each draw's token stamps the chain's head when it was drawn (chain_count
  entries, the last one's hash) with its seed hash, and the end's token the head after the
  end entry; every such entry must still be in the chain (draws without chain_count predate
  anchors: their token stamps seed_hash)
Exit status 0 when nothing failed.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import hashlib
import hmac
import json
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

GENESIS = "0" * 64
ANCHOR = re.compile(r"^tsa_[a-z0-9_]+_(\d{8})_(\d{6})_([0-9a-f]{8})$")
LOCAL_AUTHORITY = "lobby.local"


class Report:
    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}

    def add(self, status: str, what: str, detail: str = "") -> None:
        self.counts[status] += 1
        if status != "PASS" or self.verbose:
            print(f"{status}  {what}" + (f": {detail}" if detail else ""))

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        self.add("PASS" if ok else "FAIL", what, "" if ok else detail)
        return ok


def load(source: str) -> dict:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=10) as response:  # noqa: S310 - user's URL
            return json.load(response)
    return json.loads(Path(source).read_text())


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def openssl_verify(token_b64: str, digest_hex: str, ca_file: str, workdir: str) -> tuple[bool, str]:
    with tempfile.NamedTemporaryFile(dir=workdir, suffix=".der", delete=False) as fh:
        fh.write(base64.b64decode(token_b64))
        path = fh.name
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell; openssl from PATH by design
        [  # noqa: S607
            "openssl",
            "ts",
            "-verify",
            "-digest",
            digest_hex,
            "-in",
            path,
            "-token_in",
            "-CAfile",
            ca_file,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    ok = result.returncode == 0 and "Verification: OK" in result.stdout
    return ok, (result.stdout + result.stderr).strip().splitlines()[-1:][0] if not ok else ""


def draw_digest(gid: str, d: dict) -> str:
    """What a draw's token stamps (hex): the record naming its chain head, else seed_hash."""
    if d.get("chain_count") is None:
        return d["seed_hash"]
    record = (
        f"proofplay-draw/1\n{gid}\n{d['sequence']}\n{d['seed_hash']}\n"
        f"{d['chain_count']}\n{d['chain_head']}"
    )
    return sha256_hex(record.encode())


def end_digest(gid: str, f: dict) -> str:
    return sha256_hex(f"proofplay-end/1\n{gid}\n{f['chain_count']}\n{f['chain_head']}".encode())


def anchor_holds(entries: list[dict], count: object, head: object) -> bool:
    if count == 0:
        return head == GENESIS
    return (
        isinstance(count, int)
        and 0 < count <= len(entries)
        and entries[count - 1].get("hash") == head
    )


def entropy_from_audit(entries: list[dict]) -> tuple[bytes, list[str]]:
    seeds: list[str] = []
    for entry in entries:
        body = json.loads(entry["body"])
        if body.get("event") == "draw":
            break
        if body.get("event") == "join":
            seeds.append(body.get("client_seed", ""))
    return b"".join(hashlib.sha256(s.encode()).digest() for s in seeds if s), seeds


def verify(data: dict, cert: str | None, ca_files: dict[str, str], report: Report) -> None:
    gid = data.get("game_id", "?")
    draws = data.get("draws", [])
    entries = data.get("audit_entries", [])
    secret_hex = data.get("secret")
    commitment = data.get("commitment", "")
    print(
        f"Game {gid}: {len(draws)} draws, {len(entries)} audit entries, status {data.get('status')}"
    )

    # Audit chain
    prev, chain_ok = GENESIS, True
    for i, entry in enumerate(entries, start=1):
        good = (
            entry.get("seq") == i
            and entry.get("prev_hash") == prev
            and sha256_hex(f"{prev}\n{entry.get('body', '')}".encode()) == entry.get("hash")
        )
        if not good:
            report.check(False, f"audit entry {i}", "hash chain broken here")
            chain_ok = False
            break
        prev = entry["hash"]
    if chain_ok:
        report.check(True, f"audit chain ({len(entries)} entries)")
    links_ok = chain_ok
    # Truncation: the time-stamped chain heads (their tokens are checked below)
    anchors = [(f"draw {d.get('sequence')}", d) for d in draws if d.get("chain_count") is not None]
    final = data.get("final_anchor")
    if final:
        anchors.append(("the end", final))
    elif data.get("status") == "finished" and anchors:
        chain_ok = report.check(False, "the end's chain head", "the game's end is not anchored")
    for who, a in anchors:
        count = a.get("chain_count")
        chain_ok &= report.check(
            anchor_holds(entries, count, a.get("chain_head")),
            f"audit chain holds the head time-stamped by {who} (entry {count})",
            f"entry {count} is missing or changed: the chain has {len(entries)} entries",
        )
    report.check(
        data.get("audit_chain_valid") is chain_ok,
        "server's audit_chain_valid agrees",
        f"server says {data.get('audit_chain_valid')}",
    )
    bodies = [json.loads(e["body"]) for e in entries] if links_ok else []
    create = next((b for b in bodies if b.get("event") == "create"), None)
    if create is not None:
        report.check(
            create.get("commitment") == commitment, "audit create entry has the commitment"
        )
    audit_draws = {b["sequence"]: b for b in bodies if b.get("event") == "draw"}

    # Commitment
    if secret_hex:
        report.check(sha256_hex(bytes.fromhex(secret_hex)) == commitment, "commitment = SHA256(S)")
        end = next((b for b in bodies if b.get("event") == "end"), None)
        if end is not None:
            report.check(end.get("secret") == secret_hex, "audit end entry reveals the same S")
    else:
        report.add("SKIP", "S not revealed yet (game not finished): seeds checked without HMAC")

    # Entropy
    if bodies:
        entropy, _seeds = entropy_from_audit(entries)
        if draws:
            report.check(
                entropy.hex() == data.get("entropy", ""),
                "entropy from the joins before draw 1",
                f"expected {entropy.hex()[:16]}…",
            )
    entropy = bytes.fromhex(data.get("entropy") or "")

    # Draws
    drawn: list[int] = []
    jobs = []
    workdir = tempfile.mkdtemp(prefix="verify-bingo-")
    for expected_seq, d in enumerate(draws, start=1):
        seq, seed, seed_hash, number = d["sequence"], d["seed"], d["seed_hash"], d["number"]
        what = f"draw {seq} ({number})"
        ok = seq == expected_seq
        ok &= report.check(sha256_hex(bytes.fromhex(seed)) == seed_hash, f"{what} seed_hash")
        available = [n for n in range(1, 76) if n not in drawn]
        expected = available[int(seed[0:8], 16) % len(available)] if available else None
        report.check(expected == number, f"{what} number derivation", f"expected {expected}")
        m = ANCHOR.match(d.get("anchor_id", ""))
        report.check(bool(m) and m.group(3) == seed_hash[:8], f"{what} anchor_id")
        if secret_hex:
            mac = hmac.new(
                bytes.fromhex(secret_hex), entropy + seq.to_bytes(4, "big"), hashlib.sha256
            )
            report.check(mac.hexdigest() == seed, f"{what} seed = HMAC(S, entropy || k)")
        if bodies:
            a = audit_draws.get(seq)
            token_hash = sha256_hex(base64.b64decode(d.get("token", "")))
            report.check(
                a is not None
                and a.get("number") == number
                and a.get("seed_hash") == seed_hash
                and a.get("token_sha256") == token_hash,
                f"{what} matches its audit entry",
            )
        drawn.append(number)
        jobs.append(
            (what, d.get("token"), draw_digest(gid, d), d.get("authority", LOCAL_AUTHORITY))
        )
    if final:
        jobs.append(
            (
                "end anchor",
                final.get("token"),
                end_digest(gid, final),
                final.get("authority", LOCAL_AUTHORITY),
            )
        )
    report.check(len(set(drawn)) == len(drawn), "no number drawn twice")
    if data.get("commitment_token"):
        jobs.append(
            (
                "commitment",
                data["commitment_token"],
                commitment,
                data.get("commitment_authority", LOCAL_AUTHORITY),
            )
        )

    # Time-stamp tokens (openssl), in parallel
    if shutil.which("openssl") is None:
        report.add("SKIP", "time-stamp tokens", "openssl is not on PATH")
        return

    def run(job):  # type: ignore[no-untyped-def]
        what, token, digest_hex, authority = job
        ca = cert if authority == LOCAL_AUTHORITY else ca_files.get(authority)
        if not token:
            return "FAIL", f"{what} time-stamp token", "missing"
        if not ca:
            return "SKIP", f"{what} time-stamp token by {authority}", "no CA given (--ca-file)"
        ok, detail = openssl_verify(token, digest_hex, ca, workdir)
        return ("PASS" if ok else "FAIL"), f"{what} time-stamp token ({authority})", detail

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for status, what, detail in pool.map(run, jobs):
            report.add(status, what, detail if status != "PASS" else "")
    shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("verify_json", help="the /verify document (file or URL)")
    parser.add_argument("--cert", help="the local TSA certificate (/bingo/tsa/certificate.pem)")
    parser.add_argument(
        "--ca-file",
        action="append",
        default=[],
        metavar="AUTHORITY=PEM",
        help="CA certificate for an external authority, e.g. freetsa.org=cacert.pem",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print passing checks too")
    args = parser.parse_args(argv)
    ca_files = dict(item.split("=", 1) for item in args.ca_file)
    report = Report(args.verbose)
    verify(load(args.verify_json), args.cert, ca_files, report)
    c = report.counts
    print(f"{c['PASS']} passed, {c['FAIL']} failed, {c['SKIP']} skipped")
    return 1 if c["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
