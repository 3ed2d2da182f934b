"""The pages in Chromium: create, join, chat both ways, synced playback, a real WebRTC share."""

from __future__ import annotations

import io
import re
import wave

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEDIA_PATH = "/watchparty-test/media.wav"


def _wav(seconds: int = 30, rate: int = 8000) -> bytes:
    """A quiet mono WAV: something Chromium's <video> can load, seek and play."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(bytes([128]) * (rate * seconds))
    return buf.getvalue()


def serve_media(page, data: bytes) -> None:  # type: ignore[no-untyped-def]
    """Answer the test media URL from Python, with byte ranges like a real file server."""

    def handle(route) -> None:  # type: ignore[no-untyped-def]
        rng = route.request.headers.get("range")
        headers = {"Content-Type": "audio/wav", "Accept-Ranges": "bytes"}
        if rng and (m := re.match(r"bytes=(\d+)-(\d*)", rng)):
            start = int(m.group(1))
            end = int(m.group(2)) if m.group(2) else len(data) - 1
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            route.fulfill(status=206, headers=headers, body=data[start : end + 1])
        else:
            route.fulfill(status=200, headers=headers, body=data)

    page.route(f"**{MEDIA_PATH}", handle)


def test_host_and_viewer_chat_sync_and_screen_share(browser, page, live_server_url) -> None:  # type: ignore[no-untyped-def]
    media = _wav()
    host = page
    serve_media(host, media)
    host.goto("/watchparty/")
    host.get_by_test_id("room-name").fill("Playwright Party")
    host.get_by_test_id("room-password").fill("secure123")
    host.get_by_test_id("display-name").fill("Hosty")
    host.get_by_test_id("create").click()
    host.wait_for_url(re.compile(r"/watchparty/room/[0-9a-f-]{36}$"))
    room_url = host.url
    share_url = host.get_by_test_id("share-url").inner_text()
    host.goto(room_url + "?source=canvas")  # the share test source; the token stays in the tab
    host.get_by_test_id("participants").get_by_text("Hosty (you)").wait_for()

    ctx = browser.new_context(base_url=live_server_url)
    ctx.set_default_timeout(10_000)
    viewer = ctx.new_page()
    serve_media(viewer, media)
    try:
        viewer.goto(share_url)
        viewer.get_by_test_id("display-name").fill("Viewy")
        viewer.get_by_test_id("room-password").fill("wrong-password")
        viewer.get_by_test_id("join").click()
        viewer.get_by_text("Invalid password").wait_for()
        viewer.get_by_test_id("room-password").fill("secure123")
        viewer.get_by_test_id("join").click()
        viewer.wait_for_url(re.compile(r"/watchparty/room/"))
        viewer.get_by_test_id("participants").get_by_text("Hosty").wait_for()
        host.get_by_test_id("participants").get_by_text("Viewy").wait_for()

        # chat both ways, rendered as text
        host.get_by_test_id("chat-input").fill("hello from the host")
        host.get_by_test_id("chat-send").click()
        viewer.get_by_test_id("chat-log").get_by_text("hello from the host").wait_for()
        viewer.get_by_test_id("chat-input").fill("<b>bold?</b> from the viewer")
        viewer.get_by_test_id("chat-send").click()
        host.get_by_test_id("chat-log").get_by_text("<b>bold?</b> from the viewer").wait_for()
        assert host.locator("#chat-log b").count() == 0

        # the host loads a video, seeks and plays: the viewer's player follows
        host.get_by_test_id("media-url").fill(live_server_url + MEDIA_PATH)
        host.get_by_test_id("load-media").click()
        host.wait_for_function("() => document.getElementById('player').readyState >= 1")
        host.evaluate(
            "() => { const v = document.getElementById('player'); v.muted = true;"
            " v.currentTime = 12; return v.play(); }"
        )
        viewer.wait_for_function(
            "() => { const v = document.getElementById('player');"
            " return v.src.endsWith('/watchparty-test/media.wav') && !v.paused"
            " && Math.abs(v.currentTime - 12) < 3; }"
        )
        host.evaluate("() => document.getElementById('player').pause()")
        viewer.wait_for_function("() => document.getElementById('player').paused")
        host.evaluate("() => { document.getElementById('player').currentTime = 20; }")
        viewer.wait_for_function(
            "() => Math.abs(document.getElementById('player').currentTime - 20) < 0.5"
        )

        # the host shares a canvas stream; the viewer's <video> receives frames over WebRTC
        host.get_by_test_id("share").click()
        viewer.wait_for_function(
            "() => { const v = document.getElementById('screen');"
            " return !v.hidden && v.videoWidth > 0; }",
            timeout=20_000,
        )
        assert viewer.evaluate("document.getElementById('screen').videoWidth") == 320

        # the viewer's socket drops: the page reconnects on its own, silently for the others
        viewer.evaluate("() => window.__watchparty.ws.close()")
        viewer.wait_for_function(
            "() => window.__watchparty.ws.readyState === 1 && window.__watchparty.attempt === 0"
            " && document.getElementById('status').textContent === 'Connected'",
            timeout=15_000,
        )
        viewer.get_by_test_id("chat-input").fill("back again")
        viewer.get_by_test_id("chat-send").click()
        host.get_by_test_id("chat-log").get_by_text("back again").wait_for()
        assert host.get_by_test_id("chat-log").get_by_text("Viewy left").count() == 0

        # the host hands over: the viewer gets the host controls
        host.get_by_test_id("make-host").click()
        viewer.get_by_test_id("share").wait_for(state="visible")
        host.get_by_test_id("sync-me").wait_for(state="visible")
    finally:
        ctx.close()
