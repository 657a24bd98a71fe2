// Autosave for the scoring form. The page works without it (Save draft / Submit buttons);
// with it, changes are saved a moment after they are made. An explicit button press waits
// for any save in flight, so an older autosave can never land after it.
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = document.getElementById("autosave-status");
  var url = form.getAttribute("data-autosave-url");
  var token = form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var pending = null;
  var again = false;
  var submitting = false;

  function show(text, kind) {
    status.textContent = text;
    status.className = "autosave" + (kind ? " " + kind : "");
  }

  // The score so far, as the server computes it with the rubric's rules (docs/scoring.md).
  function running(body) {
    var shown = document.getElementById("running-score");
    if (!shown || body.total === undefined) { return; }
    var score = body.score === null ? "—" : Number(body.score).toFixed(1);
    shown.querySelector("strong").textContent = score;
    shown.querySelector(".muted").textContent = "(" + body.rated + " of " + body.total +
      " rated" + (body.critical_failures.length ? "; critical failure" : "") + ")";
  }

  function snapshot() {
    var data = new FormData(form);
    data.set("action", "autosave");
    return data;
  }

  function save() {
    timer = null;
    if (submitting) { return; }
    if (pending) { again = true; return; }
    pending = fetch(url, {
      method: "POST",
      body: snapshot(),
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": token }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (result.ok) {
        show("Draft saved " + result.body.saved_at_display, "saved");
        running(result.body);
      }
      else { show("Not saved: " + (result.body.problems || ["refused"]).join("; "), "error"); }
    }).catch(function () {
      show("Not saved: connection problem (use Save draft)", "error");
    }).then(function () {
      pending = null;
      if (again && !submitting) { again = false; schedule(); }
    });
  }

  function schedule() {
    show("Unsaved changes…", "");
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 1200);
  }

  form.addEventListener("input", function (event) {
    var name = event.target.name || "";
    if (name.indexOf("new-example-") === 0) { return; }
    schedule();
  });
  form.addEventListener("change", function (event) {
    if (event.target.type === "radio") { schedule(); }
  });
  form.addEventListener("submit", function (event) {
    if (timer) { clearTimeout(timer); timer = null; }
    if (pending && form.requestSubmit) {
      var submitter = event.submitter;
      event.preventDefault();
      pending.then(function () { form.requestSubmit(submitter); });
      return;
    }
    submitting = true;
  });
  window.addEventListener("pagehide", function () {
    if (timer && !submitting && navigator.sendBeacon) {
      clearTimeout(timer);
      navigator.sendBeacon(url, snapshot());
    }
  });
})();
