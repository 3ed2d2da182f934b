// The create form (/watchparty/) and the join form (/watchparty/join/<id>).
(function () {
  "use strict";
  const api = window.WatchPartyAPI;

  function wire(form, url, buildBody) {
    const error = form.querySelector("[data-role=error]");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      error.textContent = "";
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const res = await api.post(url, buildBody(new FormData(form)));
        if (!res.ok) {
          error.textContent = api.describeError(res);
          return;
        }
        api.storeToken(res.data.id, res.data.token);
        window.location.assign("/watchparty/room/" + res.data.id);
      } catch (e) {
        error.textContent = "Network error: " + e.message;
      } finally {
        button.disabled = false;
      }
    });
  }

  const create = document.getElementById("create-form");
  if (create) {
    wire(create, "/watchparty/api/sessions/create", (f) => {
      const body = { name: f.get("name"), password: f.get("password") };
      if (f.get("display_name")) body.display_name = f.get("display_name");
      return body;
    });
  }
  const join = document.getElementById("join-form");
  if (join) {
    wire(join, "/watchparty/api/sessions/join", (f) => {
      const body = { session_id: join.dataset.sessionId, password: f.get("password") };
      if (f.get("display_name")) body.display_name = f.get("display_name");
      return body;
    });
  }
})();
