"""Exactly-once grants: 40 people redeem a max_grants=5 invite at the same moment, from several
processes (and threads), on SQLite and on PostgreSQL. Exactly 5 get in; the count never passes 5."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from invites import services
from invites.models import HostInvite, HostInviteRedemption
from tests import servers
from tests.conftest import server_env
from tests.servers import ROOT

PROCESSES = 4
PER_PROCESS = 10


def run_race(env: dict[str, str], code: str, user_ids: list[int]) -> Counter:
    """Start the workers, wait until each is ready, release them together, collect outcomes."""
    chunks = [user_ids[i::PROCESSES] for i in range(PROCESSES)]
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.invites.race_worker",
                "redeem",
                code,
                ",".join(map(str, chunk)),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for chunk in chunks
    ]
    try:
        for w in workers:
            line = w.stdout.readline()
            assert line.strip() == "ready", w.stderr.read()
        for w in workers:
            w.stdin.write("go\n")
            w.stdin.flush()
        outcomes: Counter = Counter()
        for w in workers:
            out, err = w.communicate(timeout=90)
            assert w.returncode == 0, err
            outcomes.update(json.loads(out.strip().splitlines()[-1])["outcomes"])
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_forty_processes_threads_on_sqlite_exactly_five(user_factory):
    invite = services.host_invite_create(creator=user_factory(), expires_in=3600, max_grants=5)
    users = [user_factory(password=None) for _ in range(PROCESSES * PER_PROCESS)]
    outcomes = run_race(server_env(), invite.code, [u.pk for u in users])
    assert outcomes == Counter({"ok": 5, "used_up": 35})
    invite.refresh_from_db()
    assert invite.grants == 5
    assert HostInviteRedemption.objects.filter(invite=invite).count() == 5


@pytest.mark.django_db(transaction=True)
def test_forty_threads_in_one_process_exactly_five_and_one_grant_per_user(user_factory):
    invite = services.host_invite_create(creator=user_factory(), expires_in=3600, max_grants=5)
    users = [user_factory(password=None) for _ in range(30)]
    repeat = user_factory(password=None)
    attempts = [*users, *([repeat] * 10)]  # one person pressing "join" ten times at once
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def one(u):  # type: ignore[no-untyped-def]
        barrier.wait(timeout=30)
        try:
            r = services.host_invite_redeem(code=invite.code, user=u)
            outcome = "ok" if r.counted else "again"
        except Exception as exc:
            outcome = getattr(exc, "reason", repr(exc))
        finally:
            connection.close()
        with lock:
            outcomes.append((u.pk, outcome))

    threads = [threading.Thread(target=one, args=(u,)) for u in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    counts = Counter(o for _, o in outcomes)
    assert counts["ok"] == 5
    assert sum(counts.values()) == 40
    assert set(counts) <= {"ok", "again", "used_up"}
    invite.refresh_from_db()
    assert invite.grants == 5
    assert HostInviteRedemption.objects.filter(invite=invite).count() == 5
    # the repeating user never holds more than one grant
    assert HostInviteRedemption.objects.filter(invite=invite, user=repeat).count() <= 1
    assert [o for pk, o in outcomes if pk == repeat.pk].count("ok") <= 1


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster in a directory the `postgres` user can reach.

    (The shared `postgres_url` fixture puts it under pytest's 0700 temp dir, which initdb run as
    `postgres` cannot enter when the suite runs as root.)
    """
    try:
        servers._pg_bin("initdb")
    except FileNotFoundError:
        pytest.skip("PostgreSQL's server is not installed (apt-get install postgresql)")
    workdir = Path(tempfile.mkdtemp(prefix="lobby-invites-pg-"))
    try:
        with servers.postgres_server(workdir) as url:
            yield url
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_env(pg_url) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Environment for processes on the migrated throwaway PostgreSQL database."""
    env = server_env(DATABASE_URL=pg_url)
    env.pop("LOBBY_SQLITE_PATH", None)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    return env


@pytest.mark.postgres
def test_forty_processes_threads_on_postgresql_exactly_five(pg_env, pg_url):
    env, postgres_url = pg_env, pg_url
    made = subprocess.run(
        [sys.executable, "-m", "tests.invites.race_worker", "setup", "40", "5"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr[-3000:]
    setup = json.loads(made.stdout.strip().splitlines()[-1])
    outcomes = run_race(env, setup["code"], setup["user_ids"])
    assert outcomes == Counter({"ok": 5, "used_up": 35})

    import psycopg

    with psycopg.connect(postgres_url, connect_timeout=5) as pg:
        grants = pg.execute(
            "SELECT grants, id FROM invites_hostinvite WHERE code = %s", [setup["code"]]
        ).fetchone()
        assert grants[0] == 5
        n = pg.execute(
            "SELECT count(*) FROM invites_hostinviteredemption WHERE invite_id = %s", [grants[1]]
        ).fetchone()[0]
        assert n == 5


def test_check_constraint_holds_even_against_a_direct_update(db, user_factory):
    """Belt and braces: the database itself refuses grants > max_grants."""
    from django.db import IntegrityError, transaction

    invite = services.host_invite_create(creator=user_factory(), expires_in=3600, max_grants=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        HostInvite.objects.filter(pk=invite.pk).update(grants=2)


@pytest.mark.postgres
def test_owners_demoting_each_other_on_postgresql_keep_one_owner_and_never_deadlock(pg_env):
    out = subprocess.run(
        [sys.executable, "-m", "tests.invites.race_worker", "owners", "200"],
        cwd=ROOT,
        env=pg_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["errors"] == []
    assert result["owners_left"] == [1] * 200
