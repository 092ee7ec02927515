// catcpanel: toasts for htmx outcomes. No inline script anywhere (CSP), so everything lives here.
(function () {
  "use strict";
  function toast(text, kind) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const item = document.createElement("div");
    item.className = "toast toast-" + (kind || "info");
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    item.textContent = text;
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, kind === "error" ? 10000 : 5000);
  }
  window.catcpanel = { toast: toast };
  // htmx 2 does not swap 4xx/5xx responses: say what happened instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    const xhr = event.detail.xhr;
    const text = xhr.getResponseHeader("X-Catcpanel-Message") ||
      (xhr.status === 403 ? "You are not allowed to do that." :
       xhr.status === 404 ? "Not found." : "Something went wrong (HTTP " + xhr.status + ").");
    toast(text, "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The panel could not be reached. Check your connection.", "error");
  });
})();
