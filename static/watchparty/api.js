// Shared by the create and join pages: POST JSON to the WatchParty API, keep the room token.
(function () {
  "use strict";

  function csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  async function post(url, body, token) {
    const headers = { "Content-Type": "application/json", "X-CSRFToken": csrfToken() };
    if (token) headers.Authorization = "Bearer " + token;
    const r = await fetch(url, {
      method: "POST",
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = {};
    try { data = await r.json(); } catch (e) { data = {}; }
    return { ok: r.ok, status: r.status, data, headers: r.headers };
  }

  function describeError(res) {
    const d = res.data || {};
    const parts = [d.message || d.error || "Request failed (" + res.status + ")"];
    if (d.details) for (const k of Object.keys(d.details)) parts.push(d.details[k]);
    return parts.filter((v, i, a) => a.indexOf(v) === i).join(" · ");
  }

  function storeToken(sessionId, token) {
    sessionStorage.setItem("wp-token-" + sessionId, token);
  }

  function loadToken(sessionId) {
    return sessionStorage.getItem("wp-token-" + sessionId);
  }

  window.WatchPartyAPI = { post, describeError, storeToken, loadToken, csrfToken };
})();
