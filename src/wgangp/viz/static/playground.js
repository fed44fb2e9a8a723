// wgangp playground: the form that starts real training runs (POST /api/start), and points drawn on the plane.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const LIM = 2.5;                      // the drawing plane: [-LIM, LIM]^2 before a run gives its own bounds
  const drawn = [];

  function field(label, el) { const l = document.createElement("label"); l.append(` ${label} `, el); return l; }
  function select(id, options, value) {
    const s = document.createElement("select"); s.id = id;
    for (const o of options) { const opt = document.createElement("option"); opt.value = o; opt.textContent = o; s.appendChild(opt); }
    s.value = value; return s;
  }
  function input(id, value) { const i = document.createElement("input"); i.id = id; i.value = value; i.size = 6; return i; }

  function build() {
    const box = $("playground");
    box.hidden = false;
    box.append(field("data", select("pg-data", ["8gaussians", "25gaussians", "swissroll", "drawn"], "25gaussians")),
               field("loss", select("pg-loss", ["wgan-gp", "wgan-gp-one-sided", "wgan-clip", "gan"], "wgan-gp")),
               field("width", input("pg-hidden", 128)), field("depth", input("pg-depth", 3)),
               field("lr", input("pg-lr", 0.002)), field("n_critic", input("pg-ncritic", 5)),
               field("iterations", input("pg-iterations", 6000)), field("seed", input("pg-seed", 0)));
    const go = document.createElement("button"); go.id = "pg-train"; go.textContent = "train";
    const clear = document.createElement("button"); clear.id = "pg-clear"; clear.textContent = "clear drawn points";
    const note = document.createElement("span"); note.id = "pg-answer";
    box.append(" ", go, " ", clear, " ", note);
    go.onclick = start;
    clear.onclick = () => { drawn.length = 0; paint(); };
    $("surface").addEventListener("click", (e) => {
      if ($("pg-data").value !== "drawn") return;
      const r = e.target.getBoundingClientRect(), lim = window.wgangpLive.snapshot()?.panels?.lim || LIM;
      drawn.push([((e.clientX - r.left) / r.width * 2 - 1) * lim, (1 - (e.clientY - r.top) / r.height * 2) * lim]);
      paint();
    });
    $("pg-data").onchange = paint;
  }

  function paint() {                    // the drawn points, over whatever the plane shows
    if ($("pg-data").value !== "drawn") return;
    $("plane-panels").hidden = false;
    const cv = $("surface"), ctx = cv.getContext("2d"), lim = window.wgangpLive.snapshot()?.panels?.lim || LIM;
    if (!window.wgangpLive.snapshot()) { ctx.fillStyle = "#fafafa"; ctx.fillRect(0, 0, cv.width, cv.height); }
    ctx.fillStyle = "#000";
    for (const [x, y] of drawn) ctx.fillRect((x / lim + 1) / 2 * cv.width - 3, (1 - y / lim) / 2 * cv.height - 3, 6, 6);
    $("pg-answer").textContent = `${drawn.length} points drawn (click the plane)`;
  }

  async function start() {
    const form = {data: $("pg-data").value, loss: $("pg-loss").value, hidden: $("pg-hidden").value,
                  depth: $("pg-depth").value, lr: $("pg-lr").value, n_critic: $("pg-ncritic").value,
                  iterations: $("pg-iterations").value, seed: $("pg-seed").value, points: drawn};
    const r = await fetch("/api/start", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(form)});
    const answer = await r.json();
    $("pg-answer").textContent = r.ok ? `started ${answer.started} (${answer.data}, ${answer.loss})` : answer.error;
  }

  fetch("/api/state").then((r) => r.json()).then((s) => { if (s.playground) build(); });
})();
