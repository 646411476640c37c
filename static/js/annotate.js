/* The annotation studio (docs/studio.md): draws an item's annotations as an SVG overlay
   whose viewBox is the image's pixel size, so every coordinate here is an image pixel.
   Every change (draw, move, resize, vertex, relabel, classify, delete, undo, redo) goes
   through the REST API (docs/api.md) and is shown as the server answers it.
   Zoom and pan: annotate_viewport.js; undo and redo: annotate_history.js.
   User text is only ever set with textContent/setAttribute. */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  // Label colours: saturated, distinct hues that stay visible on light and mid-tone images.
  // Computed here only, since labels are typed here too: the server renders the shapes and
  // the list's swatches uncoloured and they are painted at start.
  var COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#0fa3b1",
                "#f032e6", "#7cb518", "#9a6324", "#1d3557", "#d4a900", "#469990"];
  var TOOLS = ["select", "box", "point", "polygon"];
  var TOOL_KEYS = { v: "select", b: "box", p: "point", g: "polygon" };
  var HINTS = {
    select: "Select: click an annotation, drag it to move it, drag its handles to resize or reshape it; drag the image to pan.",
    box: "Box: drag on the image to draw a box.",
    point: "Point: click on the image to place a point.",
    polygon: "Polygon: click to add points; double-click, Enter or a click on the first point closes it; Esc cancels.",
  };
  var KEYS_HINT = " Keys: V B P G tools, 1–9 labels, Ctrl+Z / Ctrl+Shift+Z undo/redo, + − 0 zoom, ← → items.";
  var POINT_RADIUS_PX = 6; // on screen
  var GRIP_RADIUS_PX = 5; // on screen
  var MIN_DRAG_PX = 3; // on screen: less is a click, not a drag
  var RECENT_SHOWN = 5;

  function labelColor(label) {
    var h = 0;
    for (var i = 0; i < label.length; i++) h = (h * 31 + label.charCodeAt(i)) % 4294967296;
    return COLORS[h % COLORS.length];
  }

  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var cfg = readJSON("studio-config");
  var overlay = document.getElementById("annotation-overlay");
  if (!cfg || !overlay) return;

  var stage = overlay.closest(".stage");
  var content = overlay.closest(".stage__content") || stage;
  var list = document.getElementById("annotation-list");
  var emptyNote = document.getElementById("annotation-list-empty");
  var countBadge = document.getElementById("annotation-count");
  var labelInput = document.getElementById("annotation-label");
  var labelOptions = document.getElementById("project-labels");
  var hint = document.getElementById("tool-hint");
  var classificationInput = document.getElementById("classification-label");
  var classificationCurrent = document.getElementById("classification-current");

  var annotations = new Map();
  (readJSON("studio-annotations") || []).forEach(function (a) { annotations.set(a.id, a); });
  var selectedId = null;
  var tool = "select";
  var gesture = null; // the drag or drawing in progress
  var spaceHeld = false;

  // ----- notices and API -------------------------------------------------------------

  // Notices go to #notices (base.html) through core.js: role=status, role=alert for failures.
  function notify(message, kind) {
    if (window.Dataslot && Dataslot.toast) return Dataslot.toast(message, kind);
    return null;
  }

  // Dataslot.api (core.js) sends the session and CSRF token; an HTTP error rejects with
  // the server's message (e.g. a 400 "coordinates: ... outside the image") and its status.
  function api(method, url, body) {
    return Dataslot.api(method, url, body).then(function (answer) {
      if (!answer.ok) {
        var error = new Error(answer.status === 404 ? "it was deleted elsewhere." : Dataslot.errorMessage(answer));
        error.status = answer.status;
        throw error;
      }
      return answer.data;
    }, function () { throw new Error("The server could not be reached."); });
  }

  var annotationsUrl = "/api/items/" + cfg.itemId + "/annotations/";
  function annotationUrl(id) { return "/api/annotations/" + id + "/"; }

  // ----- geometry ----------------------------------------------------------------------

  function round1(v) { return Math.round(v * 10) / 10; }
  function clamp(v, low, high) { return Math.min(high, Math.max(low, v)); }

  // Image pixels per screen pixel (the overlay scales with the image and the zoom).
  function scale() {
    var box = overlay.getBoundingClientRect();
    return box.width ? cfg.width / box.width : 1;
  }

  function toImage(event) {
    var point = overlay.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var p = point.matrixTransform(overlay.getScreenCTM().inverse());
    return [round1(clamp(p.x, 0, cfg.width)), round1(clamp(p.y, 0, cfg.height))];
  }

  function shapeOf(type, coordinates) {
    var c = coordinates || [];
    if (type === "box" && c.length === 2) {
      return { tag: "rect", attrs: { x: c[0][0], y: c[0][1], width: c[1][0] - c[0][0], height: c[1][1] - c[0][1] } };
    }
    if (type === "point" && c.length === 1) {
      return { tag: "circle", attrs: { cx: c[0][0], cy: c[0][1], r: POINT_RADIUS_PX * scale() } };
    }
    if (type === "polygon" && c.length >= 3) {
      return { tag: "polygon", attrs: { points: c.map(function (p) { return p[0] + "," + p[1]; }).join(" ") } };
    }
    return null;
  }

  function boxFrom(p, q) {
    return [[Math.min(p[0], q[0]), Math.min(p[1], q[1])], [Math.max(p[0], q[0]), Math.max(p[1], q[1])]];
  }

  function translated(coordinates, dx, dy) {
    return coordinates.map(function (p) { return [round1(p[0] + dx), round1(p[1] + dy)]; });
  }

  function copy(coordinates) { return JSON.parse(JSON.stringify(coordinates || [])); }

  // ----- drawing the overlay and the list ----------------------------------------------

  function svgElement(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    return node;
  }

  function setAttrs(node, attrs) {
    for (var name in attrs) node.setAttribute(name, attrs[name]);
  }

  function shapeNode(id) { return overlay.querySelector('.shape[data-annotation-id="' + id + '"]'); }
  function rowNode(id) { return list.querySelector('li[data-annotation-id="' + id + '"]'); }

  function drawShape(a, coordinates) {
    var shape = shapeOf(a.type, coordinates || a.coordinates);
    var node = shapeNode(a.id);
    if (!shape) { if (node) node.remove(); return; }
    if (node && node.tagName.toLowerCase() !== shape.tag) { node.remove(); node = null; }
    if (!node) {
      node = svgElement(shape.tag, {});
      node.appendChild(document.createElementNS(SVG_NS, "title"));
      overlay.insertBefore(node, grips);
    }
    node.setAttribute("class", "shape" + (a.id === selectedId ? " is-selected" : ""));
    node.setAttribute("data-annotation-id", a.id);
    node.setAttribute("data-type", a.type);
    node.setAttribute("data-label", a.label);
    node.style.setProperty("--c", labelColor(a.label));
    setAttrs(node, shape.attrs);
    node.querySelector("title").textContent = a.label;
    if (a.id === selectedId) drawGrips(coordinates || a.coordinates);
  }

  var DELETE_ICON = '<svg viewBox="0 0 20 20" aria-hidden="true" focusable="false"><path d="M5 5l10 10M15 5L5 15"/></svg>';

  function paintSwatch(row, label) { row.querySelector(".swatch").style.setProperty("--c", labelColor(label)); }

  function drawRow(a) {
    var row = rowNode(a.id);
    if (!row) {
      row = document.createElement("li");
      row.className = "annotation-row";
      var select = document.createElement("button");
      select.type = "button";
      select.className = "annotation-row__select";
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.setAttribute("aria-hidden", "true");
      var text = document.createElement("span");
      text.className = "annotation-row__text";
      var label = document.createElement("span");
      label.className = "annotation-row__label";
      var meta = document.createElement("span");
      meta.className = "annotation-row__meta";
      var type = document.createElement("span");
      type.className = "annotation-row__type";
      var source = document.createElement("span");
      source.className = "annotation-row__source";
      meta.append(type, " · ", source);
      text.append(label, meta);
      select.append(swatch, text);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "annotation-row__delete";
      remove.setAttribute("data-action", "delete");
      remove.title = "Delete (Ctrl+Z undoes)";
      remove.innerHTML = DELETE_ICON; // a constant, no user text
      row.append(select, remove);
      // Keep the list in id order, like the server renders it.
      var after = Array.prototype.find.call(list.children, function (li) {
        return Number(li.getAttribute("data-annotation-id")) > a.id;
      });
      list.insertBefore(row, after || null);
    }
    row.setAttribute("data-annotation-id", a.id);
    row.setAttribute("data-type", a.type);
    row.setAttribute("data-source", a.source);
    paintSwatch(row, a.label);
    row.querySelector(".annotation-row__label").textContent = a.label;
    row.querySelector(".annotation-row__type").textContent = a.type;
    var source = row.querySelector(".annotation-row__source");
    source.textContent = a.source;
    source.classList.toggle("is-function", a.source === "function");
    source.title = a.creator ? "by " + a.creator : "";
    row.querySelector(".annotation-row__delete").setAttribute("aria-label", "Delete " + a.type + " " + a.label);
    var selected = a.id === selectedId;
    row.classList.toggle("is-selected", selected);
    row.querySelector(".annotation-row__select").setAttribute("aria-pressed", selected ? "true" : "false");
  }

  function updateCount() {
    countBadge.textContent = String(annotations.size);
    emptyNote.hidden = annotations.size > 0;
  }

  function rememberLabel(label) {
    var known = Array.prototype.some.call(labelOptions.options, function (o) { return o.value === label; });
    if (known) return;
    var option = document.createElement("option");
    option.value = label;
    labelOptions.appendChild(option);
  }

  function show(a) {
    annotations.set(a.id, a);
    drawShape(a);
    drawRow(a);
    rememberLabel(a.label);
    updateCount();
    if (a.type === "classification") showClassification();
    return a;
  }

  function forget(id) {
    var a = annotations.get(id);
    annotations.delete(id);
    var node = shapeNode(id);
    if (node) node.remove();
    var row = rowNode(id);
    if (row) row.remove();
    if (selectedId === id) select(null);
    updateCount();
    if (a && a.type === "classification") showClassification();
  }

  // Points and grips keep their on-screen size whatever the image's scale and zoom.
  function resizeMarks() {
    var r = POINT_RADIUS_PX * scale();
    overlay.querySelectorAll("circle.shape").forEach(function (c) { c.setAttribute("r", r); });
    var a = selectedId !== null ? annotations.get(selectedId) : null;
    if (a) drawGrips(a.coordinates);
  }

  // ----- grips: resize handles of the selected box, vertices of the selected polygon ----

  var grips = svgElement("g", { id: "edit-grips" });
  overlay.appendChild(grips);
  var BOX_GRIPS = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];

  function gripPoints(a, coordinates) {
    if (a.type === "box" && coordinates.length === 2) {
      var x1 = coordinates[0][0], y1 = coordinates[0][1], x2 = coordinates[1][0], y2 = coordinates[1][1];
      var mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
      var at = { nw: [x1, y1], n: [mx, y1], ne: [x2, y1], e: [x2, my], se: [x2, y2], s: [mx, y2], sw: [x1, y2], w: [x1, my] };
      return BOX_GRIPS.map(function (name) { return { name: name, p: at[name] }; });
    }
    if (a.type === "polygon") return coordinates.map(function (p, i) { return { name: "v" + i, p: p }; });
    return [];
  }

  function drawGrips(coordinates) {
    var a = selectedId !== null ? annotations.get(selectedId) : null;
    var wanted = a && tool === "select" ? gripPoints(a, coordinates || a.coordinates) : [];
    while (grips.children.length < wanted.length) grips.appendChild(svgElement("circle", { class: "grip" }));
    while (grips.children.length > wanted.length) grips.lastElementChild.remove();
    var r = GRIP_RADIUS_PX * scale();
    wanted.forEach(function (g, i) {
      var node = grips.children[i];
      setAttrs(node, { cx: g.p[0], cy: g.p[1], r: r, "data-grip": g.name }); // no data-annotation-id: one element per annotation (docs/studio.md)
      node.style.setProperty("--c", labelColor(a.label));
    });
    overlay.appendChild(grips); // always on top
  }

  // ----- selection (what annotation-scope slots run on) --------------------------------

  function selectionChanged() {
    var D = window.Dataslot;
    if (D && typeof D.selectionChanged === "function") D.selectionChanged();
  }

  function select(id) {
    if (id !== null && !annotations.has(id)) id = null;
    var previous = selectedId;
    selectedId = id;
    [previous, id].forEach(function (which) {
      if (which === null || !annotations.has(which)) return;
      var node = shapeNode(which);
      if (node) node.classList.toggle("is-selected", which === id);
      drawRow(annotations.get(which));
    });
    if (id !== null) {
      var node = shapeNode(id);
      if (node) overlay.insertBefore(node, grips); // on top, so it can be dragged
    }
    drawGrips(null);
    if (previous !== id) selectionChanged();
  }

  function registerSelections() {
    var D = window.Dataslot;
    if (!D || typeof D.registerSelection !== "function") return;
    D.registerSelection("item", function () { return { ids: [cfg.itemId] }; });
    D.registerSelection("annotation", function () { return selectedId !== null ? { ids: [selectedId] } : null; });
    selectionChanged();
  }

  // ----- server operations and the steps of the history ---------------------------------

  var refs = new Map(); // annotation id -> {id}, shared by every step about that annotation

  function refOf(id) {
    var ref = refs.get(id);
    if (!ref) { ref = { id: id }; refs.set(id, ref); }
    return ref;
  }

  function rebind(ref, id) {
    refs.delete(ref.id);
    ref.id = id;
    refs.set(id, ref);
  }

  function bodyOf(a) {
    return { type: a.type, label: a.label, coordinates: copy(a.coordinates), attributes: a.attributes || {} };
  }

  function describe(a) { return a.type + " “" + a.label + "”"; }

  // A 404 means someone else deleted it: the page drops it too.
  function goneElsewhere(ref) {
    return function (error) {
      if (error && error.status === 404) forget(ref.id);
      throw error;
    };
  }

  function serverCreate(ref, body) {
    return api("POST", annotationsUrl, body).then(function (a) { rebind(ref, a.id); return show(a); });
  }

  function serverDelete(ref) {
    return api("DELETE", annotationUrl(ref.id)).then(function () { forget(ref.id); }, goneElsewhere(ref));
  }

  function serverPatch(ref, fields) {
    return api("PATCH", annotationUrl(ref.id), fields).then(show, goneElsewhere(ref));
  }

  var history = new Dataslot.History(notify, updateHistoryButtons);

  function createStep(ref, body) {
    return {
      name: "draw " + body.type + " “" + body.label + "”",
      undo: function () { return serverDelete(ref); },
      redo: function () { return serverCreate(ref, body); },
    };
  }

  function deleteStep(ref, body) {
    return {
      name: "delete " + body.type + " “" + body.label + "”",
      undo: function () { return serverCreate(ref, body).then(function (a) { if (a.type !== "classification") select(a.id); }); },
      redo: function () { return serverDelete(ref); },
    };
  }

  function patchStep(name, ref, before, after) {
    return {
      name: name,
      undo: function () { return serverPatch(ref, before); },
      redo: function () { return serverPatch(ref, after); },
    };
  }

  function create(body) {
    return api("POST", annotationsUrl, body).then(function (a) {
      show(a);
      if (a.type !== "classification") select(a.id);
      history.record(createStep(refOf(a.id), body));
      useLabel(a.label);
      notify("Saved " + describe(a) + ".");
      return a;
    }, function (error) {
      notify("Not saved: " + error.message, "error");
      return null;
    });
  }

  function remove(id) {
    var a = annotations.get(id);
    if (!a) return Promise.resolve();
    var ref = refOf(id);
    var body = bodyOf(a);
    return api("DELETE", annotationUrl(id)).then(function () {
      forget(id);
      var step = deleteStep(ref, body);
      history.record(step);
      var note = notify("Deleted " + describe(a) + ".");
      if (note) addUndoButton(note, step);
    }, function (error) {
      if (error.status === 404) forget(id);
      notify("Not deleted: " + error.message, "error");
    });
  }

  // A notice's own Undo button (the notice stays clickable; see .toast__action).
  function addUndoButton(note, step) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "toast__action";
    button.setAttribute("data-action", "undo");
    button.textContent = "Undo";
    button.addEventListener("click", function () { note.remove(); history.undoStep(step); });
    note.insertBefore(button, note.querySelector(".toast__close"));
  }

  // Move, resize, vertex drag: one PATCH of the coordinates, one step.
  function reshape(id, coordinates, verb) {
    var a = annotations.get(id);
    var before = copy(a.coordinates);
    var ref = refOf(id);
    return api("PATCH", annotationUrl(id), { coordinates: coordinates }).then(function (saved) {
      show(saved);
      history.record(patchStep(verb + " " + describe(saved), ref, { coordinates: before }, { coordinates: copy(saved.coordinates) }));
    }, function (error) {
      if (error.status === 404) forget(id);
      else drawShape(a); // back where the server has it
      notify("Not saved: " + error.message, "error");
    });
  }

  function relabel(id, label) {
    var a = annotations.get(id);
    if (!a || !label || a.label === label) return Promise.resolve();
    var before = a.label;
    var ref = refOf(id);
    return api("PATCH", annotationUrl(id), { label: label }).then(function (saved) {
      show(saved);
      history.record(patchStep("relabel " + saved.type + " “" + before + "” as “" + label + "”", ref, { label: before }, { label: label }));
      useLabel(label);
      notify("Relabelled " + saved.type + " “" + before + "” as “" + label + "”.");
    }, function (error) {
      if (error.status === 404) forget(id);
      notify("Not relabelled: " + error.message, "error");
    });
  }

  // ----- undo/redo buttons -----------------------------------------------------------------

  var undoButton = document.getElementById("undo");
  var redoButton = document.getElementById("redo");

  function updateHistoryButtons() {
    if (undoButton) undoButton.disabled = !history.canUndo();
    if (redoButton) redoButton.disabled = !history.canRedo();
  }
  if (undoButton) undoButton.addEventListener("click", function () { history.undo(); });
  if (redoButton) redoButton.addEventListener("click", function () { history.redo(); });

  // ----- labels: the current one, shortcuts 1–9, recent ones -------------------------------

  var storedLabelKey = "dataslot:label:" + cfg.projectId;
  var recentKey = "dataslot:recent-labels:" + cfg.projectId;
  var shortcuts = document.getElementById("label-shortcuts");
  var recentBox = document.getElementById("recent-labels");

  function readRecent() {
    try { return JSON.parse(localStorage.getItem(recentKey) || "[]").filter(function (l) { return typeof l === "string"; }); } catch (e) { return []; }
  }

  function setCurrentLabel(label) {
    labelInput.value = label;
    try { localStorage.setItem(storedLabelKey, label); } catch (e) { /* storage may be off */ }
    markCurrentLabel();
  }

  // The label was just used: it becomes the current one and the first recent one.
  function useLabel(label) {
    var recent = readRecent().filter(function (l) { return l !== label; });
    recent.unshift(label);
    try { localStorage.setItem(recentKey, JSON.stringify(recent.slice(0, RECENT_SHOWN))); } catch (e) { /* ignore */ }
    drawRecent();
  }

  function chip(label, shortcut) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "label-chip";
    button.setAttribute("data-label", label);
    button.style.setProperty("--c", labelColor(label));
    if (shortcut) {
      var key = document.createElement("kbd");
      key.textContent = String(shortcut);
      button.appendChild(key);
      button.setAttribute("data-shortcut", String(shortcut));
    }
    var text = document.createElement("span");
    text.textContent = label;
    button.appendChild(text);
    button.title = (shortcut ? "(" + shortcut + ") " : "") + "Use “" + label + "”; relabels the selected annotation";
    return button;
  }

  function drawShortcuts() {
    if (!shortcuts) return;
    var labels = Array.prototype.map.call(labelOptions.options, function (o) { return o.value; }).slice(0, 9);
    shortcuts.replaceChildren.apply(shortcuts, labels.map(function (l, i) { return chip(l, i + 1); }));
    shortcuts.hidden = labels.length === 0;
  }

  function drawRecent() {
    if (!recentBox) return;
    var recent = readRecent().slice(0, RECENT_SHOWN);
    var row = recentBox.querySelector("[data-recent-list]") || recentBox;
    row.replaceChildren.apply(row, recent.map(function (l) { return chip(l, 0); }));
    recentBox.hidden = recent.length === 0;
    markCurrentLabel();
  }

  function markCurrentLabel() {
    var current = labelInput.value.trim();
    document.querySelectorAll(".label-chip").forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-label") === current ? "true" : "false");
    });
  }

  // Picking a label (chip, shortcut, Enter in the field): the current label, and the
  // selected annotation's new label.
  function pickLabel(label) {
    label = (label || "").trim();
    if (!label) return;
    setCurrentLabel(label);
    if (selectedId !== null) relabel(selectedId, label);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".label-chip[data-label]") : null;
    if (button) pickLabel(button.getAttribute("data-label"));
  });

  // ----- classification: one value per item ------------------------------------------------

  function classifications() {
    return Array.from(annotations.values()).filter(function (a) { return a.type === "classification"; })
      .sort(function (x, y) { return y.id - x.id; });
  }

  function showClassification() {
    var current = classifications()[0];
    if (classificationCurrent) {
      classificationCurrent.textContent = current ? current.label : "none";
      classificationCurrent.classList.toggle("muted", !current);
    }
    if (document.activeElement !== classificationInput) classificationInput.value = current ? current.label : "";
  }

  // The newest classification takes the new value; any older ones go (one value per item).
  function classify(label) {
    var all = classifications();
    var current = all[0];
    if (!current) return create({ type: "classification", label: label, coordinates: [] });
    if (current.label === label && all.length === 1) { notify("The item is already classified “" + label + "”."); return Promise.resolve(); }
    var ref = refOf(current.id);
    var before = current.label;
    var extras = all.slice(1);
    return api("PATCH", annotationUrl(current.id), { label: label }).then(function (saved) {
      show(saved);
      var steps = [patchStep("classify", ref, { label: before }, { label: label })];
      return extras.reduce(function (p, a) {
        return p.then(function () {
          var r = refOf(a.id);
          var body = bodyOf(a);
          return serverDelete(r).then(function () { steps.push(deleteStep(r, body)); }, function () { /* already gone */ });
        });
      }, Promise.resolve()).then(function () {
        history.record(Dataslot.History.group("classify as “" + label + "” (was “" + before + "”)", steps));
        useLabel(label);
        notify("Classified “" + label + "” (was “" + before + "”).");
      });
    }, function (error) {
      if (error.status === 404) forget(current.id);
      notify("Not classified: " + error.message, "error");
    });
  }

  document.getElementById("classification-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var label = classificationInput.value.trim();
    if (!label) { notify("Enter a classification label.", "error"); classificationInput.focus(); return; }
    classify(label).then(function () { classificationInput.blur(); showClassification(); });
  });

  // ----- tools ---------------------------------------------------------------------------

  function setTool(name) {
    if (TOOLS.indexOf(name) < 0) return;
    cancelGesture();
    tool = name;
    overlay.setAttribute("data-tool", name);
    document.querySelectorAll("button[data-tool]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-tool") === name ? "true" : "false");
    });
    if (hint) hint.textContent = HINTS[name] + KEYS_HINT;
    drawGrips(null);
  }

  function cancelGesture() {
    if (!gesture) return;
    if (gesture.preview) gesture.preview.remove();
    if (gesture.id != null && annotations.has(gesture.id)) drawShape(annotations.get(gesture.id));
    gesture = null;
  }

  function screenDistance(p, q) {
    return Math.hypot(p[0] - q[0], p[1] - q[1]) / scale();
  }

  function currentLabel() {
    var label = labelInput.value.trim();
    if (!label) {
      notify("Enter a label for new annotations first.", "error");
      labelInput.focus();
    }
    return label;
  }

  // The polygon being drawn: its outline to the cursor, and its vertices as handles (the
  // first one, larger, closes the polygon when clicked).
  function drawPolygonPreview(cursor) {
    var points = gesture.points;
    var all = cursor ? points.concat([cursor]) : points;
    gesture.line.setAttribute("points", all.map(function (p) { return p[0] + "," + p[1]; }).join(" "));
    var handles = gesture.handles;
    while (handles.children.length < points.length) handles.appendChild(svgElement("circle", { class: "handle" }));
    while (handles.children.length > points.length) handles.lastElementChild.remove();
    var r = 4 * scale();
    Array.prototype.forEach.call(handles.children, function (c, i) {
      setAttrs(c, { cx: points[i][0], cy: points[i][1], r: i === 0 ? r * 1.5 : r });
    });
  }

  function closePolygon() {
    var points = gesture.points;
    cancelGesture();
    if (points.length < 3) { notify("A polygon needs at least 3 points.", "error"); return; }
    var label = currentLabel();
    if (label) create({ type: "polygon", label: label, coordinates: points });
  }

  // A resized box: the dragged edges follow the pointer, the others stay.
  function resizedBox(start, grip, p) {
    var x1 = start[0][0], y1 = start[0][1], x2 = start[1][0], y2 = start[1][1];
    if (grip.indexOf("w") >= 0) x1 = p[0];
    if (grip.indexOf("e") >= 0) x2 = p[0];
    if (grip.indexOf("n") >= 0) y1 = p[1];
    if (grip.indexOf("s") >= 0) y2 = p[1];
    return boxFrom([x1, y1], [x2, y2]);
  }

  function startPan(event) {
    gesture = { kind: "pan", x: event.clientX, y: event.clientY, moved: false };
    stage.classList.add("is-panning");
  }

  stage.addEventListener("pointerdown", function (event) {
    // Middle button, or Space held: pan whatever the tool.
    if (event.button === 1 || (event.button === 0 && spaceHeld)) {
      event.preventDefault();
      cancelGesture();
      startPan(event);
      stage.setPointerCapture(event.pointerId);
      return;
    }
    if (event.button !== 0) return;
    var p = toImage(event);
    var grip = event.target.closest ? event.target.closest(".grip[data-grip]") : null;
    var target = event.target.closest ? event.target.closest(".shape[data-annotation-id]") : null;

    if (tool === "select") {
      if (grip && selectedId !== null) {
        var a = annotations.get(selectedId);
        var name = grip.getAttribute("data-grip");
        gesture = name.charAt(0) === "v" && name !== "w"
          ? { kind: "vertex", id: a.id, index: Number(name.slice(1)), coordinates: copy(a.coordinates), changed: null }
          : { kind: "resize", id: a.id, grip: name, coordinates: copy(a.coordinates), changed: null };
      } else if (target) {
        var id = Number(target.getAttribute("data-annotation-id"));
        select(id);
        gesture = { kind: "move", id: id, start: p, coordinates: copy(annotations.get(id).coordinates), changed: null };
      } else {
        startPan(event); // a drag pans; a click clears the selection
      }
    } else if (tool === "box") {
      gesture = { kind: "box", start: p, preview: svgElement("rect", { class: "preview", x: p[0], y: p[1], width: 0, height: 0 }) };
      gesture.preview.style.setProperty("--c", labelColor(labelInput.value.trim()));
      overlay.appendChild(gesture.preview);
    } else if (tool === "point") {
      gesture = { kind: "point", start: p };
    } else if (tool === "polygon") {
      event.preventDefault();
      if (gesture && gesture.kind === "polygon") {
        var first = gesture.points[0];
        var last = gesture.points[gesture.points.length - 1];
        if (gesture.points.length >= 3 && screenDistance(p, first) < 8) { closePolygon(); return; }
        // The second press of a double-click lands on the last vertex: the dblclick closes.
        if (screenDistance(p, last) >= MIN_DRAG_PX) gesture.points.push(p);
      } else {
        var group = svgElement("g", { class: "preview-group" });
        var line = svgElement("polyline", { class: "preview" });
        line.style.setProperty("--c", labelColor(labelInput.value.trim()));
        var handles = svgElement("g", {});
        group.append(line, handles);
        overlay.appendChild(group);
        gesture = { kind: "polygon", points: [p], preview: group, line: line, handles: handles };
      }
      drawPolygonPreview(null);
      return;
    }
    if (gesture) stage.setPointerCapture(event.pointerId);
  });

  stage.addEventListener("pointermove", function (event) {
    if (!gesture) return;
    if (gesture.kind === "pan") {
      var dx = event.clientX - gesture.x, dy = event.clientY - gesture.y;
      if (!gesture.moved && Math.hypot(dx, dy) < MIN_DRAG_PX) return;
      gesture.moved = true;
      gesture.x = event.clientX;
      gesture.y = event.clientY;
      viewport.panBy(dx, dy);
      return;
    }
    var p = toImage(event);
    var a = gesture.id != null ? annotations.get(gesture.id) : null;
    if (gesture.kind === "box") {
      var box = boxFrom(gesture.start, p);
      setAttrs(gesture.preview, { x: box[0][0], y: box[0][1], width: box[1][0] - box[0][0], height: box[1][1] - box[0][1] });
    } else if (gesture.kind === "move" && a) {
      if (!gesture.changed && screenDistance(gesture.start, p) < MIN_DRAG_PX) return;
      var xs = gesture.coordinates.map(function (q) { return q[0]; });
      var ys = gesture.coordinates.map(function (q) { return q[1]; });
      // Keep the whole shape inside the image.
      var mx = clamp(p[0] - gesture.start[0], -Math.min.apply(null, xs), cfg.width - Math.max.apply(null, xs));
      var my = clamp(p[1] - gesture.start[1], -Math.min.apply(null, ys), cfg.height - Math.max.apply(null, ys));
      gesture.changed = translated(gesture.coordinates, mx, my);
      drawShape(a, gesture.changed);
    } else if (gesture.kind === "resize" && a) {
      gesture.changed = resizedBox(gesture.coordinates, gesture.grip, p);
      drawShape(a, gesture.changed);
    } else if (gesture.kind === "vertex" && a) {
      gesture.changed = copy(gesture.coordinates);
      gesture.changed[gesture.index] = p;
      drawShape(a, gesture.changed);
    } else if (gesture.kind === "polygon") {
      drawPolygonPreview(p);
    }
  });

  stage.addEventListener("pointerup", function (event) {
    if (!gesture || gesture.kind === "polygon") return;
    var g = gesture;
    gesture = null;
    if (g.kind === "pan") {
      stage.classList.remove("is-panning");
      if (!g.moved && tool === "select" && !spaceHeld && event.button === 0) select(null);
      return;
    }
    var p = toImage(event);
    if (g.preview) g.preview.remove();
    if (g.kind === "move") {
      if (g.changed) reshape(g.id, g.changed, "move");
    } else if (g.kind === "resize") {
      if (!g.changed) return;
      var b = g.changed;
      if ((b[1][0] - b[0][0]) / scale() < MIN_DRAG_PX || (b[1][1] - b[0][1]) / scale() < MIN_DRAG_PX) {
        drawShape(annotations.get(g.id));
        notify("A box must stay at least a few pixels wide and high.", "error");
        return;
      }
      reshape(g.id, b, "resize");
    } else if (g.kind === "vertex") {
      if (g.changed) reshape(g.id, g.changed, "reshape");
    } else if (g.kind === "box") {
      var box = boxFrom(g.start, p);
      if ((box[1][0] - box[0][0]) / scale() < MIN_DRAG_PX || (box[1][1] - box[0][1]) / scale() < MIN_DRAG_PX) return;
      var label = currentLabel();
      if (label) create({ type: "box", label: label, coordinates: box });
    } else if (g.kind === "point") {
      var label2 = currentLabel();
      if (label2) create({ type: "point", label: label2, coordinates: [p] });
    }
  });

  stage.addEventListener("pointercancel", function () { stage.classList.remove("is-panning"); cancelGesture(); });
  overlay.addEventListener("dblclick", function (event) {
    event.preventDefault();
    if (gesture && gesture.kind === "polygon") closePolygon();
  });

  document.querySelectorAll("button[data-tool]").forEach(function (button) {
    button.addEventListener("click", function () { setTool(button.getAttribute("data-tool")); });
  });

  list.addEventListener("click", function (event) {
    var row = event.target.closest("li[data-annotation-id]");
    if (!row) return;
    var id = Number(row.getAttribute("data-annotation-id"));
    if (event.target.closest("[data-action=delete]")) remove(id);
    else if (event.target.closest(".annotation-row__select")) select(selectedId === id ? null : id);
  });

  // ----- zoom and pan -----------------------------------------------------------------------

  var zoomLevel = document.getElementById("zoom-level");
  var shownZoom = 1;
  var viewport = new Dataslot.Viewport(stage, content, function (zoom) {
    // A pan changes no size: touching the shapes then would repaint all of them each frame.
    if (zoom === shownZoom) return;
    shownZoom = zoom;
    if (zoomLevel) zoomLevel.textContent = Math.round(zoom * 100) + "%";
    resizeMarks();
  });
  [["zoom-in", "zoomIn"], ["zoom-out", "zoomOut"], ["zoom-fit", "fit"]].forEach(function (pair) {
    var button = document.getElementById(pair[0]);
    if (button) button.addEventListener("click", function () { viewport[pair[1]](); });
  });

  // ----- keyboard -----------------------------------------------------------------------

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function go(which) {
    var link = document.getElementById(which + "-item");
    if (link && link.href) window.location.assign(link.href);
  }

  // Enter in the label field picks that label (and relabels the selected annotation).
  labelInput.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !(gesture && gesture.kind === "polygon")) {
      event.preventDefault();
      pickLabel(labelInput.value);
    }
  });
  labelInput.addEventListener("change", function () { setCurrentLabel(labelInput.value.trim()); });

  document.addEventListener("keydown", function (event) {
    var key = event.key;
    // The polygon being drawn owns Enter and Escape, whichever field has focus.
    if (gesture && gesture.kind === "polygon" && !event.ctrlKey && !event.metaKey && !event.altKey) {
      if (key === "Enter") { event.preventDefault(); event.stopPropagation(); closePolygon(); return; }
      if (key === "Escape") { event.preventDefault(); event.stopPropagation(); cancelGesture(); return; }
    }
    if (typing(event.target)) return; // the field's own keys (its own Ctrl+Z too)
    if (event.target.closest && event.target.closest("[role=menu]")) return; // the Applications menu
    if ((event.ctrlKey || event.metaKey) && !event.altKey) {
      var lower = key.toLowerCase();
      if (lower === "z" && event.shiftKey) { event.preventDefault(); history.redo(); }
      else if (lower === "z") { event.preventDefault(); history.undo(); }
      else if (lower === "y") { event.preventDefault(); history.redo(); }
      return;
    }
    if (event.altKey) return;
    if (key === " ") { event.preventDefault(); spaceHeld = true; stage.classList.add("can-pan"); return; }
    if (gesture && gesture.kind === "polygon" && key === "Backspace" && gesture.points.length > 1) {
      event.preventDefault(); gesture.points.pop(); drawPolygonPreview(null); return;
    }
    if (key === "Escape") { if (gesture) cancelGesture(); else select(null); return; }
    if ((key === "Delete" || key === "Backspace") && selectedId !== null) { event.preventDefault(); remove(selectedId); return; }
    if (key === "ArrowLeft" || key === "k") { event.preventDefault(); go("previous"); return; }
    if (key === "ArrowRight" || key === "j") { event.preventDefault(); go("next"); return; }
    if (key === "+" || key === "=") { viewport.zoomIn(); return; }
    if (key === "-") { viewport.zoomOut(); return; }
    if (key === "0") { viewport.fit(); return; }
    if (/^[1-9]$/.test(key)) {
      var button = shortcuts && shortcuts.querySelector('.label-chip[data-shortcut="' + key + '"]');
      if (button) pickLabel(button.getAttribute("data-label"));
      return;
    }
    var toolName = TOOL_KEYS[key.toLowerCase()];
    if (toolName && !event.shiftKey) setTool(toolName);
  });
  document.addEventListener("keyup", function (event) {
    if (event.key === " ") { spaceHeld = false; stage.classList.remove("can-pan"); }
  });

  // ----- annotations returned by functions (post-action drawAnnotation) ----------------

  document.addEventListener("dataslot:draw-annotation", function (event) {
    var drawn = ((event.detail && event.detail.annotations) || []).filter(function (a) {
      return a && a.itemId === cfg.itemId && a.id != null;
    });
    drawn.forEach(show);
    // No notice here: the executions script already reports the post-action.
  });

  // ----- start ----------------------------------------------------------------------------

  try { labelInput.value = localStorage.getItem(storedLabelKey) || ""; } catch (e) { /* storage may be off */ }
  if (!labelInput.value) labelInput.value = labelOptions.options.length ? labelOptions.options[0].value : "object";

  drawShortcuts();
  drawRecent();
  showClassification();
  updateHistoryButtons();
  annotations.forEach(function (a) {
    drawShape(a);
    var row = rowNode(a.id);
    if (row) paintSwatch(row, a.label);
  });
  setTool("select");
  resizeMarks();
  // DOMContentLoaded comes after every deferred script, so the Applications script is there.
  if (document.readyState === "complete") registerSelections();
  else document.addEventListener("DOMContentLoaded", registerSelections);
  document.documentElement.setAttribute("data-studio-ready", "true");
})();
