//! The fixed WSQ decomposition (IAFIS-IC-0110 Part 1, the 64-subband partition): twenty 2-D
//! splits of image regions and the rectangle of each of the 64 subbands.

/// A rectangle in the coefficient plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rect {
    pub x: usize,
    pub y: usize,
    pub w: usize,
    pub h: usize,
}

/// One 2-D split: the region, and whether the high-pass output comes first along x (rows) or
/// y (columns). A region that came out of a high-pass filter has its spectrum mirrored, so
/// splitting it again puts the high-pass half first to keep the subbands in frequency order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Split {
    pub region: Rect,
    pub inv_x: bool,
    pub inv_y: bool,
}

/// Number of subbands.
pub const SUBBANDS: usize = 64;
/// Subbands that carry data (60-63 are always discarded).
pub const CODED: usize = 60;
/// Subbands of the three entropy-coded blocks.
pub const BLOCKS: [std::ops::Range<usize>; 3] = [0..19, 19..52, 52..60];

/// The decomposition of a `width` x `height` image.
#[derive(Debug, Clone)]
pub struct Tree {
    /// The splits in the order the forward transform applies them (a parent before its
    /// children); the inverse applies them backwards.
    pub splits: Vec<Split>,
    /// Every subband's rectangle.
    pub bands: [Rect; SUBBANDS],
}

/// The four quadrants of a split: top-left, top-right, bottom-left, bottom-right.
fn quadrants(s: &Split) -> [Rect; 4] {
    let r = s.region;
    // The low-pass half has ceil(n/2) samples, the high-pass half floor(n/2).
    let w1 = if s.inv_x { r.w / 2 } else { r.w.div_ceil(2) };
    let h1 = if s.inv_y { r.h / 2 } else { r.h.div_ceil(2) };
    [
        Rect {
            x: r.x,
            y: r.y,
            w: w1,
            h: h1,
        },
        Rect {
            x: r.x + w1,
            y: r.y,
            w: r.w - w1,
            h: h1,
        },
        Rect {
            x: r.x,
            y: r.y + h1,
            w: w1,
            h: r.h - h1,
        },
        Rect {
            x: r.x + w1,
            y: r.y + h1,
            w: r.w - w1,
            h: r.h - h1,
        },
    ]
}

impl Tree {
    /// The decomposition for an image of this size.
    pub fn new(width: usize, height: usize) -> Tree {
        let mut splits = Vec::with_capacity(20);
        let mut bands = [Rect::default(); SUBBANDS];
        let split = |region: Rect, inv_x: bool, inv_y: bool| Split {
            region,
            inv_x,
            inv_y,
        };
        // Whether quadrant q of a split is mirrored along x / y relative to frequency order:
        // in a non-inverted split the right (bottom) half is the high-pass output, which
        // mirrors; in an inverted one the right half is the low-pass output of an already
        // mirrored region. Either way, the right (bottom) half is the mirrored one.
        let flip = |q: usize| (q % 2 == 1, q >= 2);
        let root = split(
            Rect {
                x: 0,
                y: 0,
                w: width,
                h: height,
            },
            false,
            false,
        );
        splits.push(root);
        let q0 = quadrants(&root);
        // Level 1: the two mixed quadrants are split once (subbands 52-59); the high-high
        // quadrant is never coded (60-63); the low-low one goes on.
        let ll1 = split(q0[0], false, false);
        let hl1 = split(q0[1], true, false);
        let lh1 = split(q0[2], false, true);
        splits.extend([ll1, hl1, lh1]);
        for (i, r) in quadrants(&hl1).into_iter().enumerate() {
            bands[52 + i] = r;
        }
        for (i, r) in quadrants(&lh1).into_iter().enumerate() {
            bands[56 + i] = r;
        }
        for (i, r) in quadrants(&split(q0[3], true, true)).into_iter().enumerate() {
            bands[60 + i] = r;
        }
        // Level 2: the mixed quadrants of LL1 are split twice (19-34, 35-50), its high-high
        // quadrant is subband 51.
        let q1 = quadrants(&ll1);
        bands[51] = q1[3];
        let hl2 = split(q1[1], true, false);
        let lh2 = split(q1[2], false, true);
        splits.extend([hl2, lh2]);
        for (base, parent) in [(19, hl2), (35, lh2)] {
            let mut children = Vec::new();
            for (q, r) in quadrants(&parent).into_iter().enumerate() {
                let (fx, fy) = flip(q);
                let c = split(r, fx, fy);
                children.push(c);
            }
            splits.extend(children.iter().copied());
            for (c, child) in children.iter().enumerate() {
                for (q, r) in quadrants(child).into_iter().enumerate() {
                    bands[base + 4 * c + q] = r;
                }
            }
        }
        // LL2: split; its low quadrant (LL3) split into 4-6 and LL4 (0-3); its other three
        // quadrants split once (7-18).
        let ll2 = split(q1[0], false, false);
        splits.push(ll2);
        let q2 = quadrants(&ll2);
        let ll3 = split(q2[0], false, false);
        let others: Vec<Split> = (1..4)
            .map(|q| {
                let (fx, fy) = flip(q);
                split(q2[q], fx, fy)
            })
            .collect();
        splits.push(ll3);
        splits.extend(others.iter().copied());
        let q3 = quadrants(&ll3);
        bands[4] = q3[1];
        bands[5] = q3[2];
        bands[6] = q3[3];
        for (c, s) in others.iter().enumerate() {
            for (q, r) in quadrants(s).into_iter().enumerate() {
                bands[7 + 4 * c + q] = r;
            }
        }
        let ll4 = split(q3[0], false, false);
        splits.push(ll4);
        for (q, r) in quadrants(&ll4).into_iter().enumerate() {
            bands[q] = r;
        }
        Tree { splits, bands }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subbands_tile_the_image() {
        for (w, h) in [(512, 512), (540, 520), (357, 391), (64, 70)] {
            let t = Tree::new(w, h);
            let mut cover = vec![0u8; w * h];
            for b in &t.bands {
                for y in b.y..b.y + b.h {
                    for x in b.x..b.x + b.w {
                        cover[y * w + x] += 1;
                    }
                }
            }
            assert!(cover.iter().all(|&c| c == 1), "{w}x{h}");
            assert_eq!(t.splits.len(), 20);
        }
    }
}
