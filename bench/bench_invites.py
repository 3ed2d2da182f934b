"""Invites over HTTP: the /g/<code> landing page, POST /host-invites and the CHROTE users list,
each against a bare Django view on the same Daphne."""

from __future__ import annotations

import json

from bench.common import Context, Row, http_load, lobby_env, manage
from tests.servers import Daphne

SETUP = """
import json
from accounts.models import Role, User
from accounts.services import api_session_create
from invites.services import host_invite_create
owner = User.objects.create_user(email="bench-owner@example.com", role=Role.OWNER)
for i in range(50):
    User.objects.create_user(email=f"bench{i}@example.com")
_, token = api_session_create(user=owner, label="bench")
invite = host_invite_create(creator=owner, expires_in=108000, max_grants=100)
print(json.dumps({"token": token, "code": invite.code}))
"""


def run(ctx: Context) -> list[Row]:
    env = lobby_env(
        ctx.workdir, DJANGO_SETTINGS_MODULE="bench.settings", INVITES_RATE_CREATE="1000000/m"
    )
    manage(env, "lobby_setup")
    made = json.loads(manage(env, "shell", "-v", "0", "-c", SETUP).strip().splitlines()[-1])
    auth = {"Authorization": f"Bearer {made['token']}"}
    daphne = Daphne(env).start()
    duration = 3.0 if ctx.quick else 8.0
    try:
        bare = http_load(daphne.port, [("GET", "/bench/bare", None, {})], duration=duration)
        landing = http_load(
            daphne.port, [("GET", f"/g/{made['code']}", None, {})], duration=duration
        )
        create = http_load(
            daphne.port,
            [
                (
                    "POST",
                    "/host-invites",
                    b'{"expires_in": 3600, "max_grants": 5}',
                    {**auth, "Content-Type": "application/json"},
                )
            ],
            duration=duration,
            connections=4,  # SQLite has one writer at a time
        )
        users = http_load(
            daphne.port, [("GET", "/terminals/api/users", None, auth)], duration=duration
        )
    finally:
        daphne.stop()

    def row(name: str, result: dict, goal: str) -> Row:
        return Row(
            name=name,
            value=result["rps"],
            unit="req/s",
            baseline=bare["rps"],
            baseline_name="bare view",
            goal=goal,
            notes=(
                f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
                f"errors {result['errors']}"
            ),
            extra=result,
        )

    return [
        row("GET /g/<code> (landing page)", landing, "ratio ≥ 0.3 (higher is better)"),
        # a write, plus the per-user rate-limit counter (a cache write: the DB without Redis)
        row("POST /host-invites (create, SQLite)", create, "ratio ≥ 0.2 (higher is better)"),
        row("GET /terminals/api/users (51 users)", users, "ratio ≥ 0.25 (higher is better)"),
    ]
