// catcpanel: toasts for htmx outcomes, confirmations in the page's own dialog, copy buttons, the
// servers list's filters, sort and bulk actions, and small form helpers.
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

  // --- the viewer's time zone: a cookie the server reads to show times in it (with its name) ---
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    // Zone names ("Asia/Tokyo", "America/Argentina/Buenos_Aires") are valid cookie values as they are.
    if (zone && /^[A-Za-z0-9_+\-\/]+$/.test(zone) && document.cookie.indexOf("tz=" + zone) === -1) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (error) { /* no Intl: times stay in UTC, labelled so */ }

  // --- confirmations: one <dialog> in base.html, for htmx buttons and the bulk form -------------
  // Resolves true when the person confirms. Focus starts on the confirm button (Enter or Space
  // confirms: one step, as with confirm()); Esc or Cancel says no.
  function confirmDialog(options) {
    const dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      return Promise.resolve(window.confirm(options.text));
    }
    document.getElementById("confirm-title").textContent = options.title || "Please confirm";
    document.getElementById("confirm-text").textContent = options.text || "";
    const list = document.getElementById("confirm-list");
    list.replaceChildren();
    (options.items || []).forEach(function (text) {
      const item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    list.hidden = !(options.items && options.items.length);
    const ok = document.getElementById("confirm-ok");
    ok.textContent = options.ok || "Confirm";
    return new Promise(function (resolve) {
      dialog.returnValue = "";
      dialog.addEventListener("close", function () { resolve(dialog.returnValue === "ok"); }, { once: true });
      dialog.showModal();
      ok.focus();
    });
  }

  // htmx 2 asks through this event before any request; only elements with hx-confirm ask a question.
  document.addEventListener("htmx:confirm", function (event) {
    const question = event.detail && event.detail.question;
    if (!question) return;
    event.preventDefault();
    const elt = event.detail.elt;
    const label = (elt && (elt.getAttribute("data-confirm-ok") || elt.textContent.trim())) || "Confirm";
    closeMenus();
    confirmDialog({ title: label + "?", text: question, ok: label }).then(function (yes) {
      if (yes) event.detail.issueRequest(true);
      else if (elt && elt.focus) elt.focus();
    });
  });

  // --- htmx outcomes ----------------------------------------------------------------------------
  // Server-sent toasts: HX-Trigger: {"toast": {"kind": "success"|"error", "text": "..."}}.
  document.addEventListener("toast", function (event) {
    const detail = event.detail || {};
    toast(detail.text || detail.value, detail.kind);
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

  // A refresh (poll or account event) must not wipe an inline form the user is typing in, nor a
  // list where servers are selected or a menu is open: skip it, the next one brings it up to date.
  document.addEventListener("htmx:beforeRequest", function (event) {
    const detail = event.detail || {};
    const verb = (detail.requestConfig && detail.requestConfig.verb) || "";
    const target = detail.target;
    if (verb !== "get" || !target || !target.querySelector) return;
    const openForm = target.querySelector(".inline-form");
    if (openForm && !openForm.closest(".inline-edit").contains(detail.elt)) event.preventDefault();
    if (target.querySelector(".row-select:checked, details.menu[open]")) event.preventDefault();
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

  // --- copy buttons ----------------------------------------------------------------------------
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    // Plain http on a LAN address has no clipboard API: the old way still works there.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    const done = document.execCommand("copy");
    area.remove();
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    event.preventDefault();
    const what = (button.getAttribute("aria-label") || "Copy").replace(/^Copy\s*/, "");
    copyText(button.getAttribute("data-copy")).then(function () {
      button.classList.add("copied");
      toast("Copied " + (what || "to the clipboard") + ".", "success");
      setTimeout(function () { button.classList.remove("copied"); }, 1500);
    }, function () {
      toast("The browser did not allow copying: select the text instead.", "error");
    });
  });

  // --- the rows' power menus ---------------------------------------------------------------------
  // A row carries its main power button and, in its menu, a link to the server page. The first
  // time the menu opens, the link gives way to the other two buttons, cloned from the page's
  // <template> (_power_menu_template.html) with the row's URL, form and server name: the same
  // buttons, and the same disabled states, as the rows used to carry each.
  function fillPowerMenu(menu) {
    const items = menu.querySelector(".menu-items");
    const row = menu.closest(".server-row");
    const group = menu.closest(".power");
    const main = group && group.querySelector("button[formaction]");
    const source = document.querySelector("template.power-menu-template");
    if (!items || !row || !main || !source || items.querySelector("button")) return;
    const on = main.value === "poweroff";
    const name = row.getAttribute("data-server-name") || "";
    const status = row.getAttribute("data-status") || "";
    const buttons = (on ? ["poweron", "reset"] : ["poweroff", "reset"]).map(function (value) {
      const button = source.content.querySelector('button[value="' + value + '"]').cloneNode(true);
      ["form", "formaction", "hx-post"].forEach(function (attribute) {
        button.setAttribute(attribute, main.getAttribute(attribute));
      });
      const question = button.getAttribute("hx-confirm");
      // A function, so that "$&" in a server's name stays as it is.
      if (question) button.setAttribute("hx-confirm", question.replace("{name}", function () { return name; }));
      button.disabled = value === "poweron" ? on : value === "poweroff" && status === "powered off";
      return button;
    });
    items.replaceChildren.apply(items, buttons);
    if (window.htmx) window.htmx.process(items);
  }

  // --- menus (details.menu): one open at a time, closed by Esc or a click elsewhere ------------
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (event) {
    const menu = event.target.closest && event.target.closest("details.menu");
    closeMenus(menu);
    // A click on the summary runs before the menu opens (Enter and Space on it click too).
    if (menu && !menu.open && event.target.closest("summary")) fillPowerMenu(menu);
  });
  // Opened some other way (a script, find-in-page): fill it then.
  document.addEventListener("toggle", function (event) {
    const menu = event.target;
    if (menu.matches && menu.matches("details.menu") && menu.open) fillPowerMenu(menu);
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    const open = document.querySelector("details.menu[open]");
    if (!open) return;
    open.removeAttribute("open");
    const summary = open.querySelector("summary");
    if (summary) summary.focus();
  });

  // --- the servers list: filters and sort, kept in the URL ---------------------------------------
  const FILTERS = { q: "server-filter", status: "filter-status", account: "filter-account", type: "filter-type" };
  const SORT_KEYS = {
    name: function (row) { return (row.getAttribute("data-server-name") || "").toLowerCase(); },
    status: function (row) { return row.getAttribute("data-status") || ""; },
    ip: function (row) { return row.getAttribute("data-sort-ip") || ""; },
    template: function (row) {
      const cell = row.querySelector(".template-name");
      return cell ? cell.textContent.trim().toLowerCase() : "";
    },
    usage: function (row) { return row.getAttribute("data-sort-usage") || ""; },
  };

  function filterValue(name) {
    const input = document.getElementById(FILTERS[name]);
    return input ? input.value : "";
  }

  function currentSort() {
    const input = document.getElementById("filter-sort");
    const value = (input && input.value) || "";
    const descending = value.charAt(0) === "-";
    const key = descending ? value.slice(1) : value;
    return SORT_KEYS[key] ? { key: key, descending: descending } : null;
  }

  function rememberInUrl() {
    if (!document.getElementById("list-filters")) return;
    const params = new URLSearchParams(window.location.search);
    Object.keys(FILTERS).concat(["sort"]).forEach(function (name) {
      const value = name === "sort" ? (document.getElementById("filter-sort") || {}).value : filterValue(name);
      if (value) params.set(name, value); else params.delete(name);
    });
    const query = params.toString();
    history.replaceState(history.state, "", window.location.pathname + (query ? "?" + query : "") + window.location.hash);
  }

  function restoreFromUrl() {
    const params = new URLSearchParams(window.location.search);
    Object.keys(FILTERS).forEach(function (name) {
      const input = document.getElementById(FILTERS[name]);
      if (input && params.has(name)) input.value = params.get(name);
    });
    const sort = document.getElementById("filter-sort");
    if (sort && params.has("sort")) sort.value = params.get("sort");
  }

  function statusMatches(rowStatus, wanted) {
    if (!wanted) return true;
    if (wanted === "pending") return rowStatus.indexOf("pending") === 0;
    return rowStatus === wanted;
  }

  function applyFilter() {
    if (!document.getElementById("server-filter")) return;
    const words = filterValue("q").toLowerCase().split(/\s+/).filter(Boolean);
    const status = filterValue("status");
    const account = filterValue("account");
    const type = filterValue("type");
    let shown = 0;
    let rows = 0;
    document.querySelectorAll("[data-testid=account-section]").forEach(function (section) {
      section.hidden = Boolean(account) && section.id !== "account-" + account;
    });
    document.querySelectorAll(".server-row").forEach(function (row) {
      const haystack = (row.getAttribute("data-search") || "").toLowerCase();
      const match = words.every(function (word) { return haystack.indexOf(word) !== -1; }) &&
        statusMatches(row.getAttribute("data-status") || "", status) &&
        (!type || row.getAttribute("data-type") === type) &&
        (!account || row.getAttribute("data-account") === account);
      row.hidden = !match;
      if (!match) {
        const box = row.querySelector(".row-select");
        if (box) box.checked = false;
      }
      rows += 1;
      if (match) shown += 1;
    });
    const empty = document.getElementById("filter-empty");
    const filtering = words.length || status || account || type;
    if (empty) empty.hidden = !(filtering && rows && !shown);
    updateSelection();
  }

  function applySort() {
    const sort = currentSort();
    const select = document.getElementById("filter-sort-select");
    if (select) select.value = sort ? (sort.descending ? "-" : "") + sort.key : "";
    document.querySelectorAll("th[data-sort]").forEach(function (th) {
      const active = sort && th.getAttribute("data-sort") === sort.key;
      th.setAttribute("aria-sort", active ? (sort.descending ? "descending" : "ascending") : "none");
    });
    if (!sort) return;
    const key = SORT_KEYS[sort.key];
    document.querySelectorAll(".servers-table tbody").forEach(function (body) {
      const rows = Array.prototype.slice.call(body.querySelectorAll(":scope > .server-row"));
      rows.sort(function (a, b) {
        const x = key(a), y = key(b);
        const order = x < y ? -1 : x > y ? 1 : 0;
        return sort.descending ? -order : order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("th[data-sort] .sort-btn");
    if (!button) return;
    const key = button.closest("th").getAttribute("data-sort");
    const sort = currentSort();
    const input = document.getElementById("filter-sort");
    if (!input) return;
    input.value = sort && sort.key === key && !sort.descending ? "-" + key : key;
    applySort();
    rememberInUrl();
  });

  document.addEventListener("input", function (event) {
    const id = event.target && event.target.id;
    if (id === "filter-sort-select") {
      document.getElementById("filter-sort").value = event.target.value;
      applySort();
      rememberInUrl();
      return;
    }
    if (id === "server-filter" || id === "filter-status" || id === "filter-account" || id === "filter-type") {
      applyFilter();
      rememberInUrl();
    }
  });
  // The filters form only submits without JavaScript (or on Enter): the page already filters.
  document.addEventListener("submit", function (event) {
    if (event.target && event.target.id === "list-filters") event.preventDefault();
  });

  // --- bulk actions ------------------------------------------------------------------------------
  function selectedBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll(".row-select:checked"));
  }

  function updateSelection() {
    const form = document.getElementById("bulk-form");
    document.querySelectorAll(".server-row").forEach(function (row) {
      const box = row.querySelector(".row-select");
      row.classList.toggle("is-selected", Boolean(box && box.checked));
    });
    document.querySelectorAll(".select-all").forEach(function (all) {
      const table = all.closest("table");
      const boxes = Array.prototype.filter.call(table.querySelectorAll(".row-select"), function (box) {
        return !box.closest(".server-row").hidden;
      });
      const checked = boxes.filter(function (box) { return box.checked; }).length;
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    });
    if (!form) return;
    const count = selectedBoxes().length;
    document.getElementById("bulk-count").textContent =
      count ? count + " server" + (count === 1 ? "" : "s") + " selected" : "Select servers for a bulk action";
    form.querySelectorAll("button[name=action]").forEach(function (button) { button.disabled = count === 0; });
    form.classList.toggle("is-empty", count === 0);
    const clear = document.getElementById("bulk-clear");
    if (clear) clear.hidden = count === 0;
  }

  document.addEventListener("change", function (event) {
    const target = event.target;
    if (!target || !target.classList) return;
    if (target.classList.contains("select-all")) {
      target.closest("table").querySelectorAll(".server-row").forEach(function (row) {
        const box = row.querySelector(".row-select");
        if (box && !row.hidden) box.checked = target.checked;
      });
    }
    if (target.classList.contains("select-all") || target.classList.contains("row-select")) updateSelection();
  });

  document.addEventListener("click", function (event) {
    if (event.target && event.target.id === "bulk-clear") {
      selectedBoxes().forEach(function (box) { box.checked = false; });
      updateSelection();
    }
  });

  function showRowResult(key, ok, text) {
    const box = document.querySelector('.row-select[value="' + CSS.escape(key) + '"]');
    const row = box && box.closest(".server-row");
    if (!row) return;
    let slot = row.querySelector(".row-result");
    if (!slot) {
      slot = document.createElement("span");
      slot.setAttribute("data-testid", "row-result");
      (row.querySelector(".row-actions") || row.lastElementChild).appendChild(slot);
    }
    slot.className = "row-result " + (ok ? "ok" : "bad");
    slot.textContent = (ok ? "✓ " : "✕ ") + text;
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form || form.id !== "bulk-form") return;
    event.preventDefault();
    const button = event.submitter;
    const action = button && button.value;
    const label = (button && button.getAttribute("data-confirm-ok")) || "Go";
    const boxes = selectedBoxes();
    if (!action || !boxes.length) return;
    const items = boxes.map(function (box) {
      return box.getAttribute("data-name") + " (" + box.getAttribute("data-account-label") + ")";
    });
    const title = label + " " + boxes.length + " server" + (boxes.length === 1 ? "" : "s") + "?";
    confirmDialog({ title: title, text: "Each server gets its own call, paced within its account's limits.", items: items, ok: label })
      .then(function (yes) {
        if (!yes) return;
        runBulk(form, action, label, boxes);
      });
  });

  function runBulk(form, action, label, boxes) {
    const body = new URLSearchParams();
    body.set("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    body.set("action", action);
    body.set("confirmed", "1");
    boxes.forEach(function (box) {
      body.append("servers", box.value);
      showRowResult(box.value, true, "waiting…");
      box.closest(".server-row").querySelector(".row-result").className = "row-result";
    });
    const buttons = form.querySelectorAll("button[name=action]");
    buttons.forEach(function (button) { button.disabled = true; });
    const events = {};
    let good = 0, bad = 0;
    function handle(line) {
      if (!line.trim()) return;
      const result = JSON.parse(line);
      showRowResult(result.key, result.ok, result.text);
      if (result.ok) good += 1; else bad += 1;
      if (result.event) events[result.event] = true;
    }
    // form.action would be the buttons named "action", not the attribute.
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/x-ndjson", "X-CSRFToken": body.get("csrfmiddlewaretoken") },
    }).then(function (response) {
      if (!response.ok || !response.body) throw new Error("HTTP " + response.status);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { handle(buffer); return; }
          buffer += decoder.decode(chunk.value, { stream: true });
          const lines = buffer.split("\n");
          buffer = lines.pop();
          lines.forEach(handle);
          return pump();
        });
      }
      return pump();
    }).then(function () {
      toast(label + ": " + good + " sent" + (bad ? ", " + bad + " failed or refused" : "") + ".", bad ? "error" : "success");
      boxes.forEach(function (box) { box.checked = false; });
      updateSelection();
      // The lists refresh after a moment, so the results stay readable a little while.
      setTimeout(function () {
        Object.keys(events).forEach(function (name) { document.body.dispatchEvent(new CustomEvent(name)); });
      }, 4000);
    }).catch(function (error) {
      toast("The bulk action could not finish (" + error.message + "): see the activity log.", "error");
      updateSelection();
    });
  }

  // --- start and after every swap -----------------------------------------------------------------
  // The servers page shows expired copies at once and sends the fresh sections at its end, each
  // in a <template data-fresh-for="SLOT-ID">. This script runs once the page is parsed, before
  // htmx sets the page up: the fresh sections are in place by the time it does.
  document.querySelectorAll("template[data-fresh-for]").forEach(function (fresh) {
    const slot = document.getElementById(fresh.getAttribute("data-fresh-for"));
    if (slot) slot.replaceChildren(fresh.content);
    fresh.remove();
  });

  function refreshList() {
    document.body.classList.toggle("no-bulk", !document.getElementById("bulk-form"));
    applySort();
    applyFilter();
  }
  document.addEventListener("htmx:afterSwap", refreshList);
  document.addEventListener("htmx:oobAfterSwap", refreshList);
  // The page's follow-up request swaps fresh sections in out of band: not over a selection the
  // person is making or a menu they opened (the next refresh catches up).
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    const target = event.detail && event.detail.target;
    if (target && target.querySelector && target.querySelector(".row-select:checked, details.menu[open], .row-result")) {
      event.detail.shouldSwap = false;
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    // Toasts rendered with the page (after a redirect) fade like the others.
    document.querySelectorAll("#toasts .toast").forEach(function (item) {
      setTimeout(function () { item.remove(); }, item.classList.contains("toast-error") ? 12000 : 6000);
    });
    restoreFromUrl();
    refreshList();
  });

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

  // --- htmx starts once the page is drawn ---------------------------------------------------------
  // Setting up every element it drives takes htmx 15 to 50 ms on a servers page, and run at
  // DOMContentLoaded it held back the frame that shows the rows (docs/performance.md). So the
  // script (preloaded in the head) runs after that frame, once the document is complete: htmx
  // then sets the page up at once (loaded earlier but after DOMContentLoaded, it would wait for
  // that event forever). A click or submit meant for htmx in between is held and replayed when
  // it is ready; should it fail to load, the page's plain forms take them.
  const HTMX_DRIVEN = "[hx-get], [hx-post], [hx-put], [hx-patch], [hx-delete]";
  // What a click activates. Containers that htmx drives (polls, sections) hold plain links and
  // buttons, whose clicks are theirs, not htmx's.
  const CLICKABLE = "a[href], button, input[type=submit], input[type=button]";
  const htmxUrl = document.currentScript && document.currentScript.getAttribute("data-htmx");
  let htmxState = htmxUrl ? "waiting" : "absent";
  const held = [];

  function drivenControl(event) {
    const target = event.target;
    if (event.type === "submit") {
      const submitter = event.submitter;
      return target.matches(HTMX_DRIVEN) || (submitter && submitter.matches(HTMX_DRIVEN)) ? target : null;
    }
    const control = target.closest && target.closest(CLICKABLE);
    return control && control.matches(HTMX_DRIVEN) ? control : null;
  }
  function holdForHtmx(event) {
    if (htmxState !== "waiting") return;
    const driven = drivenControl(event);
    if (!driven) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    // Busy, as htmx marks a control whose request runs (app.css): the click was not lost.
    driven.setAttribute("aria-busy", "true");
    const submitter = event.submitter;
    held.push(function () {
      driven.removeAttribute("aria-busy");
      if (event.type === "submit") driven.requestSubmit(submitter);
      else driven.click();
    });
  }
  document.addEventListener("click", holdForHtmx, true);
  document.addEventListener("submit", holdForHtmx, true);

  function replayHeld(state) {
    htmxState = state;
    held.splice(0).forEach(function (replay) { replay(); });
  }
  function startHtmx() {
    const script = document.createElement("script");
    script.src = htmxUrl;
    script.onload = function () { replayHeld("ready"); };
    script.onerror = function () { replayHeld("failed"); };
    document.head.appendChild(script);
  }
  function startOnceComplete() {
    if (document.readyState === "complete") startHtmx();
    else window.addEventListener("load", startHtmx, { once: true });
  }
  if (htmxUrl) {
    document.addEventListener("DOMContentLoaded", function () {
      // A tab opened in the background draws no frame, and runs no animation frame callback
      // until it is shown: nothing to wait for there.
      if (document.hidden) startOnceComplete();
      // The first task after the next frame's callbacks runs once that frame is drawn.
      else requestAnimationFrame(function () { setTimeout(startOnceComplete, 0); });
    });
  }

  window.catcpanel = { toast: toast, confirm: confirmDialog };
})();
