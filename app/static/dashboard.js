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
      label: g.region_name || g.region_code,
      values: Object.fromEntries(Object.entries(g.by_status || {}).map(([k, v]) => [k, v.count])),
    }));
    RMCharts.stackedBars($("chart-status"), rows, keys, (k) => t(`st_${k}`));
    const tot = r.data.total || {};
    $("chart-status").insertAdjacentHTML("beforeend", `<p class="muted">${t("completion")}:
      ${Math.round(100 * (tot.completion_by_count || 0))} % (${t("count")}),
      ${Math.round(100 * (tot.completion_by_area || 0))} % (${t("area_ha")})</p>`);
  }

  async function series() {
    const r = await fresh(`/progress/series?${query()}`);
    if (!r) return;
    if (!r.ok) return unavailable($("chart-series"), r);
    const points = (r.data.months || []).map((m) => ({ label: m.month, value: m.restored_area_ha || 0 }));
    RMCharts.line($("chart-series"), points, t("restored_ha"));
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
      ${tasks.map((x) => `<tr><td>${esc(x.code)}</td><td>${esc(x.title)}</td><td>${esc(x.deadline)}</td>
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
    await Promise.all([statusByCounty(), series(), overdue()]);
    if (mine === generation) window.rmDashboardReady = true;
  }

  async function filters() {
    const [regions, colls] = await Promise.all([
      getJSON("/collections/regions/items?level=county&limit=100"), getJSON("/collections")]);
    for (const f of (regions.ok && regions.data.features) || []) {
      $("f-region").add(new Option(`${f.properties.name} ${f.properties.name_en || ""}`, f.properties.code));
    }
    for (const c of (colls.ok && colls.data.collections) || []) {
      if (c["x-kind"] === "feature") $("f-layer").add(new Option(c["x-title-zh"] || c.title, c.id));
    }
  }

  $("f-region").addEventListener("change", refresh);
  $("f-layer").addEventListener("change", refresh);
  document.addEventListener("rm:lang", refresh);
  filters().then(refresh);
})();
