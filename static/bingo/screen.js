// The big-screen call display: the last ball, the recent calls and the 75-board, live.
import { gameSocket } from "./socket.js";
import { ballLabel, boardMarker, initialDraws } from "./balls.js";

const $ = (id) => document.getElementById(id);
const gameId = $("screen").dataset.game;
const markBoard = boardMarker($("board"));
let draws = initialDraws();

function render() {
  const last = draws[draws.length - 1];
  $("screen-ball").textContent = last ? ballLabel(last.number) : "–";
  $("screen-count").textContent = `${draws.length} of 75`;
  $("screen-recent").replaceChildren(...draws.slice(-6, -1).reverse().map((d) => {
    const b = document.createElement("span"); b.className = "ball"; b.textContent = ballLabel(d.number); return b;
  }));
  markBoard(draws);
}

gameSocket(gameId, (m) => {
  if (m.type === "state") {
    draws = m.draws;
    $("screen-winner").textContent = m.winner ? `Bingo! ${m.winner.player}` : "";
    $("screen-status").textContent = m.game.status === "finished" ? "The game is over." : "";
  } else if (m.type === "draw") {
    if (!draws.some((d) => d.sequence === m.sequence)) draws.push(m);
  } else if (m.type === "bingo") {
    $("screen-winner").textContent = `Bingo! ${m.player}`;
  } else if (m.type === "ended") {
    $("screen-status").textContent = "The game is over.";
  }
  render();
}, (up) => { $("conn").classList.toggle("on", up); });
render();
