// Highlight a rubric gate whose rating disagrees with its policy's result while the reviewer
// rates (the same rule as review.findings.disagrees; the server decides again on save).
(function () {
  "use strict";
  function disagrees(rating, outcome) {
    if (!rating || !outcome) { return false; }
    if (outcome === "fail") { return rating !== "fail"; }
    if (outcome === "pass") { return rating === "fail"; }
    return false;
  }
  document.querySelectorAll(".gate[data-policy-outcome]").forEach(function (gate) {
    var criterion = gate.closest(".criterion");
    if (!criterion) { return; }
    var note = gate.querySelector(".gate-note");
    function update() {
      var chosen = criterion.querySelector("input[type=radio]:checked");
      var off = disagrees(chosen ? chosen.value : "", gate.dataset.policyOutcome);
      gate.classList.toggle("gate-disagrees", off);
      if (note) { note.hidden = !off; }
    }
    criterion.addEventListener("change", update);
  });
}());
