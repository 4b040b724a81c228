// The zone question starts at the zone the browser reports: on the profile page it picks
// that zone in the list; on the question every page shows, it offers a one-click answer.
(function () {
  "use strict";
  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }
  function suggest() {
    var zone = browserZone();
    if (!zone) return;
    var form = document.querySelector("form[data-suggest-zone]");
    var select = form && form.querySelector("select[name=time_zone]");
    if (select) {
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === zone) { select.value = zone; break; }
      }
    }
    document.querySelectorAll("form[data-browser-zone]").forEach(function (question) {
      var input = question.querySelector("input[name=time_zone]");
      var button = question.querySelector("button");
      if (!input || !button) return;
      input.value = zone;
      button.textContent = "Use " + zone.replace(/_/g, " ");
      button.hidden = false;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", suggest);
  else suggest();
})();
