// The site menu on narrow screens: the ☰ button shows and hides the navigation.
// Loaded from a static file (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  const button = document.getElementById("menu-toggle");
  const menu = document.getElementById("site-menu");
  if (!button || !menu) return;
  function set(open) {
    menu.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  button.addEventListener("click", () => set(!menu.classList.contains("open")));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && menu.classList.contains("open")) { set(false); button.focus(); }
  });
})();
