// The inspection form's field tools, added to map.html's form: pick the feature or violation
// by its code (PIT-652301-0001, V-17) or by tapping it, GPS into the form, photo previews,
// a verdict that stays as chosen, and the inspection history with its photos.
"use strict";
const RMInspect = (() => {
  const $ = (id) => document.getElementById(id);
  const auth = () => ({ Authorization: `Bearer ${localStorage.getItem("rm.apiKey") || ""}` });
  let resolved = { feature: "", violation: "" }; // the ids the code field last showed
  let previews = [];

  function el(html) { const d = document.createElement("div"); d.innerHTML = html.trim(); return d.firstChild; }

  function addControls() {
    const form = $("inspect-form");
    const featureLabel = $("insp-feature").closest("label");
    // the ids stay (map.js reads them); people see codes. (display, not [hidden]: the
    // panel's CSS makes labels blocks.)
    $("insp-violation").closest("label").style.display = "none";
    featureLabel.style.display = "none";
    featureLabel.before(el(`<div class="insp-subject">
      <label><span data-i18n="subject_code"></span>
        <input id="insp-code" type="text" autocomplete="off" autocapitalize="characters" placeholder="PIT-652301-0001 / V-17"></label>
      <div class="row"><button type="button" class="btn" id="insp-code-find" data-i18n="find"></button>
        <button type="button" class="btn" id="insp-pick" data-i18n="pick_on_map"></button>
        <button type="button" class="btn" id="insp-history-btn" data-i18n="history"></button></div>
      <output id="insp-subject" class="muted"></output></div>`));
    $("insp-use-center").after(el(`<button type="button" class="btn" id="insp-gps" data-i18n="use_gps"></button>`));
    $("insp-photos").closest("label").after(el(`<div id="insp-preview" class="thumbs"></div>`));
    $("panel-inspect").appendChild(el(`<section id="insp-history" hidden></section>`));
    applyI18n($("panel-inspect"));

    $("insp-code-find").addEventListener("click", () => lookup({ code: $("insp-code").value.trim() }));
    $("insp-code").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); $("insp-code-find").click(); } });
    $("insp-gps").addEventListener("click", gps);
    $("insp-pick").addEventListener("click", pick);
    $("insp-history-btn").addEventListener("click", showHistory);
    $("insp-photos").addEventListener("change", preview);
    $("insp-verdict").value = localStorage.getItem("rm.verdict") || $("insp-verdict").value;
    $("insp-verdict").addEventListener("change", () => localStorage.setItem("rm.verdict", $("insp-verdict").value));
    // map.js resets the form after saving: the verdict stays as chosen, previews go
    form.addEventListener("reset", () => setTimeout(() => {
      $("insp-verdict").value = localStorage.getItem("rm.verdict") || "confirmed";
      clearPreview(); showSubject(null);
    }));
    // a popup's "inspect here" fills the ids: show the code they name
    new MutationObserver(() => { if (!$("panel-inspect").hidden) syncFromIds(); })
      .observe($("panel-inspect"), { attributes: true, attributeFilter: ["hidden"] });
  }

  function setIds(subject) {
    const v = subject?.kind === "violation";
    $("insp-feature").value = subject ? (v ? (subject.subject_id || "") : subject.id) : "";
    $("insp-violation").value = v ? subject.id : "";
    resolved = { feature: $("insp-feature").value, violation: $("insp-violation").value };
  }

  function showSubject(subject, message) {
    const out = $("insp-subject");
    if (!subject) { out.textContent = message || ""; return; }
    const name = subject.kind === "violation"
      ? `${(LANG === "zh" && subject.rule_name_zh) || subject.rule_name} · ${subject.subject_code} · ${t(`st_${subject.status}`) || subject.status}`
      : `${subject.name || ""} · ${subject.collection}`;
    out.innerHTML = `<b>${esc(subject.code)}</b> ${esc(name)}`;
    $("insp-code").value = subject.code;
  }

  async function lookup(params) {
    const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString();
    if (!q) return null;
    if (!localStorage.getItem("rm.apiKey")) { // lookups need a key: no request bound to fail
      const ids = [params.violation_id && `V-${params.violation_id}`, params.feature_id && `#${params.feature_id}`, params.code];
      showSubject(null, `${ids.filter(Boolean).join(" ")} · ${t("need_key")}`);
      return null;
    }
    const r = await getJSON(`/inspections/subjects?${q}`, { headers: auth() });
    if (!r.ok) {
      showSubject(null, r.status === 404 ? t("code_not_found") : r.status === 401 ? t("need_key") : `${t("failed")} (${r.status})`);
      if (params.code) setIds(null);
      return null;
    }
    setIds(r.data);
    showSubject(r.data);
    return r.data;
  }

  function syncFromIds() {
    const f = $("insp-feature").value, v = $("insp-violation").value;
    if (f === resolved.feature && v === resolved.violation) return;
    resolved = { feature: f, violation: v };
    if (v) lookup({ violation_id: v }); else if (f) lookup({ feature_id: f }); else showSubject(null);
  }

  function gps() {
    if (!navigator.geolocation) { showSubject(null, t("geolocation_failed")); return; }
    $("insp-gps").disabled = true;
    navigator.geolocation.getCurrentPosition((pos) => {
      const { longitude, latitude, accuracy } = pos.coords;
      // map.js takes the position from the map centre: put the centre on the fix
      window.rmMap.jumpTo({ center: [longitude, latitude] });
      $("insp-use-center").click();
      $("insp-acc").value = Math.round(accuracy);
      $("insp-gps").disabled = false;
    }, () => { $("insp-gps").disabled = false; showSubject(null, t("geolocation_failed")); },
    { enableHighAccuracy: true, timeout: 20000 });
  }

  // Tap a feature: the panel steps aside until the tap, then names what was tapped.
  function pick() {
    const map = window.rmMap;
    $("panel-inspect").hidden = true;
    $("status").textContent = t("tap_feature");
    map.once("click", (e) => {
      const r = 10;
      const hits = map.queryRenderedFeatures([[e.point.x - r, e.point.y - r], [e.point.x + r, e.point.y + r]])
        .filter((f) => f.layer.metadata?.["rm:collection"] && f.layer.metadata["rm:collection"] !== "regions");
      $("status").textContent = "";
      setTimeout(() => document.querySelectorAll(".maplibregl-popup").forEach((p) => p.remove()));
      $("panel-inspect").hidden = false;
      const hit = hits.find((f) => f.layer.metadata["rm:collection"] === "violations") || hits[0];
      if (!hit) { showSubject(null, t("nothing_here")); return; }
      const isV = hit.layer.metadata["rm:collection"] === "violations";
      lookup(isV ? { violation_id: hit.properties.id } : { feature_id: hit.properties.id });
    });
  }

  function clearPreview() {
    previews.forEach((u) => URL.revokeObjectURL(u));
    previews = [];
    $("insp-preview").innerHTML = "";
  }

  function preview() {
    clearPreview();
    for (const f of $("insp-photos").files) {
      const u = URL.createObjectURL(f);
      previews.push(u);
      $("insp-preview").appendChild(el(`<figure><img src="${u}" alt=""><figcaption>${esc(f.name)} · ${Math.round(f.size / 1024)} KB</figcaption></figure>`));
    }
  }

  async function photoURL(href) {
    const r = await fetch(href, { headers: auth() });
    return r.ok ? URL.createObjectURL(await r.blob()) : "";
  }

  async function showHistory() {
    const box = $("insp-history");
    box.hidden = false;
    const f = $("insp-feature").value, v = $("insp-violation").value;
    if (!f && !v) { box.innerHTML = `<p class="muted">${t("pick_first")}</p>`; return; }
    box.innerHTML = `<p class="muted">${t("checking")}</p>`;
    const r = await getJSON(`/inspections/history?${v ? `violation_id=${v}` : `feature_id=${f}`}`, { headers: auth() });
    if (!r.ok) { box.innerHTML = `<p class="muted">${r.status === 401 ? t("need_key") : `${t("failed")} (${r.status})`}</p>`; return; }
    const d = r.data;
    const items = d.inspections.map((i) => `<li data-uuid="${esc(i.uuid)}"><b>${esc(new Date(i.observed_at).toLocaleString(LANG === "zh" ? "zh-CN" : "en-GB"))}</b>
      ${esc(t(`v_${i.verdict}`))} · ${esc(i.inspector)} ${i.violation_id ? `· V-${esc(i.violation_id)}` : ""}
      ${i.note ? `<div>${esc(i.note)}</div>` : ""} ${i.photos.length ? `<span class="muted">${t("photos")}: ${i.photos.length}</span>` : ""}</li>`).join("");
    const events = (d.events || []).map((e) => `<li>${esc(new Date(e.at).toLocaleDateString(LANG === "zh" ? "zh-CN" : "en-GB"))}
      ${e.from_status ? `${esc(t(`st_${e.from_status}`))} → ` : ""}<b>${esc(t(`st_${e.to_status}`) || e.to_status)}</b> · ${esc(e.actor)}</li>`).join("");
    box.innerHTML = `<h3>${t("history")}: ${esc(d.subject.code)}</h3>
      ${events ? `<h4>${t("lifecycle")}</h4><ul class="events">${events}</ul>` : ""}
      <h4>${t("inspections")} (${d.inspections.length})</h4>${items ? `<ul class="history">${items}</ul>` : `<p class="muted">${t("none")}</p>`}
      <h4>${t("photos")} (${d.photos.length})</h4><div id="insp-gallery" class="thumbs gallery"></div>`;
    const gallery = $("insp-gallery");
    for (const p of d.photos) {
      const u = await photoURL(p.href);
      const a = el(`<a href="${u}" target="_blank" rel="noopener" data-inspection="${esc(p.inspection)}"><figure><img src="${u}" alt="${esc(t(`v_${p.verdict}`))}">
        <figcaption>${esc(new Date(p.observed_at).toLocaleDateString(LANG === "zh" ? "zh-CN" : "en-GB"))}</figcaption></figure></a>`);
      gallery.appendChild(a);
    }
    box.scrollIntoView({ block: "nearest" });
  }

  function install() { if ($("inspect-form") && !$("insp-code")) addControls(); }
  document.addEventListener("rm:lang", () => { if ($("insp-code")) applyI18n($("panel-inspect")); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", install); else install();
  return { lookup, showHistory };
})();
