"use strict";
// /terminals/members/: confirm before removing a member; the new invite link selects itself.
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
});
document.querySelectorAll("[data-select-on-click]").forEach((input) => {
  input.addEventListener("click", () => input.select());
});
