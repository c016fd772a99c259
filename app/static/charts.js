// Small hand-written SVG charts (no library): stacked horizontal bars and a line, each with
// axes, ticks and units; every chart can be downloaded as PNG and CSV.
"use strict";
const RMCharts = (() => {
  const PALETTE = ["#bdbdbd", "#9ecae1", "#4292c6", "#fdae6b", "#31a354", "#006d2c", "#756bb1", "#e6550d"];
  const NS = "http://www.w3.org/2000/svg";
  const FONT = 'system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

  function el(tag, attrs = {}, text = null) {
    const e = document.createElementNS(NS, tag);
    Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, v));
    if (text != null) e.textContent = text;
    return e;
  }

  // Round tick values covering [0, max]: 1, 2 or 5 times a power of ten.
  function niceTicks(max, n = 5) {
    if (!(max > 0)) return [0, 1];
    const raw = max / n, p = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw);
    const out = [];
    for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
    if (out[out.length - 1] < max) out.push(Number((out[out.length - 1] + step).toPrecision(12)));
    return out;
  }
  const fmtNum = (v) => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString("en").replace(/,/g, " ") : String(Number(v.toPrecision(4))));

  function svgRoot(W, H, kind) {
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "data-chart": kind,
      "font-family": FONT, "font-size": 13, xmlns: NS });
    svg.appendChild(el("rect", { x: 0, y: 0, width: W, height: H, fill: "#fff" }));
    return svg;
  }

  // rows: [{label, values: {key: number}}]; keys: ordered series; o: {label(key), color(key),
  // axis: axis title with its unit}
  function stackedBars(container, rows, keys, o = {}) {
    const label = o.label || ((k) => k);
    const color = o.color || ((k, j) => PALETTE[j % PALETTE.length]);
    const W = 560, rowH = 26, left = 120, right = 40, top = 10;
    const legendY = top + rows.length * rowH + 44;
    const H = legendY + 24 * Math.ceil(keys.length / 4) + 6;
    const totals = rows.map((r) => keys.reduce((s, k) => s + (r.values[k] || 0), 0));
    const ticks = niceTicks(Math.max(1, ...totals));
    const max = ticks[ticks.length - 1];
    const sx = (v) => left + ((W - left - right) * v) / max;
    const svg = svgRoot(W, H, "stacked");
    const axisY = top + rows.length * rowH + 2;
    ticks.forEach((v) => {
      svg.appendChild(el("line", { x1: sx(v), y1: top, x2: sx(v), y2: axisY, stroke: "#e3e3e3" }));
      svg.appendChild(el("text", { x: sx(v), y: axisY + 14, "text-anchor": "middle", class: "tick" }, fmtNum(v)));
    });
    svg.appendChild(el("line", { x1: left, y1: axisY, x2: W - right, y2: axisY, stroke: "#777" }));
    svg.appendChild(el("text", { x: (left + W - right) / 2, y: axisY + 32, "text-anchor": "middle", class: "axis-title" }, o.axis || ""));
    rows.forEach((r, i) => {
      const y = top + i * rowH;
      svg.appendChild(el("text", { x: left - 6, y: y + 16, "text-anchor": "end" }, r.label));
      let x = left;
      keys.forEach((k, j) => {
        const v = r.values[k] || 0;
        if (!v) return;
        const w = sx(v) - left;
        const rect = el("rect", { x, y: y + 3, width: w, height: rowH - 8, fill: color(k, j), "data-key": k });
        rect.appendChild(el("title", {}, `${r.label} · ${label(k)}: ${v}`));
        svg.appendChild(rect);
        x += w;
      });
      svg.appendChild(el("text", { x: x + 4, y: y + 16, class: "total" }, fmtNum(totals[i])));
    });
    keys.forEach((k, j) => {
      const x = 10 + (j % 4) * 136, y = legendY + 24 * Math.floor(j / 4);
      svg.appendChild(el("rect", { x, y, width: 12, height: 12, fill: color(k, j) }));
      svg.appendChild(el("text", { x: x + 16, y: y + 11, class: "legend" }, label(k)));
    });
    container.replaceChildren(svg);
    return svg;
  }

  // points: [{label, value}]; o: {axis: y-axis title with unit, xAxis: x-axis title}
  function line(container, points, o = {}) {
    const W = 560, H = 280, l = 64, r = 24, tp = 30, b = 56;
    const ticks = niceTicks(Math.max(0, ...points.map((p) => p.value)));
    const max = ticks[ticks.length - 1] || 1;
    const x = (i) => l + (points.length < 2 ? 0 : ((W - l - r) * i) / (points.length - 1));
    const y = (v) => tp + (H - tp - b) * (1 - v / max);
    const svg = svgRoot(W, H, "line");
    ticks.forEach((v) => {
      svg.appendChild(el("line", { x1: l, y1: y(v), x2: W - r, y2: y(v), stroke: "#e3e3e3" }));
      svg.appendChild(el("text", { x: l - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, fmtNum(v)));
    });
    svg.appendChild(el("line", { x1: l, y1: H - b, x2: W - r, y2: H - b, stroke: "#777" }));
    svg.appendChild(el("line", { x1: l, y1: tp, x2: l, y2: H - b, stroke: "#777" }));
    svg.appendChild(el("text", { x: 4, y: 16, class: "axis-title" }, o.axis || ""));
    svg.appendChild(el("text", { x: (l + W - r) / 2, y: H - 8, "text-anchor": "middle", class: "axis-title" }, o.xAxis || ""));
    const step = Math.max(1, Math.ceil(points.length / 6));
    points.forEach((p, i) => {
      if (i % step === 0) svg.appendChild(el("text", { x: x(i), y: H - b + 18, "text-anchor": "middle", class: "tick" }, p.label));
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
    return svg;
  }

  // --- downloads -------------------------------------------------------------------------
  function csvText(rows) {
    const cell = (v) => { const s = String(v ?? ""); return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; };
    return "\ufeff" + rows.map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n"; // BOM: Excel reads UTF-8
  }

  function save(blob, name) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  async function pngBlob(svg, scale = 2) {
    const vb = svg.viewBox.baseVal;
    const data = new XMLSerializer().serializeToString(svg);
    const img = new Image();
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(data)}`;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = vb.width * scale; canvas.height = vb.height * scale;
    const ctx = canvas.getContext("2d");
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0, vb.width, vb.height);
    return new Promise((res) => canvas.toBlob(res, "image/png"));
  }

  // Adds "PNG" and "CSV" buttons under a chart; csv() gives the rows when asked.
  function downloads(container, name, csv) {
    const bar = document.createElement("div");
    bar.className = "chart-downloads";
    bar.innerHTML = `<button type="button" class="btn dl-png">PNG</button><button type="button" class="btn dl-csv">CSV</button>`;
    bar.querySelector(".dl-png").addEventListener("click", async () => {
      const svg = container.querySelector("svg");
      if (svg) save(await pngBlob(svg), `${name}.png`);
    });
    bar.querySelector(".dl-csv").addEventListener("click", () => save(new Blob([csvText(csv())], { type: "text/csv;charset=utf-8" }), `${name}.csv`));
    container.appendChild(bar);
  }

  return { stackedBars, line, downloads, niceTicks, csvText };
})();
