// "What applies here": for a zone, the rules that protect it (what is prohibited there and its
// legal basis), for a subject (pit, occupation) the rules it is judged by, for a violation its
// rule; attribute names and values in the interface language (titles from the collections'
// queryables). Rules come from /rules, which the offline package keeps too.
"use strict";
const RMApplies = (() => {
  let rules = null;
  const titles = {};
  const SEVERITY = { critical: 0, high: 1, medium: 2, low: 3 };
  const HIDDEN = new Set(["id", "rule_id", "subject_id", "protected_id", "updated_at"]);

  async function load(collections) {
    if (rules === null) {
      const r = await getJSON("/rules");
      rules = r.ok ? (r.data.rules || []) : [];
    }
    await Promise.all(collections.filter((c) => !titles[c]).map(async (c) => {
      const r = await getJSON(`/collections/${c}/queryables`);
      titles[c] = r.ok ? r.data.properties || {} : {};
    }));
  }

  function matches(filter, props) {
    return Object.entries(filter || {}).every(([k, v]) => (Array.isArray(v)
      ? v.map(String).includes(String(props[k])) : String(v) === String(props[k])));
  }

  const ruleName = (r) => (LANG === "zh" && r.name_zh) || r.name;
  const basis = (r) => (LANG === "zh" && r.legal_basis_zh) || r.legal_basis;
  const enabled = () => (rules || []).filter((r) => r.enabled !== false);

  function forHit(collection, props) {
    if (collection === "violations") return enabled().filter((r) => r.id === Number(props.rule_id) || r.code === props.rule_code);
    const asZone = enabled().filter((r) => r.protected_layer === collection && matches(r.protected_filter, props));
    if (asZone.length) return asZone;
    return enabled().filter((r) => r.subject_layer === collection && matches(r.subject_filter, props));
  }
  const isZone = (collection) => enabled().some((r) => r.protected_layer === collection);

  function value(collection, key, v) {
    if (v === null || v === undefined || v === "") return "—";
    if (typeof v === "boolean" || v === "true" || v === "false") return t(String(v) === "true" ? "yes" : "no");
    const k = `val_${key}_${v}`, k2 = `val_${v}`;
    const tr = t(k) !== k ? t(k) : t(k2) !== k2 ? t(k2) : null;
    return tr || String(v);
  }

  function label(collection, key) {
    const q = (titles[collection] || {})[key];
    if (q) return (LANG === "zh" && q["x-title-zh"]) || q.title || key;
    const k = `field_${key}`;
    return t(k) !== k ? t(k) : key;
  }

  function propsList(collection, props) {
    return `<dl>${Object.entries(props).filter(([k]) => !HIDDEN.has(k))
      .map(([k, v]) => `<dt>${esc(label(collection, k))}</dt><dd>${esc(value(collection, k, v))}</dd>`).join("")}</dl>`;
  }

  function rulesHtml(collection, props) {
    const rs = forHit(collection, props);
    if (!rs.length) return "";
    const head = collection === "violations" ? t("rule_broken") : isZone(collection) ? t("prohibited_here") : t("rules_for_subject");
    return `<h4>${esc(head)}</h4><ul class="applies">${rs.map((r) => `<li data-rule="${esc(r.code)}">
      <b>${esc(ruleName(r))}</b> <code>${esc(r.code)}</code> <span class="sev sev-${esc(r.severity)}">${esc(value("", "severity", r.severity))}</span>
      <div class="basis">${esc(t("legal_basis"))}: ${esc(basis(r))}</div></li>`).join("")}</ul>`;
  }

  // Violations first (critical before high ...), then zones, then subjects, then regions.
  function order(hits) {
    const rank = (h) => (h.collection === "violations" ? 0 + (SEVERITY[h.props.severity] ?? 4) / 10
      : h.collection === "regions" ? 3 : isZone(h.collection) ? 1 : 2);
    return hits.sort((x, y) => rank(x) - rank(y));
  }

  const fields = (c) => Object.keys(titles[c] || {});

  return { load, fields, forHit, rulesHtml, propsList, order, value, label, isZone, rules: () => rules || [] };
})();
