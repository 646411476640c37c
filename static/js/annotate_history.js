/* Undo and redo for the annotation studio (docs/studio.md). Each step is a command with
   undo() and redo() that each return a promise and go through the REST API, so the server
   always holds what the page shows.

   An annotation that is deleted and re-created gets a new id; the steps about it share
   one `ref` ({id}) so later steps follow it to the new id. A step that can no longer be
   applied because its annotation was deleted elsewhere (404) is dropped with a plain
   message; every other step stays, and nothing else is lost. */
(function () {
  "use strict";

  var LIMIT = 200; // steps kept

  // notify(message, kind); onChange() after the stacks change (for the buttons).
  function History(notify, onChange) {
    this.done = [];
    this.undone = [];
    this.notify = notify;
    this.onChange = onChange || function () {};
    this.queue = Promise.resolve(); // steps run one at a time, in the order asked
  }

  History.prototype.record = function (step) {
    this.done.push(step);
    if (this.done.length > LIMIT) this.done.shift();
    this.undone = [];
    this.onChange();
  };

  History.prototype.canUndo = function () { return this.done.length > 0; };
  History.prototype.canRedo = function () { return this.undone.length > 0; };

  History.prototype._run = function (from, to, method, verb) {
    var self = this;
    self.queue = self.queue.then(function () {
      var step = from.pop();
      if (!step) { self.notify("Nothing to " + verb + "."); return; }
      self.onChange();
      return step[method]().then(function () {
        to.push(step);
        self.notify((verb === "undo" ? "Undone: " : "Redone: ") + step.name + ".");
      }, function (error) {
        if (error && error.status === 404) {
          // Deleted elsewhere: this step cannot apply; the others are kept.
          self.notify("Could not " + verb + " “" + step.name + "”: the annotation was deleted elsewhere. Your other changes are kept.", "error");
        } else {
          from.push(step); // still there to try again
          self.notify("Not " + verb + "ne: " + (error && error.message ? error.message : "unknown error"), "error");
        }
      }).then(function () { self.onChange(); });
    });
    return self.queue;
  };

  History.prototype.undo = function () { return this._run(this.done, this.undone, "undo", "undo"); };
  History.prototype.redo = function () { return this._run(this.undone, this.done, "redo", "redo"); };

  // Undo one given step (the Undo button of a "Deleted" notice), wherever it is.
  History.prototype.undoStep = function (step) {
    var i = this.done.indexOf(step);
    if (i < 0) return this.queue;
    this.done.splice(i, 1);
    this.done.push(step);
    return this.undo();
  };

  // Several steps as one (e.g. setting the classification: relabel one, delete the rest).
  History.group = function (name, steps) {
    return {
      name: name,
      undo: function () {
        return steps.slice().reverse().reduce(function (p, s) { return p.then(s.undo); }, Promise.resolve());
      },
      redo: function () {
        return steps.reduce(function (p, s) { return p.then(s.redo); }, Promise.resolve());
      },
    };
  };

  window.Dataslot = window.Dataslot || {};
  window.Dataslot.History = History;
})();
