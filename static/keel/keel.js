// Keel's own script: small enhancements; every page works without it.
(function () {
  "use strict";

  // Running durations ("since start") keep counting, in the server's format.
  function format(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var days = Math.floor(seconds / 86400), hours = Math.floor((seconds % 86400) / 3600);
    var minutes = Math.floor((seconds % 3600) / 60), secs = seconds % 60;
    if (days) return days + "d " + hours + "h";
    if (hours) return hours + "h " + minutes + "m";
    if (minutes) return minutes + "m " + secs + "s";
    return secs + "s";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-running-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-running-since"));
      if (!isNaN(since)) el.textContent = format((now - since) / 1000);
    });
  }
  setInterval(tick, 1000);

  // A form sent once is not sent twice by a double click: its submit buttons rest until
  // the next page (or for a few seconds, for forms that HTMX sends in place).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    var buttons = form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
    setTimeout(function () {
      buttons.forEach(function (b) { b.disabled = true; });
      setTimeout(function () { buttons.forEach(function (b) { b.disabled = false; }); }, 4000);
    }, 0);
  });

  // A polling region (hx-trigger="every ...") is not redrawn while the focus is inside it:
  // the swap would take away the focus or a half-typed form. Done here rather than as an
  // htmx trigger filter, which htmx evaluates as script and the Content-Security-Policy
  // refuses.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.getAttribute) return;
    var trigger = (elt.getAttribute("hx-trigger") || "").trim();
    if (trigger.indexOf("every ") === 0 && elt.contains(document.activeElement)) {
      event.preventDefault();
    }
  });

  // Buttons that copy a field's text (the webhook URL and token of an integration).
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("button.copy[data-copy]") : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; });
  });

  // Print buttons (the handoff page).
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (button) window.print();
  });
})();
