"""Every page works under the Content-Security-Policy: Chromium reports no violation on any of
them (signed in and not), while their scripts, sockets, terminals, media and admin run."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import libtmux
import pytest
from django.conf import settings

from accounts.models import Role, User
from tests import servers
from tests.config.test_security_headers import POLICY
from tests.conftest import server_env, session_cookie_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Under script-src 'self' (no 'unsafe-eval'), page.wait_for_function needs a function source
# ("() => ..."): Playwright eval()s the string once, from DevTools, which CSP lets through, then
# calls the function on each poll. An expression is eval()ed on every poll, which CSP refuses.

# Runs before any page script: every violation the document (or a frame) reports is passed on.
# Each report's promise settles once the test's callback has run (see Watched.flush).
REPORTER = """
window.__cspReports = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspReports.push(window.__cspViolation(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`
  ));
}, true);
"""
EXTERNAL_MEDIA = "https://media.example.test/clip.wav"
OWNER_EMAIL = "owner@example.com"


@pytest.fixture(scope="module")
def csp_server(django_db_setup, django_db_blocker) -> Iterator[tuple[str, libtmux.Server]]:  # type: ignore[no-untyped-def]
    """A Daphne of our own with a private tmux server, so the terminal pages have a pane."""
    name = f"lobby-csp-{uuid.uuid4().hex[:12]}"
    tmux = libtmux.Server(socket_name=name)
    port = servers.free_port()
    daphne = servers.Daphne(
        server_env(
            PORT=str(port),
            TERMINALS_TMUX_SOCKET=name,
            DJANGO_CSRF_TRUSTED_ORIGINS=f"http://127.0.0.1:{port}",
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            BINGO_ADMIN_EMAILS=OWNER_EMAIL,
        ),
        port=port,
    ).start()
    try:
        yield daphne.url, tmux
    finally:
        daphne.stop()
        if tmux.is_alive():
            tmux.kill()


class Watched:
    """A browser context whose pages report CSP violations, console errors and page errors."""

    def __init__(self, browser, url: str, user: User | None = None) -> None:  # type: ignore[no-untyped-def]
        self.url = url
        self.context = browser.new_context(base_url=url, viewport={"width": 1200, "height": 800})
        self.context.set_default_timeout(15_000)
        self.problems: list[str] = []
        self.visited: list[str] = []
        self.context.expose_binding(
            "__cspViolation",
            lambda source, text: self.problems.append(f"{source['page'].url} {text}"),
        )
        self.context.add_init_script(REPORTER)
        if user is not None:
            cookie = {"name": settings.SESSION_COOKIE_NAME, "value": session_cookie_for(user)}
            self.context.add_cookies([{**cookie, "url": url}])
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"{self.page.url} {error}"))

    def _console(self, message) -> None:  # type: ignore[no-untyped-def]
        if message.type == "error" and (
            "Content Security Policy" in message.text or "Refused to" in message.text
        ):
            self.problems.append(f"{self.page.url} console: {message.text}")

    def visit(self, path: str, ready: Callable[[object], object] | None = None) -> None:
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        assert response.headers["content-security-policy"] == POLICY, path
        if ready is not None:
            ready(self.page)
        self.flush()
        self.visited.append(path)

    def flush(self) -> int:
        """Wait until every violation this document reported has reached `problems`."""
        return self.page.evaluate(
            "async () => (await Promise.all(window.__cspReports || [])).length"
        )

    def close(self) -> None:
        self.context.close()


def selector(css: str) -> Callable[[object], object]:
    return lambda page: page.wait_for_selector(css)


def off_thread(fn: Callable[[], object]) -> object:
    """Services broadcast after commit; Playwright's loop owns this thread: use another."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


@pytest.fixture
def world(csp_server, user_factory, settings):  # type: ignore[no-untyped-def]
    """An owner with a bingo card, a host invite, a workspace invite, a terminal and a recording."""
    from bingo import services as bingo
    from invites import services as invites
    from terminals.models import Recording

    url, tmux = csp_server
    settings.BINGO_ADMIN_EMAILS = [OWNER_EMAIL]
    owner = User.objects.create_superuser(email=OWNER_EMAIL, password="pw-Lobby-123")
    member = user_factory(role=Role.VIEWER, name="Mia Member")

    def make() -> dict:
        game = bingo.game_create(name="CSP Bingo", creator=owner)
        bingo.card_join(game_id=game.public_id, user=owner, pin=game.pin, who="o", ip="127.0.0.1")
        bingo.draw_next(game_id=game.public_id, by=owner)
        host_invite = invites.host_invite_create(creator=owner, expires_in=3600, max_grants=3)
        _, token = invites.workspace_invite_create(by=owner, role=Role.VIEWER, expires_in=3600)
        return {"game": game.public_id, "code": host_invite.code, "token": token}

    made = off_thread(make)
    tmux.new_session(session_name="main", window_command="env PS1='$ ' sh", x=80, y=20)
    cast = Path(settings.DATA_DIR) / "recordings" / f"csp-{uuid.uuid4().hex}.cast"
    cast.parent.mkdir(parents=True, exist_ok=True)
    header = {"version": 2, "width": 40, "height": 6, "timestamp": 0}
    cast.write_text(f"{json.dumps(header)}\n{json.dumps([0.05, 'o', 'played-ok'])}\n")
    recording = Recording.objects.create(
        session_name="main",
        pane_id="%0",
        pane="0",
        started_by=owner,
        width=40,
        height=6,
        path=str(cast),
    )
    yield {"url": url, "owner": owner, "member": member, "recording": recording.pk, **made}
    cast.unlink(missing_ok=True)
    tmux.kill_session("main")


def test_signed_in_pages_run_with_no_csp_violation(browser, world):
    owner = Watched(browser, world["url"], world["owner"])
    page = owner.page
    game = world["game"]
    try:
        owner.visit("/")
        owner.visit("/account/")
        owner.visit("/account/devices/")
        owner.visit("/activate")
        owner.visit("/bingo/")
        owner.visit(
            f"/bingo/call/{game}",
            lambda p: p.get_by_test_id("current").filter(has_text=re.compile(r"\d")).wait_for(),
        )
        owner.visit(f"/bingo/play/{game}", selector("[data-testid=card] .cell"))
        owner.visit(f"/bingo/print/{game}")
        page.evaluate("window.print = () => { window.__printed = true; }")
        page.get_by_role("button", name="Print").click()
        assert page.evaluate("window.__printed") is True
        owner.visit(
            f"/bingo/verify/{game}",
            lambda p: p.get_by_test_id("verify-summary").filter(has_text="checks").wait_for(),
        )
        summary = page.get_by_test_id("verify-summary").inner_text()
        assert re.match(r"All \d+ checks passed", summary), summary  # the reveal is still to come
        assert page.locator(".checks li.fail").count() == 0

        # a watch party: the room's socket, and media from any https host the host pastes
        page.route(
            EXTERNAL_MEDIA,
            lambda route: route.fulfill(
                status=200, headers={"Content-Type": "audio/wav"}, body=_wav()
            ),
        )
        owner.visit("/watchparty/")
        page.get_by_test_id("room-name").fill("CSP Party")
        page.get_by_test_id("room-password").fill("secure123")
        page.get_by_test_id("display-name").fill("Hosty")
        page.get_by_test_id("create").click()
        page.wait_for_url(re.compile(r"/watchparty/room/[0-9a-f-]{36}$"))
        page.wait_for_function(
            "() => document.getElementById('status').textContent === 'Connected'"
        )
        page.get_by_test_id("media-url").fill(EXTERNAL_MEDIA)
        page.get_by_test_id("load-media").click()
        page.wait_for_function("() => document.getElementById('player').readyState >= 1")
        owner.flush()
        owner.visited.append("/watchparty/room/…")

        # terminals: xterm.js over the socket, the live list, a recording played back
        owner.visit("/terminals/", selector("#sessions-card[data-live='1']"))
        owner.visit("/terminals/s/main", selector("#terminal-app[data-connected='1']"))
        page.wait_for_function(
            "() => document.querySelector('.xterm-rows').innerText.includes('$')"
        )
        owner.visit("/terminals/recordings")
        owner.visit(
            f"/terminals/recordings/{world['recording']}", selector("#player-app[data-ready='1']")
        )
        page.get_by_test_id("play").click()
        page.wait_for_selector("#player-app[data-done='1']")
        owner.flush()

        # invites: the copy button, the members page's confirm and select-on-click
        owner.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=world["url"])
        owner.visit("/invites/")
        page.locator("[data-testid=copy]").first.click()
        page.wait_for_selector("[data-testid=copy]:has-text('Copied!')")
        owner.visit(f"/invites/{world['code']}/")
        owner.visit("/terminals/members/")
        member_row = f"[data-testid=member-row][data-user={world['member'].public_id}]"
        asked: list[str] = []

        def refuse(dialog) -> None:  # type: ignore[no-untyped-def]
            asked.append(dialog.message)
            dialog.dismiss()

        page.once("dialog", refuse)
        page.locator(member_row).locator("[data-testid=remove]").click()
        assert asked == ["Remove Mia Member from the workspace?"]
        assert User.objects.get(pk=world["member"].pk).is_active  # refusing the dialog keeps them
        page.get_by_test_id("create-invite").click()
        page.get_by_test_id("new-invite-url").click()
        assert page.evaluate(
            "() => { const i = document.querySelector('[data-testid=new-invite-url]');"
            " return i.selectionStart === 0 && i.selectionEnd === i.value.length"
            " && i.value.length > 0; }"
        )
        owner.flush()

        owner.visit("/avalon/")
        owner.visit("/api/docs/", selector(".swagger-ui .opblock"))
        owner.visit("/admin/", selector("#content"))
        owner.visit("/admin/accounts/user/", selector("#result_list"))
        owner.visit(f"/admin/accounts/user/{world['owner'].pk}/change/", selector("form"))
        owner.visit("/admin/accounts/user/add/", selector("form"))
        owner.visit("/admin/bingo/game/", selector("#result_list"))
    finally:
        owner.close()
    assert owner.problems == []
    assert len(owner.visited) == 25


def test_signed_out_pages_run_with_no_csp_violation(browser, world):
    guest = Watched(browser, world["url"])
    try:
        guest.visit("/")
        guest.visit("/accounts/login/")
        guest.visit("/accounts/signup/")
        guest.visit("/bingo/")  # guest.js: a guest session for bingo
        guest.visit(
            f"/bingo/verify/{world['game']}",
            lambda p: p.get_by_test_id("verify-summary").filter(has_text="checks").wait_for(),
        )
        guest.visit(f"/g/{world['code']}")
        guest.visit(f"/terminals/invite/{world['token']}")
        guest.visit("/watchparty/")
        guest.visit("/admin/login/")
        response = guest.page.goto("/no-such-page")
        assert response is not None and response.status == 404
        assert response.headers["content-security-policy"] == POLICY
    finally:
        guest.close()
    assert guest.problems == []


def test_the_reporter_sees_a_violation(browser, csp_server):
    """The checks above can fail: an inline script put into one of our pages is reported."""
    guest = Watched(browser, csp_server[0])
    try:
        guest.visit("/")
        guest.page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.__ran = true'; document.body.append(s); }"
        )
        assert guest.flush() == 1
        assert guest.page.evaluate("window.__ran === undefined")
    finally:
        guest.close()
    assert any("script-src-elem blocked inline" in p for p in guest.problems), guest.problems


def _wav(seconds: int = 2, rate: int = 8000) -> bytes:
    import io
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(bytes([128]) * (rate * seconds))
    return buf.getvalue()
