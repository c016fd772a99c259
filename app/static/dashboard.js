// Progress dashboard: /progress (status by county), /progress/series (restored area by month)
// and /tasks?overdue=true, filtered by county and layer; each part says so when its
// endpoint is not available instead of failing.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  applyI18n();
  $("btn-lang").addEventListener("click", toggleLang);

  function query(extra = {}) {
    const p = new URLSearchParams(extra);
    if ($("f-region").value) p.set("region", $("f-region").value);
    if ($("f-layer").value) p.set("layer", $("f-layer").value);
    return p.toString();
  }

  function unavailable(el, r) {
    el.innerHTML = `<p class="muted">${t("unavailable")} (${r.status || "offline"})</p>`;
  }

  async function statusByCounty() {
    const r = await getJSON(`/progress?${query({ group_by: "region" })}`);
    if (!r.ok) return unavailable($("chart-status"), r);
    const groups = r.data.groups || [];
    const keys = [...new Set(groups.flatMap((g) => Object.keys(g.by_status || {})))];
    const rows = groups.map((g) => ({
      label: g.region_name || g.region_code,
      values: Object.fromEntries(Object.entries(g.by_status || {}).map(([k, v]) => [k, v.count])),
    }));
    RMCharts.stackedBars($("chart-status"), rows, keys);
    const tot = r.data.total || {};
    $("chart-status").insertAdjacentHTML("beforeend", `<p class="muted">${t("completion")}:
      ${Math.round(100 * (tot.completion_by_count || 0))} % (${t("count")}),
      ${Math.round(100 * (tot.completion_by_area || 0))} % (${t("area_ha")})</p>`);
  }

  async function series() {
    const r = await getJSON(`/progress/series?${query()}`);
    if (!r.ok) return unavailable($("chart-series"), r);
    const points = (r.data.months || []).map((m) => ({ label: m.month, value: m.restored_area_ha || 0 }));
    RMCharts.line($("chart-series"), points, t("restored_ha"));
  }

  async function overdue() {
    const r = await getJSON(`/tasks?overdue=true`);
    if (!r.ok) return unavailable($("overdue"), r);
    const tasks = r.data.tasks || [];
    $("overdue").innerHTML = `<div class="scroll"><table id="overdue-table"><thead><tr><th>${t("code")}</th><th>${t("title")}</th>
      <th>${t("deadline")}</th><th>${t("status")}</th><th>${t("lead_unit")}</th></tr></thead><tbody>
      ${tasks.map((x) => `<tr><td>${esc(x.code)}</td><td>${esc(x.title)}</td><td>${esc(x.deadline)}</td>
      <td>${esc(x.status)}</td><td>${esc(x.lead_unit)}</td></tr>`).join("") || `<tr><td colspan="5">${t("none")}</td></tr>`}
      </tbody></table></div>`;
  }

  function downloads() {
    for (const [id, path, f] of [["dl-restoration-xlsx", "/restoration", "xlsx"], ["dl-restoration-csv", "/restoration", "csv"],
      ["dl-tasks-xlsx", "/tasks", "xlsx"], ["dl-tasks-csv", "/tasks", "csv"]]) {
      const q = path === "/restoration" ? query({ f }) : new URLSearchParams({ f }).toString();
      $(id).href = `${path}?${q}`;
    }
  }

  async function refresh() {
    downloads();
    await Promise.all([statusByCounty(), series(), overdue()]);
    window.rmDashboardReady = true;
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
