// Site check: draw a polygon (tap to add vertices) or upload GeoJSON / KML, POST it to
// /checks/site, show the overlaps on the map and as a printable table.
"use strict";
const RMSite = (() => {
  let map = null;
  let drawing = false;
  let vertices = [];
  let lastResult = null;

  const empty = { type: "FeatureCollection", features: [] };

  function install(m) {
    map = m;
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
  }

  function start() { drawing = true; vertices = []; redraw(); map.getCanvas().style.cursor = "crosshair"; }
  function stop() { drawing = false; map.getCanvas().style.cursor = ""; }
  function isDrawing() { return drawing; }
  function addVertex(lngLat) { vertices.push([lngLat.lng, lngLat.lat]); redraw(); }

  function clear() {
    stop(); vertices = []; lastResult = null; redraw();
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
    const r = await getJSON("/checks/site", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(geometry),
    });
    if (!r.ok) {
      out.textContent = r.status === 404 ? t("unavailable") : `${t("failed")}: ${r.data?.description || r.status}`;
      return null;
    }
    lastResult = r.data;
    map.getSource("site-overlaps").setData(r.data.overlaps || empty);
    render();
    return r.data;
  }

  function fmt(x, digits = 2) { return x == null ? "" : Number(x).toFixed(digits); }

  function render() {
    const res = lastResult;
    if (!res) return;
    const rows = [];
    for (const layer of res.layers || []) {
      for (const c of layer.conflicts || []) {
        rows.push(`<tr><td>${esc(layer.title || layer.collection)}</td><td>${esc(c.code)}</td><td>${esc(c.name)}</td>
          <td>${fmt(c.overlap_ha, 3)}</td><td>${fmt(c.overlap_mu, 1)}</td>
          <td>${fmt(100 * (c.share_of_site || 0), 1)} %</td><td>${fmt(100 * (c.share_of_zone || 0), 1)} %</td></tr>`);
      }
    }
    const nearby = (res.layers || []).flatMap((l) => (l.nearby || []).map((n) => `<li>${esc(l.title || l.collection)}:
      ${esc(n.code)} ${esc(n.name)} — ${fmt(n.distance_m, 0)} m</li>`));
    const rules = (res.rules || []).map((x) => `<li>${esc(x.name)} (${esc(x.severity)}) — ${esc(x.legal_basis)}</li>`);
    document.getElementById("site-result").innerHTML = `
      <p><span class="verdict ${esc(res.verdict)}" id="site-verdict">${esc(t(`verdict_${res.verdict}`))}</span>
      ${t("site_area")}: ${fmt(res.site_area_ha, 3)} ha</p>
      <table id="site-table"><thead><tr><th>${t("layer")}</th><th>${t("code")}</th><th>${t("title")}</th>
      <th>${t("overlap")} (ha)</th><th>${t("overlap")} (亩)</th><th>${t("share_site")}</th><th>${t("share_zone")}</th></tr></thead>
      <tbody>${rows.join("") || `<tr><td colspan="7">${t("none")}</td></tr>`}</tbody></table>
      ${rules.length ? `<h3>${t("violations")}</h3><ul>${rules.join("")}</ul>` : ""}
      ${nearby.length ? `<h3>${t("nearby")}</h3><ul>${nearby.join("")}</ul>` : ""}`;
  }

  document.addEventListener("rm:lang", render);
  return { install, start, stop, isDrawing, addVertex, clear, fromFile, drawnGeometry, check,
    get vertexCount() { return vertices.length; } };
})();
