/* The Applications component (docs/studio.md): a menu of the page's activated slots.

   Pages say what is selected:
     Dataslot.registerSelection("item", () => ({ids: [1, 2]}) | {all, excluded, filter, datasetId} | null)
   and call Dataslot.selectionChanged() when it changes. The menu asks the server which
   slots apply (POST /api/projects/<pid>/slots/resolve/), and a click runs one slot on the
   whole selection in one request (POST /api/projects/<pid>/slots/run/). The server checks
   everything again on run; this script only presents its answers. */
(function () {
  "use strict";

  var Dataslot = (window.Dataslot = window.Dataslot || {});
  var providers = {};
  var SELECT_FIRST = "Select something first.";

  Dataslot.registerSelection = function (resource, provider) {
    providers[resource] = provider;
  };

  function selectionOf(resource) {
    var provider = providers[resource];
    if (!provider) return null;
    var selection = provider();
    if (!selection) return null;
    if (selection.ids && !selection.ids.length) return null;
    return selection;
  }

  function root() { return document.querySelector("[data-applications]"); }
  function button() { return document.getElementById("applications-button"); }
  function menu() { return document.getElementById("applications-menu"); }
  function items() {
    var m = menu();
    return m ? Array.prototype.slice.call(m.querySelectorAll("[role=menuitem]")) : [];
  }

  // --- enabled / disabled, from the server's answer -------------------------------

  function setState(item, enabled, reason) {
    var reasonEl = item.querySelector(".slot-reason");
    if (enabled) {
      item.removeAttribute("aria-disabled");
      if (reasonEl) reasonEl.remove(); // an enabled slot has no reason at all
      return;
    }
    item.setAttribute("aria-disabled", "true");
    if (!reasonEl) {
      reasonEl = document.createElement("span");
      reasonEl.className = "slot-reason";
      item.querySelector(".slot-text").appendChild(reasonEl);
    }
    reasonEl.textContent = reason || "Not available.";
  }

  var resolveSeq = {};

  function resolve(resource) {
    var el = root();
    if (!el) return Promise.resolve();
    var selection = selectionOf(resource);
    var seq = (resolveSeq[resource] = (resolveSeq[resource] || 0) + 1);
    return Dataslot.api("POST", "/api/projects/" + el.dataset.projectId + "/slots/resolve/", {
      resource: resource,
      panel: el.dataset.panel,
      selection: selection,
    }).then(function (answer) {
      if (seq !== resolveSeq[resource]) return; // a newer selection has been asked about
      if (!answer.ok) {
        Dataslot.toast("Could not check the applications: " + Dataslot.errorMessage(answer), "error");
        return;
      }
      var bySlot = {};
      answer.data.forEach(function (slot) { bySlot[slot.serviceId + ":" + slot.functionName] = slot; });
      items().forEach(function (item) {
        if (item.dataset.resource !== resource) return;
        var slot = bySlot[item.dataset.slot];
        if (!slot) setState(item, false, "No longer activated here.");
        else if (!slot.enabled) setState(item, false, slot.reason);
        else if (!selection) setState(item, false, SELECT_FIRST);
        else setState(item, true);
      });
    }, function () {
      Dataslot.toast("The server could not be reached.", "error");
    });
  }

  function resources() {
    var el = root();
    return el ? el.dataset.resources.split(",").map(function (r) { return r.trim(); }).filter(Boolean) : [];
  }

  var timer = null;
  Dataslot.selectionChanged = function () {
    // A burst of clicks (shift-range, select all) asks the server once.
    clearTimeout(timer);
    timer = setTimeout(function () { resources().forEach(resolve); }, 120);
  };

  // --- the menu: open, close, keyboard (WAI-ARIA menu button pattern) ---------------

  function isOpen() { return button() && button().getAttribute("aria-expanded") === "true"; }

  function open(focusLast) {
    var b = button(), m = menu();
    if (!b || !m) return;
    b.setAttribute("aria-expanded", "true");
    m.hidden = false;
    var list = items();
    if (list.length) focusItem(focusLast ? list.length - 1 : 0);
    resources().forEach(resolve); // fresh answers: a service may have been paused meanwhile
  }

  function close(returnFocus) {
    var b = button(), m = menu();
    if (!b || !m) return;
    b.setAttribute("aria-expanded", "false");
    m.hidden = true;
    if (returnFocus) b.focus();
  }

  function focusItem(index) {
    var list = items();
    if (!list.length) return;
    index = (index + list.length) % list.length;
    list.forEach(function (item, i) { item.tabIndex = i === index ? 0 : -1; });
    list[index].focus();
  }

  function currentIndex() { return items().indexOf(document.activeElement); }

  document.addEventListener("click", function (event) {
    var b = button();
    if (!b) return;
    if (b.contains(event.target)) {
      if (isOpen()) close(false); else open(false);
      return;
    }
    var item = event.target.closest("#applications-menu [role=menuitem]");
    if (item) {
      activate(item);
      return;
    }
    if (isOpen() && !menu().contains(event.target)) close(false);
  });

  document.addEventListener("keydown", function (event) {
    var b = button();
    if (!b) return;
    if (event.target === b) {
      if (event.key === "ArrowDown" || event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        open(false);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        open(true);
      }
      return;
    }
    if (!menu().contains(event.target)) return;
    switch (event.key) {
      case "ArrowDown": event.preventDefault(); focusItem(currentIndex() + 1); break;
      case "ArrowUp": event.preventDefault(); focusItem(currentIndex() - 1); break;
      case "Home": event.preventDefault(); focusItem(0); break;
      case "End": event.preventDefault(); focusItem(items().length - 1); break;
      case "Escape": event.preventDefault(); close(true); break;
      case "Tab": close(false); break;
      case "Enter":
      case " ":
        if (event.key === "Enter" && event.target.matches("a[href]")) break; // a link: the browser follows it
        event.preventDefault();
        if (event.target.matches("[role=menuitem]")) activate(event.target);
        break;
    }
  });

  // --- running a slot ------------------------------------------------------------------

  function activate(item) {
    if (item.getAttribute("aria-disabled") === "true" || !item.dataset.slot) return; // the reason is shown
    var resource = item.dataset.resource;
    var selection = selectionOf(resource);
    if (!selection) {
      setState(item, false, SELECT_FIRST);
      return;
    }
    close(true);
    var name = item.querySelector(".slot-name").textContent.trim();
    var el = root();
    Dataslot.api("POST", "/api/projects/" + el.dataset.projectId + "/slots/run/", {
      serviceId: Number(item.dataset.serviceId),
      functionName: item.dataset.functionName,
      resource: resource,
      panel: el.dataset.panel,
      selection: selection,
    }).then(function (answer) {
      if (answer.ok) {
        var executions = answer.data.executions || [];
        if (Dataslot.executionsStarted) {
          Dataslot.executionsStarted(executions, { name: name });
        }
        var n = executions.length;
        Dataslot.toast(name + ": " + n + " execution" + (n === 1 ? "" : "s") + " started.");
        return;
      }
      var prefix = answer.status === 409 ? name + " cannot run: " : name + " was not run: ";
      Dataslot.toast(prefix + Dataslot.errorMessage(answer), "error");
      resolve(resource); // show the reason in the menu too
    }, function () {
      Dataslot.toast("The server could not be reached; " + name + " was not run.", "error");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (root()) resources().forEach(resolve);
  });
})();
