// Progress dashboard: /progress (status by county), /progress/series (restored area by month)
// and /tasks?overdue=true, filtered by county and layer (tasks have no layer: county only);
// each part says so when its endpoint is not available instead of failing. A refresh
// started by a later filter change wins over one still in flight.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  // the progress vocabulary as the server defines it (geo/progress/vocab.py)
  const VOCAB = JSON.parse($("rm-vocab").textContent);
  applyI18n();
  $("btn-lang").addEventListener("click", toggleLang);

  function query(extra = {}, withLayer = true) {
    const p = new URLSearchParams(extra);
    if ($("f-region").value) p.set("region", $("f-region").value);
    if (withLayer && $("f-layer").value) p.set("layer", $("f-layer").value);
    return p.toString();
  }

  const regionNames = new Map(); // code -> {zh, en}
  const regionName = (code, zh) => {
    const n = regionNames.get(code);
    return (n && (LANG === "zh" ? n.zh : n.en || n.zh)) || zh || code || t("outside_counties");
  };

  let generation = 0;
  // the answer of a request, or null when a newer refresh has started meanwhile
  async function fresh(url) {
    const mine = generation;
    const r = await getJSON(url);
    return mine === generation ? r : null;
  }

  function unavailable(el, r) {
    el.innerHTML = `<p class="muted">${t("unavailable")} (${r.status || "offline"})</p>`;
  }

  async function statusByCounty() {
    const r = await fresh(`/progress?${query({ group_by: "region" })}`);
    if (!r) return;
    if (!r.ok) return unavailable($("chart-status"), r);
    const groups = r.data.groups || [];
    // statuses in lifecycle order (colours go from grey to green), unknown ones last
    const LIFECYCLE = VOCAB.restoration_statuses;
    const found = new Set(groups.flatMap((g) => Object.keys(g.by_status || {})));
    const keys = [...LIFECYCLE.filter((k) => found.has(k)), ...[...found].filter((k) => !LIFECYCLE.includes(k))];
    const rows = groups.map((g) => ({
      label: regionName(g.region_code, g.region_name),
      values: Object.fromEntries(Object.entries(g.by_status || {}).map(([k, v]) => [k, v.count])),
    }));
    RMCharts.stackedBars($("chart-status"), rows, keys, { label: (k) => t(`st_${k}`), axis: t("axis_records") });
    RMCharts.downloads($("chart-status"), "restoration-status-by-county", () => [
      [t("county"), ...keys.map((k) => t(`st_${k}`)), t("total")],
      ...rows.map((r) => [r.label, ...keys.map((k) => r.values[k] || 0), keys.reduce((s, k) => s + (r.values[k] || 0), 0)])]);
    const tot = r.data.total || {};
    $("chart-status").insertAdjacentHTML("beforeend", `<p class="muted">${t("completion")}:
      ${Math.round(100 * (tot.completion_by_count || 0))} % (${t("count")}),
      ${Math.round(100 * (tot.completion_by_area || 0))} % (${t("area_ha")})</p>`);
  }

  async function series() {
    const r = await fresh(`/progress/series?${query()}`);
    if (!r) return;
    if (!r.ok) return unavailable($("chart-series"), r);
    // restored_area_ha is the state at each month's end: a running total, not a monthly amount
    const points = (r.data.months || []).map((m) => ({ label: m.month, value: m.restored_area_ha || 0 }));
    RMCharts.line($("chart-series"), points, { axis: t("axis_restored_ha"), xAxis: t("axis_month_end") });
    RMCharts.downloads($("chart-series"), "restored-area-cumulative", () => [
      [t("month"), t("axis_restored_ha")], ...points.map((p) => [p.label, p.value])]);
  }

  const SEV_COLORS = { critical: "#b2182b", high: "#e34a33", medium: "#fc8d59", low: "#fee08b" };
  async function openViolations() {
    const region = $("f-region").value;
    const r = await fresh(`/violations/open-summary${region ? `?region=${region}` : ""}`);
    if (!r) return;
    if (!r.ok) return unavailable($("chart-open"), r);
    const sev = r.data.severities.filter((k) => r.data.total.by_severity[k]);
    const rows = r.data.groups.map((g) => ({
      label: regionName(g.region_code, LANG === "zh" ? g.region_name : g.region_name_en || g.region_name),
      values: Object.fromEntries(Object.entries(g.by_severity).map(([k, v]) => [k, v.count])),
    }));
    if (!rows.length) { $("chart-open").innerHTML = `<p class="muted">${t("none")}</p>`; return; }
    RMCharts.stackedBars($("chart-open"), rows, sev, { label: (k) => t(`sev_${k}`), color: (k) => SEV_COLORS[k] || "#999", axis: t("axis_open_violations") });
    $("chart-open").insertAdjacentHTML("beforeend", `<p class="muted">${t("open_definition")} · ${t("total")}: ${r.data.total.count}</p>`);
    RMCharts.downloads($("chart-open"), "open-violations-by-county", () => [
      [t("county"), ...sev.map((k) => t(`sev_${k}`)), t("total")],
      ...rows.map((x) => [x.label, ...sev.map((k) => x.values[k] || 0), sev.reduce((s, k) => s + (x.values[k] || 0), 0)])]);
  }

  // Overdue needs evidence (a status dated after the deadline); a passed deadline with no
  // later report is its own state, "no report since <date>", listed after the overdue ones.
  async function overdue() {
    const [r, s] = await Promise.all([
      fresh(`/tasks?${query({ state: "overdue" }, false)}`),
      fresh(`/tasks?${query({ state: "no_report_since" }, false)}`)]);
    if (!r || !s) return;
    if (!r.ok) return unavailable($("overdue"), r);
    const tasks = [...(r.data.tasks || []), ...((s.ok && s.data.tasks) || [])];
    $("overdue").innerHTML = `<div class="scroll"><table id="overdue-table"><thead><tr><th>${t("code")}</th><th>${t("title")}</th>
      <th>${t("deadline")}</th><th>${t("status")}</th><th>${t("status_as_of")}</th><th>${t("lead_unit")}</th></tr></thead><tbody>
      ${tasks.map((x) => `<tr><td>${esc(x.code)}</td><td>${esc(x.title)}</td><td class="date">${esc(x.deadline)}</td>
      <td data-status="${esc(x.state)}">${esc(t(`st_${x.state}`))}${x.state === "no_report_since" ? ` ${esc(x.status_date)}` : ""}</td>
      <td>${esc(x.status_date)} · ${esc(x.status_words)} · ${esc(x.status_source)}</td><td>${esc(x.lead_unit)}</td></tr>`).join("") || `<tr><td colspan="6">${t("none")}</td></tr>`}
      </tbody></table></div>`;
  }

  function downloads() {
    for (const [id, path, f] of [["dl-restoration-xlsx", "/restoration", "xlsx"], ["dl-restoration-csv", "/restoration", "csv"],
      ["dl-tasks-xlsx", "/tasks", "xlsx"], ["dl-tasks-csv", "/tasks", "csv"]]) {
      const q = query({ f }, path === "/restoration");
      $(id).href = `${path}?${q}`;
    }
  }

  async function refresh() {
    generation += 1;
    const mine = generation;
    window.rmDashboardReady = false;
    downloads();
    await Promise.all([statusByCounty(), openViolations(), series(), overdue()]);
    if (mine === generation) window.rmDashboardReady = true;
  }

  async function filters() {
    const [regions, colls] = await Promise.all([
      getJSON("/collections/regions/items?level=county&limit=100"), getJSON("/collections")]);
    for (const f of (regions.ok && regions.data.features) || []) {
      regionNames.set(f.properties.code, { zh: f.properties.name, en: f.properties.name_en });
      $("f-region").add(new Option("", f.properties.code));
    }
    for (const c of (colls.ok && colls.data.collections) || []) {
      if (c["x-kind"] === "feature") {
        const o = new Option("", c.id);
        o.dataset.zh = c["x-title-zh"] || c.title;
        o.dataset.en = c.title;
        $("f-layer").add(o);
      }
    }
    nameOptions();
  }

  // option texts in the interface language (the value stays the code)
  function nameOptions() {
    for (const o of $("f-region").options) if (o.value) o.text = regionName(o.value);
    for (const o of $("f-layer").options) if (o.value) o.text = LANG === "zh" ? o.dataset.zh : o.dataset.en;
  }

  $("f-region").addEventListener("change", refresh);
  $("f-layer").addEventListener("change", refresh);
  document.addEventListener("rm:lang", () => { nameOptions(); refresh(); });
  filters().then(refresh);
})();
