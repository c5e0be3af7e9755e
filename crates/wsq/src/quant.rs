//! Scalar quantisation of the subbands and the bit allocation of the specification's encoder
//! number one (IAFIS-IC-0110 Part 3): bin widths from each subband's variance so that the
//! file comes out near a target bit rate.

use crate::tree::{Rect, Tree, CODED, SUBBANDS};

/// The bin centre parameter C written in the DQT segment.
pub const BIN_CENTER: f32 = 0.44;

/// Per-subband bin width Q and zero-bin width Z (0 where the subband is not coded).
#[derive(Debug, Clone, PartialEq)]
pub struct Bins {
    pub q: [f32; SUBBANDS],
    pub z: [f32; SUBBANDS],
}

fn variance(plane: &[f32], stride: usize, r: Rect, central: bool) -> f32 {
    let (x0, y0, w, h) = if central {
        (r.x + r.w / 8, r.y + 9 * r.h / 32, 3 * r.w / 4, 7 * r.h / 16)
    } else {
        (r.x, r.y, r.w, r.h)
    };
    let n = (w * h) as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mut sum, mut sq) = (0.0f64, 0.0f64);
    for y in y0..y0 + h {
        for &v in &plane[y * stride + x0..y * stride + x0 + w] {
            sum += f64::from(v);
            sq += f64::from(v) * f64::from(v);
        }
    }
    ((sq - sum * sum / n) / (n - 1.0)) as f32
}

/// The bin widths for a transformed plane at `bitrate` bits per pixel.
pub fn allocate(plane: &[f32], stride: usize, tree: &Tree, bitrate: f32) -> Bins {
    // Variances over each subband's central region; if the four lowest subbands vary little
    // in total, over the whole subbands instead (specification 3.1).
    let mut var = [0.0f32; CODED];
    for (k, v) in var.iter_mut().enumerate().take(4) {
        *v = variance(plane, stride, tree.bands[k], true);
    }
    let whole = var[..4].iter().sum::<f32>() < 20000.0;
    for (k, v) in var.iter_mut().enumerate() {
        *v = variance(plane, stride, tree.bands[k], !whole);
    }
    let a = |k: usize| match k {
        52 | 56 => 1.32,
        53 | 55 | 58 | 59 => 1.08,
        54 | 57 => 1.42,
        _ => 1.0,
    };
    // Each subband's share of the image area.
    let m = |k: usize| match k {
        0..=3 => 1.0 / 1024.0,
        4..=50 => 1.0 / 256.0,
        _ => 1.0 / 16.0,
    };
    let mut weight = [0.0f64; CODED];
    let mut coded = [false; CODED];
    for k in 0..CODED {
        if var[k] >= 1.01 {
            coded[k] = true;
            weight[k] = if k < 4 {
                1.0
            } else {
                10.0 / (a(k) * f64::from(var[k]).ln())
            };
        }
    }
    // Subbands whose bins would be wider than five standard deviations carry almost nothing:
    // they leave the computation of q (but keep their bins).
    let mut keep = coded;
    let sigma: Vec<f64> = var.iter().map(|&v| f64::from(v.max(0.0)).sqrt()).collect();
    let mut q = 0.0f64;
    loop {
        let s: f64 = (0..CODED).filter(|&k| keep[k]).map(m).sum();
        if s == 0.0 {
            break;
        }
        let log_p: f64 = (0..CODED)
            .filter(|&k| keep[k])
            .map(|k| m(k) * (sigma[k] / weight[k]).ln())
            .sum();
        q = (2f64.powf(f64::from(bitrate) / s - 1.0) / 2.5) / (log_p / s).exp();
        let mut dropped = false;
        for k in 0..CODED {
            if keep[k] && weight[k] / q >= 5.0 * sigma[k] {
                keep[k] = false;
                dropped = true;
            }
        }
        if !dropped {
            break;
        }
    }
    let mut bins = Bins {
        q: [0.0; SUBBANDS],
        z: [0.0; SUBBANDS],
    };
    for k in 0..CODED {
        if coded[k] && q > 0.0 {
            bins.q[k] = (weight[k] / q) as f32;
            bins.z[k] = 1.2 * bins.q[k];
        }
    }
    bins
}

/// Quantises one coefficient.
#[inline]
pub fn quantize(a: f32, q: f32, z: f32) -> i32 {
    let half = z / 2.0;
    if a > half {
        ((a - half) / q).floor() as i32 + 1
    } else if a < -half {
        ((a + half) / q).ceil() as i32 - 1
    } else {
        0
    }
}

/// The coefficient a quantised value stands for.
#[inline]
pub fn dequantize(v: i32, q: f32, z: f32, c: f32) -> f32 {
    match v {
        0 => 0.0,
        v if v > 0 => (v as f32 - c) * q + z / 2.0,
        v => (v as f32 + c) * q - z / 2.0,
    }
}
