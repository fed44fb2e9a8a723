// wgangp live view: rows of metrics.jsonl and the run's snapshots arrive over one EventSource
// (/events, served by wgangp.viz.live); the curves are uPlot, the plane panels plain canvas.
(function () {
  "use strict";
  const rows = [], charts = {};
  let snapshot = null, dirty = false, lastStep = null, lastTime = null;
  const $ = (id) => document.getElementById(id);

  function seriesOf(list) {        // as wgangp.viz.report.series: numeric keys per kind, null for gaps
    const out = {};
    for (const kind of ["train", "eval", "diag"]) {
      const mine = list.filter((r) => r.kind === kind && typeof r.step === "number");
      const keys = [];
      for (const r of mine) for (const [k, v] of Object.entries(r))
        if (k !== "kind" && k !== "step" && typeof v === "number" && !keys.includes(k)) keys.push(k);
      if (!mine.length || !keys.length) continue;
      out[kind] = {step: mine.map((r) => r.step)};
      for (const k of keys.slice(0, 40)) out[kind][k] = mine.map((r) => (typeof r[k] === "number" ? r[k] : null));
    }
    return out;
  }

  function redraw() {
    if (!dirty) return;
    dirty = false;
    wgangpCurves.renderSeries(seriesOf(rows), $("curves"), charts);
    wgangpCurves.renderEvents(rows.filter((r) => !["train", "eval", "diag"].includes(r.kind)), $("events"));
  }
  setInterval(redraw, 500);

  function colour(v, scale) {      // diverging: blue (low) - white - red (high)
    const t = Math.max(-1, Math.min(1, v / scale));
    const a = Math.abs(t);
    return t >= 0 ? [255, Math.round(255 * (1 - a)), Math.round(255 * (1 - a))]
                  : [Math.round(255 * (1 - a)), Math.round(255 * (1 - a)), 255];
  }

  function drawPlane(p) {
    const cv = $("surface"), ctx = cv.getContext("2d"), W = cv.width, H = cv.height, n = p.grid;
    const px = (x) => ((x + p.lim) / (2 * p.lim)) * W, py = (y) => H - ((y + p.lim) / (2 * p.lim)) * H;
    const flat = p.surface.flat(), mean = flat.reduce((a, b) => a + b, 0) / flat.length;
    const scale = Math.max(1e-6, ...flat.map((v) => Math.abs(v - mean)));
    const img = ctx.createImageData(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const v = p.surface[i][j] - mean, zero = (j + 1 < n && Math.sign(p.surface[i][j]) !== Math.sign(p.surface[i][j + 1]))
        || (i + 1 < n && Math.sign(p.surface[i][j]) !== Math.sign(p.surface[i + 1][j]));
      const [r, g, b] = zero ? [0, 0, 0] : colour(v, scale);
      const k = 4 * ((n - 1 - i) * n + j);         // row i is y ascending: flip for the canvas
      img.data[k] = r; img.data[k + 1] = g; img.data[k + 2] = b; img.data[k + 3] = 255;
    }
    const off = document.createElement("canvas");
    off.width = n; off.height = n; off.getContext("2d").putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, W, H);
    if (p.manifold) {
      ctx.strokeStyle = "rgba(90,90,90,0.55)"; ctx.lineWidth = 1;
      for (const line of p.manifold) {
        ctx.beginPath(); line.forEach(([x, y], k) => (k ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y)))); ctx.stroke();
      }
    }
    const dots = (pts, fill) => { ctx.fillStyle = fill; for (const [x, y] of pts) ctx.fillRect(px(x) - 2, py(y) - 2, 4, 4); };
    dots(p.real, "#e67e22"); dots(p.fake, "#27ae60");
    const longest = Math.max(1e-9, ...p.push.map(([a, b]) => Math.hypot(a, b)));
    ctx.strokeStyle = "#145a32"; ctx.lineWidth = 1.2;
    p.push.forEach(([dx, dy], k) => {
      const [x, y] = p.fake[k], s = (0.12 * p.lim) / longest;
      ctx.beginPath(); ctx.moveTo(px(x), py(y)); ctx.lineTo(px(x + s * dx), py(y + s * dy)); ctx.stroke();
    });
  }

  function drawHistogram(h) {
    const cv = $("gradnorm"), ctx = cv.getContext("2d"), W = cv.width, H = cv.height - 20;
    ctx.clearRect(0, 0, cv.width, cv.height);
    const top = Math.max(1, ...h.counts), lo = h.edges[0], hi = h.edges[h.edges.length - 1];
    const px = (v) => ((v - lo) / (hi - lo)) * W;
    ctx.fillStyle = "#2e6da4";
    h.counts.forEach((c, k) => {
      const x0 = px(h.edges[k]), x1 = px(h.edges[k + 1]), bh = (c / top) * (H - 5);
      ctx.fillRect(x0 + 1, H - bh, Math.max(1, x1 - x0 - 2), bh);
    });
    ctx.strokeStyle = "#c0392b"; ctx.beginPath(); ctx.moveTo(px(1), 0); ctx.lineTo(px(1), H); ctx.stroke();
    ctx.fillStyle = "#222"; ctx.font = "11px sans-serif";
    for (let v = Math.ceil(lo); v <= hi; v++) ctx.fillText(String(v), px(v) - 3, H + 14);
    $("gradmean").textContent = h.mean.toFixed(3);
  }

  const seriesCharts = {};
  function lineChart(id, title, xLabel, x, lines, width) {   // lines: [[label, values, colour, dash?]]
    const data = [x, ...lines.map((l) => l[1])];
    if (seriesCharts[id]) { seriesCharts[id].setData(data); return; }
    const series = [{label: xLabel}, ...lines.map(([label, , stroke, dash]) => ({label, stroke, dash, width: 1.2}))];
    const box = document.createElement("div");
    box.className = "curve"; box.dataset.key = id; $("series").appendChild(box);
    seriesCharts[id] = new uPlot({title, width, height: 200, scales: {x: {time: false}}, series}, data, box);
  }

  const DASH = [undefined, [6, 3], [2, 2], [8, 3, 2, 3]];
  function drawSeries(p) {        // per class: the real and a generated series; all classes' mean spectra in one chart
    const n = Math.max(...p.groups.map((g) => g.fake.length)), t = [...Array(n).keys()];
    p.groups.forEach((g, k) => lineChart(`wave-${k}`, `${g.label}: first ${p.shown} of ${p.length} samples`, "t", t,
      [["real", g.real, "#e67e22"], ["generated", g.fake, "#27ae60"]], 360));
    const bands = [...Array(p.groups[0].fake_power.length).keys()];
    lineChart("spectra", "mean power spectrum, log10 (band of the rfft)", "band", bands, p.groups.flatMap((g, k) => [
      [`real ${g.label}`, g.real_power, "#e67e22", DASH[k % 4]], [`generated ${g.label}`, g.fake_power, "#27ae60", DASH[k % 4]]]), 720);
  }

  function settingsForm(s, controllable) {
    const box = $("settings");
    if (box.dataset.built) return;
    box.dataset.built = "1";
    for (const [key, value] of Object.entries(s)) {
      const label = document.createElement("label");
      label.textContent = ` ${key} `;
      const input = document.createElement("input");
      input.id = `set-${key}`; input.value = value; input.disabled = !controllable;
      const go = document.createElement("button");
      go.textContent = "set"; go.id = `apply-${key}`; go.disabled = !controllable;
      go.onclick = () => control({action: "set", key, value: input.value});
      label.append(input, go); box.appendChild(label);
    }
    for (const id of ["pause", "resume", "step-once", "stop"]) $(id).disabled = !controllable;
    if (!controllable) $("answer").textContent = "watching: controls need 'wgangp train ... --live'";
  }

  function onSnapshot(s) {
    snapshot = s;
    $("step").textContent = `step ${s.step} / ${s.iterations}`;
    $("step").dataset.step = s.step;
    $("status").textContent = s.paused ? "paused" : (s.step >= s.iterations ? "finished" : "training");
    if (lastStep !== null && s.time > lastTime && s.step > lastStep)
      $("rate").textContent = `${((s.step - lastStep) / (s.time - lastTime)).toFixed(1)} it/s`;
    lastStep = s.step; lastTime = s.time;
    settingsForm(s.settings, s.controllable);
    for (const [k, v] of Object.entries(s.settings)) {
      const el = $(`set-${k}`);
      if (el && document.activeElement !== el) el.placeholder = String(v);
    }
    const p = s.panels || {};
    if (p.kind === "plane") { $("plane-panels").hidden = false; drawPlane(p); drawHistogram(p.grad_norm); }
    if (["images", "text", "series", "table"].includes(p.kind)) { $("kind-panels").hidden = false; $(`${p.kind}-panel`).hidden = false; }
    if (p.kind === "table") wgangpTables.draw(p, $("table-columns"), $("corrgap"), $("corrnames"));
    if (p.kind === "images") $("samples").src = p.grid;
    if (p.kind === "text") $("lines").textContent = p.lines.join("\n");
    if (p.kind === "series") drawSeries(p);
  }

  async function control(body) {
    const r = await fetch("/api/control", {method: "POST", headers: {"Content-Type": "application/json"},
                                           body: JSON.stringify(body)});
    const answer = await r.json();
    $("answer").textContent = r.ok ? `${answer.queued}${answer.key ? " " + answer.key + "=" + answer.value : ""}` : answer.error;
  }
  $("pause").onclick = () => control({action: "pause"});
  $("resume").onclick = () => control({action: "resume"});
  $("step-once").onclick = () => control({action: "step"});
  $("stop").onclick = () => control({action: "stop"});

  fetch("/api/state").then((r) => r.json()).then((s) => { $("run").textContent = s.run; if (s.snapshot) onSnapshot(s.snapshot); });
  const source = new EventSource("/events");
  source.addEventListener("rows", (e) => { rows.push(...JSON.parse(e.data)); dirty = true; });
  source.addEventListener("snapshot", (e) => onSnapshot(JSON.parse(e.data)));
  source.addEventListener("reset", (e) => {        // the playground started another run: start the page over
    rows.length = 0; snapshot = null; lastStep = null;
    for (const id of Object.keys(charts)) { charts[id].destroy(); delete charts[id]; }
    $("curves").textContent = ""; $("events").textContent = "none";
    $("settings").textContent = ""; delete $("settings").dataset.built;
    $("run").textContent = JSON.parse(e.data).run;
  });
  source.onerror = () => { $("status").textContent = "disconnected (the run's process has ended?)"; };
  window.wgangpLive = {rows: () => rows, snapshot: () => snapshot, charts};
})();
