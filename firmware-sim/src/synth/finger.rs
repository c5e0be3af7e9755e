//! PLACEHOLDER until the synthetic fingerprint generator lands.
#![allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Condition {
    Good,
    Dry,
    Wet,
    Smudged,
    Partial,
    LowContrast,
    Blank,
}
#[derive(Debug, Clone)]
pub struct MasterPrint {
    seed: u64,
}
impl MasterPrint {
    pub fn new(person_seed: u64, finger_code: u8) -> MasterPrint {
        MasterPrint {
            seed: person_seed ^ u64::from(finger_code),
        }
    }
    pub fn class(&self) -> &'static str {
        "arch"
    }
}
pub fn impression(
    master: &MasterPrint,
    impression_seed: u64,
    condition: Condition,
    width: u32,
    height: u32,
) -> image::GrayImage {
    let k = (master.seed % 7) as f64 * 0.1 + 0.6;
    image::GrayImage::from_fn(width, height, |x, y| {
        if condition == Condition::Blank {
            return image::Luma([250]);
        }
        let v =
            ((f64::from(x) * k + f64::from(y) * 0.3 + (impression_seed % 5) as f64) * 0.66).sin();
        image::Luma([(128.0 + 100.0 * v) as u8])
    })
}
