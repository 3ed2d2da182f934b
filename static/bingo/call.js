import { gameSocket, letterFor } from "./socket.js";
import { ballLabel, boardMarker, initialDraws } from "./balls.js";

const gameId = document.getElementById("caller").dataset.game;
const $ = (id) => document.getElementById(id);
let draws = initialDraws();
let finished = false;
let timer = null;
let shownPlayers = $("joined").children.length;

const markBoard = boardMarker($("board"));

// Who joined: names come from the desk's own endpoint (the socket only says how many).
async function refreshPlayers(count) {
  if (count === shownPlayers) return;
  try {
    const r = await fetch(`/bingo/call/${gameId}/players`, { headers: { Accept: "application/json" } });
    if (!r.ok) return;
    const { players } = await r.json();
    shownPlayers = players.length;
    $("joined").replaceChildren(...players.map((p) => {
      const li = document.createElement("li"); li.textContent = p.name; return li;
    }));
    $("joined-heading").textContent = `${players.length} player${players.length === 1 ? "" : "s"} joined`;
  } catch { /* the next players message tries again */ }
}

function speak(n) {
  if (!$("voice").checked || !("speechSynthesis" in window)) return;
  const u = new SpeechSynthesisUtterance(`${letterFor(n)}, ${n}`);
  window.speechSynthesis.speak(u);
}

function render() {
  $("count").textContent = `${draws.length} of 75`;
  const last = draws[draws.length - 1];
  $("current").textContent = last ? ballLabel(last.number) : "–";
  $("last-five").replaceChildren(...draws.slice(-5).reverse().map((d) => {
    const b = document.createElement("span"); b.className = "ball"; b.textContent = ballLabel(d.number); return b;
  }));
  markBoard(draws);
  $("draw").disabled = finished || draws.length >= 75;
  $("end").disabled = finished;
  $("auto").disabled = finished;
  if (finished) stopAuto();
}

function stopAuto() { if (timer) { clearInterval(timer); timer = null; } $("auto").value = "0"; }

const socket = gameSocket(gameId, (m) => {
  if (m.type === "state") {
    draws = m.draws; finished = m.game.status === "finished";
    $("players").textContent = m.player_count; $("status").textContent = m.game.status;
    refreshPlayers(m.player_count);
    if (m.winner) $("winner").textContent = `Winner: ${m.winner.player} (${m.winner.card_id})`;
  } else if (m.type === "draw") {
    if (!draws.some((d) => d.sequence === m.sequence)) { draws.push(m); speak(m.number); }
    $("status").textContent = "active";
  } else if (m.type === "players") {
    $("players").textContent = m.player_count;
    refreshPlayers(m.player_count);
  } else if (m.type === "bingo") {
    $("winner").textContent = `Winner: ${m.player} (${m.card_id})`;
    const b = $("info-banner"); b.textContent = `Bingo! ${m.player}`; b.hidden = false;
  } else if (m.type === "ended") {
    finished = true; $("status").textContent = "finished";
  } else if (m.type === "error") {
    $("error").textContent = m.detail;
  }
  render();
}, (up) => { $("conn").classList.toggle("on", up); });

$("draw").addEventListener("click", () => { $("error").textContent = ""; socket.send({ type: "draw" }); });
$("end").addEventListener("click", () => {
  if (confirm("End the game? The secret is revealed and no more numbers can be drawn.")) socket.send({ type: "end" });
});
$("auto").addEventListener("change", () => {
  if (timer) { clearInterval(timer); timer = null; }
  const seconds = Number($("auto").value);
  if (seconds > 0) timer = setInterval(() => { if (!finished) socket.send({ type: "draw" }); }, seconds * 1000);
});
render();
