import { gameSocket, letterFor } from "./socket.js";

const root = document.getElementById("player");
const gameId = root.dataset.game;
const card = JSON.parse(document.getElementById("card-data").textContent);
const cells = [...document.querySelectorAll(".bingo-card .cell")];
const called = new Set();
let marked = card.marked;
let finished = false;

function $(id) { return document.getElementById(id); }

function render() {
  cells.forEach((cell) => {
    const r = Number(cell.dataset.row), c = Number(cell.dataset.col);
    const n = card.numbers[r][c];
    cell.classList.toggle("marked", marked[r][c]);
    cell.classList.toggle("called", n !== 0 && called.has(n) && !marked[r][c]);
  });
  const calls = [...called];
  $("called-count").textContent = `${calls.length} of 75`;
}

function showCalls(draws) {
  const list = $("calls");
  list.replaceChildren(...draws.slice().reverse().map((d) => {
    const ball = document.createElement("span");
    ball.className = "ball";
    ball.textContent = d.number;
    ball.title = `${letterFor(d.number)}-${d.number} (#${d.sequence})`;
    return ball;
  }));
  const last = draws[draws.length - 1];
  $("last-call").textContent = last ? `${letterFor(last.number)} ${last.number}` : "—";
}

let draws = [];
function bingoBanner(text) { const b = $("bingo-banner"); b.textContent = text; b.hidden = false; }

const socket = gameSocket(gameId, (m) => {
  if (m.type === "state") {
    draws = m.draws;
    called.clear(); draws.forEach((d) => called.add(d.number));
    if (m.card) { marked = m.card.marked; if (m.card.bingo) bingoBanner("Bingo!"); }
    $("players").textContent = m.player_count;
    $("status").textContent = m.game.status;
    finished = m.game.status === "finished";
    if (m.winner) $("winner").textContent = `Winner: ${m.winner.player}`;
    showCalls(draws);
  } else if (m.type === "draw") {
    if (!called.has(m.number)) { draws.push(m); called.add(m.number); showCalls(draws); }
    $("status").textContent = "active";
  } else if (m.type === "players") {
    $("players").textContent = m.player_count;
  } else if (m.type === "marked" || m.type === "card") {
    marked = m.marked;
    if (m.bingo) bingoBanner("Bingo!");
  } else if (m.type === "bingo") {
    $("winner").textContent = `Winner: ${m.player}`;
    if (m.card_id !== card.card_id) {
      const b = $("info-banner"); b.textContent = `${m.player} called Bingo!`; b.hidden = false;
    }
  } else if (m.type === "ended") {
    finished = true;
    $("status").textContent = "finished";
    const b = $("info-banner"); b.textContent = "The game is over."; b.hidden = false;
  } else if (m.type === "error") {
    $("error").textContent = m.detail;
    setTimeout(() => { $("error").textContent = ""; }, 4000);
  }
  render();
}, (up) => { $("conn").classList.toggle("on", up); $("conn").title = up ? "live" : "reconnecting"; });

cells.forEach((cell) => cell.addEventListener("click", () => {
  const r = Number(cell.dataset.row), c = Number(cell.dataset.col);
  const n = card.numbers[r][c];
  if (marked[r][c] || finished) return;
  if (!called.has(n)) { $("error").textContent = `${n} has not been called yet`; return; }
  socket.send({ type: "mark", row: r, col: c });
}));
render();
