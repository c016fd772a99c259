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
