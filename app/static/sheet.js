// The site-check sheet (/site-sheet): what the map page handed over in localStorage
// ("rm.sheet"), laid out for A4 with title, date, map with north arrow and scale bar,
// legend, coordinates, verdict and the rules with their legal basis.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const fmt = (x, d = 2) => (x == null ? "" : Number(x).toFixed(d));
  const raw = localStorage.getItem("rm.sheet");
  const sheet = raw ? JSON.parse(raw) : null;
  if (sheet && sheet.lang) LANG = sheet.lang; // the sheet speaks the language of the check
  applyI18n();
  $("sheet-print").addEventListener("click", () => window.print());

  // A scale bar of a round length near a quarter of the image width, and the nominal scale
  // when the image is printed at `printedMm` wide.
  function scale(mPerPx, widthPx, printedMm) {
    const target = (mPerPx * widthPx) / 4;
    const p = 10 ** Math.floor(Math.log10(target));
    const len = [5, 2, 1].map((k) => k * p).find((v) => v <= target) || p;
    const ratio = (mPerPx * widthPx) / (printedMm / 1000);
    const nominal = Math.round(ratio / 10 ** Math.floor(Math.log10(ratio) - 1)) * 10 ** Math.floor(Math.log10(ratio) - 1);
    return { len, share: len / (mPerPx * widthPx), nominal };
  }
  const dist = (m) => (m >= 1000 ? `${m / 1000} km` : `${m} m`);

  function outerRing(g) { return g.type === "Polygon" ? g.coordinates[0] : g.coordinates[0][0]; }

  function groupRules(rules) {
    const by = new Map();
    for (const r of rules || []) {
      if (!by.has(r.code)) by.set(r.code, { ...r, zones: [] });
      by.get(r.code).zones.push(r.protected_code);
    }
    return [...by.values()];
  }

  function render() {
    if (!sheet) return;
    const zh = LANG === "zh";
    const res = sheet.result;
    const printedMm = 180;
    const sc = scale(sheet.mPerPx, sheet.widthPx, printedMm);
    const when = new Date(sheet.created);
    const ring = outerRing(sheet.geometry).slice(0, -1);
    const legend = sheet.legend.map((l) => `<li><b>${esc(l.title)}</b> ${l.items.filter((e) => e.label || l.items.length === 1)
      .map((e) => `<span><i class="swatch" style="background:${esc(e.color)}"></i>${esc(e.label)}</span>`).join(" ")}</li>`).join("");
    const rules = groupRules(res.rules).map((r) => `<tr><td>${esc(r.code)}</td><td>${esc((zh && r.name_zh) || r.name)}</td>
      <td>${esc(t(`sev_${r.severity}`))}</td><td>${esc(r.zones.join(", "))}</td><td>${esc((zh && r.legal_basis_zh) || r.legal_basis)}</td></tr>`).join("");
    const conflicts = (res.layers || []).flatMap((l) => (l.conflicts || []).map((c) => `<tr><td>${esc((zh && l.title_zh) || l.title)}</td>
      <td>${esc(c.code)}</td><td>${esc(c.name)}</td><td>${fmt(c.overlap_ha, 3)}</td><td>${fmt(c.overlap_mu, 1)}</td>
      <td>${fmt(100 * (c.share_of_site || 0), 1)} %</td></tr>`)).join("");
    $("sheet").innerHTML = `
      <header class="sheet-head">
        <h1 id="sheet-title">${esc(t("sheet_title"))}</h1>
        <p>${esc(t("project_type"))}: <b id="sheet-type">${esc(sheet.projectType)}</b> ·
          ${esc(t("sheet_date"))}: <time id="sheet-date" datetime="${esc(sheet.created)}">${esc(when.toLocaleString(zh ? "zh-CN" : "en-GB"))}</time></p>
      </header>
      <figure class="sheet-map">
        <div class="frame"><img id="sheet-img" src="${sheet.image}" alt="${esc(t("sheet_map"))}">
        <svg class="north" viewBox="0 0 40 56" aria-label="${esc(t("north"))}"><path d="M20 4 L32 40 L20 32 L8 40 Z" fill="#222"/><text x="20" y="54" text-anchor="middle" font-size="13" font-weight="bold">N</text></svg>
        <div class="scalebar" id="sheet-scale" style="width:${(100 * sc.share).toFixed(2)}%"><div class="bar"></div>
          <span>0</span><span class="end">${dist(sc.len)}</span></div></div>
        <figcaption id="sheet-scale-text">${esc(t("scale"))} 1:${sc.nominal.toLocaleString("en").replace(/,/g, " ")} (${esc(t("scale_at"))} ${printedMm} mm) ·
          ${esc(t("crs_note"))}</figcaption>
      </figure>
      <section class="sheet-cols">
        <div><h2>${esc(t("legend"))}</h2><ul class="sheet-legend" id="sheet-legend">
          <li><span><i class="swatch" style="background:rgba(106,61,154,.25);border:2px dashed #6a3d9a"></i>${esc(t("legend_site"))}</span></li>
          <li><span><i class="swatch" style="background:#e7298a"></i>${esc(t("legend_overlap"))}</span></li>${legend}</ul></div>
        <div><h2>${esc(t("coordinates"))}</h2><table class="coords" id="sheet-coords"><thead><tr><th>#</th><th>${esc(t("lon"))}</th><th>${esc(t("lat"))}</th></tr></thead>
          <tbody>${ring.map((c, i) => `<tr><td>${i + 1}</td><td>${fmt(c[0], 6)}</td><td>${fmt(c[1], 6)}</td></tr>`).join("")}</tbody></table></div>
      </section>
      <section><h2>${esc(t("verdict"))}</h2>
        <p><span class="verdict ${esc(res.verdict)}" id="sheet-verdict">${esc(t(`verdict_${res.verdict}`))}</span>
        ${esc(t("site_area"))}: ${fmt(res.site_area_ha, 3)} ha (${fmt(res.site_area_mu, 1)} 亩) ·
        ${esc(t("share_protected"))}: ${fmt(100 * (res.share_inside_protected || 0), 1)} %</p></section>
      <section><h2>${esc(t("rules_broken"))}</h2>${rules ? `<div class="scroll"><table id="sheet-rules"><thead><tr><th>${esc(t("code"))}</th><th>${esc(t("rule"))}</th><th>${esc(t("severity"))}</th>
        <th>${esc(t("zones"))}</th><th>${esc(t("legal_basis"))}</th></tr></thead><tbody>${rules}</tbody></table></div>` : `<p>${esc(t("none"))}</p>`}</section>
      ${conflicts ? `<section><h2>${esc(t("overlaps_layer"))}</h2><div class="scroll"><table><thead><tr><th>${esc(t("layer"))}</th><th>${esc(t("code"))}</th><th>${esc(t("title"))}</th>
        <th>ha</th><th>亩</th><th>${esc(t("share_site"))}</th></tr></thead><tbody>${conflicts}</tbody></table></div></section>` : ""}
      <footer class="muted">${esc(t("sheet_footer"))}</footer>`;
    document.title = `${t("sheet_title")} · ${sheet.projectType}`;
  }

  const img = () => $("sheet-img");
  render();
  // Ready for printing once the map image is decoded (tests wait for this flag).
  if (!sheet) window.rmSheetReady = true;
  else if (img().complete) window.rmSheetReady = true;
  else img().addEventListener("load", () => { window.rmSheetReady = true; });
})();
