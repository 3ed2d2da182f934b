"""A fresh data directory set up the way `make run` does it, served, restarted: nothing is lost."""

import os
import subprocess
import sys

import requests

from tests import servers


def manage(env: dict, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=servers.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_restart_keeps_users_applications_sessions_and_codes(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "LOBBY_DATA_DIR": str(tmp_path),
        "LOBBY_LOG_LEVEL": "WARNING",
        "DJANGO_SUPERUSER_EMAIL": "owner@example.com",
        "DJANGO_SUPERUSER_PASSWORD": "owner-Lobby-123",
    }
    manage(env, "lobby_setup")
    manage(env, "createsuperuser", "--noinput")
    token = manage(
        env,
        "shell",
        "-v",
        "0",
        "-c",
        "from accounts.models import Application, User; from accounts import services;"
        "Application.objects.create(name='CLI', game_id='cli');"
        "print(services.api_session_create(user=User.objects.get(), label='cli')[1])",
    ).strip()
    assert (tmp_path / "secret_key").exists()
    assert (tmp_path / "lobby.sqlite3").exists()
    assert (tmp_path / "static" / "css" / "lobby.css").exists()

    daphne = servers.Daphne(env).start()
    headers = {"Authorization": f"Bearer {token}"}
    try:
        me = requests.get(f"{daphne.url}/auth/me", headers=headers, timeout=5)
        assert me.status_code == 200
        assert me.json()["role"] == "owner"
        code = requests.post(f"{daphne.url}/auth/codes", json={"game_id": "cli"}, timeout=5)
        assert code.status_code == 201
        secret = code.json()["data"]["hash"]
    finally:
        daphne.stop()

    daphne = servers.Daphne(env, port=daphne.port).start()
    try:
        me = requests.get(f"{daphne.url}/auth/me", headers=headers, timeout=5)
        assert me.status_code == 200
        assert me.json()["email"] == "owner@example.com"
        poll = requests.post(
            f"{daphne.url}/auth/sessions",
            json={"grant_type": "auth_code", "auth_code_hash": secret},
            timeout=5,
        )
        assert poll.status_code == 202
        assert requests.get(f"{daphne.url}/ready", timeout=5).status_code == 200
    finally:
        daphne.stop()
