/* The dataset browser: selecting items (one by one, shift-click ranges, all matching the
   filter) for the Applications menu, and refreshing a thumbnail's overlay after a
   drawAnnotation post-action. Pages of items arrive by htmx (infinite scroll); a
   selection of "all matching" is {all, excluded, filter, datasetId}, never a list of ids. */
(function () {
  "use strict";

  var Dataslot = (window.Dataslot = window.Dataslot || {});
  var root, filter, datasetId;
  var selected = new Set(); // ids, when not all are selected
  var all = false; // every item matching the filter ...
  var excluded = new Set(); // ... except these
  var lastClicked = null; // for shift-click ranges

  function boxes() { return Array.prototype.slice.call(root.querySelectorAll("input.select-item")); }
  function idOf(box) { return Number(box.closest("[data-item-id]").getAttribute("data-item-id")); }
  function isSelected(id) { return all ? !excluded.has(id) : selected.has(id); }

  function setSelected(id, on) {
    if (all) {
      if (on) excluded.delete(id); else excluded.add(id);
    } else if (on) {
      selected.add(id);
    } else {
      selected.delete(id);
    }
  }

  function render() {
    boxes().forEach(function (box) {
      var on = isSelected(idOf(box));
      box.checked = on;
      box.closest("[data-item-id]").classList.toggle("is-selected", on);
    });
    var summary = document.getElementById("selection-summary");
    var allButton = document.getElementById("select-all-matching");
    var clear = document.getElementById("clear-selection");
    if (all) {
      summary.textContent = excluded.size
        ? "All items matching the filter, except " + excluded.size
        : "All items matching the filter";
    } else {
      summary.textContent = selected.size ? selected.size + " selected" : "Nothing selected";
    }
    allButton.setAttribute("aria-pressed", all ? "true" : "false");
    clear.disabled = !all && !selected.size;
  }

  function changed() {
    render();
    if (Dataslot.selectionChanged) Dataslot.selectionChanged();
  }

  function selection() {
    if (all) return { all: true, excluded: Array.from(excluded), filter: filter, datasetId: datasetId };
    return selected.size ? { ids: Array.from(selected) } : null;
  }

  function onBoxClick(event) {
    var box = event.target;
    var list = boxes();
    var index = list.indexOf(box);
    if (event.shiftKey && lastClicked !== null && list[lastClicked]) {
      // Every tile between the last clicked and this one takes this one's new state.
      var from = Math.min(lastClicked, index), to = Math.max(lastClicked, index);
      for (var i = from; i <= to; i++) setSelected(idOf(list[i]), box.checked);
    } else {
      setSelected(idOf(box), box.checked);
    }
    lastClicked = index;
    changed();
  }

  // A thumbnail's overlay after drawAnnotation: the event brings each item's overlay,
  // rendered by the server (studio/applications/drawn.py).
  function refreshOverlays(event) {
    var overlays = (event.detail && event.detail.overlays) || {};
    Object.keys(overlays).forEach(function (itemId) {
      root.querySelectorAll('svg[data-overlay-for="' + itemId + '"]').forEach(function (svg) {
        var template = document.createElement("template");
        template.innerHTML = overlays[itemId].trim();
        svg.replaceWith(template.content.firstElementChild);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("browser");
    if (!root) return;
    datasetId = Number(root.dataset.datasetId);
    var filterScript = document.getElementById("browser-filter");
    filter = filterScript ? JSON.parse(filterScript.textContent) : {};

    root.addEventListener("click", function (event) {
      if (event.target.matches("input.select-item")) onBoxClick(event);
    });
    // Selecting with the keyboard (Space) fires click too; nothing else to handle.

    document.getElementById("select-all-matching").addEventListener("click", function () {
      all = !all;
      excluded.clear();
      selected.clear();
      lastClicked = null;
      changed();
    });
    document.getElementById("clear-selection").addEventListener("click", function () {
      all = false;
      excluded.clear();
      selected.clear();
      lastClicked = null;
      changed();
    });
    // A new page of tiles shows the current selection (all matching includes it).
    document.body.addEventListener("htmx:afterSettle", render);
    document.addEventListener("dataslot:draw-annotation", refreshOverlays);

    // On a phone the filter form would fill the first screen; it folds unless a filter is set.
    var details = document.querySelector("[data-fold-on-phone]");
    if (details && window.matchMedia("(max-width: 40rem)").matches) details.open = false;

    if (Dataslot.registerSelection) Dataslot.registerSelection("item", selection);
    render();
  });
})();
