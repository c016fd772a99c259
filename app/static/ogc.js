// The small map of the OGC API HTML pages: the page's features (embedded GeoJSON) or a
// collection's own vector tiles, on a plain background (no internet basemap needed).
"use strict";
(() => {
  const box = document.getElementById("ogc-map");
  if (!box || !window.maplibregl) return;
  const data = document.getElementById("ogc-data");
  const geojson = data ? JSON.parse(data.textContent) : null;
  const paint = (src, extra = {}) => [
    { id: "fill", type: "fill", source: src, ...extra, filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": "#31a354", "fill-opacity": 0.35 } },
    { id: "line", type: "line", source: src, ...extra, paint: { "line-color": "#17503a", "line-width": 1.5 } },
    { id: "point", type: "circle", source: src, ...extra, filter: ["==", ["geometry-type"], "Point"], paint: { "circle-color": "#17503a", "circle-radius": 5 } },
  ];
  const sources = {};
  let layers = [{ id: "bg", type: "background", paint: { "background-color": "#f4f3ef" } }];
  if (geojson) {
    sources.items = { type: "geojson", data: geojson };
    layers = layers.concat(paint("items"));
    // small shapes vanish at a county's zoom: a dot marks each one until it is big enough
    const centre = (g) => { const pts = []; const w = (c) => (typeof c[0] === "number" ? pts.push(c) : c.forEach(w)); w(g.coordinates);
      return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length]; };
    const dots = (geojson.features || [geojson]).filter((f) => f.geometry).map((f) => ({ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: centre(f.geometry) } }));
    sources.dots = { type: "geojson", data: { type: "FeatureCollection", features: dots } };
    layers.push({ id: "dots", type: "circle", source: "dots", maxzoom: 12,
      paint: { "circle-color": "#e6550d", "circle-radius": 4, "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
  } else if (box.dataset.tiles) {
    sources.tiles = { type: "vector", tiles: [location.origin + box.dataset.tiles] };
    layers = layers.concat(paint("tiles", { "source-layer": box.dataset.layer }));
  }
  const map = new maplibregl.Map({ container: box, style: { version: 8, sources, layers },
    center: [87.3, 44.2], zoom: 6, attributionControl: false, dragRotate: false });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl(), "bottom-left");
  window.rmOgcMap = map;

  const bounds = new maplibregl.LngLatBounds();
  const walk = (c) => (typeof c[0] === "number" ? bounds.extend(c) : c.forEach(walk));
  if (geojson) {
    (geojson.features || [geojson]).forEach((f) => f.geometry && walk(f.geometry.coordinates));
  } else if (box.dataset.bbox && box.dataset.bbox !== "null") {
    const b = JSON.parse(box.dataset.bbox);
    bounds.extend([b[0], b[1]]); bounds.extend([b[2], b[3]]);
  }
  if (!bounds.isEmpty()) map.fitBounds(bounds, { padding: 24, maxZoom: 15, animate: false });
  map.on("idle", () => { window.rmOgcReady = true; });
})();
