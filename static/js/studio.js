/* Dataslot's small shared script: the pages are server-rendered with htmx; this only
   adds what HTML cannot do by itself. Studio features (post-actions) build on
   window.Dataslot. */
(function () {
  "use strict";

  // Notices are built with textContent, never innerHTML: messages may carry user text.
  function toast(message, kind) {
    var box = document.querySelector(".toasts");
    if (!box) {
      box = document.createElement("div");
      box.className = "toasts";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      document.body.appendChild(box);
    }
    var note = document.createElement("div");
    note.className = "toast" + (kind ? " toast--" + kind : "");
    note.textContent = message;
    box.appendChild(note);
    setTimeout(function () { note.remove(); }, kind === "error" ? 10000 : 5000);
    return note;
  }

  window.Dataslot = window.Dataslot || {};
  window.Dataslot.toast = toast;

  // Close the open account menu on a click elsewhere or on Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });

  // A failed htmx request would otherwise fail silently.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    toast("Request failed (" + xhr.status + "): " + (xhr.statusText || "server error"), "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The server could not be reached.", "error");
  });
})();
