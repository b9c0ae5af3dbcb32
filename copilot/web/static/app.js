// Keyboard shortcuts for the review path. The pages work without this file; it only saves keystrokes.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  // Worklist: j/k move the highlighted row, Enter opens it.
  function rowNav(table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
    var index = -1;
    function select(i) {
      if (!rows.length) return;
      if (index >= 0) rows[index].classList.remove("current");
      index = Math.max(0, Math.min(rows.length - 1, i));
      rows[index].classList.add("current");
      // The row's main link (the draft) opens on Enter, not the customer or reply links beside it.
      var link = rows[index].querySelector("a[data-open]") || rows[index].querySelector("a");
      if (link) link.focus();
    }
    return function (key) {
      if (key === "j") { select(index + 1); return true; }
      if (key === "k") { select(index - 1); return true; }
      return false;
    };
  }

  function clickKey(key) {
    var button = document.querySelector('button[data-key="' + key + '"]');
    if (!button) return false;
    if (key === "r") {
      var reason = document.getElementById("reason");
      if (reason && !reason.value) { reason.focus(); return true; }
    }
    button.click();
    return true;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var table = document.querySelector('[data-nav="rows"]');
    var nav = table ? rowNav(table) : null;
    var body = document.getElementById("body");

    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && typing(document.activeElement)) { document.activeElement.blur(); return; }
      // Ctrl/Cmd+Enter in the draft text approves and sends, the one shortcut that works while typing.
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && body && document.activeElement === body) {
        event.preventDefault();
        clickKey("a");
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || typing(document.activeElement)) return;
      var key = event.key;
      if (nav && nav(key)) { event.preventDefault(); return; }
      if (key === "e" && body) { event.preventDefault(); body.focus(); return; }
      var next = document.getElementById("next-draft");
      if (key === "n" && next) { window.location.href = next.getAttribute("href"); return; }
      if (["s", "a", "w", "f", "r"].indexOf(key) >= 0 && clickKey(key)) event.preventDefault();
    });
  });
})();
