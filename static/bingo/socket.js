// A game socket that reconnects with backoff; the server re-sends the whole state on connect.
export function gameSocket(gameId, onMessage, onStatus, token = null) {
  let ws = null;
  let delay = 500;
  let closed = false;
  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = token ? `?token=${encodeURIComponent(token)}` : "";
    ws = new WebSocket(`${scheme}://${location.host}/bingo/ws/games/${gameId}${query}`);
    ws.onopen = () => { delay = 500; onStatus(true); };
    ws.onmessage = (event) => onMessage(JSON.parse(event.data));
    ws.onclose = () => {
      onStatus(false);
      if (!closed) setTimeout(open, delay);
      delay = Math.min(delay * 2, 8000);
    };
  }
  open();
  return {
    send(message) {
      if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(message)); return true; }
      return false;
    },
    close() { closed = true; if (ws) ws.close(); },
  };
}

export const LETTERS = "BINGO";
export function letterFor(n) { return LETTERS[Math.min(4, Math.floor((n - 1) / 15))]; }

// Browser guests: a ProofPlay session kept in this browser's storage (never a cookie).
const SESSION_KEY = "bingo.session";
const DEVICE_KEY = "bingo.device";
export function guestSession() { return localStorage.getItem(SESSION_KEY); }
export function deviceKey() {
  let key = localStorage.getItem(DEVICE_KEY);
  if (!key) {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    key = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(DEVICE_KEY, key);
  }
  return key;
}
export function storeGuestSession(id) { localStorage.setItem(SESSION_KEY, id); }
