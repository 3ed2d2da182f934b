// The "Client-Side Verification" code of proofplay-api.md, verbatim between the markers, run in
// node against a live server: node spec_verifier.mjs <API base URL> <game id>
const [API, gameId] = process.argv.slice(2);
let checks = 0;
let failures = 0;
console.assert = (condition, message) => {
  checks += 1;
  if (!condition) { failures += 1; console.error(message); }
};
function hexToBytes(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
  return bytes;
}
function bytesToHex(buffer) {
  return Array.from(new Uint8Array(buffer)).map((b) => b.toString(16).padStart(2, '0')).join('');
}
async function main() {
  // ---- begin: verbatim from the spec ----
// 1. Fetch verification data
const resp = await fetch(`${API}/games/${gameId}/verify`);
const data = await resp.json();

// 2. For each draw, verify hash
for (const draw of data.draws) {
  const seedBytes = hexToBytes(draw.seed);
  const hash = await crypto.subtle.digest('SHA-256', seedBytes);
  const computedHash = bytesToHex(hash);
  
  console.assert(computedHash === draw.seed_hash, 'Hash mismatch!');
}

// 3. Verify number derivation
const drawnSet = new Set();
for (const draw of data.draws) {
  const available = [];
  for (let n = 1; n <= 75; n++) {
    if (!drawnSet.has(n)) available.push(n);
  }
  
  const seedInt = parseInt(draw.seed.slice(0, 8), 16);
  const index = seedInt % available.length;
  const expected = available[index];
  
  console.assert(expected === draw.number, 'Number mismatch!');
  drawnSet.add(draw.number);
}
  // ---- end: verbatim from the spec ----
  console.log(JSON.stringify({ checks, failures, draws: data.draws.length }));
  process.exit(failures ? 1 : 0);
}
main().catch((err) => { console.error(err); process.exit(2); });
