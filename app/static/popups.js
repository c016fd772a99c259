// One section of a popup (or phone sheet) per feature under the tap: its name, layer, what
// applies there (RMApplies), an inspect button, restoration and tasks (loaded after), and
// its attributes in the interface language.
"use strict";
const RMPopups = (() => {
  let tasksCache = null;

  async function tasksFor(kind, id) {
    if (tasksCache === null) {
      const r = await getJSON("/tasks");
      tasksCache = r.ok ? (r.data.tasks || []) : { status: r.status };
    }
    if (!Array.isArray(tasksCache)) return null;
    const field = kind === "violations" ? "violation_ids" : "feature_ids";
    return tasksCache.filter((task) => (task[field] || []).map(Number).includes(Number(id)));
  }

  async function extras(collection, id, el) {
    const parts = [];
    if (collection !== "violations" && collection !== "regions" && !RMApplies.isZone(collection)) {
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
    el.querySelector(".extras").insertAdjacentHTML("beforeend", parts.join(""));
  }

  function section(h, lngLat, layerTitle, onInspect) {
    const { collection, props: p } = h;
    const el = document.createElement("section");
    el.className = "popup";
    el.dataset.collection = collection;
    el.dataset.id = p.id;
    const name = (LANG === "zh" && (p.name_zh || p.name)) || p.name || p.rule_name || p.code || p.id;
    const sev = collection === "violations" ? ` <span class="sev sev-${esc(p.severity)}">${esc(RMApplies.value(collection, "severity", p.severity))}</span>` : "";
    const approx = collection === "regions" ? "" : `<button type="button" class="btn inspect-btn">${t("inspect_here")}</button>`;
    el.innerHTML = `<h3>${esc(name)}${sev}</h3><p class="muted">${esc(layerTitle(collection))} · ${esc(p.code || p.id)}
      ${collection === "violations" ? ` · ${esc(RMApplies.value(collection, "status", p.status))}` : ""}</p>
      ${p.sample ? '<p class="sample-badge">样例数据（示意，非调查结果）· sample data, not a surveyed fact</p>' : ""}
      ${RMApplies.rulesHtml(collection, p)}${approx}<div class="extras"></div>
      <details><summary>${t("attributes")}</summary>${RMApplies.propsList(collection, p)}</details>`;
    el.querySelector(".inspect-btn")?.addEventListener("click", () => onInspect(collection, p, lngLat));
    return el;
  }

  return { section, extras };
})();
