"use strict";
// /bingo/print/<id>: the Print button.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
