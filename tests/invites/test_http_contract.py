"""A plain `requests` client written from the two specs, against a real Daphne, then a restart
(SIGKILL) that must lose nothing: grants, redemptions, roles, invites."""

import re

import pytest
import requests

from accounts.models import Role
from tests import servers
from tests.conftest import server_env, session_cookie_for

pytestmark = pytest.mark.django_db(transaction=True)


def start_daphne():  # type: ignore[no-untyped-def]
    port = servers.free_port()
    return servers.Daphne(
        server_env(PORT=str(port), DJANGO_CSRF_TRUSTED_ORIGINS=f"http://127.0.0.1:{port}"),
        port=port,
    ).start()


def bearer_session(token: str) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    return s


def browser_session(base: str, user) -> requests.Session:  # type: ignore[no-untyped-def]
    s = requests.Session()
    s.cookies.set("sessionid", session_cookie_for(user), domain="127.0.0.1")
    return s


def post_form(s: requests.Session, url: str) -> requests.Response:
    page = s.get(url, timeout=5)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return s.post(url, data={"csrfmiddlewaretoken": token}, allow_redirects=False, timeout=5)


def test_every_endpoint_from_the_specs_then_a_restart(bearer, user_factory):
    owner = user_factory(role=Role.OWNER, password=None, name="Olive Owner")
    member = user_factory(role=Role.VIEWER, password=None, name="Mo Member")
    guest = user_factory(role=Role.VIEWER, password=None, name="Gil Guest")
    host = bearer_session(bearer(owner))
    mo = bearer_session(bearer(member))
    daphne = start_daphne()
    base = daphne.url
    try:
        # --- Parsec host invites
        r = host.post(
            f"{base}/host-invites", json={"expires_in": 3600, "max_grants": 20}, timeout=5
        )
        assert r.status_code == 201
        data = r.json()["data"]
        assert (data["grants"], data["max_grants"], data["peer_id"]) == (0, 20, owner.peer_id)
        code = data["code"]
        for bad in (
            {"expires_in": 599, "max_grants": 1},
            {"expires_in": 600, "max_grants": 101},
            {"expires_in": True, "max_grants": 1},
            {"expires_in": "600", "max_grants": 1},
        ):
            r = host.post(f"{base}/host-invites", json=bad, timeout=5)
            assert r.status_code == 400 and list(r.json()) == ["error"]
        r = requests.post(
            f"{base}/host-invites", json={"expires_in": 600, "max_grants": 1}, timeout=5
        )
        assert r.status_code == 401 and list(r.json()) == ["error"]
        assert [i["code"] for i in host.get(f"{base}/host-invites", timeout=5).json()["data"]] == [
            code
        ]
        assert mo.get(f"{base}/host-invites/{code}", timeout=5).status_code == 404

        # --- the landing page, signed in as the guest: join counts one grant
        gil = browser_session(base, guest)
        r = post_form(gil, f"{base}/g/{code}")
        assert r.status_code == 302 and r.headers["Location"] == "/"
        r = host.get(f"{base}/host-invites/{code}", timeout=5).json()["data"]
        assert r["grants"] == 1
        assert [x["user_id"] for x in r["redemptions"]] == [guest.public_id]

        # --- CHROTE users
        r = host.get(f"{base}/terminals/api/users", timeout=5)
        assert r.status_code == 200
        assert {u["id"] for u in r.json()["users"]} == {
            owner.public_id,
            member.public_id,
            guest.public_id,
        }
        assert mo.get(f"{base}/terminals/api/users", timeout=5).json() == {
            "error": "FORBIDDEN",
            "message": "Insufficient permissions",
        }
        r = host.patch(
            f"{base}/terminals/api/users/{member.public_id}/role", json={"role": "admin"}, timeout=5
        )
        assert r.json() == {
            "success": True,
            "user": {"id": member.public_id, "name": "Mo Member", "role": "admin"},
        }
        r = mo.patch(
            f"{base}/terminals/api/users/{owner.public_id}/role", json={"role": "viewer"}, timeout=5
        )
        assert r.status_code == 403 and r.json()["error"] == "FORBIDDEN"

        # --- CHROTE invites
        r = mo.post(
            f"{base}/terminals/api/invites", json={"role": "operator", "expiresIn": 3600}, timeout=5
        )
        assert r.status_code == 201
        invite = r.json()
        assert invite["url"] == f"{base}/terminals/invite/{invite['token']}"
        r = requests.get(f"{base}/terminals/api/invites/{invite['token']}/validate", timeout=5)
        assert r.json() == {"valid": True, "role": "operator"}
        r = requests.post(f"{base}/terminals/api/invites/{invite['token']}/accept", timeout=5)
        assert r.status_code == 401
        r = bearer_session(bearer(guest)).post(
            f"{base}/terminals/api/invites/{invite['token']}/accept", timeout=5
        )
        assert r.json() == {"success": True, "role": "operator"}
        doomed = mo.post(f"{base}/terminals/api/invites", json={}, timeout=5).json()
        assert mo.delete(f"{base}/terminals/api/invites/{doomed['id']}", timeout=5).json() == {
            "success": True
        }
        r = requests.get(f"{base}/terminals/api/invites/{doomed['token']}/validate", timeout=5)
        assert r.json() == {"valid": False, "reason": "revoked"}
        listed = {
            i["id"]: i
            for i in host.get(f"{base}/terminals/api/invites", timeout=5).json()["invites"]
        }
        assert listed[invite["id"]]["usedCount"] == 1
        assert listed[doomed["id"]]["revoked"] is True

        # --- remove a user
        assert host.delete(f"{base}/terminals/api/users/{guest.public_id}", timeout=5).json() == {
            "success": True
        }

        # --- restart: kill the server outright, start another, everything is still there
        daphne.kill()
        daphne = start_daphne()
        base = daphne.url
        r = host.get(f"{base}/host-invites/{code}", timeout=5).json()["data"]
        assert r["grants"] == 1 and len(r["redemptions"]) == 1
        users = {
            u["id"]: u for u in host.get(f"{base}/terminals/api/users", timeout=5).json()["users"]
        }
        assert users[member.public_id]["role"] == "admin"
        assert guest.public_id not in users
        listed = {
            i["id"]: i
            for i in host.get(f"{base}/terminals/api/invites", timeout=5).json()["invites"]
        }
        assert listed[invite["id"]]["usedCount"] == 1
        assert listed[doomed["id"]]["revoked"] is True
        r = requests.get(f"{base}/terminals/api/invites/{invite['token']}/validate", timeout=5)
        assert r.json() == {"valid": True, "role": "operator"}
    finally:
        daphne.stop()
