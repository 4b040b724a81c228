// Autosave that never hides a failure: what is typed is kept in this browser until the
// server has it, a failed save says so at once and is retried, and leaving the page with
// unsaved text asks first. Works on any <textarea data-autosave="key"> that HTMX posts
// (its hx-trigger includes "keel-retry") with a status element named by data-autosave-state.
(function () {
  "use strict";
  var PREFIX = "keel:autosave:";
  var MAX_DELAY = 60000;

  function store(el) { return PREFIX + el.getAttribute("data-autosave"); }
  function stateOf(el) { return document.getElementById(el.getAttribute("data-autosave-state")); }
  function revisionOf(el) {
    var form = el.closest("form");
    return form ? form.querySelector("[name=base_revision]") : null;
  }
  function keep(el) {
    var rev = revisionOf(el);
    try {
      var kept = JSON.parse(localStorage.getItem(store(el)) || "null");
      // The revision the text was written over stays the first one, so a save after a
      // reload still meets another person's newer text as a conflict, not over it.
      var base = kept && kept.base !== undefined ? kept.base : rev ? rev.value : "";
      localStorage.setItem(store(el), JSON.stringify({ body: el.value, base: base }));
      el._keelKept = true;
    } catch (e) {
      el._keelKept = false;  // storage full or disabled: the warnings say so
    }
  }
  // Forget the kept copy only if it is the text the server now has (another tab may
  // have kept newer text under the same name).
  function forget(el, saved) {
    try {
      var kept = JSON.parse(localStorage.getItem(store(el)) || "null");
      if (!kept || saved === undefined || kept.body === saved) localStorage.removeItem(store(el));
    } catch (e) { /* nothing kept */ }
  }
  function rebase(el) {
    var rev = revisionOf(el);
    try {
      var kept = JSON.parse(localStorage.getItem(store(el)) || "null");
      if (kept && rev) {
        kept.base = rev.value;
        localStorage.setItem(store(el), JSON.stringify(kept));
      }
    } catch (e) { /* nothing kept */ }
  }
  function say(el, text, state) {
    var box = stateOf(el);
    if (!box) return;
    var p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    p.setAttribute("data-state", state);
    p.textContent = text;
    box.replaceChildren(p);
  }

  function keptText(el) {
    return el._keelKept === false
      ? " This browser could not keep a copy: do not leave the page."
      : " Your text is kept in this browser.";
  }

  var dirty = new Set();

  function retryLater(el, why) {
    el._keelDelay = Math.min((el._keelDelay || 1000) * 2, MAX_DELAY);
    clearTimeout(el._keelTimer);
    var seconds = Math.round(el._keelDelay / 1000);
    say(el, "Not saved — retrying in " + seconds + " s (" + why + ")." + keptText(el), "unsaved");
    el._keelTimer = setTimeout(function () { retry(el); }, el._keelDelay);
  }
  function retry(el) {
    clearTimeout(el._keelTimer);
    if (dirty.has(el) && window.htmx) window.htmx.trigger(el, "keel-retry");
  }

  function fields() { return document.querySelectorAll("textarea[data-autosave]"); }

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (!(el instanceof HTMLTextAreaElement) || !el.hasAttribute("data-autosave")) return;
    dirty.add(el);
    keep(el);
  });

  // How many bytes the form post of this text takes (as the browser encodes it).
  function encodedSize(text) {
    return encodeURIComponent(text).replace(/%20/g, "+").length;
  }
  function megabytes(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var el = event.detail.elt;
    if (!el || !el.hasAttribute || !el.hasAttribute("data-autosave")) return;
    var limit = parseInt(el.getAttribute("data-autosave-limit") || "", 10);
    // Room for the form's other fields (token, revision) within the limit.
    if (limit > 0 && encodedSize(el.value) > limit - 1024) {
      event.preventDefault();
      clearTimeout(el._keelTimer);
      say(el, "Not saved — the text is too large (" + megabytes(encodedSize(el.value)) +
        "; Keel takes up to " + megabytes(limit - 1024) + "). Shorten it to save it." + keptText(el),
        "unsaved");
      return;
    }
    el._keelSent = el.value;
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var el = event.detail.elt;
    if (!el || !el.hasAttribute || !el.hasAttribute("data-autosave")) return;
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    if (status >= 200 && status < 300) {
      var text = xhr.responseText || "";
      if (text.indexOf('data-state="saved"') !== -1) {
        el._keelDelay = 0;
        if (el.value === el._keelSent) {
          dirty.delete(el);
          forget(el, el._keelSent);
        } else {
          rebase(el);  // typed on meanwhile: the kept text now stands on the new revision
        }
      }
      // A conflict or a refusal is shown by the server's answer; the text stays kept
      // here (and leaving still asks) until the person resolves it.
      return;
    }
    if (status === 0) retryLater(el, navigator.onLine === false ? "offline" : "no answer from Keel");
    else if (status === 413) retryLater(el, "the text is too large for Keel to take");
    else if (status >= 500) retryLater(el, "server error " + status);
    else retryLater(el, "Keel refused the save (" + status + ")");
  });

  window.addEventListener("online", function () {
    dirty.forEach(function (el) { el._keelDelay = 0; retry(el); });
  });

  window.addEventListener("beforeunload", function (event) {
    if (!dirty.size) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // Text kept from an earlier visit that the server never got comes back and is saved.
  function restore() {
    fields().forEach(function (el) {
      var kept;
      try { kept = JSON.parse(localStorage.getItem(store(el)) || "null"); } catch (e) { kept = null; }
      if (!kept || typeof kept.body !== "string") return;
      if (kept.body === el.value) { forget(el); return; }
      el.value = kept.body;
      var rev = revisionOf(el);
      if (rev && kept.base !== undefined && kept.base !== "") rev.value = kept.base;
      dirty.add(el);
      say(el, "Not saved yet — restored your unsaved text from this browser; saving…", "unsaved");
      setTimeout(function () { retry(el); }, 0);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", restore);
  else restore();
})();
