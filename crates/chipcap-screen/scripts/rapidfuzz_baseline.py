#!/usr/bin/env python3
"""Brute-force baseline with Python rapidfuzz, for comparison with chipcap-screen.

1. Accuracy: rapidfuzz's token_sort_ratio and WRatio (after lowercasing) on the labelled Cascade
   name pairs, at the threshold that gives each its best F1 on that file (an optimistic baseline).
2. Speed: every query scanned against every list name (SDN + alt + CSL samples) with
   rapidfuzz.process.extractOne (one process per core for bulk), using the same deterministic query generator as
   `cargo run -p chipcap-screen --example latency` (xorshift64* seed, same perturbations).

    pip install rapidfuzz
    python3 crates/chipcap-screen/scripts/rapidfuzz_baseline.py testdata/screening [bulk_count]
"""
import csv
import multiprocessing
import os
import sys
import time

from rapidfuzz import fuzz, process, utils

MASK = (1 << 64) - 1


class Rng:
    def __init__(self, seed):
        self.s = seed

    def next(self):
        s = self.s
        s ^= s >> 12
        s ^= (s << 25) & MASK
        s ^= s >> 27
        self.s = s
        return (s * 0x2545F4914F6CDD1D) & MASK

    def below(self, n):
        return self.next() % max(n, 1)


WORDS = ["Global", "Trading", "Kessel", "Marrow", "Tovar", "Holdings", "Pacific", "Orion", "Delta", "Nordic"]
FORMS = ["Ltd", "LLC", "Co., Ltd.", "GmbH", "S.A.", "Inc."]


def perturb(name, rng):
    k = rng.below(7)
    if k == 0:
        return name
    if k == 1:
        i = rng.below(len(name))
        return name[:i] + name[i + 1:]
    if k == 2:
        c = list(name)
        if len(c) > 2:
            i = rng.below(len(c) - 1)
            c[i], c[i + 1] = c[i + 1], c[i]
        return "".join(c)
    if k == 3:
        return " ".join(reversed(name.split()))
    if k == 4:
        return name.lower() + " " + FORMS[rng.below(len(FORMS))]
    if k == 5:
        return WORDS[rng.below(len(WORDS))] + " " + name
    return " ".join([WORDS[rng.below(len(WORDS))], WORDS[rng.below(len(WORDS))], FORMS[rng.below(len(FORMS))]])


def load_names(d):
    names = []
    with open(os.path.join(d, "ofac-sdn.csv"), encoding="utf-8", newline="") as f:
        for r in csv.reader(f):
            if len(r) >= 2 and r[1].strip() not in ("", "-0-"):
                names.append(r[1].strip())
    with open(os.path.join(d, "ofac-alt.csv"), encoding="utf-8", newline="") as f:
        for r in csv.reader(f):
            if len(r) >= 4 and r[3].strip() not in ("", "-0-"):
                names.append(r[3].strip())
    for fn in ("csl-consolidated-sample.csv", "csl-legacy-sample.csv"):
        with open(os.path.join(d, fn), encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                names.append(r["name"].strip())
                names += [a.strip() for a in r["alt_names"].split(";") if a.strip()]
    return names


def prf(rows, scorer, t):
    tp = fp = fn = 0
    for n1, n2, m in rows:
        p = scorer(n1, n2, processor=utils.default_process) >= t
        tp += p and m
        fp += p and not m
        fn += (not p) and m
    pr = tp / (tp + fp) if tp + fp else 1.0
    rc = tp / (tp + fn) if tp + fn else 1.0
    return pr, rc, (2 * pr * rc / (pr + rc) if pr + rc else 0.0)


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "testdata/screening"
    bulk_n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    with open(os.path.join(d, "cascade-name-pairs.csv"), encoding="utf-8", newline="") as f:
        rows = [(r["name1"], r["name2"], r["is_match"] == "true") for r in csv.DictReader(f)]
    for label, scorer in (("token_sort_ratio", fuzz.token_sort_ratio), ("WRatio", fuzz.WRatio)):
        best = max((prf(rows, scorer, t) + (t,) for t in range(50, 101)), key=lambda x: x[2])
        print(f"pairs {label}: best F1 {best[2]:.3f} at threshold {best[3]} (precision {best[0]:.3f}, recall {best[1]:.3f})")
        at90 = prf(rows, scorer, 90)
        print(f"pairs {label} at 90: precision {at90[0]:.3f}, recall {at90[1]:.3f}, F1 {at90[2]:.3f}")

    names = load_names(d)
    rng = Rng(0x9E3779B97F4A7C15)
    queries = [perturb(names[rng.below(len(names))], rng) for _ in range(bulk_n)]
    choices = [utils.default_process(n) for n in names]
    single_n = min(2000, len(queries))
    lat = []
    for q in queries[:single_n]:
        t = time.perf_counter()
        process.extractOne(utils.default_process(q), choices, scorer=fuzz.token_sort_ratio, processor=None)
        lat.append((time.perf_counter() - t) * 1e3)
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, round((len(lat) - 1) * p))]
    print(f"{len(names)} names; single-name brute force (token_sort_ratio, extractOne) over {single_n} queries: "
          f"p50 {pct(0.5):.3f} ms, p90 {pct(0.9):.3f} ms, p99 {pct(0.99):.3f} ms")
    bulk_sample = min(4000, len(queries))
    global CHOICES
    CHOICES = choices
    cores = os.cpu_count() or 1
    t = time.perf_counter()
    with multiprocessing.Pool(cores) as pool:
        pool.map(best_match, queries[:bulk_sample], chunksize=100)
    secs = time.perf_counter() - t
    print(f"bulk brute force (extractOne, {cores} processes): {bulk_sample} names in {secs:.2f} s "
          f"({bulk_sample / secs:.0f} names/s); {bulk_n} names would take ~{bulk_n / (bulk_sample / secs):.0f} s")


CHOICES = []


def best_match(q):
    return process.extractOne(utils.default_process(q), CHOICES, scorer=fuzz.token_sort_ratio, processor=None)


if __name__ == "__main__":
    main()
