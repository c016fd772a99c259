// The field map: vector-tile layers from this service, popups, what-is-here, search, site
// check and the offline inspection form. window.rmMap exposes the MapLibre map (tests use it).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const status = (msg) => { $("status").textContent = msg || ""; };
  let here = null; // {lon, lat, accuracy} chosen for the inspection form
  let hereMarker = null;
  let pointMode = false;

  applyI18n();
  $("btn-lang").addEventListener("click", toggleLang);

  const map = new maplibregl.Map({
    container: "map",
    // --- mapdesk hook (issue 13 item 9): every layer from ONE combined dataset tile source ---
    style: "/styles/default.json?tiles=dataset",
    // --- end mapdesk hook ---
    center: [87.3, 44.2],
    // The position lives in the URL (#zoom/lat/lon): links in notifications open it there.
    hash: true,
    zoom: 7,
    attributionControl: { compact: true },
    dragRotate: false,
    touchPitch: false,
    // CJK labels drawn from the device's fonts (the style has no glyph server at all)
    localIdeographFontFamily: "'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif",
  });
  window.rmMap = map;
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => null);
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl(), "bottom-left");

  // --- panels -------------------------------------------------------------------------
  const panels = ["panel-layers", "panel-results", "panel-site", "panel-inspect", "panel-offline"];
  const phone = () => window.matchMedia("(max-width: 640px)").matches;
  // On a phone a panel is a bottom sheet: the map's padding keeps what the panel is about
  // (a found feature, a drawn site, one's position) in the part of the map left visible.
  function fitPadding() {
    const open = panels.map($).find((p) => !p.hidden);
    const bottom = open && phone() ? Math.round(open.getBoundingClientRect().height) : 0;
    document.body.style.setProperty("--sheet-h", `${bottom}px`);
    if (map.getPadding().bottom === bottom) return;
    // setPadding jumps, which would stop a flight under way: apply it when the flight ends
    if (map.isMoving()) { map.once("moveend", fitPadding); return; }
    map.setPadding({ top: 0, left: 0, right: 0, bottom });
  }
  function show(id, on = true) {
    panels.forEach((p) => { if (p !== id && on) $(p).hidden = true; });
    $(id).hidden = !on;
    fitPadding();
    if (on) document.dispatchEvent(new CustomEvent("rm:panel", { detail: id }));
  }
  window.rmShowPanel = show;
  function togglePanel(id) { show(id, $(id).hidden); }
  document.querySelectorAll(".panel .close").forEach((b) => b.addEventListener("click", () => {
    b.closest(".panel").hidden = true;
    fitPadding();
  }));
  new ResizeObserver(fitPadding).observe(document.body);
  panels.forEach((p) => new ResizeObserver(fitPadding).observe($(p)));
  // the header's real height places the map (an English header wraps on a phone)
  new ResizeObserver(() => {
    document.body.style.setProperty("--bar-h", `${document.querySelector(".bar").offsetHeight}px`);
    map.resize();
  }).observe(document.querySelector(".bar"));
  $("btn-layers").addEventListener("click", () => togglePanel("panel-layers"));
  $("btn-site").addEventListener("click", () => togglePanel("panel-site"));
  $("btn-inspect").addEventListener("click", () => togglePanel("panel-inspect"));
  $("btn-offline").addEventListener("click", () => togglePanel("panel-offline"));
  $("btn-measure").addEventListener("click", () => RMTools.startMeasure());
  $("measure-undo").addEventListener("click", () => RMTools.undoPoint());
  $("measure-close").addEventListener("click", () => RMTools.startMeasure(false));
  $("as-of").addEventListener("change", (e) => RMTools.setAsOf(e.target.value));
  $("as-of-clear").addEventListener("click", () => { $("as-of").value = ""; RMTools.setAsOf(null); });
  document.addEventListener("rm:asof", (e) => {
    const { asOf, failed } = e.detail;
    $("as-of-state").textContent = asOf ? `${t("as_of_showing")} ${asOf}${failed.length ? ` · ${t("as_of_missing")}: ${failed.map(layerTitle).join(", ")}` : ""}` : "";
    $("as-of-badge").hidden = !asOf;
    $("as-of-badge").textContent = asOf ? `${t("as_of")} ${asOf}` : "";
  });

  // --- layers and legend (built from the style's metadata) ----------------------------
  function collections() {
    const out = new Map();
    for (const layer of map.getStyle().layers) {
      const meta = layer.metadata || {};
      const id = meta["rm:collection"];
      if (!id) continue;
      if (!out.has(id)) out.set(id, { id, meta, layers: [] });
      out.get(id).layers.push(layer.id);
    }
    return [...out.values()].reverse(); // top of the map first
  }

  const setCollectionVisible = (id, visible) => RMTools.setVisible(id, visible);
  window.rmSetLayerVisible = setCollectionVisible;

  function buildLayerList() {
    const list = $("layer-list");
    list.innerHTML = "";
    for (const c of collections()) {
      const title = LANG === "zh" ? c.meta["rm:title_zh"] : c.meta["rm:title"];
      const visible = RMTools.isVisible(c.id);
      const legend = (c.meta["rm:legend"] || []).map((e) => `<span><i class="swatch" style="background:${esc(e.color)}"></i>${esc(e.label)}</span>`).join("");
      const li = document.createElement("li");
      li.innerHTML = `<label><input type="checkbox" data-collection="${esc(c.id)}" ${visible ? "checked" : ""}>
        ${esc(title)}</label><div class="legend">${legend}</div>
        <label class="opacity"><span>${t("opacity")}</span><input type="range" min="0" max="1" step="0.1"
          value="${RMTools.opacity(c.id)}" data-opacity="${esc(c.id)}"></label>`;
      li.querySelector("input").addEventListener("change", (e) => setCollectionVisible(c.id, e.target.checked));
      li.querySelector("input[type=range]").addEventListener("input", (e) => RMTools.setLayerOpacity(c.id, Number(e.target.value)));
      list.appendChild(li);
    }
  }
  document.addEventListener("rm:lang", () => { if (map.isStyleLoaded()) buildLayerList(); });

  map.on("load", async () => {
    RMTools.install(map, collections);
    await RMRef.install(map);
    RMSite.install(map);
    map.addSource("here", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "here-point", type: "circle", source: "here",
      paint: { "circle-radius": 8, "circle-color": "#2b83ba", "circle-stroke-color": "#fff", "circle-stroke-width": 3 } });
    RMOffline.install(map);
    await RMTools.restoreUrl();
    buildLayerList();
    await RMApplies.load(collections().map((c) => c.id));
    window.rmReady = true;
  });

  // --- popups: every feature under the tap, with what applies there ---------------------
  function inspectFrom(collection, p, lngLat) {
    $("insp-feature").value = collection === "violations" ? (p.subject_id || "") : p.id;
    $("insp-violation").value = collection === "violations" ? p.id : "";
    setHere(lngLat.lng, lngLat.lat, null);
    show("panel-inspect");
  }
  const hitSection = (h, lngLat) => RMPopups.section(h, lngLat, layerTitle, inspectFrom);
  const popupExtras = (collection, id, el) => RMPopups.extras(collection, id, el);

  // hits: [{collection, props}] (deduplicated), or one MapLibre feature (older callers)
  function openPopup(hits, lngLat) {
    if (!Array.isArray(hits)) hits = dedupe([hits]);
    const box = document.createElement("div");
    box.className = "popup-list";
    box.dataset.count = hits.length;
    if (hits.length > 1) box.insertAdjacentHTML("beforeend", `<p class="popup-count">${hits.length} ${t("features_here")}</p>`);
    const sections = RMApplies.order(hits).map((h) => hitSection(h, lngLat));
    sections.forEach((el) => box.appendChild(el));
    if (phone()) { // a phone: the answer is a bottom sheet; the tapped place stays above it
      $("results").replaceChildren(box);
      show("panel-results");
      setHere(lngLat.lng, lngLat.lat, null);
      map.easeTo({ center: lngLat });
      sections.forEach((el) => popupExtras(el.dataset.collection, el.dataset.id, el));
      return;
    }
    const popup = new maplibregl.Popup({ maxWidth: "360px", focusAfterOpen: false }).setLngLat(lngLat).setDOMContent(box).addTo(map);
    // Restoration and tasks arrive later and make the popup taller: place it again, so that
    // MapLibre picks the side (above / below the point) where it now fits.
    Promise.all(sections.map((el) => popupExtras(el.dataset.collection, el.dataset.id, el)))
      .then(() => { if (popup.isOpen()) popup.setLngLat(lngLat); });
  }
  window.rmOpenPopup = openPopup;

  function dedupe(features) {
    const seen = new Map();
    for (const f of features) {
      const collection = f.layer.metadata?.["rm:collection"] || f.source;
      const props = { ...f.properties, id: f.properties.id ?? f.id };
      const k = `${collection}/${props.id}`;
      if (!seen.has(k)) seen.set(k, { collection, props });
    }
    // regions nest (region ⊃ prefecture ⊃ county): the county is the one that tells where
    const all = [...seen.values()];
    const counties = all.filter((h) => h.collection === "regions" && h.props.level === "county");
    return counties.length ? all.filter((h) => h.collection !== "regions" || h.props.level === "county") : all;
  }

  function featuresAt(point) {
    const r = 8; // a finger is not a mouse pointer
    const box = [[point.x - r, point.y - r], [point.x + r, point.y + r]];
    const layers = collections().flatMap((c) => c.layers)
      .filter((l) => map.getLayoutProperty(l, "visibility") !== "none");
    return map.queryRenderedFeatures(box, { layers });
  }

  // --- what is here -------------------------------------------------------------------
  function setHere(lon, lat, accuracy) {
    here = { lon, lat, accuracy };
    $("insp-pos").textContent = `${lon.toFixed(6)}, ${lat.toFixed(6)}`;
    if (accuracy != null) $("insp-acc").value = Math.round(accuracy);
    map.getSource("here")?.setData({ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: [lon, lat] } });
  }

  function layerTitle(id) {
    const c = collections().find((x) => x.id === id);
    return c ? (LANG === "zh" ? c.meta["rm:title_zh"] : c.meta["rm:title"]) : id;
  }

  function list(items, fmt, cls = "") {
    return items && items.length ? `<ul class="${cls}">${items.map(fmt).join("")}</ul>` : `<p class="muted">${t("none")}</p>`;
  }

  async function whatIsHere(lon, lat, accuracy = null) {
    setHere(lon, lat, accuracy);
    show("panel-results");
    const out = $("results");
    out.textContent = t("checking");
    const r = await getJSON(`/checks/point?lon=${lon}&lat=${lat}&radius_m=300`);
    if (!r.ok) {
      out.innerHTML = `<h2>${t("what_is_here")}</h2><p class="muted">${r.status === 404 ? t("unavailable") : `${t("failed")} (${r.status})`}</p>`;
      return;
    }
    const d = r.data;
    const f = RMGeo.format(lon, lat);
    const region = d.region ? `<p>${esc(LANG === "zh" ? d.region.name : (d.region.name_en || d.region.name))} ${esc(d.region.code)}</p>` : "";
    // each zone one is inside, with what is prohibited there and why (from /rules)
    const zone = (c) => `<li data-code="${esc(c.code)}"><b>${esc(layerTitle(c.collection))}</b>: ${esc(c.code)} ${esc(c.name)}
      ${RMApplies.rulesHtml(c.collection, c.properties || {})}</li>`;
    const viol = (v) => {
      const rule = RMApplies.rules().find((x) => x.id === v.rule_id);
      const basis = rule ? ((LANG === "zh" && rule.legal_basis_zh) || rule.legal_basis) : "";
      return `<li>V-${esc(v.id)} ${esc((LANG === "zh" && v.rule_name_zh) || v.rule_name)}
        (<span class="sev sev-${esc(v.severity)}">${esc(RMApplies.value("violations", "severity", v.severity))}</span>, ${esc(RMApplies.value("violations", "status", v.status))})
        ${esc(v.subject_code)} → ${esc(v.protected_code)} ${v.area_ha != null ? `· ${esc(v.area_ha)} ha` : ""}
        ${basis ? `<div class="basis">${esc(t("legal_basis"))}: ${esc(basis)}</div>` : ""}</li>`;
    };
    out.innerHTML = `<h2>${t("what_is_here")}</h2><p class="muted">CGCS2000 ${esc(f.lonlat)}<br>${esc(f.gk)}</p>${region}
      <h3>${t("containing")}</h3>${list(d.containing, zone, "containing")}
      <h3>${t("nearby")}</h3>${list(d.nearby, (n) => `<li>${esc(layerTitle(n.collection))}: ${esc(n.code)} ${esc(n.name)} — ${Math.round(n.distance_m)} m</li>`, "nearby")}
      <h3>${t("violations")}</h3>${list(d.violations, viol, "violations")}
      <h3>${t("tasks")}</h3>${list(d.tasks, (x) => `<li>${esc(x.code)} ${esc(x.title)} — ${esc(t(`st_${x.status}`))}${x.overdue ? " ⚠" : ""} · ${t("deadline")}
        ${esc(x.deadline || t(`deadline_${x.deadline_kind}`))}</li>`, "tasks")}
      <button type="button" class="btn" id="here-inspect">${t("inspect_here")}</button>`;
    $("here-inspect").addEventListener("click", () => show("panel-inspect"));
  }
  window.rmWhatIsHere = whatIsHere;

  $("btn-here").addEventListener("click", () => {
    pointMode = !pointMode;
    $("btn-here").classList.toggle("primary", pointMode);
    map.getCanvas().style.cursor = pointMode ? "help" : "";
  });

  $("btn-locate").addEventListener("click", () => {
    if (!navigator.geolocation) { status(t("geolocation_failed")); return; }
    navigator.geolocation.getCurrentPosition((pos) => {
      const { longitude, latitude, accuracy } = pos.coords;
      RMRef.setGps(longitude, latitude);
      // the results sheet opens first: the map's padding then keeps the position above it
      whatIsHere(longitude, latitude, accuracy);
      map.flyTo({ center: [longitude, latitude], zoom: Math.max(map.getZoom(), 14) });
    }, () => status(t("geolocation_failed")), { enableHighAccuracy: true, timeout: 20000 });
  });

  // click: drawing > what-is-here mode > feature popup; long press / right click: what is here
  map.on("click", (e) => {
    if (RMTools.measuring()) { RMTools.addPoint(e.lngLat); return; }
    if (RMSite.isDrawing()) { RMSite.addVertex(e.lngLat); return; }
    if (pointMode) { pointMode = false; $("btn-here").classList.remove("primary"); whatIsHere(e.lngLat.lng, e.lngLat.lat); return; }
    const hits = dedupe(featuresAt(e.point));
    if (hits.length) openPopup(hits, e.lngLat);
  });
  map.on("contextmenu", (e) => whatIsHere(e.lngLat.lng, e.lngLat.lat));
  let pressTimer = null;
  map.on("touchstart", (e) => {
    if (e.originalEvent.touches.length !== 1) return;
    pressTimer = setTimeout(() => whatIsHere(e.lngLat.lng, e.lngLat.lat), 600);
  });
  ["touchend", "touchmove", "touchcancel"].forEach((ev) => map.on(ev, () => clearTimeout(pressTimer)));

  // --- search: coordinates, places, then codes and names of every layer ---------------
  async function search(q) {
    q = q.trim();
    if (!q) return;
    show("panel-results");
    $("results").textContent = t("checking");
    const out = $("results");
    const pt = RMGeo.parse(q, RMGeo.gkZone(map.getCenter().lng));
    if (pt) {
      out.innerHTML = `<h2>${t("results")}</h2>`;
      const f = RMGeo.format(pt.lon, pt.lat);
      addResult(`${t(pt.kind === "gk" ? "coord_gk" : "coord_lonlat")}: ${f.lonlat} · ${f.gk}`, "coordinate",
        () => { map.flyTo({ center: [pt.lon, pt.lat], zoom: Math.max(map.getZoom(), 14) }); setHere(pt.lon, pt.lat, null); }, true);
      return;
    }
    const [places, hits] = await Promise.all([RMTools.places(q), RMTools.featureSearch(q)]);
    out.innerHTML = `<h2>${t("results")}</h2>` + (places.length + hits.length ? "" : `<p class="muted">${t("no_results")}</p>`);
    for (const p of places) {
      const pr = p.properties;
      const name = LANG === "zh" ? (pr.name || pr.name_en) : (pr.name_en || pr.name);
      const kind = t(`place_${pr.kind}`) + (pr.approx ? ` (${t("approx")})` : "");
      addResult(`${name} · ${kind}${pr.county ? ` · ${pr.county}` : ""}${pr.code ? ` ${pr.code}` : ""}`, "place", () => {
        if (pr.bbox) map.fitBounds([[pr.bbox[0], pr.bbox[1]], [pr.bbox[2], pr.bbox[3]]], { padding: 30 });
        else map.flyTo({ center: p.geometry.coordinates, zoom: 13 });
      });
    }
    const seen = new Set();
    for (const { c, f } of hits) {
      const k = `${c}/${f.id}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const pr = f.properties;
      const name = (LANG === "zh" && (pr.name_zh || pr.name)) || pr.name_en || pr.name || "";
      addResult(`${pr.code || f.id} ${name} (${layerTitle(c)})`, "feature", () => zoomTo(f));
    }
    if (places.length + seen.size === 1) out.querySelector(".result-item").click();
  }

  function addResult(text, kind, go, now = false) {
    const b = document.createElement("button");
    b.className = "btn result-item";
    b.dataset.kind = kind;
    b.textContent = text;
    b.addEventListener("click", go);
    $("results").appendChild(b);
    if (now) go();
  }

  function zoomTo(feature) {
    const b = new maplibregl.LngLatBounds();
    const walk = (c) => (typeof c[0] === "number" ? b.extend(c) : c.forEach(walk));
    walk(feature.geometry.coordinates);
    map.fitBounds(b, { padding: 60, maxZoom: 15 });
  }
  $("search").addEventListener("submit", (e) => { e.preventDefault(); search($("search-q").value); });

  // --- site check ---------------------------------------------------------------------
  $("site-draw").addEventListener("click", () => RMSite.start());
  // the result opens beside (desktop) or below (phone) the map: frame the site in what is left
  async function checkSite(geom) {
    const res = await RMSite.check(geom);
    fitPadding(); // now, not when the observer fires: a later setPadding would stop the fit
    const b = new maplibregl.LngLatBounds();
    const walk = (c) => (typeof c[0] === "number" ? b.extend(c) : c.forEach(walk));
    walk(geom.coordinates);
    const panel = $("panel-site").getBoundingClientRect();
    const left = phone() ? 20 : panel.right - map.getContainer().getBoundingClientRect().left + 20;
    // fitBounds adds its padding to the map's own (which already spares an open sheet)
    const bottom = phone() ? Math.max(20, panel.height + 20 - map.getPadding().bottom) : 30;
    map.fitBounds(b, { padding: { left, right: 70, top: 30, bottom }, maxZoom: 16 });
    return res;
  }
  $("site-finish").addEventListener("click", () => checkSite(RMSite.drawnGeometry()));
  $("site-clear").addEventListener("click", () => RMSite.clear());
  $("site-print").addEventListener("click", () => window.print());
  $("site-file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    try {
      const geom = await RMSite.fromFile(file);
      await checkSite(geom);
    } catch (err) {
      $("site-result").textContent = `${t("file_unreadable")}: ${err.message}`;
    }
    e.target.value = "";
  });

  // --- inspections (offline queue) ----------------------------------------------------
  function showKeyState() {
    $("key-state").textContent = localStorage.getItem("rm.apiKey") ? t("signed_in") : t("not_signed_in");
  }
  showKeyState();
  document.addEventListener("rm:lang", showKeyState);
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = $("api-key").value.trim();
    if (key) localStorage.setItem("rm.apiKey", key); else localStorage.removeItem("rm.apiKey");
    $("api-key").value = "";
    showKeyState();
    RMQueue.flush(true);
  });
  $("insp-use-center").addEventListener("click", () => {
    const c = map.getCenter();
    setHere(c.lng, c.lat, null);
  });
  $("inspect-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!localStorage.getItem("rm.apiKey")) { status(t("need_key")); return; }
    if (!here) { status(t("need_position")); return; }
    const num = (id) => ($(id).value === "" ? null : Number($(id).value));
    const body = {
      lon: here.lon, lat: here.lat, accuracy_m: num("insp-acc"),
      observed_at: new Date().toISOString(), verdict: $("insp-verdict").value,
      note: $("insp-note").value || null, feature_id: num("insp-feature"), violation_id: num("insp-violation"),
    };
    await RMQueue.enqueue(body, $("insp-photos").files);
    $("inspect-form").reset();
    $("insp-pos").textContent = `${here.lon.toFixed(6)}, ${here.lat.toFixed(6)}`;
    status(navigator.onLine ? t("sending") : t("offline"));
  });
  document.addEventListener("rm:queue", (e) => {
    const { pending, failed, retryIn } = e.detail;
    $("queue-count").textContent = pending;
    $("queue-state").textContent = failed ? `${t("failed")}: ${failed}` : retryIn ? `${retryIn} ${t("retry_in")}` : "";
    if (!pending) status(""); else if (!navigator.onLine) status(t("offline"));
  });
  window.addEventListener("offline", () => status(t("offline")));
  RMQueue.notify();
  RMQueue.flush();
})();
