#!/usr/bin/env python3
"""Tables of docs/quality/iris.md section 4 from the CSV files of `iris_agreement`.

    python3 crates/quality/examples/iris_tables.py ours.csv DIR/truth.csv [iqm.csv]

`ours.csv` is `iris_agreement score DIR`, `truth.csv` is written by `iris_agreement generate`,
`iqm.csv` (optional) is `iris-iqm DIR/*.png -o csv`. Standard library only.
"""
import csv
import math
import statistics as st
import sys

CONDS = ["Good", "FocusBlur", "OffAxis", "Occluded", "Closed", "TooFar", "TooDark", "MotionBlur"]


def load(path):
    return {r["file"]: r for r in csv.DictReader(open(path))}


def segmentation(ours, truth):
    print("| Condition | found | pupil centre | pupil radius | iris centre | iris radius | usable - visible |")
    print("|---|---|---|---|---|---|---|")
    for c in CONDS:
        rows = [(o, truth[f]) for f, o in ours.items() if truth[f]["condition"] == c]
        e = []
        for o, t in rows:
            if not o["pupil_x"]:
                continue
            g = lambda k: float(o[k]) - float(t[k])
            e.append((math.hypot(g("pupil_x"), g("pupil_y")), abs(g("pupil_r")),
                      math.hypot(g("iris_x"), g("iris_y")), abs(g("iris_r")),
                      float(o["usable_iris_area"]) - 100 * float(t["visible_iris_fraction"])))
        cells = ["%.2f / %.2f" % (st.median(col), max(col)) for col in list(zip(*e))[:4]] if e else [""] * 4
        mean_dv = "%+.1f" % st.mean(x[4] for x in e) if e else ""
        print("| %s | %d/%d | %s | %s |" % (c, len(e), len(rows), " | ".join(cells), mean_dv))


def scores(ours, truth):
    print("| Condition | mean score | min - max | >= 60 | feedback (count) |")
    print("|---|---|---|---|---|")
    for c in CONDS:
        rows = [o for f, o in ours.items() if truth[f]["condition"] == c]
        s = [int(r["score"]) for r in rows]
        fb = {}
        for r in rows:
            for code in r["feedback"].split():
                fb[code] = fb.get(code, 0) + 1
        fbs = ", ".join("%s %d" % kv for kv in sorted(fb.items(), key=lambda kv: -kv[1])) or "none"
        print("| %s | %.1f | %d - %d | %d/%d | %s |" % (c, st.mean(s), min(s), max(s), sum(x >= 60 for x in s), len(s), fbs))
    ms = [float(r["ms"]) for r in ours.values()]
    print("\nms per image (score tool, wall clock): median %.1f, max %.1f" % (st.median(ms), max(ms)))


def rank(v):
    o = sorted(range(len(v)), key=lambda i: v[i])
    r = [0.0] * len(v)
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and v[o[j + 1]] == v[o[i]]:
            j += 1
        for t in range(i, j + 1):
            r[o[t]] = (i + j) / 2
        i = j + 1
    return r


def rho(a, b):
    ra, rb = rank(a), rank(b)
    ma, mb = st.mean(ra), st.mean(rb)
    num = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    den = math.sqrt(sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb))
    return num / den if den else float("nan")


PAIRS = [
    ("usable_iris_area", "usable_iris_area_percent", 1),
    ("iris_sclera_contrast", "iso_iris_sclera_contrast", 1),
    ("iris_pupil_contrast", "iso_iris_pupil_contrast", 1),
    ("pupil_boundary_circularity", "iso_pupil_boundary_circularity", None),
    ("grey_level_utilisation", "iso_greyscale_utilization", 1),
    ("iris_radius", "iris_diameter", 0.5),
    ("pupil_iris_ratio", "iris_pupil_ratio", 100),
    ("iris_pupil_concentricity", "iso_iris_pupil_concentricity", 1),
    ("margin_adequacy", "iso_margin_adequacy", 1),
    ("sharpness", "iso_sharpness", None),
    ("score", "iso_overall_quality", None),
]
IMAGE_WIDE = ("grey_level_utilisation", "sharpness")


def agreement(ours, truth, iqm_path):
    iqm = {}
    for r in csv.DictReader(open(iqm_path)):
        name = [v for v in r.values() if str(v).endswith(".png")][0]
        iqm[name.split("/")[-1]] = r
    common = [f for f in ours if f in iqm and str(iqm[f].get("error_code", "0")) in ("0", "")]
    both = [f for f in common if ours[f]["pupil_x"]]
    print("iris-iqm rows %d, without error %d, also segmented by Rekam %d\n" % (len(iqm), len(common), len(both)))
    print("| Rekam | iris-iqm | n | rho | MAD |")
    print("|---|---|---|---|---|")
    for a, b, scale in PAIRS:
        fs = common if a in IMAGE_WIDE else both
        x = [float(ours[f][a]) for f in fs]
        y = [float(iqm[f][b]) for f in fs]
        mad = "%.2f" % st.mean(abs(p - q * scale) for p, q in zip(x, y)) if scale else "-"
        print("| `%s` | `%s` | %d | %.2f | %s |" % (a, b, len(fs), rho(x, y), mad))
    # iris-iqm's own segmentation against the ground truth, on Good eyes
    for c in ("Good", "TooFar"):
        e = [(math.hypot(float(iqm[f]["pupil_center_x"]) - float(truth[f]["pupil_x"]),
                         float(iqm[f]["pupil_center_y"]) - float(truth[f]["pupil_y"])),
              abs(float(iqm[f]["iris_diameter"]) / 2 - float(truth[f]["iris_r"])))
             for f in common if truth[f]["condition"] == c]
        if e:
            print("\niris-iqm on %s (n=%d): pupil centre median %.1f px (max %.1f), iris radius median %.1f px (max %.1f)"
                  % (c, len(e), st.median(p for p, _ in e), max(p for p, _ in e), st.median(r for _, r in e), max(r for _, r in e)))


if __name__ == "__main__":
    ours, truth = load(sys.argv[1]), load(sys.argv[2])
    segmentation(ours, truth)
    print()
    scores(ours, truth)
    if len(sys.argv) > 3:
        print()
        agreement(ours, truth, sys.argv[3])
