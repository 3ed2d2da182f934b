"""A separate process that redeems one host invite from many threads at once (the race tests).

    python -m tests.invites.race_worker setup <n_users> <max_grants>   -> {"code", "user_ids"}
    python -m tests.invites.race_worker redeem <code> <id,id,...>      -> "ready", waits for "go"
                                                                          -> {"outcomes": [...]}
    python -m tests.invites.race_worker owners <rounds>                -> {"owners_left", ...}

The database comes from the environment (LOBBY_SQLITE_PATH or DATABASE_URL), like a server's.
"""

from __future__ import annotations

import json
import os
import sys
import threading


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def setup(n_users: int, max_grants: int) -> dict:
    from accounts.models import User
    from invites import services

    creator = User.objects.create_user(email="race-host@example.com", password=None)
    users = [
        User.objects.create_user(email=f"race{i}@example.com", password=None)
        for i in range(n_users)
    ]
    invite = services.host_invite_create(creator=creator, expires_in=3600, max_grants=max_grants)
    return {"code": invite.code, "user_ids": [u.pk for u in users]}


def redeem(code: str, user_ids: list[int]) -> dict:
    from django.db import connection

    from accounts.models import User
    from config.errors import DomainError
    from invites import services

    users = list(User.objects.filter(pk__in=user_ids))
    connection.close()
    barrier = threading.Barrier(len(users))
    results: list[str] = []
    lock = threading.Lock()

    def one(user: User) -> None:
        from django.db import connection as conn

        barrier.wait(timeout=30)
        try:
            result = services.host_invite_redeem(code=code, user=user, ip="127.0.0.1")
            outcome = "ok" if result.counted else "again"
        except DomainError as exc:
            outcome = getattr(exc, "reason", exc.code)
        except Exception as exc:  # reported to the test, which fails on it
            outcome = f"error: {type(exc).__name__}: {exc}"
        finally:
            conn.close()
        with lock:
            results.append(outcome)

    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("no go")
    threads = [threading.Thread(target=one, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return {"outcomes": results}


def owners(rounds: int) -> dict:
    """Each round: two owners demote each other and two admins try to demote each other, all at
    once. Returns how many owners are left after each round and any unexpected error."""
    from django.db import connection

    from accounts.models import Role, User
    from config.errors import DomainError
    from invites import members

    left: list[int] = []
    errors: list[str] = []
    for r in range(rounds):
        a, b, c, d = (
            User.objects.create_user(
                email=f"r{r}-{n}@example.com", password=None, role=role, is_member=True
            )
            for n, role in enumerate([Role.OWNER, Role.OWNER, Role.ADMIN, Role.ADMIN])
        )
        User.objects.filter(role=Role.OWNER).exclude(pk__in=[a.pk, b.pk]).update(role=Role.VIEWER)
        connection.close()
        barrier = threading.Barrier(4)

        def act(actor, target, role, barrier=barrier):  # type: ignore[no-untyped-def]
            from django.db import connection as conn

            barrier.wait(timeout=30)
            try:
                members.member_role_change(actor=actor, public_id=target.public_id, role=role)
            except DomainError:
                pass
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            finally:
                conn.close()

        threads = [
            threading.Thread(target=act, args=(a, b, Role.ADMIN)),
            threading.Thread(target=act, args=(b, a, Role.ADMIN)),
            threading.Thread(target=act, args=(c, d, Role.VIEWER)),
            threading.Thread(target=act, args=(d, c, Role.VIEWER)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        left.append(User.objects.filter(role=Role.OWNER, is_active=True).count())
        connection.close()
    return {"owners_left": left, "errors": errors}


def main() -> None:
    _django()
    mode = sys.argv[1]
    if mode == "setup":
        out = setup(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == "owners":
        out = owners(int(sys.argv[2]))
    elif mode == "redeem":
        out = redeem(sys.argv[2], [int(x) for x in sys.argv[3].split(",")])
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
