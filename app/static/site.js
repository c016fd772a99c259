// Site check: draw a polygon (tap to add vertices) or upload GeoJSON / KML, POST it to
// /checks/site, show the overlaps on the map and as a printable table.
"use strict";
const RMSite = (() => {
  let map = null;
  let drawing = false;
  let vertices = [];
  let lastResult = null;
  let lastGeometry = null;
  let projectTypes = [];

  const empty = { type: "FeatureCollection", features: [] };

  // Controls this module adds to the site panel (the panel itself is map.html's):
  // the project type, undo of the last vertex, and the printable sheet.
  function addControls() {
    const panel = document.getElementById("panel-site");
    const label = document.createElement("label");
    label.className = "site-type";
    label.innerHTML = `<span data-i18n="project_type"></span><select id="site-type"><option value="" data-i18n="project_type_any"></option></select>`;
    panel.querySelector(".row").before(label);
    const undo = document.createElement("button");
    undo.type = "button"; undo.className = "btn"; undo.id = "site-undo"; undo.disabled = true;
    undo.dataset.i18n = "undo";
    document.getElementById("site-draw").after(undo);
    undo.addEventListener("click", undoVertex);
    // The map page printed the whole window; the sheet replaces that (map.js's listener goes
    // with the old button).
    const old = document.getElementById("site-print");
    const print = old.cloneNode(true);
    print.dataset.i18n = "print_sheet";
    old.replaceWith(print);
    print.addEventListener("click", () => RMSheet.open(map, lastResult, lastGeometry, typeLabel()));
    applyI18n(panel);
    getJSON("/checks/project-types").then((r) => {
      if (!r.ok) return;
      projectTypes = r.data.project_types;
      fillTypes();
    });
  }

  function fillTypes() {
    const sel = document.getElementById("site-type");
    const keep = sel.value;
    sel.querySelectorAll("option[value]:not([value=''])").forEach((o) => o.remove());
    for (const pt of projectTypes) {
      const o = document.createElement("option");
      o.value = pt.id;
      o.textContent = LANG === "zh" ? pt.title_zh : pt.title;
      sel.appendChild(o);
    }
    sel.value = keep;
  }

  function typeLabel() {
    const id = document.getElementById("site-type")?.value;
    const pt = projectTypes.find((x) => x.id === id);
    return pt ? (LANG === "zh" ? pt.title_zh : pt.title) : t("project_type_any");
  }

  function install(m) {
    map = m;
    addControls();
    map.addSource("site-draft", { type: "geojson", data: empty });
    map.addSource("site-overlaps", { type: "geojson", data: empty });
    map.addLayer({ id: "site-draft-fill", type: "fill", source: "site-draft",
      filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": "#6a3d9a", "fill-opacity": 0.2 } });
    map.addLayer({ id: "site-draft-line", type: "line", source: "site-draft",
      paint: { "line-color": "#6a3d9a", "line-width": 2, "line-dasharray": [2, 1] } });
    map.addLayer({ id: "site-draft-vertex", type: "circle", source: "site-draft",
      filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-radius": 6, "circle-color": "#fff", "circle-stroke-color": "#6a3d9a", "circle-stroke-width": 2 } });
    map.addLayer({ id: "site-overlaps-fill", type: "fill", source: "site-overlaps",
      paint: { "fill-color": "#e7298a", "fill-opacity": 0.55 } });
    map.addLayer({ id: "site-overlaps-line", type: "line", source: "site-overlaps",
      paint: { "line-color": "#980043", "line-width": 2 } });
  }

  function draftGeoJSON() {
    const feats = vertices.map((c) => ({ type: "Feature", geometry: { type: "Point", coordinates: c }, properties: {} }));
    if (vertices.length >= 3) {
      feats.push({ type: "Feature", properties: {},
        geometry: { type: "Polygon", coordinates: [[...vertices, vertices[0]]] } });
    } else if (vertices.length === 2) {
      feats.push({ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: vertices } });
    }
    return { type: "FeatureCollection", features: feats };
  }

  function redraw() {
    map.getSource("site-draft").setData(draftGeoJSON());
    document.getElementById("site-finish").disabled = vertices.length < 3;
    const undo = document.getElementById("site-undo");
    if (undo) undo.disabled = !vertices.length;
  }

  function undoVertex() {
    if (!vertices.length) return;
    vertices.pop();
    redraw();
  }

  // While drawing, a quick second tap adds a vertex instead of zooming in.
  function start() {
    drawing = true; vertices = []; redraw();
    map.getCanvas().style.cursor = "crosshair";
    map.doubleClickZoom.disable();
  }
  function stop() { drawing = false; map.getCanvas().style.cursor = ""; map.doubleClickZoom.enable(); }
  function isDrawing() { return drawing; }
  function addVertex(lngLat) { vertices.push([lngLat.lng, lngLat.lat]); redraw(); }

  function clear() {
    stop(); vertices = []; lastResult = null; lastGeometry = null; redraw();
    map.getSource("site-overlaps").setData(empty);
    document.getElementById("site-result").innerHTML = "";
  }

  // --- files ---------------------------------------------------------------------------
  function kmlCoords(text) {
    return text.trim().split(/\s+/).map((tuple) => tuple.split(",").slice(0, 2).map(Number))
      .filter((c) => c.length === 2 && c.every(Number.isFinite));
  }

  function parseKML(text) {
    const doc = new DOMParser().parseFromString(text, "application/xml");
    if (doc.getElementsByTagName("parsererror").length) throw new Error("KML: not XML");
    const polys = [...doc.getElementsByTagNameNS("*", "Polygon")].map((poly) => {
      const rings = [];
      const outer = poly.getElementsByTagNameNS("*", "outerBoundaryIs")[0];
      const ringCoords = (el) => kmlCoords(el.getElementsByTagNameNS("*", "coordinates")[0].textContent);
      if (outer) rings.push(ringCoords(outer));
      [...poly.getElementsByTagNameNS("*", "innerBoundaryIs")].forEach((inner) => rings.push(ringCoords(inner)));
      return rings;
    }).filter((rings) => rings.length && rings[0].length >= 4);
    if (!polys.length) throw new Error("KML: no polygon");
    return polys.length === 1 ? { type: "Polygon", coordinates: polys[0] }
      : { type: "MultiPolygon", coordinates: polys };
  }

  function parseGeoJSON(text) {
    const gj = JSON.parse(text);
    if (gj.type === "FeatureCollection") {
      const geoms = gj.features.map((f) => f.geometry).filter((g) => g && /Polygon$/.test(g.type));
      if (!geoms.length) throw new Error("GeoJSON: no polygon");
      if (geoms.length === 1) return geoms[0];
      return { type: "MultiPolygon", coordinates: geoms.flatMap((g) => (g.type === "Polygon" ? [g.coordinates] : g.coordinates)) };
    }
    const g = gj.type === "Feature" ? gj.geometry : gj;
    if (!g || !/Polygon$/.test(g.type)) throw new Error("GeoJSON: no polygon");
    return g;
  }

  async function fromFile(file) {
    const text = await file.text();
    const isKML = /\.kml$/i.test(file.name) || text.trimStart().startsWith("<");
    const geom = isKML ? parseKML(text) : parseGeoJSON(text);
    const outer = geom.type === "Polygon" ? geom.coordinates[0] : geom.coordinates[0][0];
    vertices = outer.slice(0, -1);
    redraw();
    stop();
    return geom;
  }

  function drawnGeometry() {
    return { type: "Polygon", coordinates: [[...vertices, vertices[0]]] };
  }

  // --- check ---------------------------------------------------------------------------
  async function check(geometry) {
    stop();
    const out = document.getElementById("site-result");
    out.textContent = t("checking");
    const type = document.getElementById("site-type")?.value;
    const r = await getJSON(`/checks/site${type ? `?project_type=${encodeURIComponent(type)}` : ""}`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(geometry),
    });
    if (!r.ok) {
      out.textContent = r.status === 404 ? t("unavailable") : `${t("failed")}: ${r.data?.description || r.status}`;
      return null;
    }
    lastResult = r.data;
    lastGeometry = geometry;
    map.getSource("site-overlaps").setData(r.data.overlaps || empty);
    render();
    return r.data;
  }

  function fmt(x, digits = 2) { return x == null ? "" : Number(x).toFixed(digits); }

  // One entry per rule (a rule broken in two zones is one prohibition, listed once).
  function groupRules(rules) {
    const by = new Map();
    for (const r of rules || []) {
      if (!by.has(r.code)) by.set(r.code, { ...r, zones: [] });
      by.get(r.code).zones.push(r.protected_code);
    }
    return [...by.values()];
  }
  function sevLabel(s) { return t(`sev_${s}`); }

  function render() {
    const res = lastResult;
    if (!res) return;
    const zh = LANG === "zh";
    const layerName = (l) => esc((zh && l.title_zh) || l.title || l.collection);
    const heads = [t("layer"), t("code"), t("title"), `${t("overlap")} (ha)`, `${t("overlap")} (亩)`, t("share_site"), t("share_zone")];
    const cell = (i, v) => `<td data-label="${esc(heads[i])}">${v}</td>`;
    const rows = [];
    for (const layer of res.layers || []) {
      for (const c of layer.conflicts || []) {
        rows.push(`<tr>${cell(0, layerName(layer))}${cell(1, esc(c.code))}${cell(2, esc(c.name))}${cell(3, fmt(c.overlap_ha, 3))}${cell(4, fmt(c.overlap_mu, 1))}${cell(5, `${fmt(100 * (c.share_of_site || 0), 1)} %`)}${cell(6, `${fmt(100 * (c.share_of_zone || 0), 1)} %`)}</tr>`);
      }
    }
    const nearby = (res.layers || []).flatMap((l) => (l.nearby || []).map((n) => `<li>${layerName(l)}:
      ${esc(n.code)} ${esc(n.name)} — ${fmt(n.distance_m, 0)} m</li>`));
    const rules = groupRules(res.rules).map((x) => `<li class="rule" data-code="${esc(x.code)}"><b>${esc((zh && x.name_zh) || x.name)}</b>
      <span class="sev ${esc(x.severity)}">${esc(sevLabel(x.severity))}</span> · ${esc(x.zones.join(", "))}
      <div class="muted">${esc((zh && x.legal_basis_zh) || x.legal_basis)}</div></li>`);
    document.getElementById("site-result").innerHTML = `
      <p><span class="verdict ${esc(res.verdict)}" id="site-verdict">${esc(t(`verdict_${res.verdict}`))}</span>
      ${t("site_area")}: ${fmt(res.site_area_ha, 3)} ha · ${esc(typeLabel())}</p>
      <table id="site-table" class="stack"><thead><tr>${heads.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>
      <tbody>${rows.join("") || `<tr><td colspan="7">${t("none")}</td></tr>`}</tbody></table>
      ${rules.length ? `<h3>${t("violations")}</h3><ul id="site-rules" class="rules">${rules.join("")}</ul>` : ""}
      ${nearby.length ? `<h3>${t("nearby")}</h3><ul>${nearby.join("")}</ul>` : ""}`;
  }

  document.addEventListener("rm:lang", () => { if (projectTypes.length) fillTypes(); render(); });
  return { install, start, stop, isDrawing, addVertex, undoVertex, clear, fromFile, drawnGeometry, check,
    get vertexCount() { return vertices.length; } };
})();

// The printable site-check sheet: the map framed on the site is captured as an image and
// handed, with the result, to /site-sheet (its own page, printed or saved as PDF there).
const RMSheet = (() => {
  const EARTH_M = 40075016.686;

  function legendOf(map) {
    const out = new Map();
    for (const layer of map.getStyle().layers) {
      const meta = layer.metadata || {};
      const id = meta["rm:collection"];
      if (!id || out.has(id) || map.getLayoutProperty(layer.id, "visibility") === "none") continue;
      out.set(id, { title: LANG === "zh" ? meta["rm:title_zh"] : meta["rm:title"], items: meta["rm:legend"] || [] });
    }
    return [...out.values()];
  }

  function bboxOf(geometry) {
    const b = [Infinity, Infinity, -Infinity, -Infinity];
    const walk = (c) => (typeof c[0] === "number"
      ? (b[0] = Math.min(b[0], c[0]), b[1] = Math.min(b[1], c[1]), b[2] = Math.max(b[2], c[0]), b[3] = Math.max(b[3], c[1]))
      : c.forEach(walk));
    walk(geometry.coordinates);
    return b;
  }

  async function capture(map, geometry) {
    const b = bboxOf(geometry);
    const before = { center: map.getCenter(), zoom: map.getZoom() };
    map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, animate: false });
    await new Promise((res) => (map.loaded() && map.areTilesLoaded() ? res() : map.once("idle", res)));
    // The drawing buffer is valid inside a render event (no preserveDrawingBuffer needed).
    const image = await new Promise((res) => {
      map.once("render", () => res(map.getCanvas().toDataURL("image/jpeg", 0.85)));
      map.triggerRepaint();
    });
    const c = map.getCenter();
    const canvas = map.getCanvas();
    const zoom = map.getZoom();
    map.jumpTo(before); // the panel's view of the site stays as the user framed it
    return {
      image, center: [c.lng, c.lat], zoom, bbox: b,
      widthPx: canvas.clientWidth, heightPx: canvas.clientHeight,
      // metres per CSS pixel at the centre (MapLibre's 512 px world at zoom 0)
      mPerPx: (EARTH_M * Math.cos((c.lat * Math.PI) / 180)) / (512 * 2 ** zoom),
    };
  }

  async function open(map, result, geometry, projectType) {
    if (!result || !geometry) { document.getElementById("site-result").textContent = t("sheet_need_check"); return; }
    const win = window.open("", "rm-sheet"); // now, while the click still allows a window
    const shot = await capture(map, geometry);
    const { overlaps, ...rest } = result; // the overlap shapes are in the image
    const sheet = { lang: LANG, created: new Date().toISOString(), projectType, result: rest,
      geometry, legend: legendOf(map), ...shot };
    localStorage.setItem("rm.sheet", JSON.stringify(sheet));
    if (win) win.location.href = "/site-sheet"; else window.location.href = "/site-sheet";
    return sheet;
  }

  return { open, capture };
})();
window.RMSheet = RMSheet;
