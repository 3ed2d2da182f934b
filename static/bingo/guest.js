// Joining without an account: a ProofPlay session for this browser (email + a random device
// key kept in localStorage), then the join call; the card page then plays over the socket.
import { deviceKey, guestSession, storeGuestSession } from "./socket.js";

const form = document.getElementById("guest-form");
const error = document.getElementById("guest-error");
const field = (name) => form.elements[name].value.trim();

async function post(path, body, session) {
  const headers = { "Content-Type": "application/json" };
  if (session) headers["X-Session-Id"] = session;
  const response = await fetch(path, { method: "POST", headers, body: JSON.stringify(body), credentials: "omit" });
  const data = await response.json().catch(() => ({ detail: `HTTP ${response.status}` }));
  return { ok: response.ok, status: response.status, data };
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  const gameId = field("game_id").toLowerCase();
  let session = guestSession();
  const email = field("email");
  if (!session || localStorage.getItem("bingo.email") !== email) {
    const created = await post("/bingo/auth/session", { email, device_key_hash: deviceKey() });
    if (!created.ok) { error.textContent = created.data.detail; return; }
    session = created.data.session_id;
    storeGuestSession(session);
    localStorage.setItem("bingo.email", email);
  }
  const body = { pin: field("pin") };
  if (field("client_seed")) body.client_seed = field("client_seed");
  let joined = await post(`/bingo/games/${encodeURIComponent(gameId)}/join`, body, session);
  if (joined.status === 401) {  // the stored session expired: make a new one and retry once
    const created = await post("/bingo/auth/session", { email, device_key_hash: deviceKey() });
    if (!created.ok) { error.textContent = created.data.detail; return; }
    storeGuestSession(created.data.session_id);
    joined = await post(`/bingo/games/${encodeURIComponent(gameId)}/join`, body, created.data.session_id);
  }
  if (!joined.ok) { error.textContent = joined.data.detail; return; }
  location.assign(`/bingo/play/${gameId}`);
});
