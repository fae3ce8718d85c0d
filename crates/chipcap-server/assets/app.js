// The chipcap dashboard: reads only the public API of the server that serves it.
"use strict";

const fmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 3 });
const pct = (v) => (v === null || v === undefined ? "–" : `${Number(v).toFixed(1)}%`);
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}

function headers(extra) {
  const h = Object.assign({ Accept: "application/json" }, extra || {});
  const t = $("token").value || sessionStorage.getItem("chipcap-token") || "";
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

async function api(path, init) {
  const r = await fetch(path, Object.assign({ headers: headers(init && init.headers) }, init || {}));
  const text = await r.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = text; }
  return { ok: r.ok, status: r.status, body };
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

// ---- header ----
async function loadMeta() {
  const r = await api("/readyz");
  if (r.ok) {
    $("meta").textContent = `enforced: ${r.body.rule_set} · ledger ${r.body.ledger} · ${today()}`;
  } else {
    $("meta").textContent = "server not ready";
  }
}

// ---- map and allocation bars ----
function allocationBars(rows) {
  const host = $("alloc");
  const list = rows.filter((r) => r.allowance === "country_allocation" && r.cap_tpp);
  if (!list.length) return;
  list.sort((a, b) => (b.percent || 0) - (a.percent || 0));
  host.replaceChildren();
  for (const r of list) {
    const p = Number(r.percent || 0);
    const cls = p >= 100 ? "t100" : p >= 95 ? "t95" : p >= 90 ? "t90" : p >= 80 ? "t80" : "";
    const bar = el("div", { class: "bar", role: "meter", "aria-valuenow": p.toFixed(1), "aria-valuemin": "0", "aria-valuemax": "100" });
    const fill = el("div", { class: `fill ${cls}` });
    fill.style.width = `${Math.min(100, p)}%`;
    bar.append(fill);
    for (const m of [80, 90, 95, 100]) {
      const mk = el("div", { class: "mark" }, el("span", { text: `${m}` }));
      mk.style.left = `calc(${m}% - ${m === 100 ? 1 : 0}px)`;
      bar.append(mk);
    }
    host.append(
      el("div", { class: "bar-row", "data-country": r.country },
        el("div", { class: "bar-label" }, r.country, el("small", { text: r.period || "" })),
        bar,
        el("div", { class: "bar-val" }, el("b", { text: pct(p) }), ` of ${fmt.format(r.cap_tpp / 1e6)}M TPP`)
      )
    );
  }
  $("alloc-period").textContent = list[0].period ? `(${list[0].period})` : "";
}

// ---- NVEU staircase ----
function quarterEnd(q) {
  const y = Number(q.slice(0, 4));
  const n = Number(q.slice(5));
  const ends = ["03-31", "06-30", "09-30", "12-31"];
  return `${y}-${ends[n - 1]}`;
}

async function nveuStairs(rows, schedule) {
  const nveus = new Map();
  for (const r of rows) if (r.allowance === "nveu_allocation") nveus.set(`${r.entity}|${r.country}`, r);
  if (!nveus.size || !schedule.length) return;
  const host = $("nveu");
  host.replaceChildren();
  const now = today();
  const snapshots = {};
  for (const q of schedule) {
    const start = `${q.quarter.slice(0, 4)}-${["01-01", "04-01", "07-01", "10-01"][Number(q.quarter.slice(5)) - 1]}`;
    if (start > now) continue;
    const end = quarterEnd(q.quarter);
    const r = await api(`/v1/ledger/balances?as_of=${end < now ? end : now}`);
    if (r.ok) snapshots[q.quarter] = r.body.balances;
  }
  for (const [key, row] of nveus) {
    const [entity, country] = key.split("|");
    const pts = schedule.map((q) => {
      const bs = snapshots[q.quarter] || [];
      const b = bs.find((x) => x.allowance === "nveu_allocation" && x.entity === entity && x.country === country);
      return { q: q.quarter, cap: Number(q.cap_tpp), base: b ? Number(b.used_tpp) : null };
    });
    host.append(staircase(`${entity} · ${country}`, pts, row));
  }
}

function staircase(title, pts, row) {
  const NS = "http://www.w3.org/2000/svg";
  const W = 640, H = 210, L = 58, R = 10, T = 24, B = 30;
  const max = Math.max(...pts.map((p) => Math.max(p.cap, p.base || 0))) * 1.08;
  const xw = (W - L - R) / pts.length;
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "stair-svg");
  const add = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  add("text", { x: 0, y: 14, class: "title" }, title);
  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i;
    add("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e3e7ed" });
    add("text", { x: L - 6, y: y(v) + 3, "text-anchor": "end" }, `${fmt.format(Math.round(v / 1e6))}M`);
  }
  let d = "";
  pts.forEach((p, i) => {
    const x0 = L + i * xw, x1 = x0 + xw;
    d += `${i === 0 ? "M" : "L"}${x0},${y(p.cap)} L${x1},${y(p.cap)} `;
    if (p.base !== null) {
      const h = Math.max(0, y(0) - y(p.base));
      add("rect", { x: x0 + xw * 0.25, y: y(p.base), width: xw * 0.5, height: h, class: `base${p.base > p.cap ? " over" : ""}` })
        .append(Object.assign(document.createElementNS(NS, "title"), { textContent: `${p.q}: installed ${fmt.format(p.base)} TPP, cap ${fmt.format(p.cap)} TPP` }));
    }
    add("text", { x: x0 + xw / 2, y: H - 12, "text-anchor": "middle" }, p.q.replace("20", "’").replace("Q", " Q"));
  });
  add("path", { d, class: "cap" });
  const wrap = el("div", { class: "stair", "data-nveu": title });
  wrap.append(svg);
  wrap.append(el("div", { class: "kv", text: `now: ${fmt.format(row.used_tpp)} of ${fmt.format(row.cap_tpp)} TPP (${pct(row.percent)}) in ${row.period}` }));
  return wrap;
}

// ---- UVEU shares ----
function uveuShares(rows, limits) {
  const by = new Map();
  for (const r of rows) {
    if (!r.allowance.startsWith("uveu_") || !r.cap_tpp) continue;
    if (!by.has(r.entity)) by.set(r.entity, []);
    by.get(r.entity).push(r);
  }
  if (!by.size) return;
  const host = $("uveu");
  host.replaceChildren();
  for (const [entity, list] of by) {
    const block = el("div", { class: "uveu-block", "data-uveu": entity }, el("h3", { text: entity }));
    const bars = el("div", { class: "bars" });
    const order = { uveu_us_share: 0, uveu_outside_tier1_share: 1, uveu_country_share: 2 };
    list.sort((a, b) => order[a.allowance] - order[b.allowance] || (b.percent || 0) - (a.percent || 0));
    for (const r of list) {
      const limit = r.allowance === "uveu_us_share" ? limits.us : r.allowance === "uveu_outside_tier1_share" ? limits.outside : limits.country;
      const base = (Number(r.cap_tpp) * 100) / limit;
      const share = base > 0 ? (Number(r.used_tpp) / base) * 100 : 0;
      const label = r.allowance === "uveu_us_share" ? "US" : r.allowance === "uveu_outside_tier1_share" ? "non-T1" : r.country;
      const bad = r.limit_kind === "minimum" ? share < limit : share > limit;
      const scale = 60; // the bar spans 0-60%
      const bar = el("div", { class: "bar" });
      const fill = el("div", { class: `fill ${bad ? "t100" : ""}` });
      fill.style.width = `${Math.min(100, (share / scale) * 100)}%`;
      bar.append(fill);
      for (const m of [7, 25, 50]) {
        const mk = el("div", { class: "mark" }, el("span", { text: `${m}%` }));
        mk.style.left = `${(m / scale) * 100}%`;
        bar.append(mk);
      }
      bars.append(el("div", { class: "bar-row" },
        el("div", { class: "bar-label" }, label, el("small", { text: r.limit_kind === "minimum" ? `min ${limit}%` : `max ${limit}%` })),
        bar,
        el("div", { class: "bar-val" }, el("b", { text: pct(share) }), ` of installed base`)));
    }
    block.append(bars);
    host.append(block);
  }
}

// ---- determinations ----
function decisionBadge(d) {
  const denial = d.review_policy === "policy_of_denial" || d.review_policy === "presumption_of_denial";
  return el("span", { class: `badge ${denial ? "denial" : d.decision}`, text: d.decision.replaceAll("_", " ") });
}

function renderDetermination(host, d) {
  host.replaceChildren();
  const head = el("div", { class: "decision", "data-decision": d.decision, "data-rule-set": d.rule_set },
    decisionBadge(d),
    el("span", { class: "kv", text: [d.authorization ? `via ${d.authorization}` : null, d.review_policy ? d.review_policy.replaceAll("_", " ") : null, d.tier !== null && d.tier !== undefined ? `Tier ${d.tier}` : null, d.eccn, `${fmt.format(d.tpp)} TPP`, `${fmt.format(d.h100_equivalents)} H100e`, d.rule_set].filter(Boolean).join(" · ") }));
  host.append(head);
  if (d.allowances && d.allowances.length) {
    const t = el("table", { class: "recent" },
      el("tr", {}, ...["allowance", "scope", "cap", "before", "draw", "after"].map((h) => el("th", { text: h }))));
    for (const a of d.allowances) {
      t.append(el("tr", {},
        el("td", { text: a.allowance }), el("td", { text: `${a.scope || ""} ${a.period || ""}` }),
        el("td", { class: "num", text: fmt.format(a.cap_tpp) }), el("td", { class: "num", text: fmt.format(a.used_before_tpp) }),
        el("td", { class: "num", text: fmt.format(a.draw_tpp) }), el("td", { class: "num", text: fmt.format(a.remaining_after_tpp) })));
    }
    host.append(t);
  }
  const ol = el("ol", { class: "reasons" });
  for (const r of d.reasons || []) ol.append(el("li", {}, el("span", { class: "cite", text: r.citation }), r.text));
  host.append(ol);
  if (d.notices && d.notices.length) {
    const det = el("details", {}, el("summary", { text: `${d.notices.length} notice(s)` }));
    const ul = el("ul", {});
    for (const n of d.notices) ul.append(el("li", { text: n.text }));
    det.append(ul);
    host.append(det);
  }
}

function renderProblem(host, p) {
  host.replaceChildren(el("div", { class: "problem", "data-problem": p.code || "error" },
    el("b", { text: p.title || "Error" }), el("br"),
    p.field ? el("code", { text: p.field }) : null, p.field ? " " : null, p.detail || String(p)));
}

async function loadRecent() {
  const r = await api("/v1/determinations/recent");
  if (!r.ok || !Array.isArray(r.body) || !r.body.length) return;
  const t = el("table", { class: "recent" },
    el("tr", {}, ...["time", "source", "destination", "items", "decision", "authorization / policy", "TPP", "reasons"].map((h) => el("th", { text: h }))));
  for (const x of r.body.slice(0, 12)) {
    const d = x.determination || {};
    const q = x.request || {};
    const items = (q.items || []).map((i) => `${i.quantity}× ${i.chip || `${i.tpp} TPP`}`).join(", ") || (q.model_weights ? "model weights" : "");
    const reasons = el("details", {}, el("summary", { text: `${(d.reasons || []).length} reasons` }));
    const ol = el("ol", { class: "reasons" });
    for (const rr of d.reasons || []) ol.append(el("li", {}, el("span", { class: "cite", text: rr.citation }), rr.text));
    reasons.append(ol);
    t.append(el("tr", {},
      el("td", { text: x.at.replace("T", " ").replace("Z", "") }), el("td", { text: x.source }),
      el("td", { text: q.destination || "" }), el("td", { text: items }),
      el("td", {}, d.decision ? decisionBadge(d) : el("span", { text: "–" })),
      el("td", { text: d.authorization || (d.review_policy || "").replaceAll("_", " ") }),
      el("td", { class: "num", text: d.tpp !== undefined ? fmt.format(d.tpp) : "" }),
      el("td", {}, reasons)));
  }
  $("recent").replaceChildren(t);
}

async function submitForm(ev) {
  if (ev) ev.preventDefault();
  const version = $("f-ruleset").value;
  $("form-version").textContent = version === "compare" ? "both versions" : version;
  const doc = {
    date: $("f-date").value || undefined,
    destination: $("f-dest").value.trim().toUpperCase(),
    items: [{ chip: $("f-chip").value, quantity: Number($("f-qty").value) }],
    consignee: { name: $("f-name").value, headquarters: $("f-hq").value.trim().toUpperCase() || $("f-dest").value.trim().toUpperCase(), authorization: $("f-auth").value },
  };
  if (version === "compare") {
    const r = await api("/v1/determinations/compare", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(doc) });
    if (!r.ok) { renderProblem($("result"), r.body || { detail: `HTTP ${r.status}` }); return; }
    const grid = el("div", { class: "compare" });
    for (const [name, d] of Object.entries(r.body.determinations)) {
      const col = el("div", {}, el("h3", { text: name === r.body.enforced ? `${name} (enforced)` : `${name} (printed, not enforced)` }));
      const inner = el("div", {});
      renderDetermination(inner, d);
      col.append(inner);
      grid.append(col);
    }
    const changed = (r.body.changed || []).map((c) => c.field).join(", ");
    $("result").replaceChildren(el("p", { class: "note", text: changed ? `What changes: ${changed}` : "Both versions give the same answer." }), grid);
    loadRecent();
    return;
  }
  doc.rule_set = version;
  const r = await api("/v1/determinations", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(doc) });
  if (r.ok) renderDetermination($("result"), r.body);
  else renderProblem($("result"), r.body || { detail: `HTTP ${r.status}` });
  loadRecent();
}

async function loadChips() {
  const r = await api("/v1/chips");
  const sel = $("f-chip");
  if (!r.ok) return;
  for (const c of r.body) {
    const o = el("option", { value: c.id, text: `${c.id} · ${c.eccn} · ${fmt.format(c.tpp)} TPP` });
    if (c.id === "nvidia-h100-sxm") o.selected = true;
    sel.append(o);
  }
}

// ---- scenario ----
async function runScenario(ev) {
  if (ev) ev.preventDefault();
  const r = await api("/v1/simulations", { method: "POST", headers: { "Content-Type": "application/toml" }, body: $("scenario-text").value });
  const charts = $("scenario-charts");
  charts.replaceChildren();
  if (!r.ok) { renderProblem($("scenario-result"), r.body || { detail: `HTTP ${r.status}` }); return; }
  const d = r.body;
  const t = el("table", { class: "recent", "data-scenario": d.scenario },
    el("tr", {}, ...["country", "exhausted", "80%", "90%", "95%", "100%", "granted TPP", "refused TPP"].map((h) => el("th", { text: h }))));
  for (const c of d.countries) {
    const th = c.thresholds || {};
    t.append(el("tr", { "data-country": c.country },
      el("td", { text: c.country }), el("td", { class: "exhausted", text: c.exhausted || "–" }),
      ...["80", "90", "95", "100"].map((k) => el("td", { text: th[k] || "–" })),
      el("td", { class: "num", text: fmt.format(c.granted_tpp) }), el("td", { class: "num", text: fmt.format(c.refused_tpp) })));
  }
  const mc = d.monte_carlo;
  const parts = [el("p", { class: "muted", text: `${d.scenario} under ${d.rule_set}, ${d.start} to ${d.end}` }), t];
  if (mc) {
    const m = el("table", { class: "recent" }, el("tr", {}, ...["country", "P10", "P50", "P90", "exhausted in"].map((h) => el("th", { text: h }))));
    for (const c of mc.countries) m.append(el("tr", {}, el("td", { text: c.country }), el("td", { text: c.p10 || "never" }), el("td", { text: c.p50 || "never" }), el("td", { text: c.p90 || "never" }), el("td", { text: `${c.exhausted_runs} of ${mc.runs} runs` })));
    parts.push(el("p", { class: "muted", text: `Monte Carlo, seed ${mc.seed}` }), m);
  }
  $("scenario-result").replaceChildren(...parts);
  // Charts as images (data URLs): an SVG shown this way runs no script.
  for (const [name, svg] of Object.entries(d.charts || {})) {
    charts.append(el("figure", {}, el("img", { src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`, alt: name }), el("figcaption", { text: name })));
  }
}

async function main() {
  const saved = sessionStorage.getItem("chipcap-token");
  if (saved) $("token").value = saved;
  $("token").addEventListener("change", () => { sessionStorage.setItem("chipcap-token", $("token").value); location.reload(); });
  $("try").addEventListener("submit", submitForm);
  $("f-ruleset").addEventListener("change", () => submitForm());
  $("f-date").value = today();
  const wanted = new URLSearchParams(location.search).get("rule_set");
  if (wanted) $("f-ruleset").value = wanted;
  $("scenario-form").addEventListener("submit", runScenario);
  await loadMeta();
  const [tiers, bal, rules] = await Promise.all([
    api(`/v1/tiers?date=${today()}`),
    api(`/v1/ledger/balances?as_of=${today()}`),
    api(`/v1/rules?date=${today()}`),
    loadChips(),
  ]);
  const rows = bal.ok ? bal.body.balances : [];
  const used = {};
  for (const r of rows) if (r.allowance === "country_allocation" && r.percent !== null) used[r.country] = Number(r.percent);
  if (tiers.ok) {
    window.chipcapMap.drawMap($("map"), tiers.body, used, (code) => {
      $("f-dest").value = code;
      $("f-hq").value = code;
      submitForm();
    });
  }
  allocationBars(rows);
  if (rules.ok) {
    const param = (n) => parseFloat((rules.body.parameters.find((p) => p.name === n) || { value: "0" }).value);
    uveuShares(rows, { country: param("uveu_max_tier2_country_percent"), outside: param("uveu_max_outside_tier1_percent"), us: param("uveu_min_us_percent") });
    await nveuStairs(rows, rules.body.nveu_schedule || []);
  }
  await loadRecent();
  if (new URLSearchParams(location.search).has("demo")) await submitForm();
  if (new URLSearchParams(location.search).has("scenario")) await runScenario();
  document.body.setAttribute("data-ready", "true");
}

main().catch((e) => { $("meta").textContent = `dashboard error: ${e}`; });
