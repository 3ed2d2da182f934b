"""Faults, bounded in time: a Daphne killed, Redis restarted, PostgreSQL restarted."""

import time

import pytest
import requests

from tests.cluster.conftest import cluster_shell, start_cluster

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    import shutil

    c = start_cluster(tmp_path_factory, LOBBY_DEVICE_CODE_INTERVAL="1")
    try:
        token = cluster_shell(
            c,
            "from accounts.models import Application, User; from accounts import services;"
            "Application.objects.create(name='Space Game', game_id='spacegame');"
            "u = User.objects.create_user(email='ada@example.com', password='ada-Lobby-123');"
            "print(services.api_session_create(user=u, label='t')[1])",
        )
        c.token = token
        yield c
    finally:
        c.stop()
        shutil.rmtree(c.data, ignore_errors=True)


def until(check, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > end:
            return result
        time.sleep(0.2)


def me(url: str, token: str) -> requests.Response:
    return requests.get(f"{url}/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_kill_9_one_daphne_and_the_other_serves_everything(faulty):
    code = requests.post(f"{faulty.url}/auth/codes", json={"game_id": "spacegame"}, timeout=5)
    assert code.status_code == 201
    faulty.servers[0].kill()
    try:
        for _ in range(
            6
        ):  # whichever upstream nginx tries first, the answer comes from the live one
            assert me(faulty.url, faulty.token).status_code == 200
        body = {"grant_type": "auth_code", "auth_code_hash": code.json()["data"]["hash"]}
        poll = requests.post(f"{faulty.url}/auth/sessions", json=body, timeout=5)
        assert poll.status_code == 202  # the code committed before the kill is still there
    finally:
        faulty.restart_daphne(0)
    assert me(faulty.servers[0].url, faulty.token).status_code == 200


def test_redis_down_ready_is_503_limits_fail_open_then_recover(faulty):
    faulty.stop_redis()
    try:
        for server in faulty.servers:
            r = requests.get(f"{server.url}/ready", timeout=15)
            assert r.status_code == 503
            assert r.json()["checks"]["cache"] == "unavailable"
            assert r.json()["checks"]["database"] == "ok"
        # The device-code rate limit fails open (logged) while the cache is down.
        r = requests.post(f"{faulty.url}/auth/codes", json={"game_id": "spacegame"}, timeout=15)
        assert r.status_code == 201
    finally:
        faulty.start_redis()
    for server in faulty.servers:
        ready = until(
            lambda s=server: requests.get(f"{s.url}/ready", timeout=15).status_code == 200
        )
        assert ready, f"{server.url} did not recover after Redis came back"


def test_postgres_down_is_503_and_recovers_without_restarting_daphne(faulty):
    pids = [s.proc.pid for s in faulty.servers]
    faulty.stop_postgres(mode="fast")
    try:
        r = me(faulty.servers[0].url, faulty.token)
        assert r.status_code == 503
        assert r.json() == {"error": "UNAVAILABLE", "message": "Service temporarily unavailable"}
        ready = requests.get(f"{faulty.servers[1].url}/ready", timeout=15)
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == "unavailable"
    finally:
        faulty.start_postgres()
    for server in faulty.servers:
        assert until(lambda s=server: me(s.url, faulty.token).status_code == 200)
    assert [s.proc.pid for s in faulty.servers] == pids
