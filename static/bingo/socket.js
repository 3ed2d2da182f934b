// A game socket that reconnects with backoff; the server re-sends the whole state on connect.
export function gameSocket(gameId, onMessage, onStatus) {
  let ws = null;
  let delay = 500;
  let closed = false;
  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${scheme}://${location.host}/bingo/ws/games/${gameId}`);
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
