"""Pages: server-rendered views (Django client) and the terminal in Chromium (Playwright)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import libtmux
import pytest
from django.conf import settings

from accounts.models import Role
from terminals import services
from terminals.models import Claim, KeyEvent
from tests import servers
from tests.conftest import server_env, session_cookie_for
from tests.terminals.conftest import capture_text, wait_until


@pytest.mark.django_db
def test_pages_need_sign_in(client, tmux_server):
    for path in ["/terminals/", "/terminals/s/main", "/terminals/recordings"]:
        r = client.get(path)
        assert r.status_code == 302
        assert r["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_list_page_shows_sessions_and_claims(client, user_factory, make_session):
    make_session("main")
    op = user_factory(role=Role.OPERATOR, name="Olga")
    services.claim_acquire(session_name="main", user=op)
    client.force_login(user_factory(role=Role.VIEWER))
    r = client.get("/terminals/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'href="/terminals/s/main"' in html
    assert "Olga" in html
    assert "create-session" not in html  # viewers get no admin controls


@pytest.mark.django_db
def test_terminal_page_is_read_only_for_viewers(client, user_factory, make_session):
    make_session("main")
    client.force_login(user_factory(role=Role.VIEWER))
    html = client.get("/terminals/s/main").content.decode()
    assert 'data-can-type="0"' in html and "read-only (viewer)" in html
    assert 'data-testid="claim"' not in html
    assert "/static/terminals/vendor/xterm.js" in html
    client.force_login(user_factory(role=Role.OPERATOR))
    html = client.get("/terminals/s/main").content.decode()
    assert 'data-can-type="1"' in html and 'data-testid="claim"' in html


@pytest.mark.django_db
def test_terminal_page_bad_name_is_404(client, user_factory, tmux_server):
    client.force_login(user_factory(role=Role.VIEWER))
    assert client.get("/terminals/s/a;b").status_code == 404


@pytest.mark.django_db
def test_list_page_when_tmux_unreachable_says_so(client, user_factory, settings):
    settings.TERMINALS_TMUX_SOCKET = "/etc/hostname/nope"
    client.force_login(user_factory(role=Role.VIEWER))
    r = client.get("/terminals/")
    assert r.status_code == 200
    assert "CHROTE API not available" in r.content.decode()


# --- in the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def terminals_server(django_db_setup, django_db_blocker) -> Iterator[tuple[str, libtmux.Server]]:  # type: ignore[no-untyped-def]
    """A Daphne of our own, pointed at a private tmux server (the shared live server is not)."""
    name = f"lobby-test-{uuid.uuid4().hex[:12]}"
    tmux = libtmux.Server(socket_name=name)
    port = servers.free_port()
    origin = f"http://127.0.0.1:{port}"
    daphne = servers.Daphne(
        server_env(
            PORT=str(port),
            TERMINALS_TMUX_SOCKET=name,
            DJANGO_CSRF_TRUSTED_ORIGINS=origin,
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        ),
        port=port,
    ).start()
    try:
        yield daphne.url, tmux
    finally:
        daphne.stop()
        if tmux.is_alive():
            tmux.kill()


def signed_in_page(browser, url: str, user):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=url, viewport={"width": 1200, "height": 800})
    context.set_default_timeout(10_000)
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie_for(user), "url": url}]
    )
    return context.new_page()


def screen_text(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator(".xterm-rows").inner_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_operator_claims_types_and_viewer_sees_it_read_only(
    browser, terminals_server, user_factory
):
    url, tmux = terminals_server
    session = tmux.new_session(session_name="pair", window_command="env PS1='$ ' sh", x=80, y=20)
    wait_until(lambda: "$" in capture_text(session), what="prompt")
    operator = user_factory(role=Role.OPERATOR, name="Olga")
    viewer = user_factory(role=Role.VIEWER, name="Vera")
    op_page = signed_in_page(browser, url, operator)
    view_page = signed_in_page(browser, url, viewer)
    try:
        for page in (op_page, view_page):
            page.goto("/terminals/s/pair")
            page.wait_for_selector("#terminal-app[data-connected='1']")
            page.wait_for_function(
                "() => document.querySelector('.xterm-rows').innerText.includes('$')"
            )
        view_page.wait_for_function(
            "() => document.getElementById('presence').textContent.includes('Olga')"
        )
        assert view_page.get_by_test_id("claim").count() == 0
        assert view_page.get_by_test_id("read-only").is_visible()

        op_page.get_by_test_id("claim").click()
        op_page.wait_for_function(
            "() => document.getElementById('claim-status').textContent === 'claimed by you'"
        )
        view_page.wait_for_function(
            "() => document.getElementById('claim-status').textContent === 'claimed by Olga'"
        )
        assert Claim.objects.get(session_name="pair").user == operator

        op_page.locator("#terminal").click()
        op_page.keyboard.type("echo hi")
        op_page.keyboard.press("Enter")
        view_page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.xterm-rows > div'))"
            ".some(r => r.innerText.trim() === 'hi')"
        )
        assert any(line.strip() == "hi" for line in screen_text(view_page).splitlines())
        typed = b"".join(bytes(k.data) for k in KeyEvent.objects.order_by("id"))
        assert typed == b"echo hi\r"

        # the viewer's keyboard reaches nothing
        before = KeyEvent.objects.count()
        view_page.locator("#terminal").click()
        view_page.keyboard.type("echo nope")
        view_page.keyboard.press("Enter")
        op_page.wait_for_timeout(300)
        assert KeyEvent.objects.count() == before
        assert "nope" not in capture_text(session)
    finally:
        op_page.context.close()
        view_page.context.close()
        tmux.kill_session("pair")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_page_reconnects_after_a_restart_and_gets_the_screen_back(browser, user_factory):
    name = f"lobby-test-{uuid.uuid4().hex[:12]}"
    tmux = libtmux.Server(socket_name=name)
    session = tmux.new_session(session_name="again", window_command="env PS1='$ ' sh", x=80, y=20)
    wait_until(lambda: "$" in capture_text(session), what="prompt")
    session.active_window.active_pane.send_keys("echo before-$((3*3))", enter=True)
    wait_until(lambda: "before-9" in capture_text(session), what="echo")
    port = servers.free_port()
    env = server_env(
        PORT=str(port),
        TERMINALS_TMUX_SOCKET=name,
        DJANGO_CSRF_TRUSTED_ORIGINS=f"http://127.0.0.1:{port}",
    )
    server = servers.Daphne(env, port=port).start()
    page = signed_in_page(browser, server.url, user_factory(role=Role.VIEWER))
    has_before = "() => document.querySelector('.xterm-rows').innerText.includes('before-9')"
    try:
        page.goto("/terminals/s/again")
        page.wait_for_function(has_before)
        server.stop()
        page.wait_for_selector("#terminal-app[data-connected='0']")
        page.evaluate("window.lobbyTerminal.reset()")
        assert "before-9" not in screen_text(page)
        server = servers.Daphne(env, port=port).start()
        page.wait_for_selector("#terminal-app[data-connected='1']", timeout=15_000)
        page.wait_for_function(has_before)
    finally:
        page.context.close()
        server.stop()
        tmux.kill()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_recording_plays_back_in_the_browser(browser, terminals_server, user_factory, tmp_path):
    import json

    from terminals.models import Recording

    url, _ = terminals_server
    owner = user_factory(role=Role.ADMIN)
    cast = Path(settings.DATA_DIR) / "recordings" / "played.cast"
    cast.parent.mkdir(parents=True, exist_ok=True)
    cast.write_text(
        json.dumps({"version": 2, "width": 40, "height": 6, "timestamp": 0})
        + "\n"
        + "\n".join(
            json.dumps(e)
            for e in [
                [0.05, "o", "$ echo played\r\n"],
                [0.2, "o", "played-ok\r\n"],
                [0.3, "o", "$ "],
            ]
        )
        + "\n"
    )
    rec = Recording.objects.create(
        session_name="main",
        pane_id="%0",
        pane="0",
        started_by=owner,
        width=40,
        height=6,
        path=str(cast),
    )
    page = signed_in_page(browser, url, owner)
    try:
        page.goto(f"/terminals/recordings/{rec.pk}")
        page.wait_for_selector("#player-app[data-ready='1']")
        page.get_by_test_id("play").click()
        page.wait_for_selector("#player-app[data-done='1']")
        assert "played-ok" in screen_text(page)
    finally:
        page.context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_session_list_is_live(browser, terminals_server, user_factory):
    url, tmux = terminals_server
    admin = user_factory(role=Role.ADMIN)
    page = signed_in_page(browser, url, admin)
    try:
        page.goto("/terminals/")
        page.wait_for_selector("#sessions-card[data-live='1']")
        page.fill("#create-session input[name=name]", "fromlist")
        page.click("#create-session button[type=submit]")
        page.wait_for_selector("tr[data-session='fromlist']")
        assert tmux.has_session("fromlist")
        page.on("dialog", lambda dialog: dialog.accept())
        page.click("button[data-kill='fromlist']")
        page.wait_for_selector("tr[data-session='fromlist']", state="detached")
        assert not tmux.has_session("fromlist")
    finally:
        page.context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_flood_ends_on_the_page_as_the_pane_is_then_live_again(
    browser, terminals_server, user_factory
):
    """20 MB of `yes` in the pane: the page gets its share and repaints, not the backlog, and
    ends showing exactly the pane's screen; later output arrives live as usual."""
    url, tmux = terminals_server
    session = tmux.new_session(session_name="flood", window_command="env PS1='$ ' sh", x=80, y=20)
    wait_until(lambda: "$" in capture_text(session), what="prompt")
    page = signed_in_page(browser, url, user_factory(role=Role.VIEWER))
    try:
        page.goto("/terminals/s/flood")
        page.wait_for_selector("#terminal-app[data-connected='1']")
        session.active_window.active_pane.send_keys(
            "yes 0123456789abcdef | head -c 20000000; echo flood-done-$((6*7))", enter=True
        )
        page.wait_for_function(
            "() => document.querySelector('.xterm-rows').innerText.includes('flood-done-42')",
            timeout=20_000,
        )
        pane = session.active_window.active_pane

        def rows_match() -> bool:
            shown = [r.replace("\xa0", " ").rstrip() for r in screen_text(page).split("\n")]
            return shown[: len(pane.capture_pane())] == [r.rstrip() for r in pane.capture_pane()]

        wait_until(rows_match, timeout=5, what="the page to show the pane's screen")
        pane.send_keys("echo after-$((1+1))", enter=True)
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.xterm-rows > div'))"
            ".some(r => r.innerText.trim() === 'after-2')"
        )
    finally:
        page.context.close()
        tmux.kill_session("flood")
