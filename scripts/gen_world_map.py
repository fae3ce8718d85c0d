#!/usr/bin/env python3
"""Generates crates/chipcap-server/assets/world.js: country outlines for the dashboard's map.

Source: Natural Earth 1:50m admin-0 countries (public domain) as packaged in the npm package
`world-atlas@2.0.2` (ISC; https://github.com/topojson/world-atlas), fetched with `npm pack`.
Countries are keyed by ISO 3166-1 alpha-2 (numeric ids mapped with `pycountry`); the outlines are
projected with the Equal Earth projection (Šavrič, Patterson, Jenny 2018), simplified with
Douglas-Peucker, and written as SVG path data in a 1000-unit-wide frame. Antarctica is left out.
Countries too small to see get a dot at their centre as well.

    python3 -m venv /tmp/mapvenv && /tmp/mapvenv/bin/pip install pycountry
    /tmp/mapvenv/bin/python scripts/gen_world_map.py

The output is committed; the dashboard needs no network.
"""

import json
import math
import os
import subprocess
import sys
import tarfile
import tempfile

import pycountry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates/chipcap-server/assets/world.js")
PACKAGE = "world-atlas@2.0.2"
WIDTH = 1000.0
EPSILON = 0.45  # Douglas-Peucker tolerance, frame units
MIN_RING_AREA = 0.6  # rings smaller than this (frame units^2) are dropped unless the country has no other
DOT_BELOW = 6.0  # a country whose bounding box diagonal is below this also gets a dot

# Natural Earth names without an ISO numeric code, and what they are coloured as.
EXTRA = {"Kosovo": "XK", "Somaliland": "SO", "N. Cyprus": "CY"}

A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon, lat):
    lam, phi = math.radians(lon), math.radians(lat)
    t = math.asin(M * math.sin(phi))
    t2 = t * t
    t6 = t2 * t2 * t2
    x = 2 * math.sqrt(3) * lam * math.cos(t) / (3 * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = t * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


XMAX, _ = equal_earth(180, 0)
_, YMAX = equal_earth(0, 90)
SCALE = WIDTH / (2 * XMAX)
YTOP = equal_earth(0, 84)[1]
YBOTTOM = equal_earth(0, -58)[1]
HEIGHT = (YTOP - YBOTTOM) * SCALE


def frame(lon, lat):
    x, y = equal_earth(lon, lat)
    return ((x + XMAX) * SCALE, (YTOP - y) * SCALE)


def fetch():
    tmp = tempfile.mkdtemp()
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
    tgz = [f for f in os.listdir(tmp) if f.endswith(".tgz")][0]
    with tarfile.open(os.path.join(tmp, tgz)) as t:
        return json.load(t.extractfile("package/countries-50m.json"))


def decode_arcs(topo):
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def ring(arcs, idxs):
    out = []
    for i in idxs:
        pts = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        out.extend(pts if not out else pts[1:])
    return out


def unwrap(points):
    """Makes a ring's longitudes continuous (a ring that crosses the antimeridian jumps by 360
    degrees) and then clamps them to the map's edge, so no ring is drawn across the whole map."""
    out = []
    prev = None
    for lon, lat in points:
        if prev is not None:
            while lon - prev > 180:
                lon -= 360
            while prev - lon > 180:
                lon += 360
        out.append((lon, lat))
        prev = lon
    return [(max(-180.0, min(180.0, lon)), lat) for lon, lat in out]


def dp(points, eps):
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        ax, ay = points[a]
        bx, by = points[b]
        dx, dy = bx - ax, by - ay
        norm = math.hypot(dx, dy)
        best, at = -1.0, -1
        for i in range(a + 1, b):
            px, py = points[i]
            d = abs(dy * px - dx * py + bx * ay - by * ax) / norm if norm else math.hypot(px - ax, py - ay)
            if d > best:
                best, at = d, i
        if best > eps:
            keep[at] = True
            stack.append((a, at))
            stack.append((at, b))
    return [p for p, k in zip(points, keep) if k]


def area(points):
    s = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]):
        s += x1 * y2 - x2 * y1
    return abs(s) / 2


def path(rings):
    parts = []
    for r in rings:
        q = [(round(x, 1), round(y, 1)) for x, y in r]
        cmds = [f"M{q[0][0]:g} {q[0][1]:g}"]
        px, py = q[0]
        for x, y in q[1:]:
            dx, dy = round(x - px, 1), round(y - py, 1)
            if dx == 0 and dy == 0:
                continue
            cmds.append(f"l{dx:g} {dy:g}")
            px, py = x, y
        parts.append("".join(cmds) + "z")
    return "".join(parts)


def main():
    topo = fetch()
    arcs = decode_arcs(topo)
    countries = {}
    for g in topo["objects"]["countries"]["geometries"]:
        name = g["properties"]["name"]
        code = EXTRA.get(name)
        if code is None and g.get("id"):
            c = pycountry.countries.get(numeric=g["id"])
            code = c.alpha_2 if c else None
        if code is None or code == "AQ":
            continue
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]] if g["type"] == "Polygon" else []
        for poly in polys:
            for r in poly:
                pts = [frame(lon, max(-58.0, min(84.0, lat))) for lon, lat in unwrap(ring(arcs, r))]
                countries.setdefault(code, {"name": name, "rings": []})["rings"].append(pts)
    out = {}
    for code, c in sorted(countries.items()):
        rings = [dp(r, EPSILON) for r in c["rings"]]
        rings = [r for r in rings if len(r) >= 3]
        big = [r for r in rings if area(r) >= MIN_RING_AREA]
        if not big:
            big = sorted(rings, key=area, reverse=True)[:1]
        xs = [x for r in c["rings"] for x, _ in r]
        ys = [y for r in c["rings"] for _, y in r]
        # The centre of the largest ring (for dots and usage marks).
        main_ring = max(c["rings"], key=area)
        cx = sum(x for x, _ in main_ring) / len(main_ring)
        cy = sum(y for _, y in main_ring) / len(main_ring)
        diag = math.hypot(max(xs) - min(xs), max(ys) - min(ys))
        out[code] = [path(big) if big else "", round(cx, 1), round(cy, 1), 1 if diag < DOT_BELOW else 0]
    body = json.dumps({"w": WIDTH, "h": round(HEIGHT, 1), "c": out}, separators=(",", ":"))
    with open(OUT, "w") as f:
        f.write(
            "// Generated by scripts/gen_world_map.py from Natural Earth 1:50m admin-0 countries (public domain),\n"
            "// via world-atlas@2.0.2 (ISC). Equal Earth projection, simplified. Do not edit by hand.\n"
            "// c[ISO alpha-2] = [SVG path, centre x, centre y, 1 if drawn as a dot as well].\n"
            f"window.chipcapWorld = {body};\n"
        )
    print(f"{len(out)} countries, {os.path.getsize(OUT)} bytes -> {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
