// Service worker of the field map (served as /sw.js, scope "/").
// - App shell (the page, scripts, style, reference layer, rules): network first, cached copy
//   when offline, so a reload with no network opens the map.
// - Vector tiles: network first; offline, the copy an offline area package stored; a tile
//   that was never downloaded answers 204 (empty) instead of an error, and the page is told,
//   so it can say "this area is not downloaded" once instead of logging hundreds of errors.
// Offline area packages are Cache Storage caches named "rm-area-<id>" filled by offline.js.
"use strict";
const SHELL = "rm-shell-v3";
const SHELL_URLS = [
  "/map", "/static/web.css", "/static/i18n.js", "/static/geodesy.js", "/static/mapref.js",
  "/static/applies.js", "/static/popups.js", "/static/maptools.js", "/static/offline.js", "/static/queue.js",
  "/static/site.js", "/static/map.js", "/static/inspect.js", "/static/desk.css", "/static/vendor/maplibre-gl.js", "/static/vendor/maplibre-gl.css",
  "/static/reference/changji.geojson", "/styles/default.json", "/styles/default.json?tiles=dataset",
  "/map/config.json", "/rules", "/checks/project-types",
];
// a collection's tiles, or the combined dataset tiles (all map layers in one MVT)
const TILE = /^\/(collections\/[^/]+\/)?tiles\/WebMercatorQuad\/\d+\/\d+\/\d+$/;

self.addEventListener("install", (event) => {
  // one missing optional file must not stop the worker: add what can be added
  event.waitUntil(caches.open(SHELL).then((c) => Promise.all(SHELL_URLS.map((u) => c.add(u).catch(() => null))))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("rm-shell-") && k !== SHELL).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

async function tellPages(msg) {
  for (const c of await self.clients.matchAll({ type: "window" })) c.postMessage(msg);
}

async function fromCache(request) {
  // static files may carry a version in the query (?v=...): match them without it
  const ignoreSearch = new URL(request.url).pathname.startsWith("/static/");
  return caches.match(request, { ignoreSearch });
}

async function tile(request) {
  try {
    const r = await fetch(request);
    if (r.ok || r.status === 304 || r.status === 204) return r;
    throw new Error(`tile ${r.status}`);
  } catch (err) {
    const hit = await fromCache(request);
    if (hit) return hit;
    tellPages({ type: "rm:tile-missing", url: request.url });
    return new Response(null, { status: 204, headers: { "X-RM-Offline": "not-downloaded" } });
  }
}

async function shellOrData(request) {
  const url = new URL(request.url);
  try {
    const r = await fetch(request);
    // keep the shell fresh: the copy used offline is the last one seen online
    if (r.ok && SHELL_URLS.includes(url.pathname + url.search)) {
      const copy = r.clone();
      caches.open(SHELL).then((c) => c.put(request, copy));
    }
    return r;
  } catch (err) {
    const hit = await fromCache(request);
    if (hit) return hit;
    if (request.mode === "navigate") {
      const page = await caches.match("/map");
      if (page) return page;
    }
    return new Response(JSON.stringify({ detail: "offline and not downloaded" }),
      { status: 503, headers: { "Content-Type": "application/json", "X-RM-Offline": "1" } });
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/basemap/")) return; // online basemap: never stored
  event.respondWith(TILE.test(url.pathname) ? tile(request) : shellOrData(request));
});
