import { gameSocket, guestSession } from "./socket.js";
import { ballLabel, boardMarker } from "./balls.js";

const root = document.getElementById("player");
const gameId = root.dataset.game;
const $ = (id) => document.getElementById(id);
const dataNode = document.getElementById("card-data");
let card = dataNode ? JSON.parse(dataNode.textContent) : null;
// A browser guest (not signed in) plays with the ProofPlay session the join form created.
const token = root.dataset.guest ? guestSession() : null;
if (root.dataset.guest && !token) location.replace(`/bingo/?game=${gameId}`);
let cells = [];
const markBoard = boardMarker(document.getElementById("board"));
const called = new Set();
let marked = card ? card.marked : null;
let finished = false;
let draws = [];

function buildCard() {
  const grid = $("card");
  cells = [];
  for (let r = 0; r < 5; r++) {
    for (let c = 0; c < 5; c++) {
      const n = card.numbers[r][c];
      const cell = document.createElement("button");
      cell.className = n === 0 ? "cell free" : "cell";
      cell.textContent = n === 0 ? "FREE" : n;
      Object.assign(cell.dataset, { row: r, col: c, number: n, testid: `cell-${r}-${c}` });
      cell.addEventListener("click", () => mark(r, c));
      grid.append(cell);
      cells.push(cell);
    }
  }
}

function render() {
  if (!card) return;
  cells.forEach((cell) => {
    const r = Number(cell.dataset.row), c = Number(cell.dataset.col);
    const n = card.numbers[r][c];
    cell.classList.toggle("marked", marked[r][c]);
    cell.classList.toggle("called", n !== 0 && called.has(n) && !marked[r][c]);
  });
  $("called-count").textContent = `${called.size} of 75`;
}

function showCalls() {
  $("calls").replaceChildren(...draws.slice().reverse().map((d) => {
    const ball = document.createElement("span");
    ball.className = "ball";
    ball.textContent = ballLabel(d.number);
    ball.title = `${ballLabel(d.number)} (#${d.sequence})`;
    return ball;
  }));
  const last = draws[draws.length - 1];
  $("last-call").textContent = last ? ballLabel(last.number) : "—";
  markBoard(draws);
}

// One error line under the card: it clears on the next successful mark (or after a while,
// for the server's errors), never stays for the rest of the game.
let errorTimer = null;
function showError(text, ms) {
  clearTimeout(errorTimer);
  $("error").textContent = text;
  if (ms) errorTimer = setTimeout(clearError, ms);
}
function clearError() { clearTimeout(errorTimer); $("error").textContent = ""; }

function banner(id, text) { const b = $(id); b.textContent = text; b.hidden = false; }

const socket = gameSocket(gameId, (m) => {
  if (m.type === "state") {
    draws = m.draws;
    called.clear(); draws.forEach((d) => called.add(d.number));
    if (m.card) {
      if (!card) { card = m.card; buildCard(); }
      marked = m.card.marked;
      if (m.card.bingo) banner("bingo-banner", "Bingo!");
    } else if (!card) {
      location.replace(`/bingo/?game=${gameId}`);  // no card in this game (yet)
      return;
    }
    $("players").textContent = m.player_count;
    $("status").textContent = m.game.status;
    finished = m.game.status === "finished";
    if (m.winner) $("winner").textContent = `Winner: ${m.winner.player}`;
    showCalls();
  } else if (m.type === "draw") {
    if (!called.has(m.number)) { draws.push(m); called.add(m.number); showCalls(); }
    $("status").textContent = "active";
  } else if (m.type === "players") {
    $("players").textContent = m.player_count;
  } else if (m.type === "marked" || m.type === "card") {
    marked = m.marked;
    clearError();
    if (m.bingo) banner("bingo-banner", "Bingo!");
  } else if (m.type === "bingo") {
    $("winner").textContent = `Winner: ${m.player}`;
    if (!card || m.card_id !== card.card_id) banner("info-banner", `${m.player} called Bingo!`);
  } else if (m.type === "ended") {
    finished = true;
    $("status").textContent = "finished";
    banner("info-banner", "The game is over.");
  } else if (m.type === "error") {
    showError(m.detail, 6000);
  }
  render();
}, (up) => { $("conn").classList.toggle("on", up); $("conn").title = up ? "live" : "reconnecting"; }, token);

function mark(r, c) {
  const n = card.numbers[r][c];
  if (marked[r][c] || finished) return;
  if (!called.has(n)) { showError(`${n} has not been called yet`, 6000); return; }
  clearError();
  socket.send({ type: "mark", row: r, col: c });
}

if (card) { buildCard(); render(); }
