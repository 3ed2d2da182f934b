// The terminal page: xterm.js on /terminals/ws/terminal/<id>, claim/release, presence,
// read-only for viewers, the claim holder's size wins (others scale), auto-reconnect.
(function () {
  "use strict";
  const app = document.getElementById("terminal-app");
  if (!app) return;
  const { api, wsUrl, text } = window.Lobby;
  const session = app.dataset.session;
  const pane = app.dataset.pane;
  const me = app.dataset.user;
  const canType = app.dataset.canType === "1";
  const isAdmin = app.dataset.isAdmin === "1";
  const statusEl = document.getElementById("conn-status");
  const claimEl = document.getElementById("claim-status");
  const claimBtn = document.getElementById("claim-btn");
  const releaseBtn = document.getElementById("release-btn");
  const recordBtn = document.getElementById("record-btn");
  const presenceEl = document.getElementById("presence");
  const errorEl = document.getElementById("term-error");
  const wrap = document.getElementById("terminal-wrap");

  // Scaled text never drops below MIN_FONT_SIZE: past it, the terminal box scrolls sideways.
  const FONT_SIZE = 14;
  const MIN_FONT_SIZE = 11;
  const term = new Terminal({
    cursorBlink: canType,
    disableStdin: !canType,
    scrollback: 5000,
    fontSize: FONT_SIZE,
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
  });
  const fit = new FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(document.getElementById("terminal"));
  window.lobbyTerminal = term; // for people (and tests) poking at the page

  let ws = null;
  let heartbeat = null;
  let retry = 0;
  let claimHolder = null;
  let recording = recordBtn && recordBtn.textContent.trim() === "Stop recording";
  let stopped = false;

  function show(el, visible) {
    if (el) el.style.display = visible ? "" : "none";
  }

  // The error line clears on the next successful action (claim, release, record) or after a while.
  let errorTimer = null;
  function showError(message, ms) {
    clearTimeout(errorTimer);
    text(errorEl, message);
    if (ms) errorTimer = setTimeout(clearError, ms);
  }
  function clearError() { clearTimeout(errorTimer); text(errorEl, ""); }

  function mine() { return !!claimHolder && claimHolder.id === me; }

  const host = document.getElementById("terminal");

  function scale() {
    // Others see the pane at the holder's size, scaled to fit their window, down to
    // MIN_FONT_SIZE; a wider pane scrolls inside the terminal box (never the page).
    const el = term.element;
    if (!el) return;
    el.style.transform = "";
    host.style.width = "";
    host.style.height = "";
    const natural = el.scrollWidth;
    const pad = getComputedStyle(wrap);
    const room = wrap.clientWidth - parseFloat(pad.paddingLeft) - parseFloat(pad.paddingRight);
    const fitK = natural > room && room > 0 ? room / natural : 1;
    const k = Math.max(fitK, MIN_FONT_SIZE / FONT_SIZE);
    el.style.transformOrigin = "top left";
    el.style.transform = k < 1 ? `scale(${k})` : "";
    if (k < 1) {
      host.style.width = `${Math.ceil(natural * k)}px`;
      host.style.height = `${Math.ceil(el.scrollHeight * k)}px`;
    }
    wrap.dataset.scale = String(k);
  }

  function sendResizeIfHolder() {
    if (!mine() || !ws || ws.readyState !== WebSocket.OPEN) return;
    const dims = fit.proposeDimensions();
    if (!dims || !dims.cols || !dims.rows) return;
    ws.send(JSON.stringify({ type: "resize", cols: dims.cols, rows: dims.rows }));
  }

  function renderClaim() {
    if (claimHolder) {
      text(claimEl, mine() ? "claimed by you" : "claimed by " + claimHolder.name);
    } else {
      text(claimEl, "free");
    }
    show(claimBtn, !claimHolder);
    show(releaseBtn, mine() || (!!claimHolder && isAdmin));
    show(recordBtn, isAdmin || mine());
    app.classList.toggle("typing", mine());
  }

  function connect() {
    const q = pane ? "?pane=" + encodeURIComponent(pane) : "";
    ws = new WebSocket(wsUrl("/terminals/ws/terminal/" + encodeURIComponent(session) + q));
    text(statusEl, "connecting…");
    ws.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      switch (m.type) {
        case "connected":
          retry = 0;
          text(statusEl, "live");
          app.dataset.connected = "1";
          if (m.cols && m.rows) term.resize(m.cols, m.rows);
          scale();
          clearInterval(heartbeat);
          heartbeat = setInterval(() => {
            if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "heartbeat" }));
          }, Math.max(1000, (m.heartbeatInterval || 30) * 1000));
          break;
        case "output":
          term.write(m.data);
          break;
        case "resize":
          term.resize(m.cols, m.rows);
          scale();
          break;
        case "claimed":
          claimHolder = m.by || null;
          renderClaim();
          if (mine()) { clearError(); sendResizeIfHolder(); }
          break;
        case "released":
          claimHolder = null;
          renderClaim();
          break;
        case "presence":
          text(presenceEl, (m.users || []).map((u) => u.name).join(", ") || "nobody");
          break;
        case "error":
          showError(m.message || m.code, 4000);
          break;
      }
    };
    ws.onclose = (ev) => {
      clearInterval(heartbeat);
      app.dataset.connected = "0";
      if (ev.code === 4004) { text(statusEl, "session not found"); stopped = true; return; }
      if (ev.code === 4001) { text(statusEl, "sign in required"); stopped = true; return; }
      if (stopped) return;
      retry = Math.min(retry + 1, 6);
      const delay = Math.min(10000, 500 * 2 ** (retry - 1));
      text(statusEl, `reconnecting in ${Math.round(delay / 100) / 10}s…`);
      setTimeout(connect, delay);
    };
  }

  term.onData((data) => {
    if (!canType) return;
    if (!mine()) {
      showError("Claim the session to type.");
      return;
    }
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ type: "sendKeys", keys: data, pane: pane || undefined }));
    }
  });

  if (claimBtn) claimBtn.addEventListener("click", async () => {
    try {
      const r = await api("POST", `/terminals/api/sessions/${encodeURIComponent(session)}/claim`);
      claimHolder = { id: me, name: "you" };
      clearError();
      renderClaim();
      term.focus();
      sendResizeIfHolder();
      return r;
    } catch (e) { showError(e.message); }
  });
  if (releaseBtn) releaseBtn.addEventListener("click", async () => {
    try {
      await api("DELETE", `/terminals/api/sessions/${encodeURIComponent(session)}/claim`);
      claimHolder = null;
      clearError();
      renderClaim();
    } catch (e) { showError(e.message); }
  });
  if (recordBtn) recordBtn.addEventListener("click", async () => {
    const url = `/terminals/api/sessions/${encodeURIComponent(session)}/recording`;
    try {
      if (recording) { await api("DELETE", url); recording = false; }
      else { await api("POST", url, pane ? { pane } : {}); recording = true; }
      text(recordBtn, recording ? "Stop recording" : "Record");
      clearError();
    } catch (e) { showError(e.message); }
  });

  window.addEventListener("resize", () => { scale(); sendResizeIfHolder(); });
  renderClaim();
  connect();
})();
