"""Faults, bounded in time: a Daphne killed, Redis restarted, PostgreSQL restarted."""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.cluster.conftest import cluster_shell, start_cluster
from tests.servers import ROOT, Daphne, free_port, stop, wait_for

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


def ready(url: str) -> int:
    return requests.get(f"{url}/ready", timeout=15).status_code


def test_postgres_down_is_503_and_recovers_without_restarting_daphne(faulty):
    """During the outage requests and /ready answer 503; within seconds of PostgreSQL being
    back, every process is ready again and stays so, and requests are served.

    (Before: /ready kept a database connection per worker thread of the event loop's pool,
    never closed, so after the restart it stayed 503 on the threads whose connection had
    broken: 16 minutes on one process, while its requests were served.)
    """
    pids = [s.proc.pid for s in faulty.servers]
    for server in faulty.servers:
        for _ in range(10):  # /ready's worker threads have all used the database
            assert ready(server.url) == 200
    faulty.stop_postgres(mode="fast")
    try:
        r = me(faulty.servers[0].url, faulty.token)
        assert r.status_code == 503
        assert r.json() == {"error": "UNAVAILABLE", "message": "Service temporarily unavailable"}
        for server in faulty.servers:
            r = requests.get(f"{server.url}/ready", timeout=15)
            assert r.status_code == 503
            assert r.json() == {
                "status": "unavailable",
                "checks": {"database": "unavailable", "cache": "ok", "channel_layer": "ok"},
            }
    finally:
        faulty.start_postgres()
    for server in faulty.servers:
        assert until(lambda s=server: ready(s.url) == 200, timeout=5), (
            f"{server.url}/ready still 503 five seconds after PostgreSQL came back"
        )
        probes = [ready(server.url) for _ in range(20)]
        assert probes == [200] * 20, f"{server.url}/ready after the restart: {probes}"
        assert me(server.url, faulty.token).status_code == 200
    assert [s.proc.pid for s in faulty.servers] == pids


class Partition:
    """A TCP proxy in front of PostgreSQL that can cut the network between Lobby and it.

    Cut, it forwards nothing either way and closes nothing: open connections go silent, as
    when the database's host restarts behind a NAT or load balancer that forgets them (no
    FIN, no RST: the client's TCP gives up after ~15 minutes), and new ones are accepted and
    never answered. Healed, new connections go through; those opened before the cut stay dead.
    """

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.generation = 0  # connections of an older generation are dead
        self.cut = False
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            self.sockets.append(client)
            if self.cut:  # accepted, never answered
                threading.Thread(target=self._pump, args=(client, None, -1), daemon=True).start()
                continue
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.settimeout(None)
            self.sockets.append(upstream)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pump, args=(src, dst, self.generation), daemon=True
                ).start()

    def _pump(self, src: socket.socket, dst: socket.socket | None, generation: int) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data:
                with contextlib.suppress(OSError):
                    if dst is not None and generation == self.generation:
                        dst.shutdown(socket.SHUT_WR)
                return
            if dst is not None and generation == self.generation and not self.cut:
                with contextlib.suppress(OSError):
                    dst.sendall(data)

    def cut_off(self) -> None:
        self.cut = True
        self.generation += 1

    def heal(self) -> None:
        self.cut = False

    def close(self) -> None:
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()


@pytest.fixture
def partitioned(faulty):  # type: ignore[no-untyped-def]
    """A third Daphne on the cluster whose database connections go through a `Partition`."""
    partition = Partition(faulty.pg_port)
    env = faulty.env() | {"DATABASE_URL": f"postgres://lobby@127.0.0.1:{partition.port}/lobby"}
    daphne = Daphne(env).start()
    try:
        yield daphne, partition
    finally:
        partition.close()  # first: frees anything still waiting on a dead connection
        daphne.stop()


def test_ready_recovers_within_seconds_when_the_database_comes_back_after_a_partition(
    faulty, partitioned
):
    """The database vanishes without closing its connections (its host restarted), then
    comes back: within seconds /ready is 200 again, stays so, and requests are served.

    (Before: each worker thread of the event loop's pool kept the connection its /ready check
    had opened. After the cut every check on such a thread hung on its dead connection, until
    all the pool's threads hung and every /ready answered 503: for as long as TCP takes to
    give the connections up, ~16 minutes, while the process served requests.)
    """
    daphne, partition = partitioned
    with ThreadPoolExecutor(24) as pool:  # concurrent probes: the check pool's threads all work
        assert set(pool.map(lambda _: ready(daphne.url), range(48))) == {200}
    assert me(daphne.url, faulty.token).status_code == 200
    partition.cut_off()
    try:
        for _ in range(3):
            r = requests.get(f"{daphne.url}/ready", timeout=15)
            assert r.status_code == 503
            assert r.json()["checks"]["database"] == "unavailable"
    finally:
        partition.heal()
    assert until(lambda: ready(daphne.url) == 200, timeout=10), (
        "/ready still 503 ten seconds after the database came back"
    )
    probes = [ready(daphne.url) for _ in range(20)]
    assert probes == [200] * 20, f"/ready after the database came back: {probes}"
    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(lambda _: ready(daphne.url), range(16))) == {200}
    assert me(daphne.url, faulty.token).status_code == 200


# --- deploy/nginx.conf, run as it is against the cluster's Daphnes -----------------------------

DEPLOY_NGINX = ROOT / "deploy" / "nginx.conf"

NGINX_MAIN = """\
worker_processes 1;
pid {data}/nginx.pid;
error_log {data}/nginx-error.log warn;
{user}
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {data}/tmp/body;
    proxy_temp_path {data}/tmp/proxy;
    fastcgi_temp_path {data}/tmp/fastcgi;
    uwsgi_temp_path {data}/tmp/uwsgi;
    scgi_temp_path {data}/tmp/scgi;
    include {site};
}}
"""


def deploy_site(upstreams: list[str], port: int) -> str:
    """deploy/nginx.conf with its `lobby-N:8000` servers and `listen 80` pointed at this test."""
    text = DEPLOY_NGINX.read_text()
    names = re.findall(r"server (lobby-\d+:8000)", text)
    assert len(names) == len(upstreams), names
    for name, upstream in zip(names, upstreams, strict=True):
        text = text.replace(f"server {name} ", f"server {upstream} ")
    assert "listen 80;" in text
    return text.replace("listen 80;", f"listen 127.0.0.1:{port};")


@pytest.fixture
def deploy_nginx(faulty):  # type: ignore[no-untyped-def]
    """nginx running deploy/nginx.conf in front of the cluster's two Daphnes; yields its URL."""
    data = Path(tempfile.mkdtemp(prefix="lobby-nginx-", dir="/tmp"))
    (data / "tmp").mkdir()
    user = ""
    if os.geteuid() == 0:
        user = "user nobody nogroup;"
        shutil.chown(data / "tmp", user="nobody")
    port = free_port()
    site = data / "lobby.conf"
    site.write_text(deploy_site([f"127.0.0.1:{s.port}" for s in faulty.servers], port))
    conf = data / "nginx.conf"
    conf.write_text(NGINX_MAIN.format(data=data, user=user, site=site))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(data), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(f"{url}/health", timeout=1).status_code == 200, what="nginx")
        yield url
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)


def test_deploy_nginx_passes_a_503_through_and_keeps_both_servers_in_rotation(faulty, deploy_nginx):
    """An application's 503 (/ready while the database is down) is an answer, not a dead
    server: nginx passes it on, and /health through nginx stays 200.

    (Before: `proxy_next_upstream ... http_503` with `max_fails=1` counted each 503 as a
    failure of that server, so one /ready during a database blip took both out of rotation
    and the next requests, /health included, got 502 from nginx.)
    """
    faulty.stop_postgres(mode="fast")
    try:
        for _ in range(3):
            r = requests.get(f"{deploy_nginx}/ready", timeout=15)
            assert r.status_code == 503
            assert r.json()["checks"]["database"] == "unavailable"
            health = [requests.get(f"{deploy_nginx}/health", timeout=15) for _ in range(4)]
            assert [h.status_code for h in health] == [200] * 4
            assert all(h.json() == {"status": "ok"} for h in health)
    finally:
        faulty.start_postgres()
    assert until(lambda: ready(deploy_nginx) == 200, timeout=5)


def test_deploy_nginx_fails_over_when_a_server_refuses_connections(faulty, deploy_nginx):
    """A dead process (connection refused) is skipped: every request is answered by the other."""
    faulty.servers[0].kill()
    try:
        answers = [requests.get(f"{deploy_nginx}/health", timeout=15) for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 6
        assert me(deploy_nginx, faulty.token).status_code == 200
    finally:
        faulty.restart_daphne(0)


def test_make_cluster_proxies_as_deploy_nginx_conf_does(faulty):
    """`make cluster` (deploy/cluster.py) writes its own nginx config: its failover rule and
    server parameters are the deployed ones, so what the cluster tests prove holds deployed."""

    def rules(text: str) -> list[str]:
        return re.findall(r"^\s*(proxy_next_upstream\b[^;\n]*);", text, re.M)

    def params(text: str) -> set[str]:
        return set(re.findall(r"^\s*server \S+ ([^;\n]*);", text, re.M))

    deployed = DEPLOY_NGINX.read_text()
    cluster = (faulty.data / "nginx.conf").read_text()
    assert rules(deployed) == ["proxy_next_upstream error timeout"]
    assert rules(cluster) == rules(deployed)
    assert len(params(deployed)) == 1
    assert params(cluster) == params(deployed)
