"""`make cluster`: Lobby's scaled mode on one machine, from Debian's packages.

redis-server, a PostgreSQL cluster in LOBBY_DATA_DIR/cluster, N Daphne processes and nginx in
front of them (HTTP and WebSocket upgrade, the client address passed on in X-Forwarded-For,
which the Daphnes trust from 127.0.0.1 only). Ctrl-C stops them all.

The `Cluster` class is also what the cluster and fault tests drive.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import Daphne, free_port, stop, wait_for  # noqa: E402

NGINX_CONF = """\
worker_processes 1;
pid {data}/nginx.pid;
error_log {data}/nginx-error.log warn;
{user}
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {data}/nginx-tmp/body;
    proxy_temp_path {data}/nginx-tmp/proxy;
    fastcgi_temp_path {data}/nginx-tmp/fastcgi;
    uwsgi_temp_path {data}/nginx-tmp/uwsgi;
    scgi_temp_path {data}/nginx-tmp/scgi;
    client_max_body_size 2m;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream lobby {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://lobby;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 3600s;
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
        }}
    }}
}}
"""


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise FileNotFoundError(f"{name} (apt-get install postgresql)")


def _binary(name: str, package: str) -> str:
    found = shutil.which(name) or (
        f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None
    )
    if not found:
        raise FileNotFoundError(f"{name} (apt-get install {package})")
    return found


@dataclass
class Cluster:
    data: Path
    port: int = 8000
    daphnes: int = 2
    redis_port: int = 0
    pg_port: int = 0
    env_overrides: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    servers: list[Daphne] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.data = self.data.resolve()
        self.redis_port = self.redis_port or free_port()
        self.pg_port = self.pg_port or free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def database_url(self) -> str:
        return f"postgres://lobby@127.0.0.1:{self.pg_port}/lobby"

    def env(self) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))
        }
        origin = self.url
        env.update(
            LOBBY_DATA_DIR=str(self.data / "app"),
            REDIS_URL=self.redis_url,
            DATABASE_URL=self.database_url,
            LOBBY_TRUSTED_PROXIES="127.0.0.1",
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_CSRF_TRUSTED_ORIGINS=f"{origin},http://localhost:{self.port}",
            DJANGO_SETTINGS_MODULE="config.settings",
        )
        env.update(self.env_overrides)
        return env

    # --- the parts -----------------------------------------------------------------------
    def start_redis(self) -> None:
        (self.data / "redis").mkdir(parents=True, exist_ok=True)
        self.procs["redis"] = subprocess.Popen(
            [
                _binary("redis-server", "redis-server"),
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.data / "redis"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import socket

        wait_for(
            lambda: socket.create_connection(("127.0.0.1", self.redis_port), 0.5).close() or True,
            what="redis-server",
        )

    def stop_redis(self) -> None:
        if "redis" in self.procs:
            stop(self.procs.pop("redis"))

    def _pg(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.as_postgres, *args], capture_output=True, text=True, timeout=120, check=check
        )

    def start_postgres(self) -> None:
        pgdata = self.data / "pgdata"
        self.data.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(self.data, user="postgres")
        if not (pgdata / "PG_VERSION").exists():
            self._pg(
                _pg_bin("initdb"), "-D", str(pgdata), "-U", "lobby", "--auth=trust", "-E", "UTF8"
            )
        self._pg(
            _pg_bin("pg_ctl"),
            "-D",
            str(pgdata),
            "-l",
            str(self.data / "postgres.log"),
            "-w",
            "-o",
            f"-p {self.pg_port} -k {self.data} -c listen_addresses=127.0.0.1 "
            "-c max_connections=300",
            "start",
        )
        exists = self._pg(
            _pg_bin("psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.pg_port),
            "-U",
            "lobby",
            "-d",
            "postgres",
            "-tAc",
            "SELECT 1 FROM pg_database WHERE datname='lobby'",
        )
        if exists.stdout.strip() != "1":
            self._pg(
                _pg_bin("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.pg_port),
                "-U",
                "lobby",
                "lobby",
            )

    def stop_postgres(self, mode: str = "fast") -> None:
        self._pg(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data / "pgdata"),
            "-m",
            mode,
            "-w",
            "stop",
            check=False,
        )

    def migrate(self) -> None:
        out = subprocess.run(
            [sys.executable, "manage.py", "lobby_setup"],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-3000:])

    def start_daphnes(self) -> None:
        (self.data / "app").mkdir(parents=True, exist_ok=True)
        for _ in range(self.daphnes):
            self.servers.append(Daphne(self.env()).start())

    def restart_daphne(self, index: int) -> None:
        server = self.servers[index]
        server.stop()
        self.servers[index] = Daphne(self.env(), port=server.port).start()

    def start_nginx(self) -> None:
        (self.data / "nginx-tmp").mkdir(parents=True, exist_ok=True)
        user = ""
        if os.geteuid() == 0:
            user = "user nobody nogroup;"
            for path in [self.data / "nginx-tmp"]:
                shutil.chown(path, user="nobody")
        servers = "\n".join(
            f"        server 127.0.0.1:{s.port} max_fails=3 fail_timeout=5s;" for s in self.servers
        )
        conf = self.data / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(data=self.data, user=user, servers=servers, port=self.port)
        )
        self.procs["nginx"] = subprocess.Popen(
            [_binary("nginx", "nginx"), "-c", str(conf), "-p", str(self.data), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import urllib.request

        def healthy() -> bool:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as r:  # noqa: S310
                return r.status == 200

        wait_for(healthy, what="nginx")

    # --- all of it -----------------------------------------------------------------------
    def start(self) -> Cluster:
        try:
            self.start_redis()
            self.start_postgres()
            self.migrate()
            self.start_daphnes()
            self.start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if "nginx" in self.procs:
            stop(self.procs.pop("nginx"))
        for server in self.servers:
            server.stop()
        self.servers.clear()
        if (self.data / "pgdata" / "postmaster.pid").exists():
            self.stop_postgres()
        self.stop_redis()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--daphnes", type=int, default=2)
    args = parser.parse_args()
    data = Path(os.environ.get("LOBBY_DATA_DIR", ROOT / "var")) / "cluster"
    cluster = Cluster(
        data=data,
        port=int(os.environ.get("PORT", "8000")),
        daphnes=args.daphnes,
        redis_port=6390,
        pg_port=5439,
    )
    print(f"Starting redis, PostgreSQL, {args.daphnes} Daphne processes and nginx in {data} …")
    cluster.start()
    print(f"Lobby (scaled) is serving at {cluster.url} — Ctrl-C stops everything.")
    for i, s in enumerate(cluster.servers):
        print(f"  daphne {i + 1}: {s.url} (log {s.log_path})")
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stopping:
            time.sleep(0.5)
    finally:
        print("Stopping …")
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
