#!/usr/bin/env python3
"""Fit the fingerprint score model of crates/quality/src/finger.rs to NIST NFIQ 2
(docs/quality/finger.md, section 5). Plain Python 3, no packages.

    python3 finger_fit.py DIR[:WEIGHT]...   # fit on the training fingers, print the Rust constants

Each DIR is an agreement set (manifest.csv, nfiq2.csv, rekam.csv): the synthetic one of
`finger_agreement generate` or the real one of finger_real.py. Only images of training
fingers (manifest split "train") are used to fit, each image of a set counted WEIGHT times
(default 1); the held-out fingers are only scored, at the end. For a set of few fingers (the
real prints) it also refits once without each finger and scores that finger's images.

The model has two parts, both over a few of Rekam's measures, each clamped to the range it
had on the training images and taken as is or as ln(1 + value):

- P, the chance that NFIQ 2 can assess the image at all (NFIQ 2 scores 0 when its minutiae
  extractor finds nothing): logistic regression on the training images with foreground;
- L, the NFIQ 2 score when it can: ridge regression on the training images NFIQ 2 scored
  above 0, clamped to 20..90;

and the score is P x L, rounded. Images with no foreground (or uniform, or empty) score 0 by
rule and are left out of both fits. Every term is standardised on the training images for
the fit (so the penalties weigh them alike) and the printed coefficients are folded back to
raw measure units.
"""

import csv
import math
import sys

# (measure, transform): "log" is ln(1 + value).
P_TERMS = [
    ("minutiae_count_central", "log"),
    ("clear_area_mm2", "log"),
    ("strong_area_mm2", "log"),
    ("ridge_amplitude", "log"),
    ("ridge_period_offset", "lin"),
]
L_TERMS = [
    ("foreground_area_mm2", "log"),
    ("minutiae_count_central", "log"),
    ("certain_area_mm2", "log"),
    ("clarity_area_mm2", "log"),
    ("faint_area_mm2", "log"),
    ("high_contrast_area_mm2", "log"),
    ("orientation_certainty", "lin"),
    ("local_clarity_spread", "lin"),
    ("foreground_grey_mean", "lin"),
    ("foreground_grey_std", "lin"),
    ("ridge_valley_uniformity", "lin"),
    ("ridge_valley_balance", "lin"),
]
P_PENALTY = 1.0  # L2 on the standardised logistic coefficients
L_PENALTY = 5.0  # L2 on the standardised linear coefficients
L_RANGE = (20.0, 90.0)


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


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    n = len(ra)
    ma, mb = sum(ra) / n, sum(rb) / n
    sab = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    saa = sum((x - ma) ** 2 for x in ra)
    sbb = sum((y - mb) ** 2 for y in rb)
    return sab / math.sqrt(saa * sbb)


def solve(a, b):
    """Gaussian elimination with partial pivoting."""
    n = len(a)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c and m[r][c] != 0.0:
                f = m[r][c] / m[c][c]
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    return [m[i][n] / m[i][i] for i in range(n)]


def ridge(x, y, lam):
    """Least squares with intercept (last) and an L2 penalty on the other coefficients."""
    n = len(x[0]) + 1
    a = [[0.0] * n for _ in range(n)]
    b = [0.0] * n
    for row, t in zip(x, y):
        v = row + [1.0]
        for i in range(n):
            b[i] += v[i] * t
            for j in range(n):
                a[i][j] += v[i] * v[j]
    for i in range(n - 1):
        a[i][i] += lam
    return solve(a, b)


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


def logistic(x, t, lam):
    """Penalised logistic regression by Newton's method; intercept last."""
    n = len(x[0]) + 1
    beta = [0.0] * n
    for _ in range(50):
        a = [[0.0] * n for _ in range(n)]
        g = [0.0] * n
        for row, tt in zip(x, t):
            v = row + [1.0]
            p = sigmoid(sum(c * u for c, u in zip(beta, v)))
            w = max(p * (1.0 - p), 1e-9)
            for i in range(n):
                g[i] += (tt - p) * v[i]
                for j in range(n):
                    a[i][j] += w * v[i] * v[j]
        for i in range(n - 1):
            a[i][i] += lam
            g[i] -= lam * beta[i]
        step = solve(a, g)
        beta = [c + s for c, s in zip(beta, step)]
        if max(abs(s) for s in step) < 1e-10:
            break
    return beta


class Terms:
    """Clamp ranges (training minimum and maximum) and standardisation of a list of terms."""

    def __init__(self, terms, rows):
        self.terms = terms
        self.lo = [min(float(r[m]) for r in rows) for m, _ in terms]
        self.hi = [max(float(r[m]) for r in rows) for m, _ in terms]
        xs = [self.raw(r) for r in rows]
        self.mu = [sum(c) / len(c) for c in zip(*xs)]
        self.sd = [
            math.sqrt(sum((v - m) ** 2 for v in c) / len(c)) or 1.0 for c, m in zip(zip(*xs), self.mu)
        ]

    def raw(self, r):
        out = []
        for (m, tf), lo, hi in zip(self.terms, self.lo, self.hi):
            v = min(max(float(r[m]), lo), hi)
            out.append(math.log1p(max(v, 0.0)) if tf == "log" else v)
        return out

    def std(self, r):
        return [(v - m) / s for v, m, s in zip(self.raw(r), self.mu, self.sd)]

    def unfold(self, coef):
        """Coefficients on the standardised terms -> on the raw terms (intercept last)."""
        w = [c / s for c, s in zip(coef[:-1], self.sd)]
        b = coef[-1] - sum(c * m / s for c, m, s in zip(coef[:-1], self.mu, self.sd))
        return w, b


def lit(v):
    """A Rust f64 literal with 6 significant digits."""
    s = f"{v:.6g}"
    return s if ("." in s or "e" in s or "inf" in s or "nan" in s) else s + ".0"


def rust(name, doc, terms, t, w, b):
    print(f"    /// {doc}")
    print(f"    pub(super) const {name}: [Term; {len(terms)}] = [")
    for (m, tf), lo, hi, c in zip(terms, t.lo, t.hi, w):
        kind = "Log" if tf == "log" else "Lin"
        print(f"        term(Input::{camel(m)}, Kind::{kind}, {lit(lo)}, {lit(hi)}, {lit(c)}),")
    print("    ];")
    print(f"    pub(super) const {name}_BIAS: f64 = {lit(b)};")


def camel(m):
    return "".join(p.capitalize() for p in m.split("_"))


def load(d):
    d = d.rstrip("/")
    manifest = read(f"{d}/manifest.csv")
    nfiq = read(f"{d}/nfiq2.csv")
    rekam = read(f"{d}/rekam.csv")
    rows = []
    for name, m in manifest.items():
        if name in nfiq and name in rekam and nfiq[name]["score"] != "":
            rows.append((m["split"], float(nfiq[name]["score"]), rekam[name], m["master"]))
    return rows


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    sets = []
    for a in args:
        d, _, w = a.partition(":")
        sets.append((d.rstrip("/"), int(w or "1"), load(d)))
    train = []
    for _, w, rows in sets:
        # A set's weight: each of its training images counts w times.
        train += [r for r in rows if r[0] == "train" and float(r[2]["foreground_blocks"]) > 0] * w
    fit_report(train, sets)


def fit(train):
    tp = Terms(P_TERMS, [r[2] for r in train])
    cp = logistic([tp.std(r[2]) for r in train], [1.0 if r[1] > 0 else 0.0 for r in train], P_PENALTY)
    nz = [r for r in train if r[1] > 0]
    tl = Terms(L_TERMS, [r[2] for r in nz])
    cl = ridge([tl.std(r[2]) for r in nz], [r[1] for r in nz], L_PENALTY)
    wp, bp = tp.unfold(cp)
    wl, bl = tl.unfold(cl)

    def score(r):
        if float(r["foreground_blocks"]) == 0:
            return 0.0
        p = sigmoid(bp + sum(c * v for c, v in zip(wp, tp.raw(r))))
        lv = min(max(bl + sum(c * v for c, v in zip(wl, tl.raw(r))), L_RANGE[0]), L_RANGE[1])
        return p * lv

    return score, (tp, wp, bp, tl, wl, bl, nz)


def fit_report(train, sets):
    score, (tp, wp, bp, tl, wl, bl, nz) = fit(train)
    print(f"    // Fitted by crates/quality/examples/finger_fit.py on {len(train)} training images")
    print(f"    // (weighted) with foreground, {len(nz)} of them scored above 0 by NFIQ 2.")
    rust("ASSESSABLE", "Logit of the chance that NFIQ 2 can assess the image.", P_TERMS, tp, wp, bp)
    rust("LEVEL", "NFIQ 2's score when it can assess the image.", L_TERMS, tl, wl, bl)
    print()
    print("set,split,n,spearman_rho (rounded model, all images incl. those without foreground)")
    for d, _, rows in sets:
        for split in ("train", "test"):
            sel = [r for r in rows if r[0] == split]
            if sel:
                rho = spearman([round(score(r[2])) for r in sel], [r[1] for r in sel])
                print(f"{d},{split},{len(sel)},{rho:.3f}")
    # Leave one source finger out, for every set with few fingers (the real prints): refit
    # without that finger's images (all its degradations), score them.
    for k, (d, w, rows) in enumerate(sets):
        masters = sorted({r[3] for r in rows})
        if len(masters) > 10:
            continue
        for out in masters:
            tr = []
            for j, (_, w2, rows2) in enumerate(sets):
                keep = [r for r in rows2 if float(r[2]["foreground_blocks"]) > 0]
                keep = [r for r in keep if r[3] != out] if j == k else [r for r in keep if r[0] == "train"]
                tr += keep * w2
            s2, _ = fit(tr)
            sel = [r for r in rows if r[3] == out]
            rho = spearman([round(s2(r[2])) for r in sel], [r[1] for r in sel])
            print(f"{d},without {out},{len(sel)},{rho:.3f}")


if __name__ == "__main__":
    main()
