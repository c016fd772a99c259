// Offline area packages: a county (or the current view) with its vector tiles z8–z15, the
// items of every layer, the reference layer, the rules and the style, stored in Cache
// Storage ("rm-area-<id>") where the service worker (sw.js) finds them with no network.
// z8–z11 cover the whole area; z12–z15 only the tiles a feature of that layer touches (a
// county at z15 would be ~10 000 tile positions per layer; the reference layer carries the
// outlines at every zoom). A package records the data versions it was taken at: when the
// service's versions move on, it is offered for update.
"use strict";
const RMOffline = (() => {
  const Z_MIN = 8, Z_FULL = 11, Z_MAX = 15;
  const MAX_REQUESTS = 6000; // a phone's storage and a field day's patience
  const EST_TILE_BYTES = 6000;
  const KEY = "rm.packages";
  let map = null;
  let lastNotice = 0;

  const lon2x = (lon, z) => Math.floor((lon + 180) / 360 * 2 ** z);
  const lat2y = (lat, z) => {
    const r = Math.min(Math.max(lat, -85), 85) * Math.PI / 180;
    return Math.floor((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2 * 2 ** z);
  };
  function tileRange([w, s, e, n], z) {
    return { x0: lon2x(w, z), x1: lon2x(e, z), y0: lat2y(n, z), y1: lat2y(s, z) };
  }
  const packages = () => JSON.parse(localStorage.getItem(KEY) || "[]");
  const savePackages = (list) => localStorage.setItem(KEY, JSON.stringify(list));

  // The collections the map draws, each with the tile template of its source: one source per
  // collection, or one combined (dataset) source whose layers name the collections.
  function vectorSources() {
    const style = map.getStyle();
    const seen = new Map();
    for (const layer of style.layers) {
      const src = style.sources[layer.source];
      if (!src || src.type !== "vector" || !src.tiles) continue;
      const id = layer["source-layer"] || layer.source;
      if (!seen.has(id)) seen.set(id, { id, template: src.tiles[0] });
    }
    return [...seen.values()];
  }
  const tileUrl = (tpl, z, x, y) => tpl.replace("{z}", z).replace("{x}", x).replace("{y}", y);

  function bboxOf(geom) {
    const b = [180, 90, -180, -90];
    const walk = (c) => (typeof c[0] === "number"
      ? (b[0] = Math.min(b[0], c[0]), b[1] = Math.min(b[1], c[1]), b[2] = Math.max(b[2], c[0]), b[3] = Math.max(b[3], c[1]))
      : c.forEach(walk));
    walk(geom.coordinates);
    return b;
  }
  const clip = (b, a) => [Math.max(b[0], a[0]), Math.max(b[1], a[1]), Math.min(b[2], a[2]), Math.min(b[3], a[3])];

  async function plan(area) {
    const bbox = area.bbox.map((v) => Number(v.toFixed(5)));
    const data = ["/map", "/styles/default.json", "/styles/default.json?tiles=dataset", "/map/config.json", "/rules", "/checks/project-types", "/static/reference/changji.geojson"];
    const perZoom = {};
    for (let z = Z_MIN; z <= Z_MAX; z++) perZoom[z] = new Set();
    for (const src of vectorSources()) {
      const itemsUrl = `/collections/${src.id}/items?bbox=${bbox.join(",")}&limit=10000`;
      data.push(itemsUrl, `/collections/${src.id}/queryables`);
      const r = await getJSON(itemsUrl, { headers: { Accept: "application/geo+json" } });
      const boxes = ((r.ok && r.data.features) || []).filter((f) => f.geometry).map((f) => clip(bboxOf(f.geometry), bbox));
      for (let z = Z_MIN; z <= Z_MAX; z++) {
        // regions cover the whole county: beyond z11 the reference outlines stand in for them
        const areas = z <= Z_FULL ? [bbox] : src.id === "regions" ? [] : boxes;
        for (const b of areas) {
          if (b[0] > b[2] || b[1] > b[3]) continue;
          const { x0, x1, y0, y1 } = tileRange(b, z);
          for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) perZoom[z].add(tileUrl(src.template, z, x, y));
        }
      }
    }
    let tiles = [], maxZoom = Z_MIN - 1;
    for (let z = Z_MIN; z <= Z_MAX; z++) {
      if (tiles.length + perZoom[z].size + data.length > MAX_REQUESTS) break;
      tiles = tiles.concat([...perZoom[z]]);
      maxZoom = z;
    }
    return { area: { ...area, bbox }, urls: data.concat(tiles), tiles: tiles.length, maxZoom, estBytes: tiles.length * EST_TILE_BYTES };
  }

  async function download(p, onProgress) {
    const id = p.area.id;
    const cache = await caches.open(`rm-area-${id}`);
    const cfg = await getJSON("/map/config.json");
    let done = 0, bytes = 0, failed = 0;
    const failedUrls = [];
    const queue = [...p.urls];
    const pause = (s) => new Promise((ok) => setTimeout(ok, s * 1000));
    // A busy server answers 503 with Retry-After, a weak signal drops requests: try again
    // (three times, waiting as asked) before counting a tile as missing.
    async function fetchRetrying(url) {
      for (let attempt = 1; ; attempt++) {
        try {
          const r = await fetch(url, { cache: "no-cache" });
          if (r.ok || attempt >= 3 || (r.status !== 503 && r.status !== 429)) return r;
          await pause(Math.min(Number(r.headers.get("Retry-After")) || attempt, 10));
        } catch (err) {
          if (attempt >= 3) throw err;
          await pause(attempt);
        }
      }
    }
    async function worker() {
      while (queue.length) {
        const url = queue.shift();
        try {
          const r = await fetchRetrying(url);
          if (r.ok) {
            const body = await r.clone().arrayBuffer();
            bytes += body.byteLength;
            await cache.put(url, r);
          } else { failed++; failedUrls.push(`${r.status} ${url}`); }
        } catch (err) { failed++; failedUrls.push(`${err} ${url}`); }
        onProgress(++done, p.urls.length, bytes);
      }
    }
    await Promise.all(Array.from({ length: 6 }, worker));
    const entry = { id, title: p.area.title, bbox: p.area.bbox, maxZoom: p.maxZoom, tiles: p.tiles, bytes, failed,
      failed_urls: failedUrls.slice(0, 20),
      versions: cfg.ok ? cfg.data.data_versions : {}, created: new Date().toISOString() };
    savePackages(packages().filter((x) => x.id !== id).concat([entry]));
    return entry;
  }

  async function remove(id) {
    await caches.delete(`rm-area-${id}`);
    savePackages(packages().filter((x) => x.id !== id));
  }

  function covers(lng, lat) {
    return packages().some(({ bbox: b }) => lng >= b[0] && lng <= b[2] && lat >= b[1] && lat <= b[3]);
  }

  function notice(force = false) {
    if (navigator.onLine && !force) return;
    const c = map.getCenter();
    const el = document.getElementById("offline-notice");
    const out = !covers(c.lng, c.lat);
    el.hidden = !out;
    if (out) el.textContent = packages().length ? t("off_outside") : t("off_none");
  }

  // --- panel ---------------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);
  const mb = (n) => `${(n / 1048576).toFixed(1)} MB`;

  async function areas() {
    const r = await getJSON("/static/reference/changji.geojson");
    const counties = ((r.ok && r.data.features) || []).filter((f) => f.properties.kind === "county")
      .map((f) => ({ id: f.properties.code, title: f.properties.name, title_en: f.properties.name_en, bbox: f.properties.bbox }));
    return counties;
  }

  async function render() {
    const sel = $("off-area");
    const list = await areas();
    sel.innerHTML = `<option value="view">${esc(t("off_view"))}</option>` + list.map((a) =>
      `<option value="${esc(a.id)}">${esc(LANG === "zh" ? a.title : a.title_en)} (${esc(a.id)})</option>`).join("");
    sel._areas = list;
    const cfg = await getJSON("/map/config.json");
    const now = cfg.ok ? cfg.data.data_versions : null;
    $("off-list").innerHTML = packages().map((p) => {
      const stale = now && Object.entries(now).some(([k, v]) => p.versions[k] !== undefined && p.versions[k] !== v);
      return `<li data-package="${esc(p.id)}"><b>${esc(p.title)}</b> · z${Z_MIN}–${p.maxZoom} · ${p.tiles} ${esc(t("off_tiles"))} · ${mb(p.bytes)}
        <span class="muted">${esc(p.created.slice(0, 10))}</span> ${stale ? `<b class="stale">${esc(t("off_stale"))}</b>` : ""}
        <span class="row"><button type="button" class="btn off-update">${esc(t("off_update"))}</button>
        <button type="button" class="btn off-delete">${esc(t("off_delete"))}</button></span></li>`;
    }).join("") || `<li class="muted">${esc(t("off_no_packages"))}</li>`;
    $("off-list").querySelectorAll("li[data-package]").forEach((li) => {
      const p = packages().find((x) => x.id === li.dataset.package);
      li.querySelector(".off-delete").addEventListener("click", async () => { await remove(p.id); render(); });
      li.querySelector(".off-update").addEventListener("click", () => prepare({ id: p.id, title: p.title, bbox: p.bbox }, true));
    });
  }

  function chosenArea() {
    const sel = $("off-area");
    if (sel.value === "view") {
      const b = map.getBounds();
      return { id: `view-${Date.now().toString(36)}`, title: t("off_view"), bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] };
    }
    const a = sel._areas.find((x) => x.id === sel.value);
    return { id: a.id, title: LANG === "zh" ? a.title : a.title_en, bbox: a.bbox };
  }

  let planned = null;
  async function prepare(area, start = false) {
    $("off-size").textContent = t("checking");
    planned = await plan(area);
    $("off-size").textContent = `${planned.area.title}: z${Z_MIN}–${planned.maxZoom}, ${planned.tiles} ${t("off_tiles")}, ≈ ${mb(planned.estBytes)}`
      + (planned.maxZoom < Z_MAX ? ` (${t("off_capped")})` : "");
    $("off-download").disabled = false;
    if (start) await run();
  }

  async function run() {
    if (!planned) return;
    $("off-download").disabled = true;
    const bar = $("off-progress");
    bar.hidden = false;
    const entry = await download(planned, (done, total, bytes) => {
      bar.max = total; bar.value = done;
      $("off-state").textContent = `${done} / ${total} · ${mb(bytes)}`;
    });
    $("off-state").textContent = `${t("off_done")}: ${entry.title} · ${mb(entry.bytes)}${entry.failed ? ` · ${t("failed")} ${entry.failed}` : ""}`;
    $("off-state").dataset.done = entry.id;
    planned = null;
    render();
  }

  function install(m) {
    map = m;
    $("off-area").addEventListener("change", () => { $("off-download").disabled = true; $("off-size").textContent = ""; });
    $("off-size-btn").addEventListener("click", () => prepare(chosenArea()));
    $("off-download").addEventListener("click", run);
    document.addEventListener("rm:panel", (e) => { if (e.detail === "panel-offline") render(); });
    document.addEventListener("rm:lang", () => { if (!$("panel-offline").hidden) render(); });
    navigator.serviceWorker?.addEventListener("message", (e) => {
      if (e.data?.type !== "rm:tile-missing" || Date.now() - lastNotice < 1000) return;
      lastNotice = Date.now();
      notice(true);
    });
    map.on("moveend", () => notice());
    window.addEventListener("offline", () => notice());
    window.addEventListener("online", () => { $("offline-notice").hidden = true; });
    notice();
  }

  return { install, plan, download, packages, remove, covers };
})();
