"""Platform HTTP throughput: /health and device-login polling vs a bare Django view, same Daphne."""

from __future__ import annotations

import json

from bench.common import Context, Row, http_load, lobby_env, manage
from tests.servers import Daphne


def run(ctx: Context) -> list[Row]:
    env = lobby_env(
        ctx.workdir, DJANGO_SETTINGS_MODULE="bench.settings", LOBBY_DEVICE_CODE_INTERVAL="0"
    )
    manage(env, "lobby_setup")
    manage(
        env,
        "shell",
        "-v",
        "0",
        "-c",
        "from accounts.models import Application as A;"
        "A.objects.create(name='Bench', game_id='bench')",
    )
    daphne = Daphne(env).start()
    duration = 3.0 if ctx.quick else 10.0
    try:
        import http.client

        secrets = []
        conn = http.client.HTTPConnection("127.0.0.1", daphne.port, timeout=10)
        for _ in range(200):
            conn.request(
                "POST",
                "/auth/codes",
                body=b'{"game_id": "bench"}',
                headers={"Content-Type": "application/json"},
            )
            response = conn.getresponse()
            secrets.append(json.loads(response.read())["data"]["hash"])
        conn.close()

        json_headers = {"Content-Type": "application/json"}
        bare = http_load(daphne.port, [("GET", "/bench/bare", None, {})], duration=duration)
        health = http_load(daphne.port, [("GET", "/health", None, {})], duration=duration)
        polls = [
            (
                "POST",
                "/auth/sessions",
                json.dumps({"grant_type": "auth_code", "auth_code_hash": s}).encode(),
                json_headers,
            )
            for s in secrets
        ]
        poll = http_load(daphne.port, polls, duration=duration)
    finally:
        daphne.stop()

    def row(name: str, result: dict) -> Row:
        return Row(
            name=name,
            value=result["rps"],
            unit="req/s",
            baseline=bare["rps"],
            baseline_name="bare view",
            goal="ratio ≥ 0.7 (higher is better)",
            notes=(
                f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
                f"errors {result['errors']}"
            ),
            extra=result,
        )

    return [row("GET /health", health), row("POST /auth/sessions (pending poll)", poll)]
