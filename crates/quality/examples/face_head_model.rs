//! Checks the head model (`face::measure::Head`) against the simulated portraits' true
//! heads: for persons 1..=40 at 1920 x 1080 (the 3:4 photo cut out) and 640 x 480, where
//! the detector's box lies relative to the drawn crown, chin and eyes, in box heights.
//!
//! `cargo run --release -j1 -p rekam-quality --example face_head_model`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use rekam_quality::face::{detect_faces, portrait_crop, portrait_crop_rect};
use rekam_synth::face::{head_geometry, render, Portrait};

fn main() {
    for (w, h) in [(1920u32, 1080u32), (1280, 720), (640, 480)] {
        let mut rows = Vec::new();
        for person in 1..=40u64 {
            let p = Portrait {
                person,
                ..Portrait::default()
            };
            let frame = render(&p, w, h);
            let g = head_geometry(&p, w, h).unwrap();
            let r = portrait_crop_rect(w, h);
            let photo = portrait_crop(&frame);
            let faces = detect_faces(&photo);
            let Some(f) = faces.first() else {
                println!("{w}x{h} person {person}: no face");
                continue;
            };
            let (by, bh) = (f64::from(f.y), f64::from(f.height));
            let crown = (by - f64::from(g.crown)) / bh;
            let hair = (by - f64::from(g.hair_top)) / bh;
            let chin = (f64::from(g.chin) - by) / bh;
            let eyes = (f64::from(g.eyes) - by) / bh;
            let cx = (f64::from(g.centre_x) - f64::from(r.x) - f64::from(f.x) - bh / 2.0) / bh;
            let ratio = f64::from(g.chin - g.crown) / f64::from(h);
            rows.push([crown, hair, chin, eyes, cx, ratio]);
            println!(
                "{w}x{h} p{person:2} faces {} box {}  crown-above {crown:.3} hair-above {hair:.3} chin-below-top {chin:.3} eyes {eyes:.3} dx {cx:+.3} true ratio {ratio:.3}",
                faces.len(),
                f.height
            );
        }
        let n = rows.len() as f64;
        let mean = |k: usize| rows.iter().map(|r| r[k]).sum::<f64>() / n;
        let sd = |k: usize| {
            let m = mean(k);
            (rows.iter().map(|r| (r[k] - m).powi(2)).sum::<f64>() / n).sqrt()
        };
        println!(
            "{w}x{h}: n {n} crown-above {:.3} ± {:.3}, hair-above {:.3}, chin-below-top {:.3} ± {:.3}, eyes {:.3}, dx {:+.3}",
            mean(0),
            sd(0),
            mean(1),
            mean(2),
            sd(2),
            mean(3),
            mean(4)
        );
    }
}
