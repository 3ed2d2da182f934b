"use strict";
// The "Copy link" buttons of /invites/.
document.querySelectorAll("[data-testid=copy]").forEach((button) => {
  button.addEventListener("click", async () => {
    const link = button.dataset.link;
    try {
      await navigator.clipboard.writeText(link);
      button.textContent = "Copied!";
    } catch (err) {
      window.prompt("Copy this link:", link);
    }
  });
});
