#!/usr/bin/env python3
"""Agreement of Rekam's fingerprint score with NIST NFIQ 2 (docs/quality/finger.md, section 6).

    python3 finger_agreement.py DIR          # Spearman's rho: training, held-out, all; by source

(The score model is fitted by finger_fit.py on the same files.)

DIR holds manifest.csv (from `finger_agreement generate`), nfiq2.csv (nfiq2.py's CSV; --features
output works too) and rekam.csv (from `finger_agreement score`). Plain Python for the figure:
Spearman's rho is Pearson's correlation of the average ranks.
"""

import csv
import math
import sys
from collections import defaultdict


def read(path):
    with open(path, newline="") as f:
        return {row["path"].split("/")[-1]: row for row in csv.DictReader(f)}


def ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return r


def pearson(a, b):
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    sab = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    saa = sum((x - ma) ** 2 for x in a)
    sbb = sum((y - mb) ** 2 for y in b)
    return sab / math.sqrt(saa * sbb) if saa > 0 and sbb > 0 else float("nan")


def spearman(a, b):
    return pearson(ranks(a), ranks(b))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    d = sys.argv[1].rstrip("/")
    manifest = read(f"{d}/manifest.csv")
    nfiq = read(f"{d}/nfiq2.csv")
    rekam = read(f"{d}/rekam.csv")
    rows = []
    for name, m in manifest.items():
        if name in nfiq and name in rekam and nfiq[name]["score"] != "":
            rows.append((m, float(nfiq[name]["score"]), rekam[name]))
    print("set,n,spearman_rho")
    present = sorted({r[0]["split"] for r in rows}, key=lambda s: ("train", "test").index(s) if s in ("train", "test") else 2)
    for split in present + ([None] if len(present) > 1 else []):
        sel = [r for r in rows if split is None or r[0]["split"] == split]
        rho = spearman([r[1] for r in sel], [float(r[2]["score"]) for r in sel])
        print(f"{split or 'all'},{len(sel)},{rho:.3f}")
    print()
    print("source,n,nfiq2_mean,rekam_mean")
    by = defaultdict(list)
    for m, n, r in rows:
        kind = m["source"].split("+")
        key = kind[0] if len(kind) == 1 else "+" + "".join(c for c in kind[1] if c.isalpha())
        by[key].append((n, float(r["score"])))
    for k in sorted(by):
        v = by[k]
        print(f"{k},{len(v)},{sum(a for a, _ in v) / len(v):.1f},{sum(b for _, b in v) / len(v):.1f}")


if __name__ == "__main__":
    main()
