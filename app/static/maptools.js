// Map tools: layer visibility and opacity, the ledger at a past date (as_of), a shareable URL
// (#pos=zoom/lat/lon&hide=..&op=..&as_of=..&base=..), geodesic measuring, and fuzzy search
// (coordinates incl. Gauss-Krüger, towns and counties from the reference layer, codes and
// names of every layer in any case, partial, with pinyin for places).
"use strict";
const RMTools = (() => {
  let map = null;
  let collections = () => [];
  const hidden = new Set();
  const opacity = {};
  const original = {};
  let asOf = null;
  let asOfFailed = [];

  // --- visibility, opacity, as_of ------------------------------------------------------
  const isCopy = (l) => l.endsWith("@asof");
  function apply() {
    for (const c of collections()) {
      for (const l of c.layers) {
        if (!map.getLayer(l)) continue;
        const copyActive = asOf && map.getLayer(`${c.layers.find((x) => !isCopy(x))}@asof`);
        const on = !hidden.has(c.id) && (isCopy(l) ? Boolean(asOf) : !copyActive);
        map.setLayoutProperty(l, "visibility", on ? "visible" : "none");
        setOpacity(l, opacity[c.id] ?? 1);
      }
    }
  }
  function setOpacity(layerId, v) {
    const type = map.getLayer(layerId).type;
    const prop = { fill: "fill-opacity", line: "line-opacity", circle: "circle-opacity" }[type];
    if (!prop) return;
    const base = layerId.replace(/@asof$/, "");
    if (!(base in original)) original[base] = map.getPaintProperty(base, prop) ?? 1;
    const o = original[base];
    map.setPaintProperty(layerId, prop, v === 1 ? o : typeof o === "number" ? o * v : ["*", v, o]);
  }
  function setVisible(id, on) { if (on) hidden.delete(id); else hidden.add(id); apply(); saveUrl(); }
  function setLayerOpacity(id, v) { opacity[id] = v; apply(); saveUrl(); }
  const isVisible = (id) => !hidden.has(id);

  let kinds = null; // only "feature" collections keep a history (regions, violations do not)
  async function setAsOf(date) {
    asOf = date || null;
    asOfFailed = [];
    if (asOf && kinds === null) {
      const r = await getJSON("/collections");
      kinds = Object.fromEntries(((r.ok && r.data.collections) || []).map((c) => [c.id, c["x-kind"]]));
    }
    for (const c of collections()) {
      const src = `${c.id}@asof`;
      c.layers.filter(isCopy).forEach((l) => map.removeLayer(l));
      if (map.getSource(src)) map.removeSource(src);
      if (!asOf) continue;
      if (kinds[c.id] !== "feature") { asOfFailed.push(c.id); continue; }
      const r = await getJSON(`/collections/${c.id}/items?as_of=${asOf}T23:59:59Z&limit=10000`,
        { headers: { Accept: "application/geo+json" } });
      if (!r.ok) { asOfFailed.push(c.id); continue; }
      map.addSource(src, { type: "geojson", data: r.data, promoteId: undefined });
      for (const l of c.layers.filter((x) => !isCopy(x))) {
        const def = map.getStyle().layers.find((x) => x.id === l);
        const copy = { ...def, id: `${l}@asof`, source: src, metadata: { ...def.metadata, "rm:asof": asOf } };
        delete copy["source-layer"];
        map.addLayer(copy, l);
      }
    }
    apply();
    saveUrl();
    document.dispatchEvent(new CustomEvent("rm:asof", { detail: { asOf, failed: asOfFailed } }));
  }

  // --- shareable URL -------------------------------------------------------------------
  // the hash as the page was opened: nothing may overwrite it before it is restored
  const opened = location.hash.slice(1);
  let restoring = true;
  function saveUrl() {
    if (restoring || !map) return;
    const c = map.getCenter();
    const p = new URLSearchParams();
    p.set("pos", `${map.getZoom().toFixed(2)}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`);
    if (hidden.size) p.set("hide", [...hidden].join(","));
    const ops = Object.entries(opacity).filter(([, v]) => v !== 1).map(([k, v]) => `${k}:${v}`);
    if (ops.length) p.set("op", ops.join(","));
    if (asOf) p.set("as_of", asOf);
    const base = RMRef.basemapId();
    if (base !== "none") p.set("base", base);
    history.replaceState(null, "", `#${p.toString().replace(/%2F/g, "/").replace(/%2C/g, ",").replace(/%3A/g, ":")}`);
  }
  async function restoreUrl() {
    const p = new URLSearchParams(opened);
    const pos = (p.get("pos") || "").split("/").map(Number);
    if (pos.length === 3 && pos.every(Number.isFinite)) map.jumpTo({ zoom: pos[0], center: [pos[2], pos[1]] });
    (p.get("hide") || "").split(",").filter(Boolean).forEach((id) => hidden.add(id));
    (p.get("op") || "").split(",").filter(Boolean).forEach((kv) => {
      const [k, v] = kv.split(":");
      if (Number.isFinite(Number(v))) opacity[k] = Math.min(1, Math.max(0, Number(v)));
    });
    if (p.get("base")) RMRef.setBasemap(p.get("base"));
    apply();
    if (/^\d{4}-\d{2}-\d{2}$/.test(p.get("as_of") || "")) {
      document.getElementById("as-of").value = p.get("as_of");
      await setAsOf(p.get("as_of"));
    }
    restoring = false;
    saveUrl();
  }

  // --- measuring -----------------------------------------------------------------------
  let measuring = false;
  const pts = [];
  function drawMeasure() {
    const feats = pts.map((p) => ({ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: p } }));
    if (pts.length > 1) feats.push({ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: pts } });
    if (pts.length > 2) feats.push({ type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: [[...pts, pts[0]]] } });
    map.getSource("measure").setData({ type: "FeatureCollection", features: feats });
    let d = 0;
    for (let i = 1; i < pts.length; i++) d += RMGeo.distance(pts[i - 1], pts[i]);
    const el = document.getElementById("measure-out");
    el.dataset.distance = d.toFixed(2);
    el.dataset.area = pts.length > 2 ? RMGeo.area(pts).toFixed(1) : "";
    const km = d >= 1000 ? `${(d / 1000).toFixed(3)} km` : `${d.toFixed(1)} m`;
    const a = pts.length > 2 ? RMGeo.area(pts) : null;
    el.textContent = pts.length ? `${t("distance")}: ${km}` + (a != null
      ? ` · ${t("area")}: ${(a / 10000).toFixed(4)} ha (${(a * 0.0015).toFixed(2)} ${t("mu")})` : "") : t("measure_help");
  }
  function startMeasure(on = !measuring) {
    measuring = on;
    pts.length = 0;
    document.getElementById("measure-box").hidden = !on;
    document.getElementById("btn-measure").classList.toggle("primary", on);
    map.getCanvas().style.cursor = on ? "crosshair" : "";
    drawMeasure();
  }
  function addPoint(ll) { pts.push([ll.lng, ll.lat]); drawMeasure(); }

  // --- search --------------------------------------------------------------------------
  const norm = (s) => String(s || "").toLowerCase().replace(/[\s·\-_]/g, "");
  const SUFFIX = /(哈萨克自治县|自治县|民族乡|哈萨克族乡|乡|镇|县|市|街道)$/;

  async function places(q) {
    const r = await getJSON("/static/reference/changji.geojson");
    const n = norm(q), stem = norm(q.replace(SUFFIX, ""));
    return ((r.ok && r.data.features) || []).filter((f) => ["county", "town", "place"].includes(f.properties.kind))
      .filter((f) => [f.properties.name, f.properties.name_en, f.properties.pinyin].some((v) => v && (norm(v).includes(n) || (stem.length > 1 && norm(v).includes(stem)))));
  }

  const SEARCH_FIELDS = ["code", "name", "name_en", "name_zh", "town", "source_name", "subject_code"];
  async function featureSearch(q) {
    const lit = (s) => `'%${s.replace(/'/g, "''")}%'`;
    const jobs = collections().map(async (c) => {
      await RMApplies.load([c.id]);
      const props = RMApplies.fields(c.id);
      const fields = SEARCH_FIELDS.filter((f) => props.includes(f));
      if (!fields.length) return [];
      const variants = [...new Set([q, q.toUpperCase(), q.toLowerCase(), q.charAt(0).toUpperCase() + q.slice(1).toLowerCase()])];
      const filter = fields.flatMap((f) => variants.map((v) => `${f} LIKE ${lit(v)}`)).join(" OR ");
      const r = await getJSON(`/collections/${c.id}/items?limit=20&filter=${encodeURIComponent(filter)}`,
        { headers: { Accept: "application/geo+json" } });
      return ((r.ok && r.data.features) || []).map((f) => ({ c: c.id, f }));
    });
    return (await Promise.all(jobs)).flat();
  }

  return {
    install(m, colls) { map = m; collections = colls;
      map.addSource("measure", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "measure-fill", type: "fill", source: "measure", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": "#ff8800", "fill-opacity": 0.15 } });
      map.addLayer({ id: "measure-line", type: "line", source: "measure", filter: ["==", ["geometry-type"], "LineString"], paint: { "line-color": "#ff6600", "line-width": 2.5, "line-dasharray": [2, 1] } });
      map.addLayer({ id: "measure-pt", type: "circle", source: "measure", filter: ["==", ["geometry-type"], "Point"], paint: { "circle-radius": 5, "circle-color": "#fff", "circle-stroke-color": "#ff6600", "circle-stroke-width": 2 } });
      map.on("moveend", saveUrl);
      document.addEventListener("rm:state", saveUrl);
    },
    apply, setVisible, isVisible, setLayerOpacity, opacity: (id) => opacity[id] ?? 1, setAsOf, asOf: () => asOf,
    restoreUrl, saveUrl, startMeasure, addPoint, measuring: () => measuring,
    undoPoint() { pts.pop(); drawMeasure(); }, places, featureSearch, norm,
  };
})();
