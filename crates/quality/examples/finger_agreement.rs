//! The fingerprint agreement set: generate it, and score it with [`rekam_quality::finger`].
//!
//! ```sh
//! export CARGO_TARGET_DIR=...   # as usual
//! # 1. Write the seeded image set (simulator prints and degraded variants) and its manifest.
//! cargo run --release -p rekam-quality --example finger_agreement -- generate /tmp/qfinger
//! # 2. Score it with NIST NFIQ 2 (slow; once: about 1707 x 110 ms) and with Rekam.
//! nfiq2.py --features /tmp/qfinger/m*.png > /tmp/qfinger/nfiq2.csv
//! cargo run --release -p rekam-quality --example finger_agreement -- score /tmp/qfinger > /tmp/qfinger/rekam.csv
//! # 3. Spearman's rho, training and held-out (docs/quality/finger.md, section 6).
//! python3 crates/quality/examples/finger_agreement.py /tmp/qfinger
//! # The serial module's 4-bit images of people outside the set, a further check:
//! cargo run --release -p rekam-quality --example finger_agreement -- generate-module /tmp/qmodule
//! # then steps 2 and 3 on /tmp/qmodule (nfiq2.py on /tmp/qmodule/r*.png).
//! # The real prints and their degradations (finger_real.py; a Python with numpy, scipy,
//! # Pillow and wsq), then steps 2 and 3 on /tmp/qreal (nfiq2.py on /tmp/qreal/x*.png):
//! python finger_real.py /tmp/qreal
//! # 4. Only when the measures change: refit the score model on the training fingers of both
//! #    sets and paste the printed constants into `model` in crates/quality/src/finger.rs.
//! python3 crates/quality/examples/finger_fit.py /tmp/qfinger /tmp/qreal:3
//! ```
//!
//! `score` writes CSV `path,score` followed by every measure, one row per image of the manifest,
//! so the same file serves the figure and a refit of the score model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use image::{GrayImage, Luma};
use rekam_synth::finger::{impression, Condition, MasterPrint};

/// Number of fingers (masters) in the set; masters with `index % 5 < 3` are the training set
/// (the first 90 alone were the set of the first model; more fingers, same seeds, were added).
const MASTERS: u64 = 240;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [cmd, dir] if cmd == "generate" => generate(Path::new(dir)),
        [cmd, dir] if cmd == "generate-module" => generate_module(Path::new(dir)),
        [cmd, dir] if cmd == "score" => score(Path::new(dir)),
        _ => {
            eprintln!("usage: finger_agreement generate DIR | generate-module DIR | score DIR");
            std::process::exit(2);
        }
    }
}

/// Split of a master: training or held-out.
fn split(master: u64) -> &'static str {
    if master % 5 < 3 {
        "train"
    } else {
        "test"
    }
}

/// A small deterministic generator (SplitMix64) so the set needs no extra dependency.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }
    fn gauss(&mut self) -> f64 {
        let u = self.uniform().max(1e-12);
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// One way of degrading a good impression, with its strength.
#[derive(Debug, Clone, Copy)]
enum Degrade {
    Blur(f64),
    Contrast(f64),
    Noise(f64),
    Partial(f64),
    Gamma(f64),
    Rotate(f64),
}

impl Degrade {
    fn pick(kind: u64, rng: &mut Rng) -> Degrade {
        match kind % 6 {
            0 => Degrade::Blur(rng.range(0.8, 4.0)),
            1 => Degrade::Contrast(rng.range(0.08, 0.6)),
            2 => Degrade::Noise(rng.range(5.0, 45.0)),
            3 => Degrade::Partial(rng.range(0.3, 0.8)),
            4 => {
                if rng.uniform() < 0.5 {
                    Degrade::Gamma(rng.range(0.25, 0.7))
                } else {
                    Degrade::Gamma(rng.range(1.5, 4.0))
                }
            }
            _ => Degrade::Rotate(rng.range(-60.0, 60.0)),
        }
    }

    fn label(self) -> String {
        match self {
            Degrade::Blur(s) => format!("blur{s:.2}"),
            Degrade::Contrast(k) => format!("contrast{k:.2}"),
            Degrade::Noise(s) => format!("noise{s:.1}"),
            Degrade::Partial(f) => format!("partial{f:.2}"),
            Degrade::Gamma(g) => format!("gamma{g:.2}"),
            Degrade::Rotate(a) => format!("rotate{a:.1}"),
        }
    }

    fn apply(self, img: &GrayImage, rng: &mut Rng) -> GrayImage {
        match self {
            Degrade::Blur(sigma) => image::imageops::blur(img, sigma as f32),
            Degrade::Contrast(k) => map(img, |v| 128.0 + (v - 128.0) * k + 60.0 * (1.0 - k)),
            Degrade::Noise(s) => {
                let mut out = img.clone();
                for p in out.pixels_mut() {
                    p.0[0] = (f64::from(p.0[0]) + s * rng.gauss())
                        .round()
                        .clamp(0.0, 255.0) as u8;
                }
                out
            }
            Degrade::Partial(keep) => partial(img, keep, rng),
            Degrade::Gamma(g) => map(img, |v| 255.0 * (v / 255.0).powf(g)),
            Degrade::Rotate(deg) => rotate(img, deg.to_radians()),
        }
    }
}

fn map(img: &GrayImage, f: impl Fn(f64) -> f64) -> GrayImage {
    let mut out = img.clone();
    for p in out.pixels_mut() {
        p.0[0] = f(f64::from(p.0[0])).round().clamp(0.0, 255.0) as u8;
    }
    out
}

/// Keeps a fraction `keep` of the image along one side (the finger placed off the sensor);
/// the rest is the sensor's white background.
fn partial(img: &GrayImage, keep: f64, rng: &mut Rng) -> GrayImage {
    let (w, h) = img.dimensions();
    let side = rng.next_u64() % 4;
    let mut out = img.clone();
    for (x, y, p) in out.enumerate_pixels_mut() {
        let (fx, fy) = (f64::from(x) / f64::from(w), f64::from(y) / f64::from(h));
        let inside = match side {
            0 => fx < keep,
            1 => fx > 1.0 - keep,
            2 => fy < keep,
            _ => fy > 1.0 - keep,
        };
        if !inside {
            *p = Luma([250]);
        }
    }
    out
}

/// Rotates about the centre (bilinear), filling with the sensor's white background.
fn rotate(img: &GrayImage, angle: f64) -> GrayImage {
    let (w, h) = img.dimensions();
    let (cx, cy) = (f64::from(w) / 2.0, f64::from(h) / 2.0);
    let (s, c) = angle.sin_cos();
    GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (f64::from(x) - cx, f64::from(y) - cy);
        let sx = c * dx + s * dy + cx;
        let sy = -s * dx + c * dy + cy;
        if sx < 0.0 || sy < 0.0 || sx > f64::from(w - 1) || sy > f64::from(h - 1) {
            return Luma([250]);
        }
        let (x0, y0) = (sx.floor() as u32, sy.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (ax, ay) = (sx - f64::from(x0), sy - f64::from(y0));
        let g = |x, y| f64::from(img.get_pixel(x, y).0[0]);
        let v = (g(x0, y0) * (1.0 - ax) + g(x1, y0) * ax) * (1.0 - ay)
            + (g(x0, y1) * (1.0 - ax) + g(x1, y1) * ax) * ay;
        Luma([v.round().clamp(0.0, 255.0) as u8])
    })
}

/// The conditions of the simulator other than Good, in turn.
const OTHERS: [Condition; 5] = [
    Condition::Dry,
    Condition::Wet,
    Condition::Smudged,
    Condition::Partial,
    Condition::LowContrast,
];

fn generate(dir: &Path) {
    std::fs::create_dir_all(dir).expect("create the output folder");
    let mut manifest = String::from("path,split,master,size,source\n");
    for m in 0..MASTERS {
        let person = 1000 + m;
        let finger = (m % 10) as u8 + 1;
        let master = MasterPrint::new(person, finger);
        let mut rng = Rng(m.wrapping_mul(0x51_7CC1_B727_220A) ^ 0xF1A6);
        // Sizes: the serial module's 256 x 288 for a third of the fingers, else 400 x 500.
        let (w, h) = if m % 3 == 0 { (256, 288) } else { (400, 500) };
        let mut items: Vec<(String, GrayImage)> = Vec::new();
        items.push((
            "good".into(),
            impression(&master, m * 10, Condition::Good, w, h),
        ));
        for k in 0..2 {
            let c = OTHERS[((m * 2 + k) % 5) as usize];
            items.push((
                c.name().into(),
                impression(&master, m * 10 + 1 + k, c, w, h),
            ));
        }
        if m % 9 == 4 {
            items.push((
                "blank".into(),
                impression(&master, m * 10 + 3, Condition::Blank, w, h),
            ));
        }
        for k in 0..3 {
            let base = impression(&master, m * 10 + 4 + k, Condition::Good, w, h);
            let d = Degrade::pick(m * 3 + k, &mut rng);
            items.push((format!("good+{}", d.label()), d.apply(&base, &mut rng)));
        }
        // A degraded variant of a non-good condition, so the knobs combine.
        let c = OTHERS[(m % 5) as usize];
        let base = impression(&master, m * 10 + 8, c, w, h);
        let d = Degrade::pick(m + 2, &mut rng);
        items.push((
            format!("{}+{}", c.name(), d.label()),
            d.apply(&base, &mut rng),
        ));

        for (i, (source, img)) in items.iter().enumerate() {
            let name = format!("m{m:03}_{i}.png");
            img.save(dir.join(&name)).expect("write an image");
            let _ = writeln!(manifest, "{name},{},{m},{w}x{h},{source}", split(m));
        }
    }
    std::fs::write(dir.join("manifest.csv"), manifest).expect("write the manifest");
}

/// A second, smaller set as the serial module delivers it: people 1-3 (none of them in the
/// main set), every finger, three Good and three Smudged impressions each with the module
/// simulator's seeds, at 256 x 288 and quantised to the module's 4 bits a pixel. Every image is
/// in the split `module`: none is used in fitting.
fn generate_module(dir: &Path) {
    std::fs::create_dir_all(dir).expect("create the output folder");
    let mut manifest = String::from("path,split,master,size,source\n");
    for person in 1u64..=3 {
        for finger in 1u8..=10 {
            let master = MasterPrint::new(person, finger);
            for c in [Condition::Good, Condition::Smudged] {
                for k in 0..3u64 {
                    // firmware_sim::fingerprint's seed for the k-th impression of a run.
                    let seed = person
                        .wrapping_mul(31)
                        .wrapping_add(u64::from(finger))
                        .wrapping_mul(1_000_003)
                        .wrapping_add(k);
                    let mut img = impression(&master, seed, c, 256, 288);
                    for p in img.pixels_mut() {
                        p.0[0] = (p.0[0] >> 4) * 17;
                    }
                    let name = format!("r{person}_{finger:02}_{}_{k}.png", c.name());
                    img.save(dir.join(&name)).expect("write an image");
                    let _ = writeln!(manifest, "{name},module,{person},256x288,{}", c.name());
                }
            }
        }
    }
    std::fs::write(dir.join("manifest.csv"), manifest).expect("write the manifest");
}

fn score(dir: &Path) {
    let manifest = std::fs::read_to_string(dir.join("manifest.csv")).expect("read manifest.csv");
    let mut header = false;
    for line in manifest.lines().skip(1) {
        let name = line.split(',').next().unwrap_or_default();
        let path: PathBuf = dir.join(name);
        let img = image::open(&path).expect("read an image").to_luma8();
        let r = rekam_quality::finger::assess(&img, 500).expect("assess");
        if !header {
            let names: Vec<&str> = r.measures.iter().map(|m| m.name).collect();
            println!("path,score,{}", names.join(","));
            header = true;
        }
        let values: Vec<String> = r.measures.iter().map(|m| format!("{}", m.value)).collect();
        println!("{name},{},{}", r.score, values.join(","));
    }
}
