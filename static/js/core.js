/* Dataslot's small shared script: the pages are server-rendered with htmx; this only
   adds what HTML cannot do by itself. Studio features (post-actions) build on
   window.Dataslot. */
(function () {
  "use strict";

  // Notices are built with textContent, never innerHTML: messages may carry user text.
  // They go to #notices (base.html): role=status, or role=alert for failures.
  function toast(message, kind) {
    var box = document.getElementById("notices");
    if (!box) {
      box = document.createElement("div");
      box.id = "notices";
      box.className = "toasts";
      document.body.appendChild(box);
    }
    var note = document.createElement("div");
    note.className = "toast" + (kind ? " toast--" + kind : "");
    note.setAttribute("role", kind === "error" ? "alert" : "status");
    var text = document.createElement("span");
    text.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast__close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", function () { note.remove(); });
    note.appendChild(text);
    note.appendChild(close);
    box.prepend(note); // newest first: the status bar shows it without scrolling
    setTimeout(function () { note.remove(); }, kind === "error" ? 15000 : 6000);
    return note;
  }

  // The CSRF token for fetch(): the one the page was rendered with (body hx-headers),
  // else the cookie.
  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) return headers["X-CSRFToken"];
    } catch (e) { /* fall back to the cookie */ }
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // A JSON request with the session and CSRF token; resolves {ok, status, data}, never rejects
  // on an HTTP error (callers show the message), only on a network failure.
  function api(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    if (method !== "GET") options.headers["X-CSRFToken"] = csrfToken();
    return fetch(url, options).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text.slice(0, 300) }; }
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  // The readable part of an API error body ({"detail": ...} or {"field": ["..."]}).
  function errorMessage(answer) {
    var data = answer.data || {};
    if (typeof data.detail === "string") return data.detail;
    for (var key in data) {
      if (Array.isArray(data[key]) && data[key].length) return key + ": " + data[key].join(" ");
    }
    return "The server answered " + answer.status + ".";
  }

  window.Dataslot = window.Dataslot || {};
  window.Dataslot.toast = toast;
  window.Dataslot.csrfToken = csrfToken;
  window.Dataslot.api = api;
  window.Dataslot.errorMessage = errorMessage;

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

  // The main area, not the window, scrolls (the page shell in dataslot.css); htmx's
  // "revealed" trigger (infinite scroll) listens to the window's scroll events.
  document.addEventListener("DOMContentLoaded", function () {
    var main = document.getElementById("main");
    if (main) main.addEventListener("scroll", function () { window.dispatchEvent(new Event("scroll")); }, { passive: true });
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
