//! Finding the pupil, the iris (limbus) and the eyelids in a near-infrared eye image.
//!
//! 1. **Coarse pupil.** The image is averaged down to about 120 rows (saturated specular
//!    pixels left out of the averages). The darkest spots are seeds; from each, regions are
//!    grown at several grey thresholds and the most compact, most contrasted dark blob of a
//!    plausible size is the pupil estimate.
//! 2. **Pupil boundary.** At full resolution, 64 rays from that centre; on each, the strongest
//!    dark-to-bright step (sub-pixel) that is pupil-dark inside and iris-bright outside, away
//!    from specular reflections (lash lines and lid edges fail this, so the ray is dropped); a
//!    least-median-of-squares circle, then least squares on its inliers, twice.
//! 3. **Limbus.** Rays in the two lateral sectors (where the sclera shows); the radius whose
//!    mean outward step over all rays is largest (integro-differential style), then per-ray
//!    steps near it, and a least-squares fit of radius and centre offset.
//! 4. **Eyelids.** Column by column over the iris, from the pupil outward (up and down), the
//!    first run of pixels brighter than the iris can be (lid skin); a robust parabola through
//!    those columns is the lid line. Lashes (dark, in a band under the upper lid) and specular
//!    reflections are counted pixel by pixel in the usable area.
//!
//! Up to 4 coarse pupil candidates are tried, best first, until one gets through.

use image::GrayImage;

/// A circle in pixel coordinates (`(0, 0)` is the centre of the top-left pixel).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    /// Centre, x.
    pub x: f64,
    /// Centre, y (downward).
    pub y: f64,
    /// Radius.
    pub r: f64,
}

/// Where the pupil, the iris and the eyelids are.
#[derive(Debug, Clone, PartialEq)]
pub struct Segmentation {
    /// The pupil boundary (inner iris boundary).
    pub pupil: Circle,
    /// The limbus (outer iris boundary).
    pub iris: Circle,
    /// Highest visible iris row per column: `lid_top[i]` is for column `lid_x0 + i`.
    pub lid_top: Vec<f64>,
    /// Lowest visible iris row per column.
    pub lid_bottom: Vec<f64>,
    /// First column covered by `lid_top` and `lid_bottom`.
    pub lid_x0: i64,
    /// Pupil radius along 64 equally spaced directions, measured from the fitted pupil centre
    /// (0 where no boundary point was found), for the circularity measure.
    pub pupil_radii: Vec<f64>,
    /// Median grey level of the pupil, of the iris and of the sclera (NaN if none visible).
    pub(crate) grey_pupil: f64,
    pub(crate) grey_iris: f64,
    pub(crate) grey_sclera: f64,
    /// Iris pixels next to the pupil (median grey).
    pub(crate) grey_iris_inner: f64,
    /// Fraction (0-1) of the iris annulus that is usable.
    pub(crate) usable: f64,
}

impl Segmentation {
    /// Upper eyelid margin (highest visible iris row) in the column of the iris centre.
    pub fn upper_lid_y(&self) -> f64 {
        self.lid_at(&self.lid_top)
    }

    /// Lower eyelid margin (lowest visible iris row) in the column of the iris centre.
    pub fn lower_lid_y(&self) -> f64 {
        self.lid_at(&self.lid_bottom)
    }

    fn lid_at(&self, v: &[f64]) -> f64 {
        let i = (self.iris.x.round() as i64 - self.lid_x0).clamp(0, v.len() as i64 - 1);
        v.get(i as usize).copied().unwrap_or(self.iris.y)
    }
}

/// Grey level at or above which a pixel is a specular reflection.
pub(crate) const SPECULAR: u8 = 235;
/// Lashes are looked for from the upper lid line down to this fraction of the iris radius.
const LASH_BAND: f64 = 0.4;
/// Coarse pupil candidates tried, most likely first, until one segments.
const COARSE_TRIES: usize = 4;
/// Number of rays around the pupil.
const PUPIL_RAYS: usize = 64;

/// A grey image as floats, with its size.
pub(crate) struct Plane {
    pub w: usize,
    pub h: usize,
    pub v: Vec<f32>,
}

impl Plane {
    #[inline]
    fn at(&self, x: usize, y: usize) -> f32 {
        self.v[y * self.w + x]
    }

    /// Bilinear sample; `None` outside the image.
    #[inline]
    fn sample(&self, x: f64, y: f64) -> Option<f32> {
        if !(x >= 0.0 && y >= 0.0) {
            return None;
        }
        let (x0, y0) = (x as usize, y as usize);
        if x0 + 1 >= self.w || y0 + 1 >= self.h {
            return None;
        }
        let (fx, fy) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
        let i = y0 * self.w + x0;
        let a = self.v[i] + (self.v[i + 1] - self.v[i]) * fx;
        let b = self.v[i + self.w] + (self.v[i + self.w + 1] - self.v[i + self.w]) * fx;
        Some(a + (b - a) * fy)
    }
}

/// 3 x 3 box mean of the image (edges replicated).
pub(crate) fn smooth3(img: &GrayImage) -> Plane {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let px = img.as_raw();
    let mut rows = vec![0u16; w * h];
    for y in 0..h {
        let r = &px[y * w..(y + 1) * w];
        for x in 0..w {
            let l = r[x.saturating_sub(1)];
            let c = r[x];
            let rr = r[(x + 1).min(w - 1)];
            rows[y * w + x] = u16::from(l) + u16::from(c) + u16::from(rr);
        }
    }
    let mut v = vec![0f32; w * h];
    for y in 0..h {
        let (u, d) = (y.saturating_sub(1), (y + 1).min(h - 1));
        for x in 0..w {
            let s = rows[u * w + x] + rows[y * w + x] + rows[d * w + x];
            v[y * w + x] = f32::from(s) / 9.0;
        }
    }
    Plane { w, h, v }
}

/// Block means over `f x f` blocks, saturated pixels left out (a block of only saturated
/// pixels is 255).
fn downscale(img: &GrayImage, f: usize) -> Plane {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let (cw, ch) = (w / f, h / f);
    let px = img.as_raw();
    let mut sum = vec![0u32; cw * ch];
    let mut cnt = vec![0u32; cw * ch];
    for y in 0..ch * f {
        let row = &px[y * w..y * w + cw * f];
        let base = (y / f) * cw;
        for (x, &p) in row.iter().enumerate() {
            if p < SPECULAR {
                sum[base + x / f] += u32::from(p);
                cnt[base + x / f] += 1;
            }
        }
    }
    let v = sum
        .iter()
        .zip(&cnt)
        .map(|(&s, &c)| if c == 0 { 255.0 } else { s as f32 / c as f32 })
        .collect();
    Plane { w: cw, h: ch, v }
}

fn box3(p: &Plane) -> Plane {
    let (w, h) = (p.w, p.h);
    let mut v = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut s = 0.0;
            let mut n = 0.0;
            for yy in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for xx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    s += p.at(xx, yy);
                    n += 1.0;
                }
            }
            v[y * w + x] = s / n;
        }
    }
    Plane { w, h, v }
}

fn median(v: &mut [f32]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let k = v.len() / 2;
    v.select_nth_unstable_by(k, f32::total_cmp);
    f64::from(v[k])
}

fn quantile(v: &mut [f32], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let k = ((v.len() - 1) as f64 * q).round() as usize;
    v.select_nth_unstable_by(k, f32::total_cmp);
    f64::from(v[k])
}

/// The plausible pupil radius range, in full-resolution pixels.
fn pupil_range(w: usize, h: usize) -> (f64, f64) {
    let m = w.min(h) as f64;
    ((m / 40.0).max(3.0), m / 5.0)
}

/// Coarse pupil candidates (centre and radius in full-resolution pixels), most likely first.
fn coarse_pupil(img: &GrayImage) -> Option<Vec<Circle>> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let f = (w.min(h) / 120).max(1);
    let c = box3(&downscale(img, f));
    let (cw, ch) = (c.w, c.h);
    let (rmin, rmax) = pupil_range(w, h);
    let (rmin_c, rmax_c) = (rmin / f as f64, rmax / f as f64);
    let mut all = c.v.clone();
    let med = median(&mut all);

    // Seeds: the darkest pixels, at least `rmax_c` apart.
    let mut order: Vec<usize> = (0..cw * ch).collect();
    order.sort_unstable_by(|&a, &b| c.v[a].total_cmp(&c.v[b]));
    let mut seeds: Vec<(usize, usize)> = Vec::new();
    for &i in &order {
        let (x, y) = (i % cw, i / cw);
        if f64::from(c.v[i]) > med {
            break;
        }
        let v = c.v[i];
        let is_min = (y.saturating_sub(2)..=(y + 2).min(ch - 1))
            .all(|yy| (x.saturating_sub(2)..=(x + 2).min(cw - 1)).all(|xx| c.at(xx, yy) >= v));
        if !is_min {
            continue;
        }
        if seeds.iter().all(|&(sx, sy)| {
            let (dx, dy) = (sx as f64 - x as f64, sy as f64 - y as f64);
            dx * dx + dy * dy > rmin_c * rmin_c * 9.0
        }) {
            seeds.push((x, y));
            if seeds.len() == 24 {
                break;
            }
        }
    }

    let mut cands: Vec<(f64, Circle, f64)> = Vec::new();
    let mut mark = vec![u32::MAX; cw * ch];
    let mut stack = Vec::new();
    let mut region = Vec::new();
    let mut tag = 0u32;
    let reach = (rmax_c * 1.6).ceil() as i64;
    for &(sx, sy) in &seeds {
        let v0 = f64::from(c.at(sx, sy));
        for q in [0.04, 0.07, 0.1, 0.14, 0.19, 0.25, 0.32] {
            let t = (v0 + q * (med - v0)) as f32;
            tag += 1;
            region.clear();
            stack.clear();
            stack.push((sx, sy));
            mark[sy * cw + sx] = tag;
            let mut escaped = false;
            while let Some((x, y)) = stack.pop() {
                region.push((x, y));
                if (x as i64 - sx as i64).abs() > reach || (y as i64 - sy as i64).abs() > reach {
                    escaped = true;
                    break;
                }
                let nb = [
                    (x.wrapping_sub(1), y),
                    (x + 1, y),
                    (x, y.wrapping_sub(1)),
                    (x, y + 1),
                ];
                for (nx, ny) in nb {
                    if nx < cw && ny < ch && mark[ny * cw + nx] != tag && c.at(nx, ny) <= t {
                        mark[ny * cw + nx] = tag;
                        stack.push((nx, ny));
                    }
                }
            }
            if escaped {
                break;
            }
            let n = region.len() as f64;
            let (mx, my) = region
                .iter()
                .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x as f64, b + y as f64));
            let (mx, my) = (mx / n, my / n);
            let re = (n / std::f64::consts::PI).sqrt();
            if re < rmin_c * 0.8 || re > rmax_c {
                continue;
            }
            let maxd2 = region
                .iter()
                .map(|&(x, y)| (x as f64 - mx).powi(2) + (y as f64 - my).powi(2))
                .fold(0.0, f64::max);
            let compact = n / (std::f64::consts::PI * (maxd2.sqrt() + 0.5).powi(2));
            if compact < 0.35 {
                continue;
            }
            let inner = region
                .iter()
                .map(|&(x, y)| f64::from(c.at(x, y)))
                .sum::<f64>()
                / n;
            // Ring just outside the blob.
            let mut ring = Vec::with_capacity(32);
            for k in 0..32 {
                let a = k as f64 * std::f64::consts::TAU / 32.0;
                let rr = re * 1.5 + 1.0;
                let (x, y) = (mx + rr * a.cos(), my + rr * a.sin());
                if x >= 0.0 && y >= 0.0 && (x as usize) < cw && (y as usize) < ch {
                    ring.push(c.at(x as usize, y as usize));
                }
            }
            if ring.len() < 16 {
                continue;
            }
            let outer = median(&mut ring);
            let contrast = outer - inner;
            if contrast <= 4.0 {
                continue;
            }
            // Prefer the darkest compact blob: the pupil is darker than the iris around it.
            let score = contrast * compact * compact * (1.0 - inner / outer.max(1.0));
            let circle = Circle {
                x: (mx + 0.5) * f as f64 - 0.5,
                y: (my + 0.5) * f as f64 - 0.5,
                r: re * f as f64,
            };
            cands.push((score, circle, inner));
            // The first acceptable region of a seed is its core; higher thresholds leak
            // into the iris.
            break;
        }
    }
    // The best blob; but a darker blob well inside it is the pupil within the iris.
    let mut best = *cands.iter().max_by(|a, b| a.0.total_cmp(&b.0))?;
    loop {
        let inner = cands
            .iter()
            .filter(|c| {
                (c.1.x - best.1.x).hypot(c.1.y - best.1.y) < 0.8 * best.1.r
                    && c.1.r < 0.8 * best.1.r
                    && c.2 < best.2 - 8.0
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        match inner {
            Some(c) => best = *c,
            None => break,
        }
    }
    // Then the other candidates, best first, for when the first choice is not a pupil.
    let mut out = vec![best.1];
    cands.sort_by(|a, b| b.0.total_cmp(&a.0));
    for c in &cands {
        if out.iter().all(|o| {
            (o.x - c.1.x).hypot(o.y - c.1.y) > 0.5 * o.r.max(c.1.r)
                || o.r.max(c.1.r) > 1.5 * o.r.min(c.1.r)
        }) {
            out.push(c.1);
        }
    }
    out.truncate(COARSE_TRIES);
    Some(out)
}

/// Least-squares circle through points (Kåsa's algebraic fit).
fn fit_circle(pts: &[(f64, f64)]) -> Option<Circle> {
    if pts.len() < 5 {
        return None;
    }
    let n = pts.len() as f64;
    let (mx, my) = pts
        .iter()
        .fold((0.0, 0.0), |(a, b), p| (a + p.0 / n, b + p.1 / n));
    let (mut suu, mut svv, mut suv, mut suuu, mut svvv, mut suvv, mut svuu) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &(x, y) in pts {
        let (u, v) = (x - mx, y - my);
        suu += u * u;
        svv += v * v;
        suv += u * v;
        suuu += u * u * u;
        svvv += v * v * v;
        suvv += u * v * v;
        svuu += v * u * u;
    }
    let det = suu * svv - suv * suv;
    if det.abs() < 1e-9 {
        return None;
    }
    let b1 = 0.5 * (suuu + suvv);
    let b2 = 0.5 * (svvv + svuu);
    let uc = (b1 * svv - b2 * suv) / det;
    let vc = (suu * b2 - suv * b1) / det;
    let r = (uc * uc + vc * vc + (suu + svv) / n).sqrt();
    r.is_finite().then_some(Circle {
        x: mx + uc,
        y: my + vc,
        r,
    })
}

/// Circle through three points; `None` when they are (nearly) collinear.
fn circle3(a: (f64, f64), b: (f64, f64), c: (f64, f64)) -> Option<Circle> {
    let (bx, by) = (b.0 - a.0, b.1 - a.1);
    let (cx, cy) = (c.0 - a.0, c.1 - a.1);
    let d = 2.0 * (bx * cy - by * cx);
    if d.abs() < 1e-6 {
        return None;
    }
    let (b2, c2) = (bx * bx + by * by, cx * cx + cy * cy);
    let ux = (cy * b2 - by * c2) / d;
    let uy = (bx * c2 - cx * b2) / d;
    Some(Circle {
        x: a.0 + ux,
        y: a.1 + uy,
        r: ux.hypot(uy),
    })
}

fn residuals(pts: &[(f64, f64)], c: Circle) -> Vec<f32> {
    pts.iter()
        .map(|&(x, y)| ((x - c.x).hypot(y - c.y) - c.r).abs() as f32)
        .collect()
}

/// Fit with outliers removed; returns the circle and the inlier flags.
///
/// The start is a least-median-of-squares circle: among circles through point triples spread
/// around the boundary (points are in ray order), the one whose median residual is smallest.
/// It stays put when up to nearly half the points are wrong (lashes, lid edges, reflections),
/// where a least-squares start is dragged off. Then least squares on the points within
/// 2.5 robust standard deviations (at least 1 px), repeated.
fn robust_circle(pts: &[(f64, f64)]) -> Option<(Circle, Vec<bool>)> {
    let n = pts.len();
    if n < 5 {
        return None;
    }
    let mut best: Option<(f64, Circle)> = None;
    let mut scratch = Vec::with_capacity(n);
    for step in [n / 3, n / 4, n / 5] {
        if step == 0 {
            continue;
        }
        for i in 0..n {
            let (j, k) = ((i + step) % n, (i + 2 * step) % n);
            let Some(c) = circle3(pts[i], pts[j], pts[k]) else {
                continue;
            };
            if !c.r.is_finite() {
                continue;
            }
            scratch.clear();
            scratch.extend(residuals(pts, c));
            let m = median(&mut scratch);
            if best.is_none_or(|b| m < b.0) {
                best = Some((m, c));
            }
        }
    }
    let (_, mut c) = best?;
    let mut keep = vec![true; n];
    for _ in 0..4 {
        let res = residuals(pts, c);
        let mut kept: Vec<f32> = res
            .iter()
            .zip(&keep)
            .filter(|(_, &k)| k)
            .map(|(&r, _)| r)
            .collect();
        let lim = (2.5 * 1.4826 * median(&mut kept)).max(1.0);
        for (k, r) in keep.iter_mut().zip(&res) {
            *k = f64::from(*r) <= lim;
        }
        let sel: Vec<(f64, f64)> = pts
            .iter()
            .zip(&keep)
            .filter(|(_, &k)| k)
            .map(|(p, _)| *p)
            .collect();
        c = fit_circle(&sel)?;
    }
    let res = residuals(pts, c);
    let mut kept: Vec<f32> = res
        .iter()
        .zip(&keep)
        .filter(|(_, &k)| k)
        .map(|(&r, _)| r)
        .collect();
    let lim = (2.5 * 1.4826 * median(&mut kept)).max(1.0);
    for (k, r) in keep.iter_mut().zip(&res) {
        *k = f64::from(*r) <= lim;
    }
    Some((c, keep))
}

/// Strongest dark-to-bright step along the ray from `(cx, cy)` at angle `a`, between radii
/// `lo` and `hi`, with step span `k`. Returns (radius, strength).
#[allow(clippy::too_many_arguments)]
fn ray_step(
    p: &Plane,
    raw: &GrayImage,
    cx: f64,
    cy: f64,
    a: f64,
    lo: f64,
    hi: f64,
    k: usize,
) -> Option<(f64, f64)> {
    let (ca, sa) = (a.cos(), a.sin());
    let start = (lo - k as f64).max(0.0);
    let n = (hi - start).ceil() as usize + k + 1;
    let mut prof = Vec::with_capacity(n);
    for i in 0..n {
        let r = start + i as f64;
        match p.sample(cx + r * ca, cy + r * sa) {
            Some(v) => prof.push(f64::from(v)),
            None => break,
        }
    }
    let mut best = (0usize, 0.0f64);
    let mut d = vec![0.0; prof.len()];
    for i in k..prof.len().saturating_sub(k) {
        let r = start + i as f64;
        let s: f64 = (1..=k).map(|j| prof[i + j] - prof[i - j]).sum::<f64>() / k as f64;
        d[i] = s;
        if r >= lo && r <= hi && s > best.1 {
            best = (i, s);
        }
    }
    if best.1 <= 0.0 {
        return None;
    }
    let i = best.0;
    // Specular reflections near the step make it unreliable.
    for j in i.saturating_sub(k + 2)..=(i + k + 2) {
        let r = start + j as f64;
        let (x, y) = ((cx + r * ca).round(), (cy + r * sa).round());
        if x >= 0.0
            && y >= 0.0
            && (x as u32) < raw.width()
            && (y as u32) < raw.height()
            && raw.get_pixel(x as u32, y as u32).0[0] >= SPECULAR
        {
            return None;
        }
    }
    let off = if i > 0 && i + 1 < d.len() {
        let (l, m, r) = (d[i - 1], d[i], d[i + 1]);
        let den = l - 2.0 * m + r;
        if den < 0.0 {
            (0.5 * (l - r) / den).clamp(-0.5, 0.5)
        } else {
            0.0
        }
    } else {
        0.0
    };
    // The step lies between samples i and i+1 when spans are symmetric about i.
    Some((start + i as f64 + off, best.1))
}

/// Pupil boundary on the ray from `(cx, cy)` at angle `a`: among the local maxima of the
/// dark-to-bright step (span `k`) between radii `lo` and `hi`, the strongest one that is
/// pupil-dark just inside (at most `dark`) and iris-bright just outside (at least `bright`),
/// with no specular pixel next to it. A lash line, a lid edge or a reflection touching the
/// pupil fails one of these tests, so the ray reports nothing rather than a wrong point.
#[allow(clippy::too_many_arguments)]
fn pupil_ray(
    p: &Plane,
    raw: &GrayImage,
    (cx, cy): (f64, f64),
    a: f64,
    (lo, hi): (f64, f64),
    k: usize,
    dark: f64,
    bright: f64,
) -> Option<f64> {
    let (ca, sa) = (a.cos(), a.sin());
    let start = (lo - k as f64 - 3.0).max(0.0);
    let n = (hi - start).ceil() as usize + k + 4;
    let mut prof = Vec::with_capacity(n);
    for i in 0..n {
        let r = start + i as f64;
        match p.sample(cx + r * ca, cy + r * sa) {
            Some(v) => prof.push(f64::from(v)),
            None => break,
        }
    }
    let m = prof.len();
    if m < 2 * k + 3 {
        return None;
    }
    let mut d = vec![0.0; m];
    for (i, di) in d.iter_mut().enumerate().take(m - k).skip(k) {
        *di = (1..=k).map(|j| prof[i + j] - prof[i - j]).sum::<f64>() / k as f64;
    }
    let specular_near = |i: usize| {
        (i.saturating_sub(k + 2)..=(i + k + 2)).any(|j| {
            let r = start + j as f64;
            let (x, y) = ((cx + r * ca).round(), (cy + r * sa).round());
            x >= 0.0
                && y >= 0.0
                && (x as u32) < raw.width()
                && (y as u32) < raw.height()
                && raw.get_pixel(x as u32, y as u32).0[0] >= SPECULAR
        })
    };
    let mut best: Option<(usize, f64)> = None;
    for i in (k + 1)..(m - k - 1) {
        let r = start + i as f64;
        if r < lo || r > hi || d[i] <= 0.0 || d[i] < d[i - 1] || d[i] < d[i + 1] {
            continue;
        }
        if best.is_some_and(|b| d[i] <= b.1) {
            continue;
        }
        let inside = prof[i.saturating_sub(k + 2)..=(i - k)].iter().sum::<f64>()
            / (i - k + 1 - i.saturating_sub(k + 2)) as f64;
        let hi_end = (i + k + 2).min(m - 1);
        let outside = prof[(i + k).min(m - 1)..=hi_end].iter().sum::<f64>()
            / (hi_end + 1 - (i + k).min(m - 1)) as f64;
        if inside > dark || outside < bright || specular_near(i) {
            continue;
        }
        best = Some((i, d[i]));
    }
    let (i, _) = best?;
    let (l, c, r) = (d[i - 1], d[i], d[i + 1]);
    let den = l - 2.0 * c + r;
    let off = if den < 0.0 {
        (0.5 * (l - r) / den).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    Some(start + i as f64 + off)
}

fn pupil_boundary(
    p: &Plane,
    raw: &GrayImage,
    c0: Circle,
    lo: f64,
    hi: f64,
) -> Option<(Circle, Vec<f64>, f64)> {
    let k = ((c0.r / 12.0).round() as usize).clamp(1, 4);
    // Grey of the pupil (inner half, reflections left out) and of what surrounds it.
    let mut inner = Vec::new();
    let mut outer = Vec::new();
    for i in 0..48 {
        let a = i as f64 * std::f64::consts::TAU / 48.0;
        for f in [0.15, 0.3, 0.45] {
            if let Some(v) = p.sample(c0.x + f * c0.r * a.cos(), c0.y + f * c0.r * a.sin()) {
                if v < f32::from(SPECULAR) - 40.0 {
                    inner.push(v);
                }
            }
        }
        for f in [1.4, 1.6, 1.8] {
            if let Some(v) = p.sample(c0.x + f * c0.r * a.cos(), c0.y + f * c0.r * a.sin()) {
                outer.push(v);
            }
        }
    }
    let gp = quantile(&mut inner, 0.25);
    let gi = median(&mut outer);
    if !(gp.is_finite() && gi.is_finite() && gi > gp) {
        return None;
    }
    let (dark, bright) = (gp + 0.4 * (gi - gp), gp + 0.55 * (gi - gp));
    let mut pts = Vec::with_capacity(PUPIL_RAYS);
    let mut angles = Vec::with_capacity(PUPIL_RAYS);
    for i in 0..PUPIL_RAYS {
        let a = i as f64 * std::f64::consts::TAU / PUPIL_RAYS as f64;
        if let Some(r) = pupil_ray(p, raw, (c0.x, c0.y), a, (lo, hi), k, dark, bright) {
            pts.push((c0.x + r * a.cos(), c0.y + r * a.sin()));
            angles.push(i);
        }
    }
    let (c, keep) = robust_circle(&pts)?;
    // The circle is fitted to the tight inliers. The radius function also keeps a point off
    // the circle by up to 12 % of the radius, or 15 % when the opposite ray is off the same
    // way (an elliptical, off-axis pupil is symmetric; a lash or lid edge on one side is not),
    // so that off-axis gaze shows in the circularity measure instead of losing its extremes as
    // outliers.
    // The support (share of rays on the tight fit) is what decides whether this is a pupil.
    let inliers = keep.iter().filter(|&&k| k).count();
    let mut dev: Vec<Option<(f64, bool)>> = vec![None; PUPIL_RAYS];
    for ((&(x, y), &i), &k) in pts.iter().zip(&angles).zip(&keep) {
        dev[i] = Some(((x - c.x).hypot(y - c.y), k));
    }
    let mut radii = vec![0.0; PUPIL_RAYS];
    for i in 0..PUPIL_RAYS {
        let Some((d, k)) = dev[i] else {
            continue;
        };
        let e = d - c.r;
        let symmetric = dev[(i + PUPIL_RAYS / 2) % PUPIL_RAYS]
            .is_some_and(|(o, _)| (o - c.r) * e > 0.0 && (o - c.r).abs() >= 0.5 * e.abs());
        if k || e.abs() <= 0.12 * c.r || (e.abs() <= 0.15 * c.r && symmetric) {
            radii[i] = d;
        }
    }
    Some((c, radii, inliers as f64 / PUPIL_RAYS as f64))
}

/// Angles (radians, image coordinates, y down) of the limbus rays: two lateral sectors from
/// 35 degrees above to 50 degrees below the horizontal.
fn limbus_angles() -> Vec<f64> {
    let mut v = Vec::new();
    let mut d = -35.0f64;
    while d <= 50.0 {
        v.push(d.to_radians());
        v.push(std::f64::consts::PI - d.to_radians());
        d += 2.5;
    }
    v
}

fn limbus(p: &Plane, raw: &GrayImage, pupil: Circle, from: (f64, f64)) -> Option<(Circle, f64)> {
    let pupil = Circle {
        x: from.0,
        y: from.1,
        ..pupil
    };
    let (w, h) = (p.w as f64, p.h as f64);
    let lo = (pupil.r / 0.75).max(pupil.r + 6.0);
    let hi = (pupil.r / 0.15).min(w.max(h) * 0.6);
    if hi <= lo + 4.0 {
        return None;
    }
    let k = ((pupil.r / 8.0).round() as usize).clamp(2, 6);
    let angles = limbus_angles();
    // Integro-differential: mean outward step over all rays, per radius.
    let n = (hi - lo).ceil() as usize + 1;
    let mut sum = vec![0.0f64; n];
    let mut cnt = vec![0u32; n];
    for &a in &angles {
        let (ca, sa) = (a.cos(), a.sin());
        let m = n + 2 * k + 1;
        let mut prof = Vec::with_capacity(m);
        for i in 0..m {
            let r = lo - k as f64 + i as f64;
            match p.sample(pupil.x + r * ca, pupil.y + r * sa) {
                Some(v) => prof.push(f64::from(v)),
                None => break,
            }
        }
        for i in 0..n {
            let j = i + k;
            if j + k >= prof.len() {
                break;
            }
            let s: f64 = (1..=k).map(|t| prof[j + t] - prof[j - t]).sum::<f64>() / k as f64;
            sum[i] += s;
            cnt[i] += 1;
        }
    }
    let min_rays = (angles.len() / 4) as u32;
    let mut best = (0usize, 0.0f64);
    for i in 0..n {
        if cnt[i] >= min_rays {
            let m = sum[i] / f64::from(cnt[i]);
            if m > best.1 {
                best = (i, m);
            }
        }
    }
    if best.1 <= 0.0 {
        return None;
    }
    let r0 = lo + best.0 as f64;
    // Per-ray steps near r0, then fit d(a) = R + u cos a + v sin a.
    let mut rows: Vec<(f64, f64, f64)> = Vec::new();
    for &a in &angles {
        if let Some((r, _)) = ray_step(p, raw, pupil.x, pupil.y, a, r0 * 0.8, r0 * 1.2, k) {
            rows.push((a, r, 1.0));
        }
    }
    if rows.len() < angles.len() / 4 {
        return None;
    }
    let mut sol = (r0, 0.0, 0.0);
    for _ in 0..4 {
        let sel: Vec<&(f64, f64, f64)> = rows.iter().filter(|r| r.2 > 0.0).collect();
        if sel.len() < 6 {
            return None;
        }
        sol = lsq3(&sel).unwrap_or(sol);
        let res: Vec<f64> = rows
            .iter()
            .map(|&(a, r, _)| (r - sol.0 - sol.1 * a.cos() - sol.2 * a.sin()).abs())
            .collect();
        let mut kept: Vec<f32> = res
            .iter()
            .zip(&rows)
            .filter(|(_, r)| r.2 > 0.0)
            .map(|(&e, _)| e as f32)
            .collect();
        let lim = (2.5 * median(&mut kept)).max(1.5);
        for (row, e) in rows.iter_mut().zip(&res) {
            row.2 = if *e <= lim { 1.0 } else { 0.0 };
        }
    }
    let inl = rows.iter().filter(|r| r.2 > 0.0).count() as f64 / angles.len() as f64;
    // Keep the centre offset plausible: at most 30 % of the radius.
    let off = sol.1.hypot(sol.2);
    let s = if off > 0.3 * sol.0 {
        0.3 * sol.0 / off
    } else {
        1.0
    };
    Some((
        Circle {
            x: pupil.x + sol.1 * s,
            y: pupil.y + sol.2 * s,
            r: sol.0,
        },
        inl,
    ))
}

/// Least squares for r = R + u cos a + v sin a.
fn lsq3(rows: &[&(f64, f64, f64)]) -> Option<(f64, f64, f64)> {
    let mut m = [[0.0f64; 3]; 3];
    let mut b = [0.0f64; 3];
    for &&(a, r, _) in rows {
        let f = [1.0, a.cos(), a.sin()];
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] += f[i] * f[j];
            }
            b[i] += f[i] * r;
        }
    }
    solve3(m, b).map(|x| (x[0], x[1], x[2]))
}

fn solve3(m: [[f64; 3]; 3], b: [f64; 3]) -> Option<[f64; 3]> {
    let det = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(&m);
    if d.abs() < 1e-9 {
        return None;
    }
    let mut x = [0.0; 3];
    for (k, xk) in x.iter_mut().enumerate() {
        let mut mk = m;
        for i in 0..3 {
            mk[i][k] = b[i];
        }
        *xk = det(&mk) / d;
    }
    Some(x)
}

fn median_filter(v: &[f64], half: usize) -> Vec<f64> {
    (0..v.len())
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(v.len());
            let mut s: Vec<f32> = v[lo..hi].iter().map(|&x| x as f32).collect();
            median(&mut s)
        })
        .collect()
}

/// Segments the eye; `None` when no pupil and iris can be found.
pub fn segment(img: &GrayImage) -> Option<Segmentation> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < 16 || h < 16 {
        return None;
    }
    let p = smooth3(img);
    coarse_pupil(img)?
        .into_iter()
        .find_map(|c0| segment_from(img, &p, c0))
}

/// Segmentation from one coarse pupil candidate.
fn segment_from(img: &GrayImage, p: &Plane, c0: Circle) -> Option<Segmentation> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let (rmin, rmax) = pupil_range(w, h);
    // The coarse blob can be only the core of the pupil (reflections split it): when its
    // rays find no boundary, look again from a larger radius.
    let (c1, _, _) = [1.0, 1.6].iter().find_map(|&f| {
        let c = Circle { r: c0.r * f, ..c0 };
        pupil_boundary(p, img, c, (c.r * 0.5).max(2.0), c.r * 1.9)
    })?;
    if !(c1.r >= rmin * 0.7 && c1.r <= rmax * 1.2) || c1.x.hypot(c1.y).is_nan() {
        return None;
    }
    let (pupil, radii, pupil_support) = pupil_boundary(p, img, c1, c1.r * 0.75, c1.r * 1.3)?;
    if pupil_support < 0.5 || pupil.r < rmin * 0.7 || pupil.r > rmax * 1.2 {
        return None;
    }
    let (first, _) = limbus(p, img, pupil, (pupil.x, pupil.y))?;
    // Again from the first estimate's centre, which is nearer the limbus centre.
    let (mut iris, mut iris_support) = limbus(p, img, pupil, (first.x, first.y))?;
    for _ in 0..2 {
        (iris, iris_support) = limbus(p, img, pupil, (iris.x, iris.y))?;
    }
    let iris = Circle {
        x: iris.x,
        y: iris.y,
        r: iris.r,
    };
    if iris.r < w.min(h) as f64 / 12.0 {
        return None;
    }
    if iris_support < 0.35 || iris.r < pupil.r * 1.3 {
        return None;
    }

    // Grey levels of the pupil and of the lateral iris (its own band, for the lids).
    let mut pup = Vec::new();
    let mut irs = Vec::new();
    let mut irs_inner = Vec::new();
    let mut scl = Vec::new();
    let ring = |rf: f64, n: usize, circle: Circle, sector: bool, out: &mut Vec<f32>| {
        for i in 0..n {
            let a = i as f64 * std::f64::consts::TAU / n as f64;
            if sector && a.sin() < -0.6 {
                continue; // upper sector: likely under the lid
            }
            if let Some(v) = p.sample(circle.x + rf * a.cos(), circle.y + rf * a.sin()) {
                out.push(v);
            }
        }
    };
    for f in [0.2, 0.4, 0.6] {
        ring(pupil.r * f, 48, pupil, false, &mut pup);
    }
    let span = iris.r - pupil.r;
    for f in [0.3, 0.45, 0.6, 0.75] {
        let rr = pupil.r + span * f;
        ring(rr, 96, Circle { r: rr, ..pupil }, true, &mut irs);
    }
    for f in [0.08, 0.15, 0.22] {
        let rr = pupil.r + span * f;
        ring(rr, 96, Circle { r: rr, ..pupil }, true, &mut irs_inner);
    }
    // Sclera: lateral only, 1.1 to 1.2 iris radii.
    for f in [1.1, 1.15, 1.2] {
        for i in 0..72 {
            let a = i as f64 * std::f64::consts::TAU / 72.0;
            if a.sin().abs() > 0.5 {
                continue;
            }
            if let Some(v) = p.sample(iris.x + iris.r * f * a.cos(), iris.y + iris.r * f * a.sin())
            {
                scl.push(v);
            }
        }
    }
    let grey_pupil = median(&mut pup);
    let grey_iris_inner = median(&mut irs_inner);
    // A pupil is clearly darker than the iris around it.
    let dark_enough = grey_iris_inner - grey_pupil >= (0.25 * grey_iris_inner).max(6.0);
    if !dark_enough {
        return None;
    }
    let iris_lo = quantile(&mut irs, 0.02);
    let iris_hi = quantile(&mut irs, 0.98);
    let grey_iris = median(&mut irs);
    let grey_sclera = median(&mut scl);
    let band = (iris_hi - iris_lo).max(6.0);
    let lo_t = (iris_lo - 0.15 * band).max(grey_pupil + 0.35 * (grey_iris - grey_pupil));
    let hi_t = iris_hi + 0.15 * band;

    // Lids: per column, going away from the pupil, the first run of 3 pixels brighter than
    // the iris can be (lid skin) ends the visible iris; then a robust parabola through the
    // columns where a lid was found (the lid margin is a smooth arch; a bright crypt rim or
    // fibre that stops one column early is an outlier). Lashes are dark and are not lid: they
    // are counted pixel by pixel in `usable_fraction`.
    let skin_t = if grey_sclera.is_finite() && grey_sclera > iris_hi {
        hi_t.max(grey_iris + 0.45 * (grey_sclera - grey_iris))
    } else {
        hi_t
    };
    let x0 = (iris.x - iris.r).floor() as i64;
    let x1 = (iris.x + iris.r).ceil() as i64;
    let ncol = (x1 - x0 + 1).max(1) as usize;
    let mut top = vec![0.0; ncol];
    let mut bottom = vec![0.0; ncol];
    let mut top_hits = Vec::new();
    let mut bottom_hits = Vec::new();
    for (i, (t, b)) in top.iter_mut().zip(bottom.iter_mut()).enumerate() {
        let x = x0 + i as i64;
        let dx = x as f64 - iris.x;
        let half = (iris.r * iris.r - dx * dx).max(0.0).sqrt();
        let (ytop, ybot) = (iris.y - half, iris.y + half);
        // Start at the pupil's edge in this column, or at the pupil's centre row.
        let dxp = x as f64 - pupil.x;
        let ph = (pupil.r * pupil.r - dxp * dxp).max(0.0).sqrt();
        let (su, sd) = if ph > 0.0 {
            (pupil.y - ph - 2.0, pupil.y + ph + 2.0)
        } else {
            (pupil.y, pupil.y)
        };
        *t = scan_lid(p, img, x, su, ytop, -1.0, skin_t);
        *b = scan_lid(p, img, x, sd, ybot, 1.0, skin_t);
        if *t > ytop + 1.0 && half > 0.2 * iris.r {
            top_hits.push((x as f64, *t));
        }
        if *b < ybot - 1.0 && half > 0.2 * iris.r {
            bottom_hits.push((x as f64, *b));
        }
    }
    let top = lid_curve(top, &top_hits, x0, iris, -1.0);
    let bottom = lid_curve(bottom, &bottom_hits, x0, iris, 1.0);

    let mut seg = Segmentation {
        pupil,
        iris,
        lid_top: top,
        lid_bottom: bottom,
        lid_x0: x0,
        pupil_radii: radii,
        grey_pupil,
        grey_iris,
        grey_sclera,
        grey_iris_inner,
        usable: 0.0,
    };
    seg.usable = usable_fraction(&seg, img, p, lo_t);
    Some(seg)
}

/// From row `y0` toward `y_end` (direction `dir`), the row where a run of 3 pixels brighter
/// than `skin` starts (specular pixels neither count nor break a run), or `y_end` when the
/// iris is visible all the way.
fn scan_lid(p: &Plane, raw: &GrayImage, x: i64, y0: f64, y_end: f64, dir: f64, skin: f64) -> f64 {
    if x < 0 || x as usize >= p.w {
        return y0;
    }
    let mut run = 0;
    let mut y = y0;
    let n = ((y_end - y0) * dir).max(0.0).ceil() as usize;
    for i in 0..=n {
        let yy = y0 + dir * i as f64;
        let yi = yy.round();
        if yi < 0.0 || yi as usize >= p.h {
            return if run > 0 { y } else { yy };
        }
        if raw.get_pixel(x as u32, yi as u32).0[0] >= SPECULAR {
            continue;
        }
        if f64::from(p.at(x as usize, yi as usize)) > skin {
            if run == 0 {
                y = yy;
            }
            run += 1;
            if run >= 3 {
                return y;
            }
        } else {
            run = 0;
        }
    }
    y_end
}

/// Least-squares parabola `y = a + b u + c u^2`, `u = (x - xc) / r`.
fn fit_parabola(pts: &[(f64, f64)], xc: f64, r: f64) -> Option<[f64; 3]> {
    let mut m = [[0.0f64; 3]; 3];
    let mut b = [0.0f64; 3];
    for &(x, y) in pts {
        let u = (x - xc) / r;
        let f = [1.0, u, u * u];
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] += f[i] * f[j];
            }
            b[i] += f[i] * y;
        }
    }
    solve3(m, b)
}

/// The lid line per column: a robust parabola through the columns where the scan met the lid
/// (least median of squares over spread triples, then least squares on the inliers), kept
/// within the iris circle. With fewer than 8 such columns (the lid barely touches the iris)
/// the per-column limits, median filtered over 9 columns, are used as they are.
fn lid_curve(raw_lim: Vec<f64>, hits: &[(f64, f64)], x0: i64, iris: Circle, dir: f64) -> Vec<f64> {
    let n = hits.len();
    if n < 8 {
        return median_filter(&raw_lim, 4);
    }
    let eval = |c: &[f64; 3], x: f64| {
        let u = (x - iris.x) / iris.r;
        c[0] + c[1] * u + c[2] * u * u
    };
    let mut best: Option<(f64, [f64; 3])> = None;
    let mut res: Vec<f32> = Vec::with_capacity(n);
    for step in [n / 3, n / 4] {
        if step == 0 {
            continue;
        }
        for i in 0..n.saturating_sub(2 * step) {
            let tri = [hits[i], hits[i + step], hits[i + 2 * step]];
            let Some(c) = fit_parabola(&tri, iris.x, iris.r) else {
                continue;
            };
            res.clear();
            res.extend(hits.iter().map(|&(x, y)| (y - eval(&c, x)).abs() as f32));
            let m = median(&mut res);
            if best.is_none_or(|b| m < b.0) {
                best = Some((m, c));
            }
        }
    }
    let Some((_, mut c)) = best else {
        return median_filter(&raw_lim, 4);
    };
    let mut inliers = 0;
    for _ in 0..3 {
        res.clear();
        res.extend(hits.iter().map(|&(x, y)| (y - eval(&c, x)).abs() as f32));
        let lim = (2.5 * 1.4826 * median(&mut res.clone())).max(2.0);
        let sel: Vec<(f64, f64)> = hits
            .iter()
            .zip(&res)
            .filter(|(_, &e)| f64::from(e) <= lim)
            .map(|(h, _)| *h)
            .collect();
        inliers = sel.len();
        if sel.len() < 6 {
            break;
        }
        c = fit_parabola(&sel, iris.x, iris.r).unwrap_or(c);
    }
    // A lid is an arch (upper: lowest at the sides; lower: highest at the sides), not steeply
    // tilted, and supported by most of its columns. Columns where the scan saw no lid must not
    // be deep inside the fitted one.
    let arch = c[2] * -dir >= -0.1 * iris.r && c[1].abs() <= 0.5 * iris.r;
    let contradicted = raw_lim
        .iter()
        .enumerate()
        .filter(|&(i, &y)| {
            let x = (x0 + i as i64) as f64;
            let dx = x - iris.x;
            let half = (iris.r * iris.r - dx * dx).max(0.0).sqrt();
            let edge = iris.y + dir * half;
            let no_lid = (y - edge).abs() <= 1.0;
            let inside = (eval(&c, x) - edge) * dir < -0.05 * iris.r;
            half > 0.2 * iris.r && no_lid && inside
        })
        .count();
    if !arch || inliers * 2 < n || contradicted > inliers {
        return median_filter(&raw_lim, 4);
    }
    (0..raw_lim.len())
        .map(|i| {
            let x = (x0 + i as i64) as f64;
            let dx = x - iris.x;
            let half = (iris.r * iris.r - dx * dx).max(0.0).sqrt();
            let y = eval(&c, x);
            y.clamp(iris.y - half, iris.y + half)
        })
        .collect()
}

/// Fraction of the iris annulus (between the two circles) inside the image, between the lids,
/// and neither eyelash (darker than `lash`) nor specular reflection.
fn usable_fraction(s: &Segmentation, img: &GrayImage, p: &Plane, lash: f64) -> f64 {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let (ix, iy, ir) = (s.iris.x, s.iris.y, s.iris.r);
    let (px, py, pr) = (s.pupil.x, s.pupil.y, s.pupil.r);
    let mut total = 0u64;
    let mut good = 0u64;
    let y0 = (iy - ir).floor() as i64;
    let y1 = (iy + ir).ceil() as i64;
    let x0 = (ix - ir).floor() as i64;
    let x1 = (ix + ir).ceil() as i64;
    let raw = img.as_raw();
    for y in y0..=y1 {
        for x in x0..=x1 {
            let (fx, fy) = (x as f64, y as f64);
            if (fx - ix).powi(2) + (fy - iy).powi(2) > ir * ir
                || (fx - px).powi(2) + (fy - py).powi(2) <= pr * pr
            {
                continue;
            }
            total += 1;
            if x < 0 || y < 0 || x >= w || y >= h {
                continue;
            }
            let col = (x - s.lid_x0) as usize;
            let (t, b) = match (s.lid_top.get(col), s.lid_bottom.get(col)) {
                (Some(&t), Some(&b)) => (t, b),
                _ => continue,
            };
            if fy < t || fy > b {
                continue;
            }
            let (xu, yu) = (x as usize, y as usize);
            // Lashes hang from the upper lid over its top band of iris; elsewhere dark pixels
            // are iris texture (crypts, the limbal ring) or the pupil's blurred edge.
            let lash_zone = fy - t < LASH_BAND * ir
                && (fx - px).powi(2) + (fy - py).powi(2) > (pr + 2.0).powi(2);
            if raw[yu * p.w + xu] >= SPECULAR || (lash_zone && f64::from(p.at(xu, yu)) < lash) {
                continue;
            }
            good += 1;
        }
    }

    if total == 0 {
        0.0
    } else {
        good as f64 / total as f64
    }
}
