/* The annotation studio (docs/studio.md): draws an item's annotations as an SVG overlay
   whose viewBox is the image's pixel size, so every coordinate here is an image pixel.
   Drawing, moving and deleting go through the REST API (docs/api.md) and are shown as
   soon as the server answers. User text is only ever set with textContent/setAttribute. */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  // Same list and hash as studio/annotate/selectors.py, so a label keeps its colour.
  var COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#0fa3b1",
                "#f032e6", "#7cb518", "#9a6324", "#1d3557", "#d4a900", "#469990"];
  var TOOLS = ["select", "box", "point", "polygon"];
  var HINTS = {
    select: "Select: click an annotation to select it, drag to move it, Delete to remove it.",
    box: "Box: drag on the image to draw a box.",
    point: "Point: click on the image to place a point.",
    polygon: "Polygon: click to add points; double-click, Enter or a click on the first point closes it; Esc cancels.",
  };
  var KEYS_HINT = " Keys: 1–4 tools, ← → (or k j) previous and next item.";
  var POINT_RADIUS_PX = 6; // on screen
  var MIN_DRAG_PX = 3; // on screen: less is a click, not a drag

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

  var list = document.getElementById("annotation-list");
  var emptyNote = document.getElementById("annotation-list-empty");
  var countBadge = document.getElementById("annotation-count");
  var labelInput = document.getElementById("annotation-label");
  var labelOptions = document.getElementById("project-labels");
  var hint = document.getElementById("tool-hint");

  var annotations = new Map();
  (readJSON("studio-annotations") || []).forEach(function (a) { annotations.set(a.id, a); });
  var selectedId = null;
  var tool = "select";
  var gesture = null; // the drag or drawing in progress

  // ----- notices and API -------------------------------------------------------------

  // Notices go to #notices (base.html) through studio.js: role=status, role=alert for failures.
  function notify(message, kind) {
    if (window.Dataslot && Dataslot.toast) Dataslot.toast(message, kind);
  }

  // Dataslot.api (studio.js) sends the session and CSRF token; here an HTTP error rejects
  // with the server's message (e.g. a 400 "coordinates: ... outside the image").
  function api(method, url, body) {
    return Dataslot.api(method, url, body).then(function (answer) {
      if (!answer.ok) throw new Error(Dataslot.errorMessage(answer));
      return answer.data;
    }, function () { throw new Error("The server could not be reached."); });
  }

  var annotationsUrl = "/api/items/" + cfg.itemId + "/annotations/";
  function annotationUrl(id) { return "/api/annotations/" + id + "/"; }

  // ----- geometry ----------------------------------------------------------------------

  function round1(v) { return Math.round(v * 10) / 10; }
  function clamp(v, low, high) { return Math.min(high, Math.max(low, v)); }

  // Image pixels per screen pixel (the overlay scales with the image).
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
      overlay.appendChild(node);
    }
    node.setAttribute("class", "shape" + (a.id === selectedId ? " is-selected" : ""));
    node.setAttribute("data-annotation-id", a.id);
    node.setAttribute("data-type", a.type);
    node.setAttribute("data-label", a.label);
    node.style.setProperty("--c", labelColor(a.label));
    setAttrs(node, shape.attrs);
    node.querySelector("title").textContent = a.label;
  }

  var DELETE_ICON = '<svg viewBox="0 0 20 20" aria-hidden="true" focusable="false"><path d="M5 5l10 10M15 5L5 15"/></svg>';

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
      remove.title = "Delete";
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
    row.querySelector(".swatch").style.setProperty("--c", labelColor(a.label));
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
  }

  function forget(id) {
    annotations.delete(id);
    var node = shapeNode(id);
    if (node) node.remove();
    var row = rowNode(id);
    if (row) row.remove();
    if (selectedId === id) select(null);
    updateCount();
  }

  // Points keep their on-screen size whatever the image's scale.
  function resizePoints() {
    var r = POINT_RADIUS_PX * scale();
    overlay.querySelectorAll("circle").forEach(function (c) { c.setAttribute("r", r); });
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
      if (node) overlay.appendChild(node); // on top, so it can be dragged
    }
    if (previous !== id) selectionChanged();
  }

  function registerSelections() {
    var D = window.Dataslot;
    if (!D || typeof D.registerSelection !== "function") return;
    D.registerSelection("item", function () { return { ids: [cfg.itemId] }; });
    D.registerSelection("annotation", function () { return selectedId !== null ? { ids: [selectedId] } : null; });
    selectionChanged();
  }

  // ----- saving --------------------------------------------------------------------------

  function currentLabel() {
    var label = labelInput.value.trim();
    if (!label) {
      notify("Enter a label for new annotations first.", "error");
      labelInput.focus();
    }
    return label;
  }

  function create(body) {
    return api("POST", annotationsUrl, body).then(function (a) {
      show(a);
      if (a.type !== "classification") select(a.id);
      notify("Saved " + a.type + " “" + a.label + "”.");
      return a;
    }, function (error) {
      notify("Not saved: " + error.message, "error");
      return null;
    });
  }

  function remove(id) {
    var a = annotations.get(id);
    if (!a) return;
    api("DELETE", annotationUrl(id)).then(function () {
      forget(id);
      notify("Deleted " + a.type + " “" + a.label + "”.");
    }, function (error) { notify("Not deleted: " + error.message, "error"); });
  }

  function move(id, coordinates) {
    var a = annotations.get(id);
    api("PATCH", annotationUrl(id), { coordinates: coordinates }).then(show, function (error) {
      drawShape(a); // back where the server has it
      notify("Not moved: " + error.message, "error");
    });
  }

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
  }

  function cancelGesture() {
    if (!gesture) return;
    if (gesture.preview) gesture.preview.remove();
    if (gesture.kind === "move") drawShape(annotations.get(gesture.id));
    gesture = null;
  }

  function screenDistance(p, q) {
    var s = scale();
    return Math.hypot(p[0] - q[0], p[1] - q[1]) / s;
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

  overlay.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) return;
    var p = toImage(event);
    var target = event.target.closest ? event.target.closest(".shape[data-annotation-id]") : null;

    if (tool === "select") {
      if (!target) { select(null); return; }
      var id = Number(target.getAttribute("data-annotation-id"));
      select(id);
      gesture = { kind: "move", id: id, start: p, coordinates: annotations.get(id).coordinates, moved: null };
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
    if (gesture) overlay.setPointerCapture(event.pointerId);
  });

  overlay.addEventListener("pointermove", function (event) {
    if (!gesture) return;
    var p = toImage(event);
    if (gesture.kind === "box") {
      var box = boxFrom(gesture.start, p);
      setAttrs(gesture.preview, { x: box[0][0], y: box[0][1], width: box[1][0] - box[0][0], height: box[1][1] - box[0][1] });
    } else if (gesture.kind === "move") {
      if (!gesture.moved && screenDistance(gesture.start, p) < MIN_DRAG_PX) return;
      var a = annotations.get(gesture.id);
      var xs = gesture.coordinates.map(function (q) { return q[0]; });
      var ys = gesture.coordinates.map(function (q) { return q[1]; });
      // Keep the whole shape inside the image.
      var dx = clamp(p[0] - gesture.start[0], -Math.min.apply(null, xs), cfg.width - Math.max.apply(null, xs));
      var dy = clamp(p[1] - gesture.start[1], -Math.min.apply(null, ys), cfg.height - Math.max.apply(null, ys));
      gesture.moved = translated(gesture.coordinates, dx, dy);
      drawShape(a, gesture.moved);
    } else if (gesture.kind === "polygon") {
      drawPolygonPreview(p);
    }
  });

  overlay.addEventListener("pointerup", function (event) {
    if (!gesture || gesture.kind === "polygon") return;
    var g = gesture;
    gesture = null;
    var p = toImage(event);
    if (g.preview) g.preview.remove();
    if (g.kind === "move") {
      if (g.moved) move(g.id, g.moved);
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

  overlay.addEventListener("pointercancel", cancelGesture);
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

  document.getElementById("classification-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = document.getElementById("classification-label");
    var label = input.value.trim();
    if (!label) { notify("Enter a classification label.", "error"); input.focus(); return; }
    var exists = Array.from(annotations.values()).some(function (a) { return a.type === "classification" && a.label === label; });
    if (exists) { notify("The item is already classified “" + label + "”."); return; }
    create({ type: "classification", label: label, coordinates: [] }).then(function (a) { if (a) input.value = ""; });
  });

  // ----- keyboard -----------------------------------------------------------------------

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function go(which) {
    var link = document.getElementById(which + "-item");
    if (link && link.href) window.location.assign(link.href);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.target.closest && event.target.closest("[role=menu]")) return; // the Applications menu
    var key = event.key;
    if (gesture && gesture.kind === "polygon") {
      if (key === "Enter") { event.preventDefault(); closePolygon(); return; }
      if (key === "Backspace" && gesture.points.length > 1) { event.preventDefault(); gesture.points.pop(); drawPolygonPreview(null); return; }
    }
    if (key === "Escape") { if (gesture) cancelGesture(); else select(null); return; }
    if ((key === "Delete" || key === "Backspace") && selectedId !== null) { event.preventDefault(); remove(selectedId); return; }
    if (key === "ArrowLeft" || key === "k") { event.preventDefault(); go("previous"); return; }
    if (key === "ArrowRight" || key === "j") { event.preventDefault(); go("next"); return; }
    if (/^[1-4]$/.test(key)) setTool(TOOLS[Number(key) - 1]);
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

  var storedLabelKey = "dataslot:label:" + cfg.projectId;
  try { labelInput.value = localStorage.getItem(storedLabelKey) || ""; } catch (e) { /* storage may be off */ }
  if (!labelInput.value) labelInput.value = labelOptions.options.length ? labelOptions.options[0].value : "object";
  labelInput.addEventListener("change", function () {
    try { localStorage.setItem(storedLabelKey, labelInput.value.trim()); } catch (e) { /* ignore */ }
  });

  annotations.forEach(function (a) { drawShape(a); });
  setTool("select");
  if (window.ResizeObserver) new ResizeObserver(resizePoints).observe(overlay);
  resizePoints();
  // DOMContentLoaded comes after every deferred script, so the Applications script is there.
  if (document.readyState === "complete") registerSelections();
  else document.addEventListener("DOMContentLoaded", registerSelections);
  document.documentElement.setAttribute("data-studio-ready", "true");
})();
