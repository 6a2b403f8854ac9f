/* ddialab report: the canvas timeline, tabs, copy buttons.  No dependencies, no network. */
(function () {
  "use strict";
  var OUTCOME_COLORS = ["#2e8b57", "#d64541", "#e6a23c", "#8c8c8c"];
  var GUTTER = 78, AXIS = 22;

  var LOGICAL = false;

  function fmtTime(units, unitNs) {
    if (LOGICAL) return "event " + Math.round(units * unitNs);
    var ns = units * unitNs;
    if (Math.abs(ns) >= 1e9) return (ns / 1e9).toPrecision(4).replace(/\.?0+$/, "") + " s";
    if (Math.abs(ns) >= 1e6) return (ns / 1e6).toPrecision(4).replace(/\.?0+$/, "") + " ms";
    if (Math.abs(ns) >= 1e3) return (ns / 1e3).toPrecision(4).replace(/\.?0+$/, "") + " µs";
    return Math.round(ns) + " ns";
  }

  function niceStep(span, n) {
    var raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * mag >= raw) return steps[i] * mag;
    return 10 * mag;
  }

  function Timeline(data, canvas, tip, status) {
    var self = this;
    this.d = data; this.canvas = canvas; this.tip = tip; this.status = status;
    var n = data.s.length;
    this.n = n;
    this.end = new Float64Array(n);
    var maxDur = 1;
    for (var i = 0; i < n; i++) {
      var e = data.e[i] < 0 ? data.end : data.e[i];
      this.end[i] = e;
      if (e - data.s[i] > maxDur) maxDur = e - data.s[i];
    }
    this.maxDur = maxDur;
    // per-lane lists of pair indices, sorted by start time
    var lanes = [];
    for (var l = 0; l < data.lanes.length; l++) lanes.push([]);
    for (i = 0; i < n; i++) lanes[data.l[i]].push(i);
    this.lanes = lanes.map(function (xs) {
      xs.sort(function (a, b) { return data.s[a] - data.s[b]; });
      return Int32Array.from(xs);
    });
    this.marked = new Uint8Array(n);
    for (i = 0; i < data.m.length; i++) this.marked[data.m[i]] = 1;
    this.focused = null;
    this.key = -1;  // show every key; else only ops of key number this.key
    this.v0 = 0; this.v1 = Math.max(1, data.end);
    this.resize();
    window.addEventListener("resize", function () { self.resize(); self.draw(); });
    this.bind();
  }

  Timeline.prototype.resize = function () {
    var nl = Math.max(1, this.d.lanes.length);
    this.rowH = Math.max(3, Math.min(18, Math.floor(560 / nl)));
    this.cssW = Math.max(300, this.canvas.parentNode.clientWidth);
    this.cssH = AXIS + nl * this.rowH + 6;
    var dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(this.cssW * dpr);
    this.canvas.height = Math.round(this.cssH * dpr);
    this.canvas.style.height = this.cssH + "px";
    this.ctx = this.canvas.getContext("2d");
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  };

  Timeline.prototype.x = function (t) {
    return GUTTER + (t - this.v0) / (this.v1 - this.v0) * (this.cssW - GUTTER - 8);
  };
  Timeline.prototype.t = function (x) {
    return this.v0 + (x - GUTTER) / (this.cssW - GUTTER - 8) * (this.v1 - this.v0);
  };

  // first position in lane list whose start >= t
  Timeline.prototype.lowerBound = function (list, t) {
    var lo = 0, hi = list.length, s = this.d.s;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (s[list[mid]] < t) lo = mid + 1; else hi = mid; }
    return lo;
  };

  Timeline.prototype.draw = function () {
    var t0 = performance.now();
    var c = this.ctx, d = this.d, W = this.cssW, H = this.cssH, rowH = this.rowH;
    c.clearRect(0, 0, W, H);
    c.fillStyle = "#fff"; c.fillRect(0, 0, W, H);
    // nemesis bands
    c.font = "10px system-ui, sans-serif";
    for (var b = 0; b < d.bands.length; b++) {
      var band = d.bands[b];
      var bx0 = Math.max(GUTTER, this.x(band.s)), bx1 = Math.min(W, this.x(Math.max(band.e, band.s)));
      if (bx1 < GUTTER || bx0 > W) continue;
      c.globalAlpha = 0.55; c.fillStyle = band.color;
      c.fillRect(bx0, AXIS, Math.max(2, bx1 - bx0), H - AXIS);
      c.globalAlpha = 1;
    }
    // lanes
    for (var l = 0; l < d.lanes.length; l++) {
      if (l % 2 === 1) { c.fillStyle = "rgba(0,0,0,0.025)"; c.fillRect(GUTTER, AXIS + l * rowH, W - GUTTER, rowH); }
    }
    // ops, collected per outcome and drawn ok first, then pending, fail, info on top, so a
    // burst of failures stays visible when many ops share a pixel
    var drawn = 0, pad = rowH > 6 ? 1 : 0;
    var marks = [], layers = [[], [], [], []], ORDER = [0, 3, 1, 2];
    for (l = 0; l < this.lanes.length; l++) {
      var list = this.lanes[l], yl = AXIS + l * rowH + pad, h = Math.max(1, rowH - 2 * pad);
      var k = this.lowerBound(list, this.v0 - this.maxDur);
      var lastX = [-1, -1, -1, -1];
      for (; k < list.length; k++) {
        var i = list[k], s = d.s[i];
        if (s > this.v1) break;
        var e = this.end[i];
        if (e < this.v0 || (this.key >= 0 && d.k[i] !== this.key)) continue;
        var x0 = this.x(s), x1 = this.x(e), o = d.o[i], px = Math.floor(x0);
        // at whole-run zoom many ops share a pixel: one bar per pixel and outcome
        if (x1 - x0 < 1 && px === lastX[o] && !this.marked[i]) continue;
        lastX[o] = px;
        if (x0 < GUTTER) x0 = GUTTER;
        layers[o].push(x0, yl, Math.max(1, x1 - x0), h);
        if (this.marked[i] || (this.focused && this.focused[i])) marks.push([x0, yl, Math.max(2, x1 - x0), h]);
      }
    }
    for (var oi = 0; oi < ORDER.length; oi++) {
      var rects = layers[ORDER[oi]];
      c.fillStyle = OUTCOME_COLORS[ORDER[oi]];
      for (var r = 0; r < rects.length; r += 4) c.fillRect(rects[r], rects[r + 1], rects[r + 2], rects[r + 3]);
      drawn += rects.length / 4;
    }
    c.strokeStyle = "#111"; c.lineWidth = 2;
    for (var m = 0; m < marks.length; m++) c.strokeRect(marks[m][0], marks[m][1], marks[m][2], marks[m][3]);
    // axis
    c.fillStyle = "#fff"; c.fillRect(0, 0, W, AXIS - 1); c.fillRect(0, AXIS, GUTTER, H);
    c.fillStyle = "#555"; c.strokeStyle = "#bbb"; c.lineWidth = 1; c.textBaseline = "alphabetic";
    var step = niceStep(this.v1 - this.v0, 8);
    for (var t = Math.ceil(this.v0 / step) * step; t <= this.v1; t += step) {
      var x = this.x(t);
      c.beginPath(); c.moveTo(x, AXIS - 5); c.lineTo(x, AXIS); c.stroke();
      c.fillText(fmtTime(t, d.unit_ns), x + 2, AXIS - 8);
    }
    c.fillStyle = "#333"; c.fillText(d.laneTitle.split(" ")[0], 4, AXIS - 8);
    c.textBaseline = "middle";
    if (rowH >= 9) for (l = 0; l < d.lanes.length; l++) c.fillText(d.lanes[l], 4, AXIS + l * rowH + rowH / 2);
    // fault names along the bottom of their bands
    c.textBaseline = "alphabetic"; c.font = "bold 10px system-ui, sans-serif";
    for (b = 0; b < d.bands.length; b++) {
      var bd = d.bands[b], lx = Math.max(GUTTER, this.x(bd.s));
      if (this.x(bd.e) - lx < 40 || lx > W) continue;
      c.fillStyle = "rgba(255,255,255,0.8)"; c.fillRect(lx, H - 16, c.measureText(bd.kind).width + 6, 13);
      c.fillStyle = "#6b2d28"; c.fillText(bd.kind, lx + 3, H - 6);
    }
    c.font = "10px system-ui, sans-serif";
    c.beginPath(); c.moveTo(GUTTER, AXIS); c.lineTo(W, AXIS); c.stroke();
    this.lastDrawMs = performance.now() - t0;
    this.lastDrawn = drawn;
    if (this.status) {
      this.status.textContent = (this.key >= 0 ? "key " + d.keys[this.key] + " of " : "") + this.n + " ops in " + d.lanes.length + " lanes (by " + d.laneTitle +
        "); showing " + fmtTime(this.v0, d.unit_ns) + " – " + fmtTime(this.v1, d.unit_ns) +
        "; drew " + drawn + " bars in " + this.lastDrawMs.toFixed(1) + " ms";
    }
  };

  Timeline.prototype.zoom = function (factor, atX, later) {
    var t = this.t(atX === undefined ? (GUTTER + this.cssW) / 2 : atX);
    var span = Math.max(2, (this.v1 - this.v0) * factor);
    var frac = (t - this.v0) / (this.v1 - this.v0);
    this.v0 = t - frac * span; this.v1 = this.v0 + span;
    if (later) this.drawSoon(); else this.draw();
  };

  // wheel and drag events can outpace drawing: draw once per animation frame
  Timeline.prototype.drawSoon = function () {
    var self = this;
    if (this.pending) return;
    this.pending = true;
    window.requestAnimationFrame(function () { self.pending = false; self.draw(); });
  };

  Timeline.prototype.show = function (a, b) {
    var pad = Math.max(2, (b - a) * 0.15);
    this.v0 = a - pad; this.v1 = b + pad; this.draw();
  };

  Timeline.prototype.reset = function () { this.v0 = 0; this.v1 = Math.max(1, this.d.end); this.draw(); };

  Timeline.prototype.focusOps = function (indices) {
    var want = {}, d = this.d, a = Infinity, b = -Infinity;
    for (var j = 0; j < indices.length; j++) want[indices[j]] = 1;
    this.focused = new Uint8Array(this.n);
    for (var i = 0; i < this.n; i++) {
      if (want[d.i[i]] || (d.c[i] >= 0 && want[d.c[i]])) {
        this.focused[i] = 1; a = Math.min(a, d.s[i]); b = Math.max(b, this.end[i]);
      }
    }
    if (a <= b) this.show(a, b);
  };

  Timeline.prototype.hit = function (px, py) {
    var l = Math.floor((py - AXIS) / this.rowH);
    if (l < 0 || l >= this.lanes.length || px < GUTTER) return -1;
    var t = this.t(px), tol = (this.v1 - this.v0) / this.cssW * 2;
    var list = this.lanes[l], k = this.lowerBound(list, t + tol) - 1, best = -1;
    for (var steps = 0; k >= 0 && steps < 400; k--, steps++) {
      var i = list[k];
      if (this.key >= 0 && this.d.k[i] !== this.key) continue;
      if (this.end[i] + tol >= t) { best = i; break; }
      if (this.d.s[i] < t - this.maxDur) break;
    }
    return best;
  };

  Timeline.prototype.describe = function (i) {
    var d = this.d, lat = d.e[i] >= 0 ? fmtTime(d.e[i] - d.s[i], d.unit_ns) : "never completed";
    if (LOGICAL && d.e[i] >= 0) lat = Math.round((d.e[i] - d.s[i]) * d.unit_ns) + " events";
    var lines = ["op " + d.i[i] + (d.c[i] >= 0 ? "–" + d.c[i] : "") + "  " + d.fs[d.f[i]] + "  " + d.outcomes[d.o[i]],
      (d.p.length ? "process " + d.p[i] + ", " : "") + d.laneTitle.split(" ")[0] + " " + d.lanes[d.l[i]],
      "invoked " + fmtTime(d.s[i], d.unit_ns) + ", latency " + lat];
    if (d.v[i]) lines.push("value " + d.v[i]);
    if (d.keys && d.k[i] >= 0) lines.push("key " + d.keys[d.k[i]]);
    if (this.marked[i]) lines.push("named by an anomaly");
    return lines.join("\n");
  };

  Timeline.prototype.bind = function () {
    var self = this, cv = this.canvas, drag = null;
    cv.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var r = cv.getBoundingClientRect();
      self.zoom(Math.pow(1.0015, ev.deltaY), ev.clientX - r.left, true);
    }, { passive: false });
    cv.addEventListener("mousedown", function (ev) {
      drag = { x: ev.clientX, v0: self.v0, v1: self.v1 }; cv.classList.add("dragging");
    });
    window.addEventListener("mouseup", function () { drag = null; cv.classList.remove("dragging"); });
    cv.addEventListener("mousemove", function (ev) {
      var r = cv.getBoundingClientRect(), px = ev.clientX - r.left, py = ev.clientY - r.top;
      if (drag) {
        var dt = (ev.clientX - drag.x) / (self.cssW - GUTTER - 8) * (drag.v1 - drag.v0);
        self.v0 = drag.v0 - dt; self.v1 = drag.v1 - dt; self.drawSoon();
        return;
      }
      var i = self.hit(px, py);
      if (i < 0) { self.tip.classList.add("hidden"); return; }
      self.tip.textContent = self.describe(i);
      self.tip.style.left = Math.min(px + 14, self.cssW - 300) + "px";
      self.tip.style.top = (py + 14) + "px";
      self.tip.classList.remove("hidden");
    });
    cv.addEventListener("mouseleave", function () { self.tip.classList.add("hidden"); });
    cv.addEventListener("dblclick", function () { self.reset(); });
  };

  function byId(id) { return document.getElementById(id); }

  function initTimeline() {
    var node = byId("timeline-data");
    if (!node) return null;
    var data = JSON.parse(node.textContent);
    LOGICAL = !!data.logical;
    var tl = new Timeline(data, byId("tl-canvas"), byId("tl-tip"), byId("tl-status"));
    tl.draw();
    byId("tl-in").addEventListener("click", function () { tl.zoom(0.5); });
    byId("tl-out").addEventListener("click", function () { tl.zoom(2); });
    byId("tl-reset").addEventListener("click", function () { tl.focused = null; tl.reset(); });
    var mk = byId("tl-marked");
    if (mk) mk.addEventListener("click", function () {
      var d = tl.d, a = Infinity, b = -Infinity;
      for (var j = 0; j < d.m.length; j++) { a = Math.min(a, d.s[d.m[j]]); b = Math.max(b, tl.end[d.m[j]]); }
      if (a <= b) tl.show(a, b);
    });
    var keySelect = byId("tl-key");
    if (data.keys && data.keys.length > 1) {
      var opt = document.createElement("option");
      opt.value = "-1"; opt.textContent = "all keys";
      keySelect.appendChild(opt);
      data.keys.forEach(function (k, j) {
        var o = document.createElement("option");
        o.value = String(j); o.textContent = "key " + k;
        keySelect.appendChild(o);
      });
      keySelect.classList.remove("hidden");
      keySelect.addEventListener("change", function () { tl.key = Number(keySelect.value); tl.draw(); });
    }
    tl.showKey = function (name) {
      var j = data.keys ? data.keys.indexOf(name) : -1;
      if (j < 0 || keySelect.classList.contains("hidden")) return;
      keySelect.value = String(j); tl.key = j;
    };
    document.querySelectorAll("button.focus").forEach(function (btn) {
      btn.addEventListener("click", function () {
        tl.key = -1; keySelect.value = "-1";
        if (btn.hasAttribute("data-key")) tl.showKey(btn.getAttribute("data-key"));
        tl.focusOps(btn.getAttribute("data-ops").split(",").map(Number));
        byId("timeline").scrollIntoView();
      });
    });
    return tl;
  }

  function initTabs() {
    document.querySelectorAll(".linear").forEach(function (box) {
      box.querySelectorAll("button.tab").forEach(function (tab) {
        tab.addEventListener("click", function () {
          var want = tab.getAttribute("data-tab");
          box.querySelectorAll("button.tab").forEach(function (t) { t.classList.toggle("on", t === tab); });
          box.querySelectorAll(".tabpanel").forEach(function (p) {
            p.classList.toggle("hidden", p.getAttribute("data-panel") !== want);
          });
        });
      });
    });
  }

  function initCopy() {
    document.querySelectorAll("button.copy").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var target = byId(btn.getAttribute("data-copy"));
        var range = document.createRange();
        range.selectNodeContents(target);
        var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
        var done = function () { btn.textContent = "copied"; };
        try {
          if (navigator.clipboard && window.isSecureContext) {
            navigator.clipboard.writeText(target.textContent).then(done, function () { document.execCommand("copy"); done(); });
          } else { document.execCommand("copy"); done(); }
        } catch (err) { btn.textContent = "selected: press Ctrl+C"; }
      });
    });
  }

  function init() {
    var tl = initTimeline();
    initTabs();
    initCopy();
    window.ddialab = { timeline: tl };
    document.body.setAttribute("data-ready", "1");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
