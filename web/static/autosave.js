// Autosave for the scoring form: the page works without it (Save draft / Submit buttons).
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  if (!form || !window.fetch) { return; }
  var status = document.getElementById("autosave-status");
  var url = form.getAttribute("data-autosave-url");
  var token = form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var inFlight = false;
  var again = false;

  function show(text, kind) {
    status.textContent = text;
    status.className = "autosave" + (kind ? " " + kind : "");
  }

  function save() {
    timer = null;
    if (inFlight) { again = true; return; }
    inFlight = true;
    var data = new FormData(form);
    data.set("action", "autosave");
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": token }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (result.ok) { show("Draft saved " + result.body.saved_at_display, "saved"); }
      else { show("Not saved: " + (result.body.problems || ["refused"]).join("; "), "error"); }
    }).catch(function () {
      show("Not saved: connection problem (use Save draft)", "error");
    }).then(function () {
      inFlight = false;
      if (again) { again = false; schedule(); }
    });
  }

  function schedule() {
    show("Unsaved changes…", "");
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, 1200);
  }

  form.addEventListener("input", function (event) {
    if (event.target.name && event.target.name.indexOf("new-example-") === 0) { return; }
    schedule();
  });
  form.addEventListener("change", function (event) {
    if (event.target.type === "radio") { schedule(); }
  });
  window.addEventListener("beforeunload", function () {
    if (timer) { clearTimeout(timer); save(); }
  });
})();
