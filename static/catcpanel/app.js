// catcpanel: toasts for htmx outcomes, the server filter, and small form helpers.
// No inline script anywhere (CSP), so everything lives here.
(function () {
  "use strict";

  function toast(text, kind) {
    const box = document.getElementById("toasts");
    if (!box || !text) return;
    const item = document.createElement("div");
    item.className = "toast toast-" + (kind || "info");
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    item.textContent = text;
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, kind === "error" ? 12000 : 6000);
  }
  window.catcpanel = { toast: toast };

  // Server-sent toasts: HX-Trigger: {"toast": {"kind": "success"|"error", "text": "..."}}.
  document.addEventListener("toast", function (event) {
    const detail = event.detail || {};
    toast(detail.text || detail.value, detail.kind);
  });

  // Toasts rendered with the page (after a redirect) fade like the others.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts .toast").forEach(function (item) {
      setTimeout(function () { item.remove(); }, item.classList.contains("toast-error") ? 12000 : 6000);
    });
    applyFilter();
  });

  // htmx 2 does not swap 4xx/5xx: say what happened instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    const xhr = event.detail.xhr;
    if (xhr.getResponseHeader("HX-Trigger")) return; // the server already sent its own toast
    const text = xhr.getResponseHeader("X-Catcpanel-Message") ||
      (xhr.status === 403 ? "You are not allowed to do that." :
       xhr.status === 404 ? "Not found: it may have been deleted." :
       "Something went wrong (HTTP " + xhr.status + ").");
    toast(text, "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The panel could not be reached. Check your connection.", "error");
  });
  document.addEventListener("htmx:timeout", function () {
    toast("The panel took too long to answer.", "error");
  });

  // A refresh (poll or account event) must not wipe an inline form the user is typing in: skip it,
  // the next one after Save or Cancel brings the page up to date.
  document.addEventListener("htmx:beforeRequest", function (event) {
    const detail = event.detail || {};
    const verb = (detail.requestConfig && detail.requestConfig.verb) || "";
    const target = detail.target;
    if (verb !== "get" || !target || !target.querySelector) return;
    const openForm = target.querySelector(".inline-form");
    if (openForm && !openForm.closest(".inline-edit").contains(detail.elt)) event.preventDefault();
  });

  // A hidden tab does not poll (htmx's trigger filters need eval, which the CSP forbids): its
  // "every" requests are dropped while the tab is hidden; the next tick after it is shown refreshes.
  function isPoll(elt) {
    const trigger = (elt && elt.getAttribute && elt.getAttribute("hx-trigger")) || "";
    return trigger.indexOf("every ") !== -1;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (document.hidden && isPoll(event.detail && event.detail.elt)) event.preventDefault();
  });

  // The filter narrows every loaded server list without another request.
  function applyFilter() {
    const input = document.getElementById("server-filter");
    if (!input) return;
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    let rows = 0;
    document.querySelectorAll(".server-row").forEach(function (row) {
      const haystack = (row.getAttribute("data-search") || "").toLowerCase();
      const match = words.every(function (word) { return haystack.indexOf(word) !== -1; });
      row.hidden = !match;
      rows += 1;
      if (match) shown += 1;
    });
    const empty = document.getElementById("filter-empty");
    if (empty) empty.hidden = !(words.length && rows && !shown);
  }
  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === "server-filter") applyFilter();
  });
  document.addEventListener("htmx:afterSwap", applyFilter);

  // "/" focuses the filter, unless the user is typing somewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
    const input = document.getElementById("server-filter");
    if (!input) return;
    event.preventDefault();
    input.focus();
    input.select();
  });

  // Plain (non-htmx) forms marked js-once: disable their buttons once submitted.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.classList || !form.classList.contains("js-once")) return;
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    }, 0);
  });
})();
