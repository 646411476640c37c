/* The studio opened from a task (?task=, studio/tasks/_task_bar.html): mark this item
   done or not done (the button, or Ctrl+Enter from anywhere on the page), go to the next
   unfinished item (Ctrl+Shift+Enter). The progress also moves live when anyone else marks
   an item: the studio websocket swaps #task-progress-<id> in place (hx-swap-oob). */
(function () {
  "use strict";

  var bar = document.getElementById("task-bar");
  var button = document.getElementById("task-item-done");
  if (!bar || !button) return;
  var D = window.Dataslot || {};
  var taskId = bar.getAttribute("data-task-id");
  var itemId = bar.getAttribute("data-item-id");
  var busy = false;

  function showDone(done) {
    bar.setAttribute("data-done", done ? "true" : "false");
    button.setAttribute("aria-pressed", done ? "true" : "false");
    button.classList.toggle("button--success", done);
    button.textContent = done ? "Done ✓" : "Mark done";
  }

  // The answer's numbers, at once; the live event brings the same ones a moment later.
  function showProgress(task) {
    var box = document.getElementById("task-progress-" + taskId);
    if (!box || !task) return;
    var meter = box.querySelector("[role=progressbar]");
    meter.setAttribute("aria-valuenow", String(task.progress));
    box.querySelector(".progress__bar").style.width = task.progress + "%";
    box.querySelector(".progress__count").textContent = task.itemsDone + "/" + task.itemsTotal;
    box.querySelector(".progress__percent").textContent = task.progress + "%";
  }

  function toggle() {
    if (busy) return;
    busy = true;
    var done = bar.getAttribute("data-done") !== "true";
    button.setAttribute("aria-busy", "true");
    D.api("POST", "/api/tasks/" + taskId + "/items/" + itemId + "/", { done: done }).then(function (answer) {
      if (!answer.ok) {
        D.toast("Could not mark the item " + (done ? "done" : "not done") + ": " + D.errorMessage(answer), "error");
        return;
      }
      showDone(done); // the button says it; no notice needed
      showProgress(answer.data);
    }, function () {
      D.toast("The server could not be reached; the item's state did not change.", "error");
    }).then(function () {
      busy = false;
      button.removeAttribute("aria-busy");
    });
  }

  button.addEventListener("click", toggle);
  // Ctrl+Enter whichever field has focus (the label field included): the key of "done"
  // must not depend on where the cursor was left.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.altKey) return;
    event.preventDefault();
    if (event.shiftKey) {
      var next = document.getElementById("next-unfinished");
      if (next && next.href) window.location.assign(next.href);
      return;
    }
    toggle();
  });
})();
