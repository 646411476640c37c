/* Executions, live: the drawer, the executions pages, terminate, and post-actions.

   The studio websocket (/ws/studio/projects/<pid>/, opened by htmx's ws extension on
   #executions-drawer) sends each batch of execution changes as rows, one per layout
   (drawer, executions table, execution page). The "dataslot-executions" htmx extension
   below swaps in the layouts this page shows, by id, and puts an execution the page has
   not shown yet at the top of its list when the list's filter accepts it; anything else
   in a message (a task's progress) is left to htmx's out-of-band swap.

   Every message starts with <template data-live-seq="n" data-live-epoch="e">: the
   project's batch number and the counter's epoch (live/events.py; a new epoch means the
   numbers started again, and the page re-reads). A number that is missing for GAP_GRACE ms (the server dropped
   messages for this page, or the socket reconnected) makes the page re-read every
   execution it shows and the newest rows of its lists ("resync"); rows carry
   data-version, so an older rendering never replaces a newer one.

   Post-actions run only for executions this page started (Dataslot.executionsStarted,
   called by applications.js with the run's answer), when they reach `success`. What to
   do comes from the execution's drawer row alone: its post-action (recorded on the
   execution when its slot ran), the items to download, the annotations to draw and their
   items' overlays (studio/applications/drawn.py; past a cap, one read of the same data). */
(function () {
  "use strict";

  var Dataslot = (window.Dataslot = window.Dataslot || {});
  var DRAWER_MAX_ROWS = 50;
  var MAX_FAILURE_NOTICES = 3;

  // --- what the rows say --------------------------------------------------------------

  function stateOf(el) {
    var drawn = null;
    try { drawn = JSON.parse(el.getAttribute("data-drawn") || "null"); } catch (e) { drawn = null; }
    var message = el.querySelector(".execution-message");
    return {
      id: Number(el.getAttribute("data-execution-id")),
      status: el.getAttribute("data-status"),
      finished: el.hasAttribute("data-finished"), // a final state (the server says which)
      postAction: el.getAttribute("data-post-action") || "",
      downloadCount: Number(el.getAttribute("data-download-count") || 0), // items it returned
      downloadItem: el.getAttribute("data-download-item") || "", // the one item, when one
      drawn: drawn, // {annotations, overlays} or {more: true}
      summary: el.getAttribute("data-output-summary") || "", // a short rendering, by the server
      message: message ? message.textContent.trim() : "",
    };
  }

  // A message's elements. A table row comes inside a <template> of its own: after an <li>,
  // an HTML parser drops a bare <tr> (and htmx's own parsing would too).
  function parse(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var out = [];
    Array.prototype.forEach.call(template.content.children, function (el) {
      if (el.tagName === "TEMPLATE" && !el.hasAttribute("data-live-seq")) {
        out.push.apply(out, Array.prototype.slice.call(el.content.children));
      } else {
        out.push(el);
      }
    });
    return out;
  }

  // One execution in one layout: replaces the shown one unless older; a new one goes into
  // its list (newest first) when this page shows that list and its filter accepts it.
  function applyRow(el) {
    el.removeAttribute("hx-swap-oob");
    var shown = el.id && document.getElementById(el.id);
    if (shown) {
      if (older(el, shown)) return;
      shown.replaceWith(el);
    } else {
      var list = document.querySelector('[data-execution-list="' + el.getAttribute("data-list") + '"]');
      if (!list || !accepts(list, el) || !insertOrdered(list, el)) return; // a layout this page does not show
    }
    if (window.htmx) htmx.process(el);
  }

  // Newest first: before the first row with a smaller id. An older row than all shown
  // belongs to a page not loaded yet (a "load more" row is there), so it is left out.
  function insertOrdered(list, el) {
    var id = Number(el.getAttribute("data-execution-id"));
    var rows = list.querySelectorAll(":scope > [data-execution-id]");
    for (var i = 0; i < rows.length; i++) {
      if (Number(rows[i].getAttribute("data-execution-id")) < id) {
        list.insertBefore(el, rows[i]);
        return true;
      }
    }
    if (list.querySelector(":scope > .load-more")) return false;
    list.appendChild(el);
    return true;
  }

  // The executions page shows only rows that pass its filter.
  function accepts(list, el) {
    var status = list.getAttribute("data-filter-status");
    var service = list.getAttribute("data-filter-service");
    var fn = list.getAttribute("data-filter-function");
    return (!status || status === el.getAttribute("data-status")) &&
      (!service || service === el.getAttribute("data-service-id")) &&
      (!fn || fn === el.getAttribute("data-function-name"));
  }

  function afterRowsChanged() {
    var list = document.querySelector('[data-execution-list="drawer"]');
    if (list) {
      var rows = list.querySelectorAll(":scope > [data-execution-id]");
      for (var i = rows.length - 1; i >= DRAWER_MAX_ROWS; i--) {
        if (rows[i].hasAttribute("data-finished")) rows[i].remove();
      }
      var running = list.querySelectorAll(':scope > [data-status="created"], :scope > [data-status="in-progress"]').length;
      var count = document.querySelector("[data-running-count]");
      if (count) {
        count.hidden = running === 0;
        count.textContent = running + " running";
      }
    }
    var summary = document.querySelector('[data-list="summary"]');
    var logsState = document.querySelector("[data-logs-state]");
    if (summary && logsState && summary.hasAttribute("data-finished")) logsState.textContent = "Finished";
    if (document.querySelector('[data-execution-list="table"] > [data-execution-id]')) {
      var empty = document.querySelector(".executions-empty");
      if (empty) empty.remove();
    }
  }

  if (window.htmx) {
    htmx.defineExtension("dataslot-executions", {
      transformResponse: function (text, xhr) {
        if (xhr) return text; // only websocket messages
        var kept = [];
        var states = [];
        parse(text).forEach(function (el) {
          if (el.hasAttribute("data-live-seq")) {
            live.seen(
              Number(el.getAttribute("data-live-seq")),
              el.hasAttribute("data-live-heartbeat"),
              el.getAttribute("data-live-epoch")
            );
            return;
          }
          if (!el.hasAttribute("data-list")) {
            kept.push(el.outerHTML); // not an execution (a task's progress): htmx swaps it by id
            return;
          }
          if (el.hasAttribute("data-execution-id") && el.getAttribute("data-list") === "drawer") states.push(stateOf(el));
          applyRow(el);
        });
        afterRowsChanged();
        setTimeout(function () { states.forEach(observe); }, 0);
        return kept.join("");
      },
    });
  }

  function older(el, shown) {
    var a = el.getAttribute("data-version") || "";
    var b = shown.getAttribute("data-version") || "";
    return a < b;
  }

  // --- no silent gaps: the batch numbers, and re-reading what the page shows -----------

  var GAP_GRACE = 1500;
  var live = {
    epoch: null, // the numbers' counter: a new one started from 1 (the server lost the old)
    last: null, // every batch up to this one has been applied
    target: 0, // the newest number known to exist
    received: {},
    timer: null,
    resyncs: 0,
    replaced: {}, // epochs a newer one replaced: a late message of one is ignored
    seen: function (seq, heartbeat, epoch) {
      if (epoch && live.replaced[epoch]) return;
      if (epoch && live.epoch && epoch !== live.epoch) {
        // The numbers started again: what came before them may be lost, so re-read.
        live.replaced[live.epoch] = true;
        clearTimeout(live.timer);
        live.timer = null;
        live.last = null;
        live.target = 0;
        live.received = {};
        resync();
      }
      if (epoch) live.epoch = epoch;
      if (live.last === null) live.last = heartbeat ? seq : seq - 1;
      if (!heartbeat) live.received[seq] = true;
      if (seq > live.target) live.target = seq;
      while (live.received[live.last + 1]) {
        delete live.received[live.last + 1];
        live.last += 1;
      }
      if (live.last < live.target && !live.timer) {
        var waitingFor = live.target;
        live.timer = setTimeout(function () {
          live.timer = null;
          if (live.last < waitingFor) {
            live.last = Math.max(live.last, waitingFor);
            resync();
          }
          live.seen(live.last, true);
        }, GAP_GRACE);
      }
    },
  };
  Dataslot.live = live; // read by the browser tests

  // Rows re-read from the server, swapped in where they are not older than what is shown.
  function applyRows(html) {
    parse(html).forEach(function (el) {
      if (el.hasAttribute("data-list")) applyRow(el);
    });
  }

  function resync() {
    live.resyncs += 1;
    var el = drawer();
    if (!el) return;
    var rowsUrl = el.getAttribute("data-rows-url");
    var ids = {};
    document.querySelectorAll("[data-execution-id]").forEach(function (row) { ids[row.getAttribute("data-execution-id")] = true; });
    var shown = Object.keys(ids).slice(0, 1000);
    var reads = [];
    var view = el.getAttribute("data-live-view") || "drawer";
    if (shown.length) {
      reads.push(fetch(rowsUrl + "?layout=live&view=" + view + "&ids=" + shown.join(","), { credentials: "same-origin" }));
    }
    var table = document.querySelector('[data-execution-list="table"]');
    if (table) {
      // The newest page of the table, with its filter: executions this page has not seen.
      var query = new URLSearchParams(location.search);
      query.set("layout", "table");
      query.delete("cursor");
      reads.push(fetch(rowsUrl + "?" + query.toString(), { credentials: "same-origin" }));
    }
    reads.forEach(function (read) {
      read.then(function (response) { return response.ok ? response.text() : ""; }).then(function (html) {
        applyRows(html.replace(/<tr class="load-more"[\s\S]*?<\/tr>/, ""));
        afterRowsChanged();
      }, function () { /* the next gap or reconnect tries again */ });
    });
    loadRows(null); // the drawer's newest rows
  }

  // Each time the socket opens, the first time too, what the page shows is re-read: a
  // batch sent between the page's render (or the last socket's end) and this subscription
  // reaches no socket, and the numbers start from where they stand now.
  var reconnectDelay = 1000;
  document.addEventListener("htmx:wsOpen", function () {
    reconnectDelay = 1000;
    clearTimeout(live.timer);
    live.timer = null;
    live.epoch = null;
    live.last = null;
    live.target = 0;
    live.received = {};
    resync();
  });

  // htmx's extension reconnects after 1006, 1011, 1012 and 1013 only. Another close (1000
  // when the server lets a long-lived socket go) is reconnected here; a refusal (4400,
  // 4401, 4403, 4404: 4000 and up) is final, as asking again changes nothing.
  document.addEventListener("htmx:wsClose", function (event) {
    var code = event.detail.event.code;
    if (code >= 4000 || [1006, 1011, 1012, 1013].indexOf(code) >= 0) return;
    var socketElt = event.target;
    var socket = event.detail.socketWrapper;
    setTimeout(function () {
      if (document.body.contains(socketElt)) socket.reconnect();
    }, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 30000);
  });

  // --- the drawer ---------------------------------------------------------------------

  function drawer() { return document.getElementById("executions-drawer"); }

  // Only the person's own open/close is remembered, across pages and visits (localStorage):
  // a run opens the drawer on this page without changing what they chose.
  function setDrawerOpen(open, remember) {
    var toggle = document.getElementById("executions-drawer-toggle");
    var body = document.getElementById("executions-drawer-body");
    if (!toggle || !body) return;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    body.hidden = !open;
    drawer().classList.toggle("drawer--open", open);
    if (remember) {
      try { localStorage.setItem("dataslot.drawer", open ? "open" : "closed"); } catch (e) { /* private mode */ }
    }
  }

  // Rows from the server (the page's first rows, or the ones a run just created), added
  // only where the websocket has not already put a newer state.
  function mergeRows(html) {
    var list = document.querySelector('[data-execution-list="drawer"]');
    if (!list) return;
    parse(html).forEach(function (el) {
      if (!el.id || document.getElementById(el.id)) return;
      if (insertOrdered(list, el)) observe(stateOf(el));
    });
    afterRowsChanged();
  }

  function loadRows(ids) {
    var el = drawer();
    if (!el) return;
    var url = el.getAttribute("data-rows-url") + (ids ? "?ids=" + ids.slice(0, 20).join(",") : "");
    fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : "";
    }).then(mergeRows, function () { /* the websocket still brings them */ });
  }

  // --- post-actions for this page's executions ------------------------------------------

  var batches = {}; // id -> batch {ids, name, states, failures}
  var seen = {}; // id -> final state, for answers that arrive after the websocket's news
  var handled = {};

  Dataslot.executionsStarted = function (executions, options) {
    if (!executions.length) return;
    var batch = { ids: [], name: options.name || "Application", states: {}, failures: 0 };
    executions.forEach(function (execution) {
      batch.ids.push(execution.id);
      batches[execution.id] = batch;
    });
    setDrawerOpen(true);
    loadRows(batch.ids);
    batch.ids.forEach(function (id) { if (seen[id]) observe(seen[id]); });
  };

  function observe(state) {
    if (!state.finished) return;
    seen[state.id] = state;
    var batch = batches[state.id];
    if (!batch || handled[state.id]) return;
    handled[state.id] = true;
    batch.states[state.id] = state;
    if (state.status === "failed") {
      batch.failures += 1;
      if (batch.failures <= MAX_FAILURE_NOTICES) {
        Dataslot.toast(batch.name + " failed (execution " + state.id + "): " + (state.message || "no message"), "error");
      }
    } else if (state.status === "terminated") {
      Dataslot.toast(batch.name + " was terminated (execution " + state.id + ")" + (state.message ? ": " + state.message : "."));
    } else if (state.postAction === "drawAnnotation") {
      withDrawn(state, drawAnnotations(batch));
    } else if (state.postAction === "download" && batch.ids.length === 1) {
      downloadOne(batch, state);
    }
    if (Object.keys(batch.states).length === batch.ids.length) finishBatch(batch);
  }

  // A row carries what to draw up to a cap; past it, the same data is read once.
  function withDrawn(state, then) {
    if (state.drawn && state.drawn.more) {
      fetch(executionUrl(state.id) + "drawn/", { credentials: "same-origin" }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(then, function () { then(null); });
    } else {
      then(state.drawn);
    }
  }

  function drawAnnotations(batch) {
    return function (drawn) {
      var annotations = (drawn && drawn.annotations) || [];
      // Left out: more, or larger, than a page draws at once (studio/applications/drawn.py).
      var left = drawn && (drawn.more || drawn.left) ? " Some are too many or too large to draw here: open their items to see them." : "";
      if (!annotations.length) {
        Dataslot.toast(left ? batch.name + " finished." + left : batch.name + " finished, but returned no annotation to draw.");
        return;
      }
      document.dispatchEvent(new CustomEvent("dataslot:draw-annotation", {
        detail: { annotations: annotations, overlays: drawn.overlays || {} },
      }));
      var n = annotations.length;
      Dataslot.toast(batch.name + ": " + n + " annotation" + (n === 1 ? "" : "s") + " drawn." + left, "success");
    };
  }

  function download(url) {
    var a = document.createElement("a");
    a.href = url;
    a.download = ""; // the server's Content-Disposition names the file
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  function downloadOne(batch, state) {
    if (state.downloadItem) {
      download("/api/items/" + state.downloadItem + "/download/");
      Dataslot.toast(batch.name + ": the result is downloading.", "success");
    } else if (state.downloadCount > 1) {
      downloadZip(batch, [state.id], batch.name + ": the results are downloading as one zip.");
    } else {
      Dataslot.toast(batch.name + " finished, but returned no item to download.");
    }
  }

  function executionUrl(id) {
    return "/projects/" + drawer().getAttribute("data-project-id") + "/executions/" + (id ? id + "/" : "");
  }

  // A link inside a notice, after its text (notices are text only: built here, not from HTML).
  function noticeLink(note, href, text) {
    if (!note) return;
    var link = document.createElement("a");
    link.className = "toast__link";
    link.href = href;
    link.textContent = text;
    var message = note.firstChild;
    note.insertBefore(link, message ? message.nextSibling : null);
  }

  function zipUrl(ids) {
    return "/projects/" + drawer().getAttribute("data-project-id") + "/executions/download/?ids=" + ids.join(",");
  }

  // A zip is asked for first (nothing is built): a refused download would otherwise start
  // nothing and say nothing. The server's reason is shown instead.
  function downloadZip(batch, ids, started) {
    var url = zipUrl(ids);
    fetch(url + "&check=1", { credentials: "same-origin" })
      .then(function (response) {
        if (response.ok) {
          download(url);
          Dataslot.toast(started, "success");
          return null;
        }
        return response.text().then(function (reason) {
          Dataslot.toast(batch.name + ": no download. " + reason, "error");
        });
      })
      .catch(function () {
        Dataslot.toast(batch.name + ": the download could not be asked for (the server is unreachable).", "error");
      });
  }

  function finishBatch(batch) {
    var states = batch.ids.map(function (id) { return batch.states[id]; });
    var succeeded = states.filter(function (s) { return s.status === "success"; });
    var postAction = states[0].postAction; // one slot ran them all
    if (batch.failures > MAX_FAILURE_NOTICES) {
      Dataslot.toast(batch.name + ": " + batch.failures + " of " + batch.ids.length + " executions failed.", "error");
    }
    if (!succeeded.length || batch.ids.length === 1) {
      if (batch.ids.length === 1 && succeeded.length && postAction === "noAction") {
        var only = succeeded[0];
        var note = Dataslot.toast(batch.name + " finished" + (only.summary ? ": " + only.summary : ", with no output."), "success");
        noticeLink(note, executionUrl(only.id), "View execution #" + only.id);
      }
      return;
    }
    if (postAction === "download") {
      var withItems = succeeded.filter(function (s) { return s.downloadCount > 0; });
      if (withItems.length) {
        var ids = withItems.map(function (s) { return s.id; });
        downloadZip(batch, ids, batch.name + ": " + withItems.length + " results are downloading as one zip.");
      } else {
        Dataslot.toast(batch.name + " finished, but returned no items to download.");
      }
    } else if (postAction === "noAction") {
      var several = Dataslot.toast(batch.name + " finished: " + succeeded.length + " of " + batch.ids.length + " succeeded.", "success");
      noticeLink(several, executionUrl(""), "View executions");
    }
  }

  // --- terminate -----------------------------------------------------------------------

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("#executions-drawer-toggle");
    if (toggle) {
      setDrawerOpen(toggle.getAttribute("aria-expanded") !== "true", true);
      return;
    }
    var button = event.target.closest('button[data-action="terminate"]');
    if (!button) return;
    var row = button.closest("[data-execution-id]");
    var id = row.getAttribute("data-execution-id");
    button.disabled = true;
    button.textContent = "Terminating…";
    Dataslot.api("POST", "/api/executions/" + id + "/terminate/").then(function (answer) {
      // The row itself changes when the websocket says so.
      if (!answer.ok) {
        button.disabled = false;
        button.textContent = "Terminate";
        Dataslot.toast("Execution " + id + " was not terminated: " + Dataslot.errorMessage(answer), "error");
      }
    });
  });

  // --- an execution's logs, followed live ----------------------------------------------

  function followLogs(pre) {
    var last = Number(pre.getAttribute("data-last-line") || 0);
    function append(lines) {
      var atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
      lines.forEach(function (line) {
        if (line.id <= last) return; // already shown (the page, or the catch-up read)
        last = line.id;
        var span = document.createElement("span"); // chunks as written, newlines included
        span.setAttribute("data-line-id", line.id);
        span.textContent = line.text;
        pre.appendChild(span);
      });
      var empty = document.querySelector(".logs-empty");
      if (empty && pre.children.length) empty.remove();
      if (atBottom) pre.scrollTop = pre.scrollHeight;
    }
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var retry = 1000;
    function connect() {
      var socket = new WebSocket(scheme + location.host + pre.getAttribute("data-follow-logs"));
      socket.addEventListener("open", function () {
        retry = 1000;
        // Lines written before this connection (the page's render, or while reconnecting) come from the API.
        Dataslot.api("GET", pre.getAttribute("data-logs-api") + "?after=" + last).then(function (answer) {
          if (answer.ok) append(answer.data.lines);
        });
      });
      socket.addEventListener("message", function (event) {
        var message = JSON.parse(event.data);
        if (message.type === "logs") append(message.lines);
      });
      socket.addEventListener("close", function (event) {
        if (event.code >= 4000) return; // refused (4401, 4403, 4404): asking again changes nothing
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      });
    }
    connect();
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (drawer()) {
      var open = false;
      // On a phone an open drawer takes much of the screen: it opens only when this page runs something.
      var phone = window.matchMedia("(max-width: 40rem)").matches;
      try { open = !phone && localStorage.getItem("dataslot.drawer") === "open"; } catch (e) { /* private mode */ }
      setDrawerOpen(open);
      loadRows(null);
    }
    var pre = document.querySelector("[data-follow-logs]");
    if (pre) followLogs(pre);
  });
})();
