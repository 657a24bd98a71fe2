// Highlight-to-comment: select words in a message and its comment box opens with them quoted.
// Without script the numbered "Comment on #N" boxes work as before.
(function () {
  "use strict";
  document.querySelectorAll("article.msg").forEach(function (message) {
    var text = message.querySelector(".msg-text");
    var box = message.querySelector("details.comment-box");
    if (!text || !box) { return; }
    function quote() {
      var selection = window.getSelection();
      var chosen = selection ? selection.toString().trim() : "";
      if (!chosen || !text.contains(selection.anchorNode)) { return; }
      box.open = true;
      var area = box.querySelector("textarea");
      if (area && !area.value) { area.value = "\u201c" + chosen.slice(0, 300) + "\u201d: "; }
      if (area) { area.focus(); area.setSelectionRange(area.value.length, area.value.length); }
    }
    // After the browser has settled the selection (a double click selects on its second press).
    function later() { window.setTimeout(quote, 0); }
    text.addEventListener("mouseup", later);
    text.addEventListener("dblclick", later);
    text.addEventListener("keyup", later);
  });
}());
