// Every string of the map and the dashboard, in Chinese and English, in one dictionary.
"use strict";
const I18N = {
  zh: {
    app_title: "生态修复台账", search: "搜索", search_placeholder: "图斑编号、名称或地名",
    layers: "图层", site_check: "选址审查", inspection: "核查记录", dashboard: "进展",
    locate_me: "定位我的位置", what_is_here: "这里有什么（点击地图）", no_basemap: "未配置底图（清爽地图）",
    site_help: "在地图上点击添加顶点，或上传 GeoJSON / KML 文件。", draw: "绘制",
    finish: "完成并审查", clear: "清除", upload: "上传文件", print: "打印",
    api_key: "API 密钥", sign_in: "用密钥登录", signed_in: "已保存密钥", not_signed_in: "未登录",
    position: "位置", use_map_center: "使用地图中心", accuracy: "精度（米）", verdict: "结论",
    v_confirmed: "属实", v_not_confirmed: "不属实", v_rectified: "已整改", v_needs_follow_up: "需跟进",
    feature_id: "图斑 ID", violation_id: "违规 ID", note: "备注", photos: "照片", save: "保存",
    queue: "待发送", queued: "已保存，将在联网后发送", sent: "已发送", sending: "发送中…",
    offline: "离线：记录保存在本机，联网后自动发送", retry_in: "秒后重试", failed: "发送失败",
    need_key: "请先用 API 密钥登录", need_position: "请先定位或在地图上选点",
    containing: "所在区域", nearby: "附近要素", violations: "违规", tasks: "整改任务",
    none: "无", unavailable: "该服务暂不可用", restoration: "修复状态",
    no_restoration: "无修复记录", inspect_here: "记录核查", results: "搜索结果", no_results: "没有结果",
    site_area: "选址面积", layer: "图层", overlap: "重叠面积", share_site: "占选址",
    share_zone: "占保护区", distance: "距离", verdict_clear: "无冲突", verdict_must_avoid: "须避让",
    verdict_must_relocate: "须另行选址", overlaps_layer: "重叠", geolocation_failed: "无法获取位置",
    file_unreadable: "无法读取文件（需 GeoJSON 或 KML 面）", checking: "查询中…",
    status_by_county: "各县（市）状态", restored_over_time: "修复面积（逐月）", overdue_tasks: "逾期任务",
    county: "县（市）", all: "全部", download: "下载台账", count: "数量", area_ha: "面积（公顷）",
    deadline: "时限", lead_unit: "牵头单位", status: "状态", title: "名称", code: "编号",
    completion: "完成率", month: "月份", restored_ha: "已修复（公顷）",
    deadline_immediate_ongoing: "立行立改、长期坚持", deadline_date: "", deadline_date_then_ongoing: "限期完成后长期坚持",
    st_not_started: "未启动", st_planned: "已编制方案", st_in_progress: "正在推进", st_completed: "已完成",
    st_accepted: "已验收", st_repurposed: "转型利用", st_ongoing: "长期坚持",
    st_overdue: "逾期未完成", st_no_report_since: "此后未见报告", st_unknown: "尚无报告", status_as_of: "最近进展（日期·出处）",
  },
  en: {
    app_title: "Restoration ledger", search: "Search", search_placeholder: "Feature code, name or place",
    layers: "Layers", site_check: "Site check", inspection: "Inspection", dashboard: "Progress",
    locate_me: "Locate me", what_is_here: "What is here (tap the map)", no_basemap: "No basemap configured (clean map)",
    site_help: "Tap the map to add vertices, or upload a GeoJSON / KML file.", draw: "Draw",
    finish: "Finish and check", clear: "Clear", upload: "Upload file", print: "Print",
    api_key: "API key", sign_in: "Sign in with key", signed_in: "key saved", not_signed_in: "not signed in",
    position: "Position", use_map_center: "Use map centre", accuracy: "Accuracy (m)", verdict: "Verdict",
    v_confirmed: "Confirmed", v_not_confirmed: "Not confirmed", v_rectified: "Rectified",
    v_needs_follow_up: "Needs follow-up", feature_id: "Feature id", violation_id: "Violation id",
    note: "Note", photos: "Photos", save: "Save", queue: "Waiting to send",
    queued: "Saved; it will be sent when online", sent: "Sent", sending: "Sending…",
    offline: "Offline: records are kept on this device and sent when the connection returns",
    retry_in: "s until retry", failed: "Sending failed", need_key: "Sign in with an API key first",
    need_position: "Locate yourself or pick a point on the map first",
    containing: "Inside", nearby: "Nearby", violations: "Violations", tasks: "Rectification tasks",
    none: "none", unavailable: "this service is not available", restoration: "Restoration",
    no_restoration: "no restoration record", inspect_here: "Record inspection", results: "Results",
    no_results: "No results", site_area: "Site area", layer: "Layer", overlap: "Overlap",
    share_site: "of site", share_zone: "of zone", distance: "Distance", verdict_clear: "Clear",
    verdict_must_avoid: "Must avoid", verdict_must_relocate: "Must relocate", overlaps_layer: "Overlaps",
    geolocation_failed: "Position unavailable", file_unreadable: "Cannot read the file (GeoJSON or KML polygon needed)",
    checking: "Checking…", status_by_county: "Status by county", restored_over_time: "Restored area by month",
    overdue_tasks: "Overdue tasks", county: "County", all: "All", download: "Download ledger",
    count: "Count", area_ha: "Area (ha)", deadline: "Deadline", lead_unit: "Lead unit", status: "Status",
    title: "Title", code: "Code", completion: "Completion", month: "Month", restored_ha: "Restored (ha)",
    deadline_immediate_ongoing: "immediate and ongoing", deadline_date: "", deadline_date_then_ongoing: "by the deadline, then ongoing",
    st_not_started: "not started", st_planned: "planned", st_in_progress: "in progress", st_completed: "completed",
    st_accepted: "accepted", st_repurposed: "repurposed", st_ongoing: "ongoing",
    st_overdue: "overdue", st_no_report_since: "no report since", st_unknown: "no report yet", status_as_of: "Latest status (date · source)",
  },
};

let LANG = localStorage.getItem("rm.lang") || "zh";

function t(key) {
  return (I18N[LANG] && I18N[LANG][key]) || I18N.en[key] || key;
}

function applyI18n(root = document) {
  document.documentElement.lang = LANG === "zh" ? "zh-CN" : "en";
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  });
  root.querySelectorAll("[data-i18n-title]").forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  const btn = document.getElementById("btn-lang");
  if (btn) btn.textContent = LANG === "zh" ? "EN" : "中文";
}

function toggleLang() {
  LANG = LANG === "zh" ? "en" : "zh";
  localStorage.setItem("rm.lang", LANG);
  applyI18n();
  document.dispatchEvent(new CustomEvent("rm:lang"));
}

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// fetch JSON; resolves {ok, status, data}; a missing endpoint (404) is not an exception.
async function getJSON(url, options = {}) {
  try {
    const r = await fetch(url, options);
    const data = r.headers.get("content-type")?.includes("json") ? await r.json() : null;
    return { ok: r.ok, status: r.status, data };
  } catch (err) {
    return { ok: false, status: 0, data: null, error: err };
  }
}

// ---- mapdesk keys (issue 13 items 5, 6, 8, 10): site sheet, inspections, dashboard, OGC ----
Object.assign(I18N.zh, {
  project_type: "项目类型", project_type_any: "全部规则（不限类型）", undo: "撤销上一点",
  print_sheet: "审查单 (PDF)", print_pdf: "打印 / 保存为 PDF", back_to_map: "返回地图",
  sheet_empty: "没有审查结果：请先在地图上完成一次选址审查。", sheet_need_check: "请先完成审查，再生成审查单。",
  sheet_title: "建设项目选址符合性审查单", sheet_date: "审查日期", sheet_map: "选址位置图", north: "指北针",
  scale: "比例尺", scale_at: "图宽", legend: "图例", legend_site: "拟建项目选址", legend_overlap: "与保护区重叠部分",
  coordinates: "界址点坐标", lon: "经度 (°E)", lat: "纬度 (°N)", crs_note: "坐标系 CGCS2000 / WGS 84 经纬度",
  share_protected: "位于保护区内的比例", rules_broken: "触及的禁止性规定", rule: "规定", severity: "严重程度",
  zones: "保护区", legal_basis: "法律依据", sev_critical: "严重", sev_high: "高", sev_medium: "中", sev_low: "低",
  sheet_footer: "本审查单由生态修复台账系统根据当前数据自动生成，仅供选址初审参考；示例数据为样例。",
  subject_code: "图斑或问题编号", find: "查找", pick_on_map: "在地图上点选", history: "核查历史", use_gps: "GPS 定位",
  code_not_found: "没有这个编号", tap_feature: "请点击要核查的图斑", nothing_here: "这里没有图斑", pick_first: "请先选择图斑或问题",
  lifecycle: "处置流程", inspections: "核查记录",
  st_detected: "已发现", st_confirmed: "已核实", st_dismissed: "不属实", st_rectifying: "整改中", st_rectified: "已整改",
  st_closed: "已销号", st_reopened: "已重新打开",
  dash_status_title: "各县（市）修复状态", dash_open_title: "未销号违规问题（按县市、严重程度）",
  dash_restored_title: "累计修复面积（各月末）", axis_records: "图斑数（个）", axis_open_violations: "违规问题数（个）",
  axis_restored_ha: "累计修复面积（公顷）", axis_month_end: "月份（月末状态）", total: "合计",
  open_definition: "未销号：数据仍违规，且未被认定不属实或销号", outside_counties: "县界外",
  sample_note: "示例数据为样例，不代表真实台账。",
});
Object.assign(I18N.en, {
  project_type: "Project type", project_type_any: "Every rule (any type)", undo: "Undo last point",
  print_sheet: "Sheet (PDF)", print_pdf: "Print / save as PDF", back_to_map: "Back to the map",
  sheet_empty: "No result: run a site check on the map first.", sheet_need_check: "Run the check first, then make the sheet.",
  sheet_title: "Site check of a proposed project", sheet_date: "Date", sheet_map: "Site map", north: "North arrow",
  scale: "Scale", scale_at: "printed width", legend: "Legend", legend_site: "Proposed site", legend_overlap: "Overlap with a protected zone",
  coordinates: "Boundary coordinates", lon: "Longitude (°E)", lat: "Latitude (°N)", crs_note: "CRS: CGCS2000 / WGS 84 lon/lat",
  share_protected: "Share inside protected zones", rules_broken: "Prohibitions that apply", rule: "Rule", severity: "Severity",
  zones: "Zones", legal_basis: "Legal basis", sev_critical: "critical", sev_high: "high", sev_medium: "medium", sev_low: "low",
  sheet_footer: "Generated from the current data by the restoration-ledger service, for a first review of the site; sample data is sample.",
  subject_code: "Feature or violation code", find: "Find", pick_on_map: "Pick on the map", history: "History", use_gps: "Use GPS",
  code_not_found: "No such code", tap_feature: "Tap the feature to inspect", nothing_here: "No feature here", pick_first: "Choose a feature or violation first",
  lifecycle: "Lifecycle", inspections: "Inspections",
  st_detected: "detected", st_confirmed: "confirmed", st_dismissed: "dismissed", st_rectifying: "rectifying", st_rectified: "rectified",
  st_closed: "closed", st_reopened: "reopened",
  dash_status_title: "Restoration status by county", dash_open_title: "Open violations by county and severity",
  dash_restored_title: "Restored area, cumulative (at each month's end)", axis_records: "Records (count)",
  axis_open_violations: "Open violations (count)", axis_restored_ha: "Restored area, cumulative (ha)",
  axis_month_end: "Month (state at its end)", total: "Total",
  open_definition: "Open: the data still breaks the rule, and it was neither dismissed nor closed",
  outside_counties: "Outside the counties", sample_note: "Sample data: not the real ledger.",
});
// ---- end mapdesk keys ----
// --- field map (issue 13, items 1–4 and 7: orientation, offline, layout, rules, tools) ------
Object.assign(I18N.zh, {
  offline_areas: "离线区域", measure: "测量距离和面积", measure_help: "点击地图添加测量点",
  measure_undo: "撤销", done: "完成", area: "面积", mu: "亩", as_of: "历史日期", today: "今天",
  as_of_showing: "显示台账于", as_of_missing: "该日期无法显示", basemap: "底图",
  basemap_none: "无底图（离线参考图层）", basemap_how: "可配置在线底图：RM_BASEMAP_URL，或天地图 RM_TIANDITU_KEY。",
  opacity: "透明度", coords_cursor: "光标", coords_centre: "地图中心", coords_gps: "GPS",
  coord_gk: "高斯-克吕格坐标", coord_lonlat: "经纬度", place_county: "县（市）", place_town: "乡镇",
  place_place: "地名", place_prefecture: "州", approx: "位置近似",
  features_here: "个要素在此处", attributes: "属性",
  prohibited_here: "本区禁止", rule_broken: "违反规则", rules_for_subject: "适用规则",
  yes: "是", no: "否",
  off_help: "下载一个县（市）或当前视图的地图、图层、参考图层和规则，无网络时可用。",
  off_area: "区域", off_size: "计算大小", off_download: "下载", off_packages: "已下载",
  off_view: "当前视图", off_tiles: "瓦片", off_capped: "为节省手机存储，缩放级别已限制",
  off_done: "已下载", off_update: "更新", off_delete: "删除", off_stale: "数据已更新，请更新",
  off_no_packages: "尚未下载离线区域", off_outside: "离线：此处不在已下载区域内，只显示参考图层",
  off_none: "离线：尚未下载离线区域，只显示参考图层",
  val_grade_1: "一级", val_grade_2: "二级", val_grade_quasi: "准保护区",
  val_critical: "极严重", val_high: "严重", val_medium: "中等", val_low: "轻微",
  val_detected: "已发现", val_confirmed: "已确认", val_dismissed: "已排除", val_rectifying: "整改中",
  val_rectified: "已整改", val_closed: "已销号", val_reopened: "重新打开",
  val_river: "河流", val_reservoir: "水库", val_groundwater: "地下水", val_lake: "湖泊",
  val_sand_gravel: "砂石", val_coal: "煤", val_limestone: "石灰岩", val_clay: "黏土",
  field_town: "乡镇", field_legacy: "历史遗留", field_mineral: "矿种", field_name_zh: "中文名称",
  field_rule_name: "规则", field_subject_code: "对象编号", field_area_m2: "面积（平方米）",
  field_area_mu: "面积（亩）", field_area_ha: "面积（公顷）",
});
Object.assign(I18N.en, {
  offline_areas: "Offline areas", measure: "Measure distance and area", measure_help: "Tap the map to add points",
  measure_undo: "Undo", done: "Done", area: "Area", mu: "mu", as_of: "Ledger as of", today: "Today",
  as_of_showing: "Ledger as of", as_of_missing: "not available for that date", basemap: "Basemap",
  basemap_none: "None (offline reference layer)", basemap_how: "An online basemap can be configured: RM_BASEMAP_URL, or Tianditu with RM_TIANDITU_KEY.",
  opacity: "Opacity", coords_cursor: "Cursor", coords_centre: "Map centre", coords_gps: "GPS",
  coord_gk: "Gauss-Krüger", coord_lonlat: "Lon/lat", place_county: "county", place_town: "town",
  place_place: "place", place_prefecture: "prefecture", approx: "approximate position",
  features_here: "features here", attributes: "Attributes",
  prohibited_here: "Prohibited here", rule_broken: "Rule broken", rules_for_subject: "Rules that apply",
  yes: "yes", no: "no",
  off_help: "Download the map, layers, reference layer and rules of a county or the current view, for use with no network.",
  off_area: "Area", off_size: "Work out the size", off_download: "Download", off_packages: "Downloaded",
  off_view: "Current view", off_tiles: "tiles", off_capped: "zoom levels limited to save phone storage",
  off_done: "Downloaded", off_update: "Update", off_delete: "Delete", off_stale: "data changed: update",
  off_no_packages: "No offline area downloaded yet", off_outside: "Offline: this place is outside the downloaded areas; only the reference layer is shown",
  off_none: "Offline: no area downloaded; only the reference layer is shown",
  val_grade_1: "grade 1", val_grade_2: "grade 2", val_grade_quasi: "quasi-protection",
  val_critical: "critical", val_high: "high", val_medium: "medium", val_low: "low",
  val_detected: "detected", val_confirmed: "confirmed", val_dismissed: "dismissed", val_rectifying: "rectifying",
  val_rectified: "rectified", val_closed: "closed", val_reopened: "reopened",
  val_river: "river", val_reservoir: "reservoir", val_groundwater: "groundwater", val_lake: "lake",
  val_sand_gravel: "sand and gravel", val_coal: "coal", val_limestone: "limestone", val_clay: "clay",
  field_town: "Town", field_legacy: "Legacy", field_mineral: "Mineral", field_name_zh: "Chinese name",
  field_rule_name: "Rule", field_subject_code: "Subject code", field_area_m2: "Area (m²)",
  field_area_mu: "Area (mu)", field_area_ha: "Area (ha)",
});
