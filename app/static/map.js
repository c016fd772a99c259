// The field map: vector-tile layers from this service, popups, what-is-here, search, site
// check and the offline inspection form. window.rmMap exposes the MapLibre map (tests use it).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const status = (msg) => { $("status").textContent = msg || ""; };
  let here = null; // {lon, lat, accuracy} chosen for the inspection form
  let hereMarker = null;
  let pointMode = false;
  let tasksCache = null;

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
  });
  window.rmMap = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl(), "bottom-left");

  // --- panels -------------------------------------------------------------------------
  const panels = ["panel-layers", "panel-results", "panel-site", "panel-inspect"];
  function show(id, on = true) {
    panels.forEach((p) => { if (p !== id && on) $(p).hidden = true; });
    $(id).hidden = !on;
  }
  function togglePanel(id) { show(id, $(id).hidden); }
  document.querySelectorAll(".panel .close").forEach((b) => b.addEventListener("click", () => {
    b.closest(".panel").hidden = true;
  }));
  $("btn-layers").addEventListener("click", () => togglePanel("panel-layers"));
  $("btn-site").addEventListener("click", () => togglePanel("panel-site"));
  $("btn-inspect").addEventListener("click", () => togglePanel("panel-inspect"));

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

  function setCollectionVisible(id, visible) {
    for (const c of collections()) {
      if (c.id !== id) continue;
      c.layers.forEach((l) => map.setLayoutProperty(l, "visibility", visible ? "visible" : "none"));
    }
  }
  window.rmSetLayerVisible = setCollectionVisible;

  function buildLayerList() {
    const list = $("layer-list");
    list.innerHTML = "";
    for (const c of collections()) {
      const title = LANG === "zh" ? c.meta["rm:title_zh"] : c.meta["rm:title"];
      const visible = map.getLayoutProperty(c.layers[0], "visibility") !== "none";
      const legend = (c.meta["rm:legend"] || []).map((e) => `<span><i class="swatch" style="background:${esc(e.color)}"></i>${esc(e.label)}</span>`).join("");
      const li = document.createElement("li");
      li.innerHTML = `<label><input type="checkbox" data-collection="${esc(c.id)}" ${visible ? "checked" : ""}>
        ${esc(title)}</label><div class="legend">${legend}</div>`;
      li.querySelector("input").addEventListener("change", (e) => setCollectionVisible(c.id, e.target.checked));
      list.appendChild(li);
    }
    $("basemap-note").textContent = map.getSource("basemap") ? "" : t("no_basemap");
  }
  document.addEventListener("rm:lang", () => { if (map.isStyleLoaded()) buildLayerList(); });

  map.on("load", () => {
    buildLayerList();
    RMSite.install(map);
    map.addSource("here", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "here-point", type: "circle", source: "here",
      paint: { "circle-radius": 8, "circle-color": "#2b83ba", "circle-stroke-color": "#fff", "circle-stroke-width": 3 } });
    window.rmReady = true;
  });

  // --- popups -------------------------------------------------------------------------
  const HIDDEN_PROPS = new Set(["id"]);
  function propsTable(props) {
    return `<dl>${Object.entries(props).filter(([k]) => !HIDDEN_PROPS.has(k))
      .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>`;
  }

  async function tasksFor(kind, id) {
    if (tasksCache === null) {
      const r = await getJSON("/tasks");
      tasksCache = r.ok ? (r.data.tasks || []) : { status: r.status };
    }
    if (!Array.isArray(tasksCache)) return null;
    const field = kind === "violations" ? "violation_ids" : "feature_ids";
    return tasksCache.filter((task) => (task[field] || []).map(Number).includes(Number(id)));
  }

  async function popupExtras(collection, id, el) {
    const parts = [];
    if (collection !== "violations" && collection !== "regions") {
      const r = await getJSON(`/features/${id}/restoration`);
      if (r.ok) {
        const rec = r.data.record || r.data;
        parts.push(`<h4>${t("restoration")}</h4><p class="restoration" data-status="${esc(rec.status)}">${esc(t(`st_${rec.status}`))}
          ${rec.restored_area_ha != null ? `· ${esc(rec.restored_area_ha)} / ${esc(rec.target_area_ha)} ha` : ""}
          ${rec.deadline ? `· ${t("deadline")} ${esc(rec.deadline)}` : ""}</p>`);
      } else {
        parts.push(`<h4>${t("restoration")}</h4><p class="muted">${r.status === 404 ? t("no_restoration") : t("unavailable")}</p>`);
      }
    }
    if (collection !== "regions") {
      const tasks = await tasksFor(collection, id);
      parts.push(`<h4>${t("tasks")}</h4>` + (tasks === null ? `<p class="muted">${t("unavailable")}</p>`
        : tasks.length ? `<ul class="tasks">${tasks.map((x) => `<li>${esc(x.code)} ${esc(x.title)} — ${esc(t(`st_${x.status}`))}${x.overdue ? " ⚠" : ""}</li>`).join("")}</ul>`
          : `<p class="muted">${t("none")}</p>`));
    }
    el.insertAdjacentHTML("beforeend", parts.join(""));
  }

  function openPopup(feature, lngLat) {
    const collection = feature.layer.metadata?.["rm:collection"] || feature.source;
    const p = feature.properties;
    const meta = feature.layer.metadata || {};
    const title = LANG === "zh" ? meta["rm:title_zh"] : meta["rm:title"];
    const el = document.createElement("div");
    el.className = "popup";
    el.dataset.collection = collection;
    el.dataset.id = p.id;
    const name = (LANG === "zh" && p.name_zh) || p.name || p.rule_name || p.code || p.id;
    // The action comes first: MapLibre focuses the popup's first control when it opens, and
    // a button at the end of a long attribute list scrolled the title out of sight.
    el.innerHTML = `<h3>${esc(name)}</h3><p class="muted">${esc(title)} · ${esc(p.code || p.id)}</p>
      ${p.sample ? '<p class="sample-badge">样例数据（示意，非调查结果）· sample data, not a surveyed fact</p>' : "" /* issue-law */}
      ${collection !== "regions" ? `<button type="button" class="btn inspect-btn">${t("inspect_here")}</button>` : ""}
      ${propsTable(p)}`;
    el.querySelector(".inspect-btn")?.addEventListener("click", () => {
      $("insp-feature").value = collection === "violations" ? (p.subject_id || "") : p.id;
      $("insp-violation").value = collection === "violations" ? p.id : "";
      setHere(lngLat.lng, lngLat.lat, null);
      show("panel-inspect");
    });
    const popup = new maplibregl.Popup({ maxWidth: "340px" }).setLngLat(lngLat).setDOMContent(el).addTo(map);
    // Restoration and tasks arrive later and make the popup taller: place it again, so that
    // MapLibre picks the side (above / below the point) where it now fits.
    popupExtras(collection, p.id, el).then(() => { if (popup.isOpen()) popup.setLngLat(lngLat); });
  }
  window.rmOpenPopup = openPopup;

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
    out.innerHTML = `<h2>${t("what_is_here")}</h2><p class="muted">${lon.toFixed(5)}, ${lat.toFixed(5)}</p>
      ${d.region ? `<p>${esc(d.region.name)} ${esc(d.region.code)}</p>` : ""}
      <h3>${t("containing")}</h3>${list(d.containing, (c) => `<li>${esc(layerTitle(c.collection))}: ${esc(c.code)} ${esc(c.name)}</li>`, "containing")}
      <h3>${t("nearby")}</h3>${list(d.nearby, (n) => `<li>${esc(layerTitle(n.collection))}: ${esc(n.code)} ${esc(n.name)} — ${Math.round(n.distance_m)} m</li>`, "nearby")}
      <h3>${t("violations")}</h3>${list(d.violations, (v) => `<li>V-${esc(v.id)} ${esc((LANG === "zh" && v.rule_name_zh) || v.rule_name)} (${esc(v.severity)}, ${esc(v.status)})
        ${esc(v.subject_code)} → ${esc(v.protected_code)} ${v.area_ha != null ? `· ${esc(v.area_ha)} ha` : ""}</li>`, "violations")}
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
      // On a phone the results open as a bottom sheet over ~60% of the screen: put the
      // position in the middle of the part of the map that stays visible above it.
      const sheet = window.matchMedia("(max-width: 640px)").matches;
      map.flyTo({ center: [longitude, latitude], zoom: Math.max(map.getZoom(), 14),
        offset: [0, sheet ? -0.3 * window.innerHeight : 0] });
      whatIsHere(longitude, latitude, accuracy);
    }, () => status(t("geolocation_failed")), { enableHighAccuracy: true, timeout: 20000 });
  });

  // click: drawing > what-is-here mode > feature popup; long press / right click: what is here
  map.on("click", (e) => {
    if (RMSite.isDrawing()) { RMSite.addVertex(e.lngLat); return; }
    if (pointMode) { pointMode = false; $("btn-here").classList.remove("primary"); whatIsHere(e.lngLat.lng, e.lngLat.lat); return; }
    const hit = featuresAt(e.point);
    if (hit.length) openPopup(hit[0], e.lngLat);
  });
  map.on("contextmenu", (e) => whatIsHere(e.lngLat.lng, e.lngLat.lat));
  let pressTimer = null;
  map.on("touchstart", (e) => {
    if (e.originalEvent.touches.length !== 1) return;
    pressTimer = setTimeout(() => whatIsHere(e.lngLat.lng, e.lngLat.lat), 600);
  });
  ["touchend", "touchmove", "touchcancel"].forEach((ev) => map.on(ev, () => clearTimeout(pressTimer)));

  // --- search -------------------------------------------------------------------------
  async function search(q) {
    q = q.trim();
    if (!q) return;
    show("panel-results");
    $("results").textContent = t("checking");
    const colls = collections().map((c) => c.id);
    const queries = [];
    for (const c of colls) {
      const fields = c === "regions" ? ["code", "name", "name_en"] : ["code", "name"];
      for (const f of fields) queries.push(getJSON(`/collections/${c}/items?${f}=${encodeURIComponent(q)}&limit=20`).then((r) => ({ c, r })));
    }
    const seen = new Set();
    const hits = [];
    for (const { c, r } of await Promise.all(queries)) {
      for (const f of (r.ok && r.data.features) || []) {
        const k = `${c}/${f.id}`;
        if (!seen.has(k)) { seen.add(k); hits.push({ c, f }); }
      }
    }
    $("results").innerHTML = `<h2>${t("results")}</h2>` + (hits.length ? "" : `<p class="muted">${t("no_results")}</p>`);
    hits.forEach(({ c, f }) => {
      const b = document.createElement("button");
      b.className = "btn result-item";
      b.textContent = `${f.properties.code || f.id} ${f.properties.name || ""} (${c})`;
      b.addEventListener("click", () => zoomTo(f));
      $("results").appendChild(b);
    });
    if (hits.length === 1) zoomTo(hits[0].f);
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
  $("site-finish").addEventListener("click", () => RMSite.check(RMSite.drawnGeometry()));
  $("site-clear").addEventListener("click", () => RMSite.clear());
  $("site-print").addEventListener("click", () => window.print());
  $("site-file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    try {
      const geom = await RMSite.fromFile(file);
      await RMSite.check(geom);
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
