// Checks a game in the browser with WebCrypto, trusting nothing the server says about itself:
// hashes, number derivation, HMAC seeds once S is revealed, player entropy, the audit hash chain,
// and every RFC 3161 token of the local authority (imprint, messageDigest, ECDSA signature).
const root = document.getElementById("verifier");
const gameId = root.dataset.game;
const list = document.getElementById("checks");
const enc = new TextEncoder();
let passed = 0, failed = 0, skipped = 0;

function add(status, text) {
  const li = document.createElement("li");
  li.className = status; li.textContent = text; list.append(li);
  if (status === "pass") passed++; else if (status === "fail") failed++; else skipped++;
}
const check = (ok, text) => add(ok ? "pass" : "fail", text);
const hex = (buf) => Array.from(new Uint8Array(buf)).map((b) => b.toString(16).padStart(2, "0")).join("");
function unhex(h) { const b = new Uint8Array(h.length / 2); for (let i = 0; i < b.length; i++) b[i] = parseInt(h.substr(i * 2, 2), 16); return b; }
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const sha256 = async (bytes) => hex(await crypto.subtle.digest("SHA-256", bytes));
const concat = (...parts) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let o = 0; for (const p of parts) { out.set(p, o); o += p.length; } return out; };
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// --- minimal DER ---------------------------------------------------------------------------
function der(bytes, offset = 0) {
  const tag = bytes[offset]; let len = bytes[offset + 1]; let p = offset + 2;
  if (len & 0x80) { const n = len & 0x7f; len = 0; for (let i = 0; i < n; i++) len = len * 256 + bytes[p++]; }
  return { tag, start: offset, body: p, end: p + len, bytes };
}
function kids(node) { const out = []; let p = node.body; while (p < node.end) { const c = der(node.bytes, p); out.push(c); p = c.end; } return out; }
const inner = (node) => node.bytes.subarray(node.body, node.end);
const whole = (node) => node.bytes.subarray(node.start, node.end);
const MESSAGE_DIGEST = unhex("2a864886f70d010904");

function pemToDer(pem) { return b64(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "")); }
function rawSignature(sigDer) {
  const [r, s] = kids(der(sigDer)).map(inner);
  const fix = (x) => { let v = x; while (v.length > 32 && v[0] === 0) v = v.subarray(1); const o = new Uint8Array(32); o.set(v, 32 - v.length); return o; };
  return concat(fix(r), fix(s));
}

async function checkToken(tokenB64, digestHex, certDer, key) {
  const token = b64(tokenB64);
  const signedData = kids(kids(der(token))[1])[0];
  const parts = kids(signedData);
  const encap = kids(parts[2]);
  const tstDer = inner(kids(encap[1])[0]);
  const tst = kids(der(tstDer));
  const imprint = inner(kids(tst[2])[1]);
  if (hex(imprint) !== digestHex) return "the token stamps another digest";
  const certs = parts.find((p) => p.tag === 0xa0);
  if (!certs || !equal(whole(kids(certs)[0]), certDer)) return "signed by another certificate";
  const signerInfos = parts[parts.length - 1];
  const si = kids(kids(signerInfos)[0]);
  const attrsNode = si.find((p) => p.tag === 0xa0);
  const attrs = new Uint8Array(whole(attrsNode)); attrs[0] = 0x31;
  const md = kids(attrsNode).map(kids).find(([oid]) => equal(inner(oid), MESSAGE_DIGEST));
  if (!md || hex(inner(kids(md[1])[0])) !== await sha256(tstDer)) return "messageDigest does not match TSTInfo";
  const signature = inner(si[si.length - 1]);
  const ok = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, rawSignature(signature), attrs);
  return ok ? null : "bad signature";
}

async function importCert(certDer) {
  const tbs = kids(kids(der(certDer))[0]);
  const spki = whole(tbs[tbs[0].tag === 0xa0 ? 6 : 5]);
  return crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
}

async function run() {
  const data = await (await fetch(`/bingo/games/${gameId}/verify`)).json();
  const certDer = pemToDer(await (await fetch(data.tsa_certificate_url)).text());
  const key = await importCert(certDer);
  document.getElementById("summary-line").textContent =
    `${data.name} · ${data.status} · ${data.draws.length} draws · ${data.audit_entries.length} audit entries`;

  // audit chain
  let prev = "0".repeat(64), chainOk = true;
  for (const [i, e] of data.audit_entries.entries()) {
    if (e.seq !== i + 1 || e.prev_hash !== prev || await sha256(enc.encode(`${prev}\n${e.body}`)) !== e.hash) {
      chainOk = false; check(false, `audit chain broken at entry ${i + 1}`); break;
    }
    prev = e.hash;
  }
  if (chainOk) check(true, `audit hash chain (${data.audit_entries.length} entries)`);
  const bodies = data.audit_entries.map((e) => JSON.parse(e.body));
  // time-stamped chain heads (each draw's, the end's): entries they counted must still be there
  const hashes = data.audit_entries.map((e) => e.hash);
  const holds = (count, head) => (count === 0 ? head === "0".repeat(64) : count <= hashes.length && hashes[count - 1] === head);
  const create = bodies.find((b) => b.event === "create");
  check(create && create.commitment === data.commitment, "audit create entry holds the commitment");

  // commitment
  if (data.secret) {
    check(await sha256(unhex(data.secret)) === data.commitment, "commitment = SHA256(S) (S revealed)");
  } else add("skip", "S is revealed when the game ends: HMAC checks then");
  const ct = await checkToken(data.commitment_token, data.commitment, certDer, key);
  if (data.commitment_authority !== "lobby.local") add("skip", `commitment token by ${data.commitment_authority}`);
  else check(!ct, `commitment time-stamp token${ct ? ": " + ct : ""}`);

  // entropy from the joins before draw 1
  const seeds = [];
  for (const b of bodies) { if (b.event === "draw") break; if (b.event === "join" && b.client_seed) seeds.push(b.client_seed); }
  const parts = [];
  for (const s of seeds) parts.push(unhex(await sha256(enc.encode(s))));
  if (data.draws.length) check(hex(concat(...parts)) === data.entropy, `player entropy (${seeds.length} seed${seeds.length === 1 ? "" : "s"})`);

  const hmacKey = data.secret ? await crypto.subtle.importKey("raw", unhex(data.secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]) : null;
  const entropy = unhex(data.entropy || "");
  const drawn = new Set();
  const auditDraws = Object.fromEntries(bodies.filter((b) => b.event === "draw").map((b) => [b.sequence, b]));
  for (const [i, d] of data.draws.entries()) {
    const what = `draw ${d.sequence} (${d.number})`;
    const available = []; for (let n = 1; n <= 75; n++) if (!drawn.has(n)) available.push(n);
    const expected = available[parseInt(d.seed.slice(0, 8), 16) % available.length];
    let problems = [];
    if (d.sequence !== i + 1) problems.push("sequence");
    if (await sha256(unhex(d.seed)) !== d.seed_hash) problems.push("seed_hash");
    if (expected !== d.number) problems.push(`number (expected ${expected})`);
    if (!d.anchor_id.endsWith("_" + d.seed_hash.slice(0, 8))) problems.push("anchor_id");
    if (hmacKey) {
      const seq = new Uint8Array([0, 0, d.sequence >> 8, d.sequence & 255]);
      if (hex(await crypto.subtle.sign("HMAC", hmacKey, concat(entropy, seq))) !== d.seed) problems.push("HMAC seed");
    }
    const a = auditDraws[d.sequence];
    if (!a || a.number !== d.number || a.seed_hash !== d.seed_hash || a.token_sha256 !== await sha256(b64(d.token))) problems.push("audit entry");
    const anchored = d.chain_count !== null && d.chain_count !== undefined;
    const stamped = anchored ? await sha256(enc.encode(`proofplay-draw/1\n${data.game_id}\n${d.sequence}\n${d.seed_hash}\n${d.chain_count}\n${d.chain_head}`)) : d.seed_hash;
    if (anchored && !holds(d.chain_count, d.chain_head)) problems.push(`chain anchor (entry ${d.chain_count} missing or changed)`);
    if (d.authority === "lobby.local") { const t = await checkToken(d.token, stamped, certDer, key); if (t) problems.push("token: " + t); }
    else add("skip", `${what}: token by ${d.authority} (check it with its CA)`);
    check(problems.length === 0, `${what}: hash, derivation${hmacKey ? ", HMAC" : ""}, anchor, audit, token${problems.length ? " — FAILED: " + problems.join(", ") : ""}`);
    drawn.add(d.number);
  }
  const f = data.final_anchor;
  if (f) {
    const problems = [];
    if (!holds(f.chain_count, f.chain_head)) problems.push(`entry ${f.chain_count} missing or changed (the chain has ${hashes.length})`);
    const stamped = await sha256(enc.encode(`proofplay-end/1\n${data.game_id}\n${f.chain_count}\n${f.chain_head}`));
    if (f.authority === "lobby.local") { const t = await checkToken(f.token, stamped, certDer, key); if (t) problems.push("token: " + t); }
    else add("skip", `end anchor: token by ${f.authority} (check it with its CA)`);
    check(problems.length === 0, `the end's time-stamped chain head (${f.chain_count} entries)${problems.length ? " — FAILED: " + problems.join(", ") : ""}`);
  } else if (data.status === "finished" && data.draws.some((d) => d.chain_count !== null && d.chain_count !== undefined)) {
    check(false, "the game's end is not anchored by a time stamp");
  }
  const summary = document.getElementById("verify-summary");
  summary.textContent = failed ? `${failed} checks failed` : `All ${passed} checks passed` + (skipped ? ` (${skipped} skipped)` : "");
  summary.className = failed ? "banner error" : "banner";
  summary.hidden = false;
}
run().catch((err) => { add("fail", `could not verify: ${err}`); const s = document.getElementById("verify-summary"); s.textContent = "Verification failed"; s.className = "banner error"; s.hidden = false; });
