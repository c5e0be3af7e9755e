//! The separable two-channel wavelet transform of the WSQ specification: odd-length symmetric
//! filters, whole-sample symmetric extension at both ends of every row and column, low-pass
//! outputs at even positions and high-pass outputs at odd ones.

use crate::tree::{Split, Tree};

/// An odd-length symmetric filter pair, each given by its centre tap and the taps to one side.
#[derive(Debug, Clone, PartialEq)]
pub struct Filters {
    /// Analysis low-pass, centre first.
    pub lo: Vec<f64>,
    /// Analysis high-pass, centre first.
    pub hi: Vec<f64>,
}

impl Filters {
    /// The filters the specification gives for encoder number one (the 9/7 biorthogonal pair).
    pub fn fbi() -> Filters {
        Filters {
            lo: vec![
                0.852_698_679_009,
                0.377_402_855_613,
                -0.110_624_404_418,
                -0.023_849_465_020,
                0.037_828_455_507,
            ],
            hi: vec![
                0.788_485_616_406,
                -0.418_092_273_222,
                -0.040_689_417_609,
                0.064_538_882_629,
            ],
        }
    }

    /// Synthesis filters (centre first): the low-pass one is the modulated analysis high-pass,
    /// the high-pass one the modulated analysis low-pass.
    fn synthesis(&self) -> (Vec<f32>, Vec<f32>) {
        let sign = |j: usize| if j % 2 == 0 { 1.0 } else { -1.0 };
        let g0 = self
            .hi
            .iter()
            .enumerate()
            .map(|(j, &v)| (sign(j) * v) as f32)
            .collect();
        let g1 = self
            .lo
            .iter()
            .enumerate()
            .map(|(j, &v)| (sign(j) * v) as f32)
            .collect();
        (g0, g1)
    }

    /// The analysis filters in the precision the transform computes in.
    fn analysis(&self) -> Analysis {
        Analysis {
            lo: self.lo.iter().map(|&v| v as f32).collect(),
            hi: self.hi.iter().map(|&v| v as f32).collect(),
        }
    }
}

/// Analysis filters as `f32`.
#[derive(Debug)]
struct Analysis {
    lo: Vec<f32>,
    hi: Vec<f32>,
}

/// Whole-sample symmetric reflection of index `i` into `0..n`.
#[inline]
fn reflect(mut i: isize, n: isize) -> usize {
    if n == 1 {
        return 0;
    }
    loop {
        if i < 0 {
            i = -i;
        } else if i >= n {
            i = 2 * (n - 1) - i;
        } else {
            return i as usize;
        }
    }
}

/// Fills `ext` with `x` extended by `pad` samples each side.
fn extend(x: &[f32], pad: usize, ext: &mut Vec<f32>) {
    let n = x.len() as isize;
    ext.clear();
    for i in -(pad as isize)..n + pad as isize {
        ext.push(x[reflect(i, n)]);
    }
}

/// One line: `x` into `ceil(n/2)` low-pass and `floor(n/2)` high-pass samples.
fn analyze(x: &[f32], f: &Analysis, low: &mut [f32], high: &mut [f32], ext: &mut Vec<f32>) {
    let pad = f.lo.len().max(f.hi.len());
    extend(x, pad, ext);
    for (k, out) in low.iter_mut().enumerate() {
        let c = pad + 2 * k;
        let mut s = f.lo[0] * ext[c];
        for (j, &t) in f.lo.iter().enumerate().skip(1) {
            s += t * (ext[c - j] + ext[c + j]);
        }
        *out = s;
    }
    for (k, out) in high.iter_mut().enumerate() {
        let c = pad + 2 * k + 1;
        let mut s = f.hi[0] * ext[c];
        for (j, &t) in f.hi.iter().enumerate().skip(1) {
            s += t * (ext[c - j] + ext[c + j]);
        }
        *out = s;
    }
}

/// The inverse of [`analyze`].
fn synthesize(
    low: &[f32],
    high: &[f32],
    g: &(Vec<f32>, Vec<f32>),
    x: &mut [f32],
    scratch: &mut (Vec<f32>, Vec<f32>, Vec<f32>),
) {
    let n = x.len();
    let (g0, g1) = g;
    let pad = g0.len().max(g1.len());
    let (up, ext_l, ext_h) = scratch;
    up.clear();
    up.resize(n, 0.0);
    for (k, &v) in low.iter().enumerate() {
        up[2 * k] = v;
    }
    extend(up, pad, ext_l);
    up.iter_mut().for_each(|v| *v = 0.0);
    for (k, &v) in high.iter().enumerate() {
        up[2 * k + 1] = v;
    }
    extend(up, pad, ext_h);
    // Whole-sample reflection keeps a sample's parity, so the extended low-pass line is zero at
    // odd offsets and the high-pass line at even ones: output `m` takes only the taps `j` with
    // `m ± j` even from the low half and odd from the high half (the same sum as the full
    // convolution, without the products by zero).
    for (m, out) in x.iter_mut().enumerate() {
        let c = pad + m;
        let even = m % 2 == 0;
        let mut s = if even {
            g0[0] * ext_l[c]
        } else {
            g1[0] * ext_h[c]
        };
        for j in (if even { 2 } else { 1 }..g0.len()).step_by(2) {
            s += g0[j] * (ext_l[c - j] + ext_l[c + j]);
        }
        for j in (if even { 1 } else { 2 }..g1.len()).step_by(2) {
            s += g1[j] * (ext_h[c - j] + ext_h[c + j]);
        }
        *out = s;
    }
}

/// Runs `each(line, out, first, inv)` over every line of a split's region along one
/// direction: the line is gathered from the plane, and `out` is written back in its place.
/// `first` is the length of the half stored first (the low half, or the high half when the
/// split inverts that direction).
fn over_lines(
    plane: &mut [f32],
    stride: usize,
    s: &Split,
    along_x: bool,
    mut each: impl FnMut(&[f32], &mut [f32], usize, bool),
) {
    let r = s.region;
    let (len, lines) = if along_x { (r.w, r.h) } else { (r.h, r.w) };
    if len < 2 {
        return;
    }
    let inv = if along_x { s.inv_x } else { s.inv_y };
    let nl = len.div_ceil(2);
    let first = if inv { len - nl } else { nl };
    let mut line = vec![0.0f32; len];
    let mut out = vec![0.0f32; len];
    for l in 0..lines {
        let at = |i: usize| {
            if along_x {
                (r.y + l) * stride + r.x + i
            } else {
                (r.y + i) * stride + r.x + l
            }
        };
        for (i, v) in line.iter_mut().enumerate() {
            *v = plane[at(i)];
        }
        each(&line, &mut out, first, inv);
        for (i, v) in out.iter().enumerate() {
            plane[at(i)] = *v;
        }
    }
}

/// Applies one split's analysis along one direction of its region.
fn split_lines(plane: &mut [f32], stride: usize, s: &Split, f: &Analysis, along_x: bool) {
    let mut ext = Vec::new();
    over_lines(plane, stride, s, along_x, |line, out, first, inv| {
        let (a, b) = out.split_at_mut(first);
        let (low, high) = if inv { (b, a) } else { (a, b) };
        analyze(line, f, low, high, &mut ext);
    });
}

/// Applies one split's synthesis along one direction of its region.
fn join_lines(
    plane: &mut [f32],
    stride: usize,
    s: &Split,
    g: &(Vec<f32>, Vec<f32>),
    along_x: bool,
) {
    let mut scratch = (Vec::new(), Vec::new(), Vec::new());
    over_lines(plane, stride, s, along_x, |line, out, first, inv| {
        let (a, b) = line.split_at(first);
        let (low, high) = if inv { (b, a) } else { (a, b) };
        synthesize(low, high, g, out, &mut scratch);
    });
}

/// The forward transform in place: every split of the tree, rows then columns.
pub fn forward(plane: &mut [f32], width: usize, tree: &Tree, f: &Filters) {
    let a = f.analysis();
    let mut buf = Vec::new();
    for s in &tree.splits {
        split_lines(plane, width, s, &a, true);
        columns(
            plane,
            width,
            s,
            &Plan::analysis(s.region.h, s.inv_y, &a),
            &mut buf,
        );
    }
}

/// The inverse transform in place.
pub fn inverse(plane: &mut [f32], width: usize, tree: &Tree, f: &Filters) {
    let g = f.synthesis();
    let mut buf = Vec::new();
    for s in tree.splits.iter().rev() {
        columns(
            plane,
            width,
            s,
            &Plan::synthesis(s.region.h, s.inv_y, &g),
            &mut buf,
        );
        join_lines(plane, width, s, &g, true);
    }
}

/// One output sample of a line as the taps of the input line it sums, in the order the
/// one-line functions ([`analyze`], [`synthesize`]) add them, so both give the same bits:
/// `centre` weighted alone, then each pair `(a, b, w)` as `w * (x[a] + x[b])`.
#[derive(Debug, Default)]
struct Output {
    centre: (usize, f32),
    pairs: Vec<(usize, usize, f32)>,
}

/// The taps of every output position of a line of one length (positions as stored: the half
/// stored first, then the other).
#[derive(Debug)]
struct Plan {
    outputs: Vec<Output>,
}

impl Plan {
    /// Where the low and the high half of a line of `len` samples are stored.
    fn bases(len: usize, inv: bool) -> (usize, usize) {
        let nl = len.div_ceil(2);
        if inv {
            (len - nl, 0)
        } else {
            (0, nl)
        }
    }

    /// The analysis of a line of `len` samples (`len` >= 2).
    fn analysis(len: usize, inv: bool, f: &Analysis) -> Plan {
        let n = len as isize;
        let (lb, hb) = Plan::bases(len, inv);
        let mut outputs: Vec<Output> = (0..len).map(|_| Output::default()).collect();
        let tap = |c: usize, taps: &[f32]| Output {
            centre: (c, taps[0]),
            pairs: (1..taps.len())
                .map(|j| {
                    let j = j as isize;
                    let c = c as isize;
                    (reflect(c - j, n), reflect(c + j, n), taps[j as usize])
                })
                .collect(),
        };
        for k in 0..len.div_ceil(2) {
            outputs[lb + k] = tap(2 * k, &f.lo);
        }
        for k in 0..len / 2 {
            outputs[hb + k] = tap(2 * k + 1, &f.hi);
        }
        Plan { outputs }
    }

    /// The synthesis of a stored line of `len` samples (`len` >= 2).
    fn synthesis(len: usize, inv: bool, g: &(Vec<f32>, Vec<f32>)) -> Plan {
        let (g0, g1) = g;
        let n = len as isize;
        let (lb, hb) = Plan::bases(len, inv);
        // A position of the upsampled line: even ones hold low samples, odd ones high samples.
        let at = |i: isize| {
            let r = reflect(i, n);
            if r % 2 == 0 {
                lb + r / 2
            } else {
                hb + r / 2
            }
        };
        let outputs = (0..len)
            .map(|m| {
                let even = m % 2 == 0;
                let mi = m as isize;
                let centre = if even {
                    (at(mi), g0[0])
                } else {
                    (at(mi), g1[0])
                };
                let mut pairs = Vec::new();
                for j in (if even { 2 } else { 1 }..g0.len()).step_by(2) {
                    pairs.push((at(mi - j as isize), at(mi + j as isize), g0[j]));
                }
                for j in (if even { 1 } else { 2 }..g1.len()).step_by(2) {
                    pairs.push((at(mi - j as isize), at(mi + j as isize), g1[j]));
                }
                Output { centre, pairs }
            })
            .collect();
        Plan { outputs }
    }
}

/// Applies `plan` down every column of a split's region at once, a whole row of the region at
/// a time, so the pass reads the plane row by row (contiguous, vectorisable) rather than
/// gathering each column through the cache.
fn columns(plane: &mut [f32], stride: usize, s: &Split, plan: &Plan, buf: &mut Vec<f32>) {
    let r = s.region;
    if r.h < 2 {
        return;
    }
    let row = |i: usize| (r.y + i) * stride + r.x;
    buf.clear();
    buf.resize(r.w * r.h, 0.0);
    for (o, acc) in plan.outputs.iter().zip(buf.chunks_exact_mut(r.w)) {
        let (c, w) = o.centre;
        let src = &plane[row(c)..row(c) + r.w];
        for (v, &x) in acc.iter_mut().zip(src) {
            *v = w * x;
        }
        for &(a, b, w) in &o.pairs {
            let (ra, rb) = (&plane[row(a)..row(a) + r.w], &plane[row(b)..row(b) + r.w]);
            for ((v, &x), &y) in acc.iter_mut().zip(ra).zip(rb) {
                *v += w * (x + y);
            }
        }
    }
    for (i, acc) in buf.chunks_exact(r.w).enumerate() {
        plane[row(i)..row(i) + r.w].copy_from_slice(acc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_reconstruct_perfectly() {
        let f = Filters::fbi();
        let g = f.synthesis();
        for n in [2usize, 3, 4, 5, 8, 9, 17, 32, 33] {
            let x: Vec<f32> = (0..n).map(|i| ((i * 37 + 11) % 23) as f32 - 9.0).collect();
            let nl = n.div_ceil(2);
            let mut low = vec![0.0; nl];
            let mut high = vec![0.0; n - nl];
            let mut ext = Vec::new();
            analyze(&x, &f.analysis(), &mut low, &mut high, &mut ext);
            let mut back = vec![0.0; n];
            synthesize(
                &low,
                &high,
                &g,
                &mut back,
                &mut (Vec::new(), Vec::new(), Vec::new()),
            );
            for (a, b) in x.iter().zip(&back) {
                assert!((a - b).abs() < 1e-3, "n={n}: {x:?} -> {back:?}");
            }
        }
    }

    #[test]
    fn the_row_wise_column_pass_gives_the_line_functions_bits() {
        let f = Filters::fbi();
        let (a, g) = (f.analysis(), f.synthesis());
        for (w, h, inv) in [
            (7usize, 9usize, false),
            (7, 9, true),
            (5, 2, false),
            (6, 17, true),
        ] {
            let s = Split {
                region: crate::tree::Rect { x: 1, y: 2, w, h },
                inv_x: false,
                inv_y: inv,
            };
            let stride = w + 3;
            let orig: Vec<f32> = (0..stride * (h + 4))
                .map(|i| ((i * 7919) % 251) as f32 / 10.0)
                .collect();
            let (mut by_lines, mut by_rows) = (orig.clone(), orig.clone());
            split_lines(&mut by_lines, stride, &s, &a, false);
            columns(
                &mut by_rows,
                stride,
                &s,
                &Plan::analysis(h, inv, &a),
                &mut Vec::new(),
            );
            assert_eq!(by_lines, by_rows, "analysis {w}x{h} inv={inv}");
            join_lines(&mut by_lines, stride, &s, &g, false);
            columns(
                &mut by_rows,
                stride,
                &s,
                &Plan::synthesis(h, inv, &g),
                &mut Vec::new(),
            );
            assert_eq!(by_lines, by_rows, "synthesis {w}x{h} inv={inv}");
        }
    }

    #[test]
    fn planes_reconstruct_perfectly() {
        let f = Filters::fbi();
        for (w, h) in [(64, 64), (77, 91)] {
            let tree = Tree::new(w, h);
            let orig: Vec<f32> = (0..w * h)
                .map(|i| ((i * 7919) % 251) as f32 / 10.0)
                .collect();
            let mut p = orig.clone();
            forward(&mut p, w, &tree, &f);
            inverse(&mut p, w, &tree, &f);
            let worst = orig
                .iter()
                .zip(&p)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(worst < 1e-2, "{w}x{h}: {worst}");
        }
    }
}
