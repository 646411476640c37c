/* Upload in the dataset browser (studio/browse/_upload.html): pick or drop many files.

   Each file is its own POST to the items API (/api/datasets/<id>/items/, field "file"),
   a few at a time, so each has its own progress bar and its own answer: a file the
   server refuses (not an image, too large) says why, by name, and the others go on.
   Nothing is lost quietly: a file that could not reach the server stays in the list
   with its message and "Retry failed" sends it again. Each file carries a key of its
   own, so when an answer is lost on the way (the server stored the file, the page never
   heard) the file is sent again at once, twice at most, and the server answers with the
   item it already made instead of a second one. The new items' tiles come from the
   browser's own fragment (?ids=, with the page's filter) and are put at the top of the
   grid or table without a reload. */
(function () {
  "use strict";

  var CONCURRENCY = 4;
  var RESENDS = 2; // automatic sends again of a file whose answer never came
  var TILES_BATCH = 50; // ids per tiles request (the server takes up to 100)
  var D = window.Dataslot || {};
  var root, input, dirInput, drop, list, summary, retryButton;
  var queue = [];
  var active = 0;
  var counts = { total: 0, done: 0, failed: 0 };
  var retryable = [];
  var newIds = [];
  var notShown = 0;
  var tilesTimer = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text; // names are user text: never innerHTML
    return node;
  }

  function addFiles(files) {
    Array.prototype.forEach.call(files, function (file) {
      var row = el("li", "upload__file");
      row.setAttribute("data-state", "queued");
      row.setAttribute("data-file-name", file.name);
      var bar = el("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", "Upload of " + file.name);
      row.appendChild(el("span", "upload__name", file.name));
      row.appendChild(bar);
      row.appendChild(el("span", "upload__message", "Waiting"));
      list.appendChild(row);
      queue.push({ file: file, row: row, bar: bar, key: uploadKey(), resends: 0 });
      counts.total += 1;
    });
    list.hidden = false;
    report();
    pump();
  }

  function uploadKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // also on plain http, where randomUUID is not offered
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function pump() {
    while (active < CONCURRENCY && queue.length) send(queue.shift());
  }

  function settle(job, state, message) {
    job.row.setAttribute("data-state", state);
    job.row.querySelector(".upload__message").textContent = message;
  }

  // The server's own words: {"file": ["name: why"]} or {"detail": ...}; else the status.
  function refusal(xhr) {
    if (xhr.status === 413) return "Refused: larger than the server accepts.";
    var data = null;
    try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
    if (data && Array.isArray(data.file) && data.file.length) return "Refused: " + data.file[0];
    if (data && data.detail) return "Refused: " + data.detail;
    return "Refused (the server answered " + xhr.status + ").";
  }

  function send(job) {
    active += 1;
    settle(job, "uploading", "Uploading");
    var form = new FormData();
    form.append("file", job.file, job.file.name);
    form.append("dir", (dirInput.value || "/").trim() || "/");
    form.append("key", job.key);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", root.getAttribute("data-upload-url"));
    xhr.setRequestHeader("X-CSRFToken", D.csrfToken ? D.csrfToken() : "");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) job.bar.value = Math.round((100 * event.loaded) / event.total);
    });
    xhr.addEventListener("load", function () {
      if (xhr.status === 201) {
        var results = [];
        try { results = JSON.parse(xhr.responseText).results || []; } catch (e) { results = []; }
        job.bar.value = 100;
        counts.done += 1;
        settle(job, "done", "Uploaded");
        results.forEach(function (item) { newIds.push(item.id); });
        scheduleTiles();
      } else {
        counts.failed += 1;
        if (xhr.status >= 500 || xhr.status === 0) retryable.push(job);
        settle(job, "failed", refusal(xhr));
      }
    });
    xhr.addEventListener("error", function () {
      if (job.resends < RESENDS) {
        job.resends += 1;
        job.bar.value = 0;
        settle(job, "queued", "Sending again");
        queue.unshift(job); // loadend (below) sends it next
        return;
      }
      counts.failed += 1;
      retryable.push(job);
      settle(job, "failed", "Not sent: the server could not be reached. Retry when it is back.");
    });
    xhr.addEventListener("loadend", function () {
      active -= 1;
      report();
      pump();
      if (!active && !queue.length) showTiles();
    });
    xhr.send(form);
  }

  function report() {
    var waiting = counts.total - counts.done - counts.failed;
    var parts = [];
    if (waiting) parts.push("Uploading " + waiting + " of " + counts.total + " files…");
    parts.push(counts.done + " uploaded");
    if (counts.failed) parts.push(counts.failed + " refused or not sent (see the list)");
    if (notShown) parts.push(notShown + " not shown: they do not match the filter");
    summary.textContent = parts.join(" · ");
    retryButton.hidden = !retryable.length || waiting > 0;
  }

  function scheduleTiles() {
    if (newIds.length >= TILES_BATCH) { showTiles(); return; }
    if (!tilesTimer) tilesTimer = setTimeout(showTiles, 400);
  }

  // The new items' tiles (or table rows), rendered by the browser's fragment with the
  // page's filter, at the top of the results.
  function showTiles() {
    clearTimeout(tilesTimer);
    tilesTimer = null;
    if (!newIds.length) return;
    var ids = newIds.splice(0, TILES_BATCH);
    if (newIds.length) scheduleTiles();
    var url = root.getAttribute("data-tiles-url");
    url += (url.indexOf("?") < 0 ? "?" : "&") + "ids=" + ids.join(",");
    fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      var container = document.getElementById("item-results");
      if (html === null || !container) return;
      var template = document.createElement("template");
      template.innerHTML = html;
      var shown = template.content.querySelectorAll("[data-item-id]").length;
      notShown += ids.length - shown;
      if (shown) {
        var empty = document.querySelector(".browser__results > .empty");
        if (empty) empty.remove();
        // htmx.swap settles like a page of tiles: browser.js shows the selection on them.
        if (window.htmx) htmx.swap(container, html, { swapStyle: "afterbegin" });
        else container.insertAdjacentHTML("afterbegin", html);
      }
      report();
    }, function () { /* the tiles come with the next page load; the items are stored */ });
  }

  // A page of tiles loaded by scrolling may hold items already put at the top: keep one.
  function dropDuplicates() {
    var container = document.getElementById("item-results");
    if (!container) return;
    var seen = {};
    Array.prototype.forEach.call(container.querySelectorAll(":scope > [data-item-id]"), function (node) {
      var id = node.getAttribute("data-item-id");
      if (seen[id]) node.remove();
      else seen[id] = true;
    });
  }

  function hasFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") >= 0;
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("upload");
    if (!root) return;
    input = document.getElementById("upload-input");
    dirInput = document.getElementById("upload-dir");
    drop = document.getElementById("upload-drop");
    list = document.getElementById("upload-list");
    summary = document.getElementById("upload-summary");
    retryButton = document.getElementById("upload-retry");

    input.addEventListener("change", function () {
      addFiles(input.files);
      input.value = ""; // the same files can be picked again
    });
    retryButton.addEventListener("click", function () {
      var again = retryable.splice(0);
      counts.failed -= again.length;
      again.forEach(function (job) { job.bar.value = 0; job.resends = 0; settle(job, "queued", "Waiting"); queue.push(job); });
      report();
      pump();
    });
    // Files dropped anywhere on the page upload here; other drags are left alone.
    document.addEventListener("dragover", function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      drop.classList.add("is-over");
    });
    document.addEventListener("dragleave", function (event) {
      if (!event.relatedTarget) drop.classList.remove("is-over");
    });
    document.addEventListener("drop", function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault();
      drop.classList.remove("is-over");
      addFiles(event.dataTransfer.files);
    });
    document.body.addEventListener("htmx:afterSettle", dropDuplicates);
    window.addEventListener("beforeunload", function (event) {
      if (active || queue.length) { event.preventDefault(); event.returnValue = ""; }
    });
  });
})();
