// Plays an asciicast v2 file in xterm.js: header line, then [time, "o", data] events.
(function () {
  "use strict";
  const app = document.getElementById("player-app");
  if (!app) return;
  const btn = document.getElementById("play-btn");
  const speedEl = document.getElementById("speed");
  const clock = document.getElementById("clock");
  const errorEl = document.getElementById("term-error");
  let header = null;
  let events = [];
  let term = null;
  let timer = null;
  let index = 0;
  let position = 0; // seconds of recording played
  let startedAt = 0;
  let playing = false;

  function ensureTerm() {
    if (term) term.dispose();
    term = new Terminal({ cols: header.width, rows: header.height, disableStdin: true, scrollback: 5000 });
    term.open(document.getElementById("terminal"));
    window.lobbyTerminal = term;
  }

  function tick() {
    const speed = parseFloat(speedEl.value) || 1;
    const now = position + ((performance.now() - startedAt) / 1000) * speed;
    while (index < events.length && events[index][0] <= now) {
      if (events[index][1] === "o") term.write(events[index][2]);
      index++;
    }
    clock.textContent = now.toFixed(1) + "s";
    if (index >= events.length) {
      playing = false;
      btn.textContent = "Replay";
      app.dataset.done = "1";
      return;
    }
    const wait = Math.max(0, (events[index][0] - now) / speed) * 1000;
    timer = setTimeout(tick, Math.min(wait, 250));
  }

  function play() {
    if (index >= events.length) { index = 0; position = 0; ensureTerm(); app.dataset.done = "0"; }
    playing = true;
    startedAt = performance.now();
    btn.textContent = "Pause";
    tick();
  }

  function pause() {
    const speed = parseFloat(speedEl.value) || 1;
    position += ((performance.now() - startedAt) / 1000) * speed;
    playing = false;
    clearTimeout(timer);
    btn.textContent = "Play";
  }

  btn.addEventListener("click", () => (playing ? pause() : play()));
  speedEl.addEventListener("change", () => { if (playing) { pause(); play(); } });

  fetch(app.dataset.cast, { credentials: "same-origin" })
    .then((r) => { if (!r.ok) throw new Error("Recording not available"); return r.text(); })
    .then((body) => {
      const lines = body.split("\n").filter((l) => l.trim());
      header = JSON.parse(lines[0]);
      events = [];
      for (const line of lines.slice(1)) {
        try { events.push(JSON.parse(line)); } catch (e) { /* a line cut by a live recording */ }
      }
      ensureTerm();
      app.dataset.ready = "1";
    })
    .catch((e) => { errorEl.textContent = e.message; });
})();
