// wgangp: the curves of a run's metrics.jsonl drawn with uPlot (one chart a series), shared by the
// report (drawn once) and the live view (redrawn as rows arrive). No network access.
(function (global) {
  "use strict";
  const TITLES = {train: "training", eval: "evaluation", diag: "diagnostics"};

  function chart(parent, kind, key, steps, values) {
    const box = document.createElement("div");
    box.className = "curve";
    box.dataset.kind = kind;
    box.dataset.key = key;
    parent.appendChild(box);
    const opts = {
      title: `${TITLES[kind] || kind}: ${key}`, width: 360, height: 200,
      scales: {x: {time: false}},
      series: [{label: "step"}, {label: key, stroke: kind === "eval" ? "#c0392b" : "#2e6da4", width: 1.5,
                                 points: {show: steps.length < 60}}],
    };
    return new uPlot(opts, [steps, values], box);
  }

  function section(parent, kind) {
    let sec = parent.querySelector(`section[data-kind="${kind}"]`);
    if (!sec) {
      sec = document.createElement("section");
      sec.dataset.kind = kind;
      const h = document.createElement("h3");
      h.textContent = TITLES[kind] || kind;
      sec.appendChild(h);
      parent.appendChild(sec);
    }
    return sec;
  }

  // series: {kind: {step: [...], key: [...], ...}}; charts: a cache {kind/key: uPlot} for redraws
  function renderSeries(series, parent, charts) {
    for (const [kind, cols] of Object.entries(series)) {
      const sec = section(parent, kind);
      for (const [key, values] of Object.entries(cols)) {
        if (key === "step") continue;
        const id = `${kind}/${key}`;
        if (charts[id]) charts[id].setData([cols.step, values]);
        else charts[id] = chart(sec, kind, key, cols.step, values);
      }
    }
  }

  function renderEvents(list, parent) {
    parent.textContent = "";
    if (!list.length) { parent.textContent = "none"; return; }
    const ul = document.createElement("ul");
    for (const e of list) {
      const li = document.createElement("li");
      li.className = "event";
      li.textContent = `step ${e.step}: ` + Object.entries(e).filter(([k]) => k !== "step")
        .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
      ul.appendChild(li);
    }
    parent.appendChild(ul);
  }

  function renderAll(data, curvesEl, eventsEl) {
    const charts = {};
    renderSeries(data.series || {}, curvesEl, charts);
    if (eventsEl) renderEvents(data.events || [], eventsEl);
    return charts;
  }

  global.wgangpCurves = {renderAll, renderSeries, renderEvents};
})(window);
