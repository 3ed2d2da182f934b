// The Avalon game viewer: shows one server-rendered step at a time (no framework, no inline JS).
// Without JavaScript every step stays visible, one under the other.
(function () {
  "use strict";
  var viewer = document.getElementById("viewer");
  if (!viewer) return;
  var steps = Array.prototype.slice.call(viewer.querySelectorAll(".av-step"));
  var controls = viewer.querySelector(".av-controls");
  var counter = viewer.querySelector("[data-testid=step-current]");
  if (!steps.length || !controls || !counter) return;
  var current = 0;

  function fromHash() {
    var match = /^#step-(\d+)$/.exec(window.location.hash);
    var n = match ? parseInt(match[1], 10) - 1 : 0;
    return n >= 0 && n < steps.length ? n : 0;
  }

  function show(index, updateHash) {
    current = Math.max(0, Math.min(steps.length - 1, index));
    steps.forEach(function (step, i) { step.hidden = i !== current; });
    counter.textContent = String(current + 1);
    controls.querySelectorAll("[data-step-go]").forEach(function (button) {
      var go = button.getAttribute("data-step-go");
      var atStart = current === 0, atEnd = current === steps.length - 1;
      button.disabled = ((go === "first" || go === "prev") && atStart) ||
        ((go === "next" || go === "last") && atEnd);
    });
    if (updateHash && window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "#step-" + (current + 1));
    }
  }

  var moves = {
    first: function () { return 0; },
    prev: function () { return current - 1; },
    next: function () { return current + 1; },
    last: function () { return steps.length - 1; }
  };
  controls.addEventListener("click", function (event) {
    var button = event.target.closest("[data-step-go]");
    if (button && moves[button.getAttribute("data-step-go")]) {
      show(moves[button.getAttribute("data-step-go")](), true);
    }
  });
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") return;
    if (event.key === "ArrowRight") show(current + 1, true);
    else if (event.key === "ArrowLeft") show(current - 1, true);
  });
  window.addEventListener("hashchange", function () { show(fromHash(), false); });
  controls.hidden = false;
  show(fromHash(), false);
})();
