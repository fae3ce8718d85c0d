// A tile-grid world map drawn as inline SVG: one square per country, placed near its geographic
// centre (approximate latitude/longitude below) on a coarse grid, and nudged to the nearest free
// cell where countries crowd. It is a schematic, not an outline map: real outlines would need map
// data the binary does not carry. No network is used.
"use strict";

// ISO 3166-1 alpha-2, approximate centre latitude, longitude, and for the largest countries a
// width and height in tiles (so they read as large on the map).
const CENTROIDS = `
US 39 -98 6 2|CA 58 -100 8 3|MX 23 -102 3 1|GT 15.5 -90.3|BZ 17.2 -88.7|SV 13.8 -88.9|HN 14.8 -86.6|NI 12.9 -85|CR 10 -84|PA 8.5 -80|
CU 21.7 -79|JM 18.1 -77.3|HT 19 -72.5|DO 18.8 -70.3|PR 18.2 -66.5|BS 24.5 -77.5|TT 10.5 -61.3|BB 13.2 -59.5|LC 13.9 -61|VC 13.2 -61.2|GD 12.1 -61.7|AG 17.1 -61.8|KN 17.3 -62.7|DM 15.4 -61.4|
CO 4 -73|VE 7 -66|GY 5 -59|SR 4 -56|EC -1.5 -78.5|PE -9.5 -75 1 2|BR -10 -52 4 3|BO -17 -65|PY -23 -58|CL -30 -71 1 3|AR -35 -65 2 3|UY -33 -56|
GL 72 -40 3 2|IS 65 -18|IE 53.2 -8|GB 54 -2|PT 39.5 -8|ES 40 -4|FR 46.5 2.5|BE 50.6 4.6|NL 52.2 5.5|LU 49.8 6.1|DE 51 10|CH 46.8 8.2|AT 47.5 14.5|IT 42.8 12.5|MT 35.9 14.4|
DK 56 10|NO 62 9|SE 62 15.5|FI 64 26|EE 58.7 25.5|LV 56.9 24.6|LT 55.2 23.9|PL 52 19.5|CZ 49.8 15.5|SK 48.7 19.5|HU 47.2 19.5|SI 46.1 14.8|HR 45.2 15.5|BA 44 17.8|RS 44 20.8|ME 42.8 19.3|AL 41.1 20|MK 41.6 21.7|XK 42.6 20.9|GR 39 22|BG 42.7 25.3|RO 46 25|MD 47 28.5|UA 49 32|BY 53.7 28|RU 60 90 10 3|
CY 35 33|TR 39 35|GE 42 43.5|AM 40.1 45|AZ 40.3 47.7|SY 35 38.5|LB 33.9 35.9|IL 31.4 35|PS 31.9 35.2|JO 31 36.5|IQ 33 43.5|IR 32.5 54 2 1|KW 29.3 47.6|SA 24 45 2 2|BH 26 50.5|QA 25.3 51.2|AE 24 54|OM 21 57|YE 15.5 48|
KZ 48 67 3 1|UZ 41.5 64|TM 39 59.5|KG 41.5 74.5|TJ 38.8 71|AF 33.9 67.7|PK 30 70|IN 22 79 2 2|NP 28.3 84|BT 27.4 90.4|BD 23.7 90.3|LK 7.8 80.7|MV 3.2 73.2|
CN 35 104 5 3|MN 46.8 103 3 1|KP 40.3 127.4|KR 36.4 127.9|JP 36.5 138.5|TW 23.7 121|HK 22.3 114.2|MO 22.2 113.5|
MM 21 96|TH 15.5 101|LA 18.5 103|VN 16 107.5|KH 12.5 105|MY 4 102|SG 1.35 103.8|BN 4.5 114.7|ID -2.5 118 4 1|PH 12.5 122|TL -8.8 125.7|PG -6.5 145|
AU -25 134 5 3|NZ -41.5 172.5|FJ -17.8 178|SB -9.6 160|VU -16 167|NC -21.3 165.5|WS -13.8 -172|TO -21.2 -175.2|KI 1.9 -157.4|FM 6.9 158.2|MH 7.1 171.2|PW 7.5 134.6|NR -0.5 166.9|TV -7.1 177.6|
MA 31.8 -7|EH 24.5 -13|DZ 28 2.6 2 2|TN 34 9.5|LY 27 17 2 1|EG 26.8 30|SD 15.5 30 2 1|SS 7.3 30.5|ER 15.2 39.8|ET 9 39.5|DJ 11.8 42.6|SO 6 46|
MR 20.3 -10.3|ML 17.5 -3.5|NE 17.6 9|TD 15.4 18.7|SN 14.5 -14.5|GM 13.4 -15.4|GW 12 -15|GN 10.4 -10.9|SL 8.5 -11.8|LR 6.4 -9.4|CI 7.6 -5.5|BF 12.2 -1.6|GH 7.9 -1.2|TG 8.6 1.2|BJ 9.3 2.3|NG 9.1 8.7|CV 16 -24|
CM 5.7 12.7|CF 6.6 20.9|GQ 1.6 10.5|GA -0.8 11.6|CG -0.7 15.2|CD -2.9 23.6 2 2|ST 0.2 6.6|UG 1.4 32.3|KE 0.2 37.9|RW -2 29.9|BI -3.4 29.9|TZ -6.4 34.9|
AO -12.3 17.5|ZM -13.1 27.8|MW -13.2 34.3|MZ -18.7 35.5|ZW -19 29.2|BW -22.3 24.7|NA -22.6 17.1|ZA -29 24.7|LS -29.6 28.2|SZ -26.5 31.5|MG -19.4 46.7|MU -20.3 57.6|KM -11.9 43.9|SC -4.7 55.5|
AD 42.5 1.5|MC 43.7 7.4|SM 43.9 12.45|VA 41.9 12.45|LI 47.15 9.55
`;

const TIER_NAMES = { 1: "Tier 1", 2: "Tier 2", 3: "Tier 3" };

function parseCentroids() {
  const out = [];
  for (const part of CENTROIDS.split("|")) {
    const t = part.trim().split(/\s+/);
    if (t.length === 3 || t.length === 5) {
      out.push({
        code: t[0], lat: parseFloat(t[1]), lon: parseFloat(t[2]),
        w: t.length === 5 ? parseInt(t[3], 10) : 1, h: t.length === 5 ? parseInt(t[4], 10) : 1,
      });
    }
  }
  return out;
}

// Places every country on a grid of CELL-degree cells; a taken cell sends the country to the
// nearest free cell (spiral search), so crowded regions stay legible.
function layout(cell) {
  const taken = new Map();
  const placed = [];
  // The largest blocks first, so small countries settle around them.
  const list = parseCentroids().map((c, i) => ({ ...c, i }));
  list.sort((a, b) => b.w * b.h - a.w * a.h || a.i - b.i);
  const free = (row, col, w, h) => {
    for (let r = row; r < row + h; r++) for (let c = col; c < col + w; c++) if (taken.has(r + ":" + c)) return false;
    return true;
  };
  for (const c of list) {
    const col0 = Math.round((c.lon + 180) / cell) - Math.floor(c.w / 2);
    const row0 = Math.round((76 - c.lat) / cell) - Math.floor(c.h / 2);
    let best = null;
    for (let r = 0; r < 10 && !best; r++) {
      for (let dr = -r; dr <= r && !best; dr++) {
        for (let dc = -r; dc <= r && !best; dc++) {
          if (Math.max(Math.abs(dr), Math.abs(dc)) !== r) continue;
          if (free(row0 + dr, col0 + dc, c.w, c.h)) best = { row: row0 + dr, col: col0 + dc };
        }
      }
    }
    if (!best) continue;
    for (let r = best.row; r < best.row + c.h; r++) for (let k = best.col; k < best.col + c.w; k++) taken.set(r + ":" + k, c.code);
    placed.push({ code: c.code, row: best.row, col: best.col, w: c.w, h: c.h });
  }
  return placed;
}

// Draws the map into `host`; `tiers` maps ISO code -> 1|2|3; `used` maps ISO code -> percent of
// the country allocation used (optional, shown as a ring).
function drawMap(host, tiers, used, onPick) {
  const cell = 6;
  const placed = layout(cell);
  const size = 15;
  const gap = 2;
  const minCol = Math.min(...placed.map(p => p.col));
  const maxCol = Math.max(...placed.map(p => p.col + p.w - 1));
  const minRow = Math.min(...placed.map(p => p.row));
  const maxRow = Math.max(...placed.map(p => p.row + p.h - 1));
  const w = (maxCol - minCol + 1) * (size + gap);
  const h = (maxRow - minRow + 1) * (size + gap);
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Tile-grid world map coloured by tier");
  svg.setAttribute("id", "world-map");
  for (const p of placed) {
    const tier = tiers[p.code];
    if (!tier) continue;
    const g = document.createElementNS(NS, "g");
    g.setAttribute("class", `tile tier${tier}` + (used && used[p.code] !== undefined ? " has-usage" : ""));
    g.setAttribute("data-code", p.code);
    g.setAttribute("data-tier", String(tier));
    const x = (p.col - minCol) * (size + gap);
    const y = (p.row - minRow) * (size + gap);
    const r = document.createElementNS(NS, "rect");
    r.setAttribute("x", x);
    r.setAttribute("y", y);
    const pw = p.w * size + (p.w - 1) * gap;
    const ph = p.h * size + (p.h - 1) * gap;
    r.setAttribute("width", pw);
    r.setAttribute("height", ph);
    r.setAttribute("rx", 2.5);
    g.appendChild(r);
    if (used && used[p.code] !== undefined) {
      const pct = Math.min(100, used[p.code]);
      const bar = document.createElementNS(NS, "rect");
      bar.setAttribute("class", "usage" + (pct >= 90 ? " hot" : ""));
      bar.setAttribute("x", x + 1.5);
      bar.setAttribute("y", y + ph - 3);
      bar.setAttribute("width", Math.max(0.5, (pw - 3) * pct / 100));
      bar.setAttribute("height", 1.6);
      g.appendChild(bar);
    }
    const t = document.createElementNS(NS, "text");
    t.setAttribute("x", x + pw / 2);
    t.setAttribute("y", y + ph / 2 + 2.2);
    t.textContent = p.code;
    g.appendChild(t);
    const title = document.createElementNS(NS, "title");
    title.textContent = `${p.code}: ${TIER_NAMES[tier]}` + (used && used[p.code] !== undefined ? `, ${used[p.code].toFixed(1)}% of allocation used` : "");
    g.appendChild(title);
    if (onPick) g.addEventListener("click", () => onPick(p.code));
    svg.appendChild(g);
  }
  host.replaceChildren(svg);
  return placed.length;
}

window.chipcapMap = { drawMap };
