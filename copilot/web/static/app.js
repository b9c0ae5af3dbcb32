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
      var link = rows[index].querySelector("a");
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

  // Unsaved edits: the draft's subject and message differ from what the page was loaded with.
  function edited() {
    var fields = [document.getElementById("subject"), document.getElementById("body")];
    return fields.some(function (f) { return f && !f.readOnly && f.value !== f.defaultValue; });
  }

  var leaving = false;  // set once the person has agreed to leave (or is saving), so the browser does not ask again

  function mayLeave(question) {
    if (leaving || !edited()) return true;
    if (!window.confirm(question)) return false;
    leaving = true;
    return true;
  }

  function guardEdits() {
    window.addEventListener("beforeunload", function (event) {
      if (leaving || !edited()) return;
      event.preventDefault();
      event.returnValue = "";  // older browsers need a value to show their prompt
    });
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      form.addEventListener("submit", function (event) {
        if (form.classList.contains("regenerate")) {
          var replace = form.querySelector('input[name="replace_edits"]');
          var saved = replace && !replace.checked;
          if (saved || edited()) {
            if (!window.confirm("Rewriting replaces your edits to this draft. Rewrite anyway?")) {
              event.preventDefault();
              return;
            }
            if (replace) replace.checked = true;
          }
        }
        leaving = true;  // saving, sending, rejecting or rewriting: the edits are either sent along or meant to go
      });
    });
  }

  // A held send counts down on the page; when its time is up the banner goes (the send happens on the server).
  function countdowns() {
    Array.prototype.forEach.call(document.querySelectorAll(".flash.held[data-seconds]"), function (banner) {
      var left = parseInt(banner.getAttribute("data-seconds"), 10);
      var label = banner.querySelector(".countdown");
      var timer = window.setInterval(function () {
        left -= 1;
        if (left <= 0) {
          window.clearInterval(timer);
          label.textContent = "now";
          banner.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
          return;
        }
        label.textContent = "in " + left + " second" + (left === 1 ? "" : "s");
      }, 1000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var table = document.querySelector('[data-nav="rows"]');
    var nav = table ? rowNav(table) : null;
    var body = document.getElementById("body");
    guardEdits();
    countdowns();

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
      if (key === "n" && next) {
        if (mayLeave("Leave this draft? Your unsaved edits will be lost.")) window.location.href = next.getAttribute("href");
        return;
      }
      if (["s", "a", "w", "f", "r"].indexOf(key) >= 0 && clickKey(key)) event.preventDefault();
    });
  });
})();
