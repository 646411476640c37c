/* The annotation studio's zoom and pan (docs/studio.md). The stage keeps the size that
   fits the image on screen; its content (image + overlay) is moved and scaled with one CSS
   transform on a composited layer, so panning 500 annotations repaints nothing.
   Zoom 1 is "fit"; the view never zooms out past it nor pans the image out of the stage. */
(function () {
  "use strict";

  var MIN_ZOOM = 1;
  var MAX_ZOOM = 32;
  var STEP = 1.25; // one button press or key
  var WHEEL_FACTOR = 0.0015; // per wheel delta pixel

  function clamp(v, low, high) { return Math.min(high, Math.max(low, v)); }

  // stage: the clipping box; content: what is transformed; onChange(zoom) after each change.
  function Viewport(stage, content, onChange) {
    this.stage = stage;
    this.content = content;
    this.onChange = onChange || function () {};
    this.zoom = 1;
    this.x = 0;
    this.y = 0;
    this.frame = 0;
    this.box = null; // the stage's size, kept by a ResizeObserver: no layout read per pointer move
    var self = this;
    if (window.ResizeObserver) {
      new ResizeObserver(function (entries) {
        var rect = entries[entries.length - 1].contentRect;
        self.box = { w: rect.width, h: rect.height };
        self.clampPan();
        self.apply();
      }).observe(stage);
    }
    stage.addEventListener("wheel", function (event) {
      event.preventDefault(); // the page must not scroll while the image zooms
      var rect = stage.getBoundingClientRect();
      var delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
      self.zoomAt(self.zoom * Math.exp(-delta * WHEEL_FACTOR), event.clientX - rect.left, event.clientY - rect.top);
    }, { passive: false });
  }

  Viewport.prototype.size = function () {
    return this.box || { w: this.stage.clientWidth, h: this.stage.clientHeight };
  };

  // Keep the content covering the stage (zoom >= 1), so no empty margin opens up.
  Viewport.prototype.clampPan = function () {
    var s = this.size();
    this.x = clamp(this.x, s.w - s.w * this.zoom, 0);
    this.y = clamp(this.y, s.h - s.h * this.zoom, 0);
  };

  // One transform write per animation frame, however many pointer events arrive.
  Viewport.prototype.apply = function () {
    var self = this;
    if (self.frame) return;
    self.frame = requestAnimationFrame(function () {
      self.frame = 0;
      self.content.style.transform = "translate(" + self.x + "px, " + self.y + "px) scale(" + self.zoom + ")";
      var zoom = self.zoom.toFixed(3);
      if (self.stage.getAttribute("data-zoom") !== zoom) self.stage.setAttribute("data-zoom", zoom); // not per pan frame
      self.onChange(self.zoom);
    });
  };

  // Zoom to `zoom`, keeping the stage point (sx, sy) (CSS px from its top left) in place.
  Viewport.prototype.zoomAt = function (zoom, sx, sy) {
    zoom = clamp(zoom, MIN_ZOOM, MAX_ZOOM);
    var ratio = zoom / this.zoom;
    this.x = sx - (sx - this.x) * ratio;
    this.y = sy - (sy - this.y) * ratio;
    this.zoom = zoom;
    this.clampPan();
    this.apply();
  };

  Viewport.prototype.zoomBy = function (factor) {
    var s = this.size();
    this.zoomAt(this.zoom * factor, s.w / 2, s.h / 2);
  };
  Viewport.prototype.zoomIn = function () { this.zoomBy(STEP); };
  Viewport.prototype.zoomOut = function () { this.zoomBy(1 / STEP); };
  Viewport.prototype.fit = function () { this.zoom = 1; this.x = 0; this.y = 0; this.apply(); };

  // Pan by screen pixels.
  Viewport.prototype.panBy = function (dx, dy) {
    this.x += dx;
    this.y += dy;
    this.clampPan();
    this.apply();
  };

  window.Dataslot = window.Dataslot || {};
  window.Dataslot.Viewport = Viewport;
})();
