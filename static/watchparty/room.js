// The room: socket with backoff, server clock offset, synced player, WebRTC screen share, chat.
(function () {
  "use strict";
  const api = window.WatchPartyAPI;
  const cfg = JSON.parse(document.getElementById("wp-config").textContent);
  const sid = cfg.session_id;
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);

  // --- token: from an invite link's fragment, else what create/join stored --------------
  let token = null;
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    token = decodeURIComponent(m[1]);
    api.storeToken(sid, token);
    history.replaceState(null, "", location.pathname + location.search);
  } else {
    token = api.loadToken(sid);
  }
  if (!token) {
    location.replace(cfg.join_url);
    return;
  }

  const state = {
    me: null,
    hostId: null,
    participants: new Map(), // user_id -> {user_id, username, is_host, connected, drift}
    playback: null,
    offset: 0, // server clock - local clock (ms)
    bestRtt: Infinity,
    ws: null,
    attempt: 0,
    closedForGood: false,
    sharing: null, // MediaStream the host shares
    pcs: new Map(), // peer user_id -> RTCPeerConnection
    applying: false,
  };
  window.__watchparty = state; // for tests and debugging

  const serverNow = () => Date.now() + state.offset;
  const isHost = () => state.me && state.me.user_id === state.hostId;
  const video = $("player");
  const screen = $("screen");

  function setStatus(text, cls) {
    const el = $("status");
    el.textContent = text;
    el.className = cls || "muted";
  }

  function send(type, payload, extra) {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return false;
    state.ws.send(JSON.stringify(Object.assign({ type, payload, session_id: sid }, extra || {})));
    return true;
  }

  // --- socket with exponential backoff ----------------------------------------------------
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/watchparty/ws/${sid}?token=${encodeURIComponent(token)}`);
    state.ws = ws;
    setStatus(state.attempt ? "Reconnecting…" : "Connecting…");
    ws.onopen = () => {
      state.attempt = 0;
      setStatus("Connected", "muted");
      state.bestRtt = Infinity;
      for (let i = 0; i < 5; i++) setTimeout(() => send("time_sync", { client_time: Date.now() }), i * 150);
    };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      const h = handlers[msg.type];
      if (h) h(msg.payload, msg);
    };
    ws.onclose = (ev) => onClose(ev.code);
  }

  async function onClose(code) {
    closePeers();
    if (state.closedForGood) return;
    if (code === 4004) {
      state.closedForGood = true;
      setStatus("This session has ended.", "error");
      return;
    }
    if (code === 4003) {
      state.closedForGood = true;
      setStatus("This session is full.", "error");
      return;
    }
    if (code === 4001) {
      if (!(await refreshToken())) {
        state.closedForGood = true;
        location.replace(cfg.join_url);
        return;
      }
    }
    const delay = Math.min(15000, 500 * 2 ** state.attempt) * (0.75 + Math.random() * 0.5);
    state.attempt += 1;
    setStatus(`Disconnected; reconnecting in ${Math.round(delay / 100) / 10} s…`, "warning");
    setTimeout(connect, delay);
  }

  async function refreshToken() {
    try {
      const res = await api.post(`/watchparty/api/sessions/${sid}/token`, undefined, token);
      if (!res.ok) return false;
      token = res.data.token;
      api.storeToken(sid, token);
      send("token_refresh", { token });
      return true;
    } catch (e) {
      return false;
    }
  }

  function scheduleRefresh(expiresAtMs) {
    clearTimeout(state.refreshTimer);
    const lead = Math.max(5000, (expiresAtMs - serverNow()) / 6);
    const wait = Math.max(1000, expiresAtMs - serverNow() - lead);
    state.refreshTimer = setTimeout(refreshToken, wait);
  }

  // --- clock -------------------------------------------------------------------------------
  function onTimeSync(p) {
    const now = Date.now();
    if (typeof p.client_time !== "number") return;
    const rtt = now - p.client_time;
    if (rtt <= state.bestRtt) {
      state.bestRtt = rtt;
      state.offset = p.server_time - (p.client_time + rtt / 2);
    }
  }
  setInterval(() => send("time_sync", { client_time: Date.now() }), 30000);

  // --- participants ------------------------------------------------------------------------
  function renderParticipants() {
    const list = $("participants");
    list.replaceChildren();
    for (const p of state.participants.values()) {
      const li = document.createElement("li");
      li.dataset.userId = p.user_id;
      const name = document.createElement("span");
      name.textContent = p.username + (state.me && p.user_id === state.me.user_id ? " (you)" : "");
      li.append(name);
      if (p.user_id === state.hostId) {
        const b = document.createElement("span");
        b.className = "badge";
        b.textContent = "host";
        li.append(" ", b);
      }
      const info = document.createElement("span");
      info.className = "muted drift";
      const bits = [];
      if (p.connected === false) bits.push("reconnecting");
      if (typeof p.drift === "number" && p.user_id !== state.hostId) {
        bits.push(`drift ${p.drift >= 0 ? "+" : ""}${p.drift.toFixed(2)} s`);
      }
      info.textContent = bits.length ? " · " + bits.join(" · ") : "";
      li.append(info);
      if (isHost() && p.user_id !== state.me.user_id) {
        const btn = document.createElement("button");
        btn.className = "secondary small";
        btn.textContent = "Make host";
        btn.dataset.testid = "make-host";
        btn.onclick = () => send("host_transfer", {}, { target_user_id: p.user_id });
        li.append(" ", btn);
      }
      list.append(li);
    }
    document.body.classList.toggle("is-host", isHost());
    $("host-controls").hidden = !isHost();
    $("viewer-controls").hidden = isHost();
    $("role").textContent = isHost() ? "You are the host." : "The host controls playback.";
  }

  // --- chat --------------------------------------------------------------------------------
  function addChat(p) {
    const list = $("chat-log");
    if (list.querySelector(`[data-id="${CSS.escape(p.id)}"]`)) return;
    const li = document.createElement("li");
    li.dataset.id = p.id;
    const who = document.createElement("strong");
    who.textContent = p.username;
    const text = document.createElement("span");
    text.textContent = " " + p.message; // textContent: chat is never parsed as HTML
    const when = document.createElement("time");
    when.className = "muted";
    when.textContent = " " + new Date(p.timestamp).toLocaleTimeString();
    li.append(who, text, when);
    list.append(li);
    list.scrollTop = list.scrollHeight;
  }

  function addNotice(text) {
    const li = document.createElement("li");
    li.className = "muted notice";
    li.textContent = text;
    $("chat-log").append(li);
  }

  $("chat-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $("chat-input");
    const text = input.value.trim();
    if (!text) return;
    if (send("chat", { message: text })) input.value = "";
  });

  // --- playback ----------------------------------------------------------------------------
  function targetPosition(pb) {
    let pos = pb.currentTime;
    if (pb.playing) pos += ((serverNow() - pb.server_time) / 1000) * (pb.rate || 1);
    return Math.max(0, pos);
  }

  function showSource(source) {
    const screenMode = source === "screen";
    screen.hidden = !screenMode;
    video.hidden = screenMode;
  }

  function applyPlayback(pb, force) {
    state.playback = pb;
    showSource(pb.source);
    $("media-url").value = pb.media_url || "";
    if (pb.source === "screen") {
      // the host offers on its own when it starts sharing; ask only if nothing arrives
      if (!isHost() && !state.pcs.size) {
        clearTimeout(state.requestTimer);
        state.requestTimer = setTimeout(() => {
          if (!state.pcs.size && state.playback && state.playback.source === "screen") requestStream();
        }, 1500);
      }
      return;
    }
    if (isHost() && !force) return; // the host's player is the reference
    state.applying = true;
    try {
      const url = pb.media_url ? new URL(pb.media_url, location.href).href : "";
      if (url && video.src !== url) video.src = url;
      if (!url) return;
      video.playbackRate = pb.rate || 1;
      if (typeof pb.volume === "number" && isHost()) video.volume = pb.volume;
      const seekTo = () => {
        const target = targetPosition(pb);
        if (force || Math.abs(video.currentTime - target) > 0.35) video.currentTime = target;
        if (pb.playing && video.paused) {
          video.play().catch(() => {
            // autoplay with sound was refused: play muted, let the viewer unmute
            video.muted = true;
            $("unmute").hidden = false;
            video.play().catch(() => setStatus("Press play to start (autoplay blocked)", "warning"));
          });
        }
        if (!pb.playing && !video.paused) video.pause();
      };
      if (video.readyState >= 1) seekTo();
      else video.addEventListener("loadedmetadata", seekTo, { once: true });
    } finally {
      setTimeout(() => (state.applying = false), 50);
    }
  }

  function hostSendState(extra) {
    if (!isHost()) return;
    const pb = {
      playing: !video.paused,
      currentTime: video.currentTime || 0,
      volume: video.volume,
      rate: video.playbackRate,
      media_url: $("media-url").value.trim(),
      source: state.sharing ? "screen" : "video",
    };
    send("playback_state", Object.assign(pb, extra || {}));
  }

  for (const evName of ["play", "pause", "seeked", "ratechange"]) {
    video.addEventListener(evName, () => {
      if (isHost() && !state.applying) hostSendState();
    });
  }

  $("media-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const url = $("media-url").value.trim();
    video.src = url;
    hostSendState({ media_url: url, currentTime: 0, playing: false, source: "video" });
  });

  $("unmute").addEventListener("click", () => {
    video.muted = false;
    $("unmute").hidden = true;
  });

  $("sync-me").addEventListener("click", () => state.playback && applyPlayback(state.playback, true));

  setInterval(() => {
    const pb = state.playback;
    if (isHost() || !pb || pb.source !== "video" || !pb.media_url || video.readyState < 1) return;
    send("sync_report", { position: video.currentTime, playing: !video.paused, server_time: serverNow() });
    // drifted more than a second while playing (stall, slow network): catch up quietly
    if (pb.playing && !video.paused && Math.abs(video.currentTime - targetPosition(pb)) > 1.0) {
      applyPlayback(pb, true);
    }
  }, 5000);

  // --- WebRTC: the host offers its screen to each viewer (mesh) -----------------------------
  const rtcConfig = { iceServers: cfg.ice_servers || [] };

  function waitForIce(pc, ms) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, ms);
    });
  }

  function newPeer(peerId) {
    const old = state.pcs.get(peerId);
    if (old) old.close();
    const pc = new RTCPeerConnection(rtcConfig);
    state.pcs.set(peerId, pc);
    pc.onicecandidate = (ev) => {
      // candidates found after the SDP went out trickle separately
      if (ev.candidate && pc.__sdpSent) send("ice_candidate", ev.candidate.toJSON(), { target_user_id: peerId });
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed") {
        pc.close();
        state.pcs.delete(peerId);
        if (!isHost()) setTimeout(requestStream, 1000);
      }
    };
    return pc;
  }

  async function offerTo(peerId) {
    if (!state.sharing || peerId === state.me.user_id) return;
    const pc = newPeer(peerId);
    for (const track of state.sharing.getTracks()) pc.addTrack(track, state.sharing);
    await pc.setLocalDescription(await pc.createOffer());
    await waitForIce(pc, 1500); // send the candidates inside the SDP: fewer messages
    pc.__sdpSent = true;
    send("webrtc_offer", { type: "offer", sdp: pc.localDescription.sdp }, { target_user_id: peerId });
  }

  async function onOffer(payload, msg) {
    if (msg.user_id !== state.hostId) return; // only the host shares
    const pc = newPeer(msg.user_id);
    pc.ontrack = (ev) => {
      screen.srcObject = ev.streams[0] || new MediaStream([ev.track]);
      showSource("screen");
      screen.play().catch(() => {});
    };
    await pc.setRemoteDescription({ type: "offer", sdp: payload.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await waitForIce(pc, 1500);
    pc.__sdpSent = true;
    send("webrtc_answer", { type: "answer", sdp: pc.localDescription.sdp }, { target_user_id: msg.user_id });
  }

  async function onAnswer(payload, msg) {
    const pc = state.pcs.get(msg.user_id);
    if (pc && pc.signalingState === "have-local-offer") await pc.setRemoteDescription({ type: "answer", sdp: payload.sdp });
  }

  async function onCandidate(payload, msg) {
    const pc = state.pcs.get(msg.user_id);
    if (pc && payload && payload.candidate) {
      try { await pc.addIceCandidate(payload); } catch (e) { /* stale candidate */ }
    }
  }

  function requestStream() {
    if (!isHost() && state.hostId) send("webrtc_request", {}, { target_user_id: state.hostId });
  }

  function closePeers() {
    for (const pc of state.pcs.values()) pc.close();
    state.pcs.clear();
  }

  function canvasStream() {
    // A test source (?source=canvas): an animated canvas instead of getDisplayMedia.
    const canvas = document.createElement("canvas");
    canvas.width = 320;
    canvas.height = 180;
    const ctx = canvas.getContext("2d");
    let n = 0;
    setInterval(() => {
      ctx.fillStyle = `hsl(${(n += 7) % 360}, 70%, 50%)`;
      ctx.fillRect(0, 0, 320, 180);
      ctx.fillStyle = "#fff";
      ctx.font = "24px sans-serif";
      ctx.fillText("Lobby " + n, 20, 100);
    }, 50);
    return canvas.captureStream(15);
  }

  async function startShare() {
    try {
      state.sharing = params.get("source") === "canvas"
        ? canvasStream()
        : await navigator.mediaDevices.getDisplayMedia({
            video: { width: { ideal: 1920 }, height: { ideal: 1080 }, frameRate: { ideal: 30 } },
            audio: false,
          });
    } catch (e) {
      setStatus("Screen share was not started: " + e.message, "warning");
      return;
    }
    state.sharing.getVideoTracks()[0].addEventListener("ended", stopShare);
    screen.srcObject = state.sharing;
    screen.muted = true;
    screen.play().catch(() => {});
    showSource("screen");
    $("share").hidden = true;
    $("stop-share").hidden = false;
    hostSendState({ source: "screen", playing: true });
    for (const p of state.participants.values()) if (p.user_id !== state.me.user_id) offerTo(p.user_id);
  }

  function stopShare() {
    if (!state.sharing) return;
    for (const t of state.sharing.getTracks()) t.stop();
    state.sharing = null;
    closePeers();
    screen.srcObject = null;
    $("share").hidden = false;
    $("stop-share").hidden = true;
    showSource("video");
    hostSendState({ source: "video", playing: false });
  }

  $("share").addEventListener("click", startShare);
  $("stop-share").addEventListener("click", stopShare);

  // --- leave -------------------------------------------------------------------------------
  $("leave").addEventListener("click", () => {
    state.closedForGood = true;
    send("leave", {});
    sessionStorage.removeItem("wp-token-" + sid);
    setTimeout(() => location.assign("/watchparty/"), 200);
  });

  // --- messages from the server ------------------------------------------------------------
  const handlers = {
    session_state(p) {
      state.me = p.you;
      state.hostId = p.session.host_id;
      state.participants = new Map(p.participants.map((x) => [x.user_id, x]));
      if (typeof p.server_time === "number" && state.bestRtt === Infinity) state.offset = p.server_time - Date.now();
      $("chat-log").replaceChildren();
      for (const c of p.chat) addChat(c);
      renderParticipants();
      scheduleRefresh(p.token_expires_at);
      applyPlayback(p.playback, true);
      if (isHost() && p.playback.source === "screen" && !state.sharing) {
        hostSendState({ source: "video", playing: false }); // the share did not survive a reload
      }
    },
    time_sync: onTimeSync,
    chat: addChat,
    chat_deleted(p) {
      const el = $("chat-log").querySelector(`[data-id="${CSS.escape(p.id)}"]`);
      if (el) el.remove();
    },
    user_joined(p) {
      state.participants.set(p.user_id, Object.assign(state.participants.get(p.user_id) || {}, p, { connected: true }));
      renderParticipants();
      addNotice(`${p.username} joined`);
      if (isHost() && state.sharing) offerTo(p.user_id);
    },
    user_left(p) {
      state.participants.delete(p.user_id);
      const pc = state.pcs.get(p.user_id);
      if (pc) { pc.close(); state.pcs.delete(p.user_id); }
      renderParticipants();
      addNotice(`${p.username} left`);
    },
    playback_state(p) {
      applyPlayback(p, false);
    },
    host_transfer(p) {
      const wasHost = isHost();
      state.hostId = p.host_id;
      if (wasHost && !isHost()) stopShare();
      renderParticipants();
      addNotice(`${p.username} is now the host`);
    },
    presence(p) {
      const row = state.participants.get(p.user_id);
      if (row) {
        row.connected = p.connected;
        renderParticipants();
      }
    },
    sync_report(p) {
      const row = state.participants.get(p.user_id);
      if (row) {
        row.drift = p.drift;
        row.connected = true;
        renderParticipants();
      }
    },
    webrtc_offer: onOffer,
    webrtc_answer: onAnswer,
    ice_candidate: onCandidate,
    webrtc_request(p, msg) {
      if (isHost() && state.sharing) offerTo(msg.user_id);
    },
    token_refresh(p) {
      scheduleRefresh(p.expires_at);
    },
    session_extended(p) {
      addNotice("The session was extended");
    },
    error(p) {
      setStatus(`${p.error}: ${p.message}`, "error");
    },
  };

  connect();
})();
