//! PLACEHOLDER until the synthetic signature generator lands.
#![allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PenReport {
    pub t_ms: u32,
    pub x: u16,
    pub y: u16,
    pub pressure: u16,
    pub in_proximity: bool,
    pub tip: bool,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    Normal,
    Dot,
    StraightLine,
    TooSmall,
    TooFast,
}
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignatureSpec {
    pub max_x: u16,
    pub max_y: u16,
    pub max_pressure: u16,
    pub rate_hz: u32,
    pub style: Style,
}
pub fn generate(person_seed: u64, attempt_seed: u64, spec: &SignatureSpec) -> Vec<PenReport> {
    let _ = (person_seed, attempt_seed);
    let n = 200u32;
    let mut v: Vec<PenReport> = (0..n)
        .map(|i| {
            let t = f64::from(i) / f64::from(n);
            PenReport {
                t_ms: i * 1000 / spec.rate_hz.max(1),
                x: (f64::from(spec.max_x) * (0.2 + 0.6 * t)) as u16,
                y: (f64::from(spec.max_y) * (0.5 + 0.2 * (t * 20.0).sin())) as u16,
                pressure: spec.max_pressure / 2,
                in_proximity: true,
                tip: i > 5 && i < n - 5,
            }
        })
        .collect();
    if let Some(l) = v.last().copied() {
        v.push(PenReport {
            t_ms: l.t_ms + 8,
            in_proximity: false,
            tip: false,
            pressure: 0,
            ..l
        });
    }
    v
}
