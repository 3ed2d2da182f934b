// Ball labels and the 75-board shared by the caller's desk and the big screen.
export const LETTERS = "BINGO";

// 15 -> "B15": B 1-15, I 16-30, N 31-45, G 46-60, O 61-75 (anything else: its text).
export function ballLabel(n) {
  const k = Number(n);
  if (!Number.isInteger(k) || k < 1 || k > 75) return String(n);
  return `${LETTERS[Math.floor((k - 1) / 15)]}${k}`;
}

// The server renders the board (bingo/_board.html); this marks its cells for the draws so far.
export function boardMarker(board) {
  const cells = {};
  board.querySelectorAll("[data-n]").forEach((c) => { cells[c.dataset.n] = c; });
  return (draws) => {
    const on = new Set(draws.map((d) => String(d.number)));
    Object.entries(cells).forEach(([n, c]) => c.classList.toggle("on", on.has(n)));
  };
}

// The draws the page was rendered with (a json_script data block, never executed).
export function initialDraws() {
  const el = document.getElementById("draws-data");
  return el ? JSON.parse(el.textContent) : [];
}
