// Two small hand-written SVG charts (no library): stacked horizontal bars and a line.
"use strict";
const RMCharts = (() => {
  const PALETTE = ["#bdbdbd", "#9ecae1", "#4292c6", "#fdae6b", "#31a354", "#006d2c", "#756bb1", "#e6550d"];
  const NS = "http://www.w3.org/2000/svg";

  function el(tag, attrs = {}, text = null) {
    const e = document.createElementNS(NS, tag);
    Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, v));
    if (text != null) e.textContent = text;
    return e;
  }

  // rows: [{label, values: {key: number}}], keys: ordered series keys
  function stackedBars(container, rows, keys) {
    const W = 560, rowH = 26, left = 110, top = 10, legendH = 24 * Math.ceil(keys.length / 4);
    const H = top + rows.length * rowH + legendH + 20;
    const max = Math.max(1, ...rows.map((r) => keys.reduce((s, k) => s + (r.values[k] || 0), 0)));
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "data-chart": "stacked" });
    rows.forEach((r, i) => {
      const y = top + i * rowH;
      svg.appendChild(el("text", { x: left - 6, y: y + 16, "text-anchor": "end" }, r.label));
      let x = left;
      keys.forEach((k, j) => {
        const v = r.values[k] || 0;
        if (!v) return;
        const w = ((W - left - 40) * v) / max;
        const rect = el("rect", { x, y: y + 3, width: w, height: rowH - 8, fill: PALETTE[j % PALETTE.length], "data-key": k });
        rect.appendChild(el("title", {}, `${r.label} · ${k}: ${v}`));
        svg.appendChild(rect);
        x += w;
      });
      const total = keys.reduce((s, k) => s + (r.values[k] || 0), 0);
      svg.appendChild(el("text", { x: x + 4, y: y + 16 }, String(Math.round(total * 100) / 100)));
    });
    keys.forEach((k, j) => {
      const x = left + (j % 4) * 110, y = top + rows.length * rowH + 10 + 24 * Math.floor(j / 4);
      svg.appendChild(el("rect", { x, y, width: 12, height: 12, fill: PALETTE[j % PALETTE.length] }));
      svg.appendChild(el("text", { x: x + 16, y: y + 11 }, k));
    });
    container.replaceChildren(svg);
  }

  // points: [{label, value}]
  function line(container, points, yLabel) {
    const W = 560, H = 260, l = 50, r = 10, tp = 10, b = 50;
    const max = Math.max(1e-9, ...points.map((p) => p.value));
    const x = (i) => l + (points.length < 2 ? 0 : ((W - l - r) * i) / (points.length - 1));
    const y = (v) => tp + (H - tp - b) * (1 - v / max);
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "data-chart": "line" });
    svg.appendChild(el("line", { x1: l, y1: H - b, x2: W - r, y2: H - b, stroke: "#999" }));
    svg.appendChild(el("line", { x1: l, y1: tp, x2: l, y2: H - b, stroke: "#999" }));
    [0, 0.5, 1].forEach((f) => svg.appendChild(el("text", { x: l - 4, y: y(max * f) + 4, "text-anchor": "end" },
      String(Math.round(max * f * 10) / 10))));
    svg.appendChild(el("text", { x: 4, y: tp + 8 }, yLabel));
    const step = Math.max(1, Math.ceil(points.length / 8));
    points.forEach((p, i) => {
      if (i % step === 0) svg.appendChild(el("text", { x: x(i), y: H - b + 16, "text-anchor": "middle" }, p.label));
    });
    if (points.length) {
      svg.appendChild(el("polyline", { points: points.map((p, i) => `${x(i)},${y(p.value)}`).join(" "),
        fill: "none", stroke: "#31a354", "stroke-width": 2 }));
      points.forEach((p, i) => {
        const c = el("circle", { cx: x(i), cy: y(p.value), r: 3, fill: "#006d2c" });
        c.appendChild(el("title", {}, `${p.label}: ${p.value}`));
        svg.appendChild(c);
      });
    }
    container.replaceChildren(svg);
  }

  return { stackedBars, line };
})();
