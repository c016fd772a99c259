// Offline queue of inspections (and their photos as Blobs) in IndexedDB. Each inspection has a
// client-generated UUID, and the server's PUT is idempotent on it, so an inspection that is
// sent again after a lost response is still stored exactly once; photos are idempotent by hash.
"use strict";
const RMQueue = (() => {
  const DB_NAME = "rm-offline";
  const STORE = "inspections";
  const MAX_DELAY_S = 60;
  let dbPromise = null;
  let flushing = false;
  let again = false;
  let attempt = 0;
  let timer = null;

  function uuid4() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16)); // works outside secure contexts too
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "uuid" });
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    return dbPromise;
  }

  async function op(mode, fn) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const tx = d.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req && req.result);
      tx.onerror = () => reject(tx.error);
    });
  }
  const save = (item) => op("readwrite", (s) => s.put(item));
  const remove = (id) => op("readwrite", (s) => s.delete(id));
  const all = () => op("readonly", (s) => s.getAll());

  function key() { return localStorage.getItem("rm.apiKey") || ""; }

  async function notify(extra = {}) {
    const items = await all();
    document.dispatchEvent(new CustomEvent("rm:queue", {
      detail: { pending: items.length, failed: items.filter((i) => i.error).length, ...extra },
    }));
  }

  class Retry extends Error {}

  async function request(url, options) {
    let r;
    try {
      r = await fetch(url, { ...options, headers: { ...(options.headers || {}), Authorization: `Bearer ${key()}` } });
    } catch (err) {
      throw new Retry(String(err)); // no network
    }
    if (r.status >= 500 || r.status === 408 || r.status === 429) throw new Retry(`HTTP ${r.status}`);
    return r;
  }

  async function send(item) {
    if (!item.putDone) {
      const r = await request(`/inspections/${item.uuid}`, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(item.body),
      });
      if (!r.ok) {
        const body = await r.json().catch(() => ({}));
        item.error = `${r.status} ${body.description || ""}`.trim();
        await save(item);
        return;
      }
      item.putDone = true;
      await save(item);
    }
    while (item.photosSent < item.photos.length) {
      const p = item.photos[item.photosSent];
      const form = new FormData();
      form.append("file", p.blob, p.name);
      const r = await request(`/inspections/${item.uuid}/photos`, { method: "POST", body: form });
      if (!r.ok) {
        const body = await r.json().catch(() => ({}));
        item.error = `${p.name}: ${r.status} ${body.description || ""}`.trim();
        await save(item);
        return;
      }
      item.photosSent += 1;
      await save(item);
    }
    await remove(item.uuid);
  }

  function schedule() {
    clearTimeout(timer);
    const delay = Math.min(MAX_DELAY_S, 2 ** attempt);
    attempt += 1;
    timer = setTimeout(flush, delay * 1000);
    notify({ retryIn: delay });
  }

  async function flush(includeFailed = false) {
    if (flushing) { again = true; return; }
    flushing = true;
    clearTimeout(timer);
    try {
      for (const item of await all()) {
        if (item.error && !includeFailed) continue;
        if (includeFailed) delete item.error;
        await send(item);
      }
      attempt = 0;
    } catch (err) {
      if (!(err instanceof Retry)) console.warn("inspection queue:", err);
      schedule();
    } finally {
      flushing = false;
      await notify();
    }
    if (again) { again = false; flush(); }
  }

  async function enqueue(body, files) {
    const photos = [...files].map((f) => ({ blob: f, name: f.name, type: f.type }));
    const item = { uuid: uuid4(), body, photos, photosSent: 0, putDone: false, queuedAt: Date.now() };
    await save(item);
    await notify();
    flush();
    return item.uuid;
  }

  window.addEventListener("online", () => { attempt = 0; flush(); });
  return { enqueue, flush, all, notify, uuid4 };
})();
