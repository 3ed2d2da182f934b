"""WatchParty's own web app in front of Lobby, in Chromium (issue 15).

Two pages of our own stand in for the app: served from an origin of their own on loopback, as
Vite's dev server would serve the app (`http://localhost:<port>`), they speak exactly the app's
messages: create/join with the
app's extra fields and credentials, identity decoded from the token, signalling nested as the
browser's objects and routed by `target_id`, `playback_control`, history and leave notices read
from plain `chat` / `user_left` frames, leaving by closing the socket with 1000.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests import servers
from tests.conftest import server_env

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>WatchParty (stand-in)</title></head>
<body>
<p id="status">starting</p>
<video id="remote" autoplay muted playsinline></video>
<canvas id="canvas" width="320" height="240" hidden></canvas>
<input id="chat-input"><button id="chat-send">Send</button>
<button id="pause">Pause</button><button id="leave">Leave</button>
<ul id="log"></ul>
<script>
const LOBBY = __LOBBY__;
const API = LOBBY + "/watchparty/api/sessions";
const app = { me: null, session: null, ws: null, pcs: new Map(), chain: Promise.resolve(),
              ice: [], shareUrl: null, stream: null };
window.app = app;

function log(cls, text) {
  const li = document.createElement("li");
  li.className = cls;
  li.textContent = text;
  document.getElementById("log").append(li);
}

function claims(token) {  // the app decodes the room token itself
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part + "=".repeat((4 - part.length % 4) % 4)));
}

function send(type, payload, extra) {
  app.ws.send(JSON.stringify(Object.assign({
    type, payload, session_id: app.session, user_id: app.me.user_id, timestamp: Date.now(),
  }, extra || {})));
}

async function post(path, body) {
  const r = await fetch(API + path, {
    method: "POST", credentials: "include",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(path + " " + r.status + " " + await r.text());
  return r.json();
}

function peer(other) {
  const pc = new RTCPeerConnection({ iceServers: app.ice });
  pc.onicecandidate = (e) => {
    if (!e.candidate) return;
    send("ice_candidate", { candidate: e.candidate.toJSON() }, { target_id: other });
  };
  pc.ontrack = (e) => { document.getElementById("remote").srcObject = e.streams[0]; };
  app.pcs.set(other, pc);
  return pc;
}

function paint() {  // something moving to share
  const c = document.getElementById("canvas"), g = c.getContext("2d");
  let n = 0;
  setInterval(() => { g.fillStyle = `hsl(${n++ % 360} 80% 50%)`; g.fillRect(0, 0, 320, 240); }, 50);
  return c.captureStream(15);
}

const handlers = {
  async user_joined(msg) {
    log("joined", msg.payload.username + " joined");
    if (!app.me.is_host) return;
    const pc = peer(msg.payload.user_id);  // the host shares its screen with whoever joins
    for (const track of app.stream.getTracks()) pc.addTrack(track, app.stream);
    await pc.setLocalDescription(await pc.createOffer());
    send("webrtc_offer", { sdp: pc.localDescription.toJSON() }, { target_id: msg.payload.user_id });
  },
  async webrtc_offer(msg) {
    const pc = peer(msg.user_id);
    await pc.setRemoteDescription(msg.payload.sdp);
    await pc.setLocalDescription(await pc.createAnswer());
    send("webrtc_answer", { sdp: pc.localDescription.toJSON() }, { target_id: msg.user_id });
  },
  async webrtc_answer(msg) {
    await app.pcs.get(msg.user_id).setRemoteDescription(msg.payload.sdp);
  },
  async ice_candidate(msg) {
    const pc = app.pcs.get(msg.user_id);
    if (pc) await pc.addIceCandidate(msg.payload.candidate);
  },
  chat(msg) {
    const p = msg.payload;
    const mine = p.user_id === app.me.user_id;  // your own messages, by the token's user_id
    log(mine ? "chat mine" : "chat", (mine ? "(you) " : p.username + ": ") + p.message);
  },
  playback_control(msg) {
    log("control", msg.payload.from_username + " pressed " + msg.payload.action);
  },
  user_left(msg) { log("left", msg.payload.username + " left"); },
};

function connect(token) {
  app.me = claims(token);
  app.session = app.me.session_id;
  const ws = new WebSocket(LOBBY.replace("http", "ws") + "/watchparty/ws/" + app.session +
                           "?token=" + encodeURIComponent(token));
  app.ws = ws;
  ws.onopen = () => { document.getElementById("status").textContent = "connected"; };
  ws.onclose = (e) => { document.getElementById("status").textContent = "closed " + e.code; };
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    const handle = handlers[msg.type];  // the app knows only its own types
    if (!handle) return;
    app.chain = app.chain.then(() => handle(msg)).catch((err) => log("error", String(err)));
  };
}

document.getElementById("chat-send").onclick = () => {
  send("chat", { message: document.getElementById("chat-input").value });
};
document.getElementById("pause").onclick = () => {
  send("playback_control", { action: "pause", seek_seconds: 0, from_user: app.me.user_id,
                             from_username: app.me.username });
};
document.getElementById("leave").onclick = () => { app.ws.close(1000, "left"); };

(async () => {
  const m = location.pathname.match(/^\\/join\\/([0-9a-f-]+)$/);
  const body = m
    ? await post("/join", { session_id: m[1], password: "secure123", admin_code: "" })
    : await post("/create", { name: "App Night", password: "secure123", admin_code: "" });
  app.ice = body.ice_servers;
  app.shareUrl = body.share_url || null;
  if (!m) app.stream = paint();
  connect(body.token);
})().catch((err) => { document.getElementById("status").textContent = "failed: " + err; });
</script>
</body></html>
"""


@dataclass
class Deployment:
    app: str  # the app's origin
    lobby: str  # Lobby's base URL


@pytest.fixture(scope="module")
def deployment(django_db_setup) -> Iterator[Deployment]:  # type: ignore[no-untyped-def]
    """The stand-in app on a loopback origin of its own, and a Daphne deployed for it: the
    app's origin allowed (WATCHPARTY_CORS_ORIGINS), share links to its join page."""
    holder: dict[str, bytes] = {}

    class AppPages(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(holder["html"])

        def log_message(self, *args: object) -> None:
            pass

    pages = ThreadingHTTPServer(("127.0.0.1", 0), AppPages)
    app = f"http://localhost:{pages.server_address[1]}"
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    daphne = servers.Daphne(
        server_env(
            WATCHPARTY_CORS_ORIGINS=app,
            WATCHPARTY_APP_URL=app,
            WATCHPARTY_BCRYPT_ROUNDS="4",
            WATCHPARTY_ICE_SERVERS="[]",
        )
    ).start()
    holder["html"] = PAGE.replace("__LOBBY__", json.dumps(daphne.url)).encode()
    try:
        yield Deployment(app=app, lobby=daphne.url)
    finally:
        daphne.stop()
        pages.shutdown()
        pages.server_close()


def app_page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_lines = []
    page.on("console", lambda m: page.console_lines.append(m.text))
    return context, page


def wait_connected(page) -> None:  # type: ignore[no-untyped-def]
    try:
        page.wait_for_function("document.getElementById('status').textContent === 'connected'")
    except Exception as exc:
        status = page.inner_text("#status")
        raise AssertionError(f"not connected: {status} {page.console_lines}") from exc


def lines(page, cls: str) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(f"#log li.{cls}").all_inner_texts()


def test_the_app_s_messages_share_a_screen_chat_and_leave(browser, deployment) -> None:  # type: ignore[no-untyped-def]
    app = deployment.app
    host_ctx, host = app_page(browser)
    viewer_ctx, viewer = app_page(browser)
    try:
        host.goto(f"{app}/")
        wait_connected(host)
        assert host.evaluate("app.me.is_host") is True
        share_url = host.evaluate("app.shareUrl")
        assert re.fullmatch(rf"{app}/join/[0-9a-f-]{{36}}", share_url)
        host.fill("#chat-input", "before you came")
        host.click("#chat-send")
        host.locator("#log li.chat.mine", has_text="(you) before you came").wait_for()

        viewer.goto(share_url)  # the app's own join page, as share_url says
        wait_connected(viewer)
        me = viewer.evaluate("app.me")
        assert me["is_host"] is False and me["session_id"] == share_url.rsplit("/", 1)[1]
        # history: the host's earlier line arrives as an ordinary chat frame
        viewer.locator("#log li.chat", has_text="before you came").wait_for()
        host.locator("#log li.joined", has_text=f"{me['username']} joined").wait_for()
        assert lines(viewer, "joined") == []  # user_joined never reaches the one who joined

        # the screen share: offer, answer and candidates routed by target_id
        viewer.wait_for_function(
            "() => { const v = document.getElementById('remote');"
            " return v.videoWidth > 0 && v.currentTime > 0; }",
            timeout=20_000,
        )
        assert viewer.evaluate("document.getElementById('remote').videoWidth") == 320

        viewer.fill("#chat-input", "nice film")
        viewer.click("#chat-send")
        viewer.locator("#log li.chat.mine", has_text="(you) nice film").wait_for()
        host.locator("#log li.chat", has_text=f"{me['username']}: nice film").wait_for()

        viewer.click("#pause")  # playback buttons reach the host, with the server's identity
        host.locator("#log li.control", has_text=f"{me['username']} pressed pause").wait_for()
        assert lines(viewer, "control") == []

        # leave: the app closes its socket with 1000; the host hears of it at once
        viewer.click("#leave")
        viewer.wait_for_function("document.getElementById('status').textContent === 'closed 1000'")
        host.locator("#log li.left", has_text=f"{me['username']} left").wait_for(timeout=5_000)
        assert lines(host, "error") == [] and lines(viewer, "error") == []
    finally:
        viewer_ctx.close()
        host_ctx.close()
