// The session list, kept live by the multi-session socket's `sessions` messages.
(function () {
  "use strict";
  const card = document.getElementById("sessions-card");
  if (!card) return;
  const { api, wsUrl } = window.Lobby;
  const isAdmin = card.dataset.isAdmin === "1";
  const rows = document.getElementById("session-rows");

  function cell(content, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    if (content instanceof Node) td.appendChild(content); else td.textContent = content;
    return td;
  }

  function render(sessions) {
    rows.replaceChildren();
    if (!sessions.length) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = cell("No tmux sessions.", "muted");
      td.colSpan = 6;
      tr.appendChild(td);
      rows.appendChild(tr);
      return;
    }
    for (const s of sessions) {
      const tr = document.createElement("tr");
      tr.dataset.session = s.id;
      const a = document.createElement("a");
      a.href = "/terminals/s/" + encodeURIComponent(s.id);
      a.textContent = s.name;
      tr.appendChild(cell(a));
      tr.appendChild(cell(String(s.windows)));
      tr.appendChild(cell(s.attached === undefined ? "" : (s.attached ? "yes" : "no")));
      const until = s.claim ? new Date(s.claim.expiresAt).toLocaleTimeString() : "";
      tr.appendChild(cell(s.claim ? `${s.claim.userName} until ${until}` : "free", "claim"));
      tr.appendChild(cell(String(s.viewers || 0), "viewers"));
      if (isAdmin) {
        const b = document.createElement("button");
        b.className = "danger";
        b.dataset.kill = s.id;
        b.textContent = "Kill";
        tr.appendChild(cell(b));
      }
      rows.appendChild(tr);
    }
  }

  rows.addEventListener("click", async (ev) => {
    const name = ev.target.dataset && ev.target.dataset.kill;
    if (!name || !confirm("Kill session " + name + "?")) return;
    try { await api("DELETE", "/terminals/api/sessions/" + encodeURIComponent(name)); }
    catch (e) { alert(e.message); }
  });

  const form = document.getElementById("create-session");
  if (form) form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const err = document.getElementById("create-error");
    try {
      await api("POST", "/terminals/api/sessions", { name: form.elements.name.value });
      form.reset();
      err.textContent = "";
    } catch (e) { err.textContent = e.message; }
  });

  // Sessions made or killed outside Lobby reach the socket only while some session is watched;
  // a slow refresh covers the rest.
  setInterval(async () => {
    if (document.hidden) return;
    try { render((await api("GET", "/terminals/api/sessions")).sessions || []); } catch (e) { /* next time */ }
  }, 30000);

  let retry = 0;
  function connect() {
    const ws = new WebSocket(wsUrl("/terminals/ws"));
    const hb = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "heartbeat" }));
    }, 30000);
    ws.onopen = () => { retry = 0; card.dataset.live = "1"; };
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if (m.type === "sessions") render(m.sessions || []);
    };
    ws.onclose = (ev) => {
      clearInterval(hb);
      card.dataset.live = "0";
      if (ev.code === 4001) return;
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, Math.min(10000, 500 * 2 ** (retry - 1)));
    };
  }
  connect();
})();
