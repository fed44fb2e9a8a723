// wgangp live view: the table panels (columns real vs generated, the correlation-gap matrix), plain canvas.
(function (global) {
  "use strict";
  function bars(parent, name, col) {
    let cv = parent.querySelector(`canvas[data-column="${CSS.escape(name)}"]`);
    if (!cv) {
      const fig = document.createElement("figure");
      cv = document.createElement("canvas");
      cv.width = 260; cv.height = 150; cv.dataset.column = name;
      const cap = document.createElement("figcaption");
      cap.textContent = `${name} (${col.type}): real orange, generated green`;
      fig.append(cv, cap); parent.appendChild(fig);
    }
    const ctx = cv.getContext("2d"), W = cv.width, H = cv.height - 16, n = col.real.length;
    ctx.clearRect(0, 0, cv.width, cv.height);
    const top = Math.max(1e-9, ...col.real, ...col.fake), w = W / Math.max(n, 1);
    col.real.forEach((v, k) => {
      ctx.fillStyle = "#e67e22"; ctx.fillRect(k * w + 1, H - (v / top) * (H - 4), w / 2 - 1, (v / top) * (H - 4));
      ctx.fillStyle = "#27ae60"; ctx.fillRect(k * w + w / 2, H - (col.fake[k] / top) * (H - 4), w / 2 - 1, (col.fake[k] / top) * (H - 4));
    });
    ctx.fillStyle = "#222"; ctx.font = "10px sans-serif";
    const step = Math.ceil(n / 4);
    for (let k = 0; k < n; k += step) ctx.fillText(col.labels[k].slice(0, 9), k * w, H + 12);
  }

  function matrix(cv, names, gap) {
    const ctx = cv.getContext("2d"), n = names.length, cell = Math.floor(Math.min(cv.width, cv.height) / Math.max(n, 1));
    ctx.clearRect(0, 0, cv.width, cv.height);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const t = Math.min(1, gap[i][j] / 0.5);           // |delta corr| of 0.5 or more: full colour
      ctx.fillStyle = `rgb(255, ${Math.round(255 * (1 - t))}, ${Math.round(255 * (1 - t))})`;
      ctx.fillRect(j * cell, i * cell, cell - 1, cell - 1);
    }
  }

  function draw(p, parent, matrixCanvas, namesEl) {
    for (const [name, col] of Object.entries(p.columns)) bars(parent, name, col);
    if (p.corr_gap.length) {
      matrix(matrixCanvas, p.corr_names, p.corr_gap);
      namesEl.textContent = p.corr_names.join(", ");
    }
  }
  global.wgangpTables = {draw};
})(window);
