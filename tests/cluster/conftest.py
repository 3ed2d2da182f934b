"""A real scaled Lobby for the cluster and fault tests: redis, PostgreSQL, two Daphnes, nginx."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from deploy.cluster import Cluster
from tests.servers import ROOT, free_port


def missing_binaries() -> list[str]:
    from deploy.cluster import _pg_bin

    missing = [b for b in ("redis-server",) if shutil.which(b) is None]
    if shutil.which("nginx") is None and not (ROOT / "/usr/sbin/nginx").exists():
        missing.append("nginx")
    try:
        _pg_bin("initdb")
    except FileNotFoundError:
        missing.append("postgresql")
    return missing


def start_cluster(tmp_path_factory, **env: str) -> Cluster:
    missing = missing_binaries()
    if missing:
        pytest.skip(f"the cluster needs {', '.join(missing)} (apt-get install them)")
    # Under /tmp itself: PostgreSQL runs as `postgres`, which can't enter pytest's 0700 dirs.
    data = Path(tempfile.mkdtemp(prefix="lobby-cluster-", dir="/tmp"))
    return Cluster(data=data, port=free_port(), env_overrides=env).start()


def cluster_shell(cluster: Cluster, code: str) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env=cluster.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def sign_in(base: str, email: str, password: str) -> requests.Session:
    """A requests session signed in through the local email + password form."""
    session = requests.Session()
    session.get(f"{base}/accounts/login/", timeout=5)
    r = session.post(
        f"{base}/accounts/login/",
        data={
            "login": email,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=5,
    )
    assert r.status_code == 200 and "/accounts/login/" not in r.url, r.text[-500:]
    return session


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    c = start_cluster(
        tmp_path_factory, LOBBY_DEVICE_CODE_INTERVAL="1", LOBBY_DEVICE_CODE_RATE="6/m"
    )
    try:
        cluster_shell(
            c,
            "from accounts.models import Application, User;"
            "Application.objects.create(name='Space Game', game_id='spacegame');"
            "User.objects.create_user(email='ada@example.com', password='ada-Lobby-123')",
        )
        yield c
    finally:
        c.stop()
        shutil.rmtree(c.data, ignore_errors=True)
