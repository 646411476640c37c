/* The tasks browser (docs/studio.md): the checked rows are the "task" selection that the
   Applications dropdown runs slots on. Shift-click checks a range. */
(function () {
  "use strict";

  var table = document.getElementById("tasks-table");
  var count = document.getElementById("task-selection-count");
  var all = document.getElementById("select-all-tasks");
  if (!table) return;

  function boxes() { return Array.from(table.querySelectorAll("input[type=checkbox].select-task")); }
  function selectedIds() {
    return boxes().filter(function (b) { return b.checked; }).map(function (b) { return Number(b.value); });
  }

  function changed() {
    var ids = selectedIds();
    boxes().forEach(function (b) { b.closest("tr").classList.toggle("is-selected", b.checked); });
    if (count) count.textContent = ids.length ? ids.length + " task" + (ids.length === 1 ? "" : "s") + " selected" : "No task selected";
    if (all) {
      all.checked = ids.length > 0 && ids.length === boxes().length;
      all.indeterminate = ids.length > 0 && ids.length < boxes().length;
    }
    var D = window.Dataslot;
    if (D && typeof D.selectionChanged === "function") D.selectionChanged();
  }

  var lastClicked = null;
  table.addEventListener("click", function (event) {
    var box = event.target.closest("input.select-task");
    if (!box) return;
    var list = boxes();
    if (event.shiftKey && lastClicked !== null) {
      var from = list.indexOf(lastClicked), to = list.indexOf(box);
      list.slice(Math.min(from, to), Math.max(from, to) + 1).forEach(function (b) { b.checked = box.checked; });
    }
    lastClicked = box;
  });
  table.addEventListener("change", function (event) {
    if (event.target.closest("input.select-task")) changed();
  });
  if (all) all.addEventListener("change", function () {
    boxes().forEach(function (b) { b.checked = all.checked; });
    changed();
  });

  function register() {
    var D = window.Dataslot;
    if (!D || typeof D.registerSelection !== "function") return;
    D.registerSelection("task", function () {
      var ids = selectedIds();
      return ids.length ? { ids: ids } : null;
    });
    changed();
  }
  // DOMContentLoaded comes after every deferred script, so the Applications script is there.
  if (document.readyState === "complete") register();
  else document.addEventListener("DOMContentLoaded", register);
  // A reload can keep checkboxes checked; the count must say so.
  window.addEventListener("pageshow", changed);
})();
