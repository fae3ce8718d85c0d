// The world map: country outlines (Natural Earth 1:50m, Equal Earth projection, generated into
// world.js by scripts/gen_world_map.py) coloured by tier, drawn as inline SVG. No network is used.
// Countries too small to see at this scale get a dot; a Tier 2 country that has drawn on its
// allocation gets a small gauge of the share used at its centre.
"use strict";

const TIER_NAMES = { 1: "Tier 1", 2: "Tier 2", 3: "Tier 3" };
const NS = "http://www.w3.org/2000/svg";

function svgEl(name, attrs) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

// Draws the map into `host`; `tiers` maps ISO code -> 1|2|3; `used` maps ISO code -> percent of
// the country allocation used (optional). `onPick(code)` is called when a Tier 2 country is
// clicked. Returns the number of countries drawn.
function drawMap(host, tiers, used, onPick) {
  const world = window.chipcapWorld;
  const svg = svgEl("svg", { viewBox: `0 0 ${world.w} ${world.h}`, role: "img", id: "world-map",
    "aria-label": "World map: every country coloured by its tier under the AI Diffusion framework" });
  svg.appendChild(svgEl("rect", { class: "sea", x: 0, y: 0, width: world.w, height: world.h, rx: 6 }));
  const gauges = svgEl("g", { class: "gauges" });
  let drawn = 0;
  for (const [code, [d, cx, cy, dot]] of Object.entries(world.c)) {
    const tier = tiers[code];
    const g = svgEl("g", { class: `country tier${tier || 0}`, "data-code": code, "data-tier": tier || 0 });
    if (d) g.appendChild(svgEl("path", { d }));
    if (dot) g.appendChild(svgEl("circle", { class: "dot", cx, cy, r: 2.6 }));
    const pct = used && used[code] !== undefined ? used[code] : undefined;
    const title = svgEl("title");
    title.textContent = `${code}: ${tier ? TIER_NAMES[tier] : "no tier"}` +
      (pct !== undefined ? ` · ${pct.toFixed(1)}% of the country allocation used` : "") +
      (tier === 2 && onPick ? " · click to try a determination" : "");
    g.appendChild(title);
    if (tier === 2 && onPick) g.addEventListener("click", () => onPick(code));
    svg.appendChild(g);
    if (tier) drawn += 1;
    if (pct !== undefined) {
      const w = 20, h = 4, x = cx - w / 2, y = cy - h / 2;
      const k = svgEl("g", { class: "gauge" + (pct >= 90 ? " hot" : ""), "data-code": code });
      k.appendChild(svgEl("rect", { class: "track", x, y, width: w, height: h, rx: 1 }));
      k.appendChild(svgEl("rect", { class: "fill", x, y, width: Math.max(0.6, w * Math.min(100, pct) / 100), height: h, rx: 1 }));
      gauges.appendChild(k);
    }
  }
  svg.appendChild(gauges);
  host.replaceChildren(svg);
  return drawn;
}

window.chipcapMap = { drawMap };
