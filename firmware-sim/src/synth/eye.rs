//! PLACEHOLDER until the synthetic eye generator lands.
#![allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EyeCondition {
    Good,
    FocusBlur,
    OffAxis,
    Occluded,
    Closed,
    TooFar,
    TooDark,
    MotionBlur,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Left,
    Right,
}
#[derive(Debug, Clone)]
pub struct EyeModel {
    seed: u64,
}
impl EyeModel {
    pub fn new(person_seed: u64, side: Side) -> EyeModel {
        EyeModel {
            seed: person_seed * 2 + u64::from(side == Side::Right),
        }
    }
}
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroundTruth {
    pub pupil_x: f64,
    pub pupil_y: f64,
    pub pupil_r: f64,
    pub iris_x: f64,
    pub iris_y: f64,
    pub iris_r: f64,
    pub upper_lid_y: f64,
    pub lower_lid_y: f64,
    pub visible_iris_fraction: f64,
}
pub fn render(
    model: &EyeModel,
    capture_seed: u64,
    condition: EyeCondition,
    width: u32,
    height: u32,
) -> (image::GrayImage, GroundTruth) {
    let (cx, cy) = (f64::from(width) / 2.0, f64::from(height) / 2.0);
    let ir = if condition == EyeCondition::TooFar {
        70.0
    } else {
        115.0
    };
    let pr = 40.0 + (capture_seed % 5) as f64;
    let img = image::GrayImage::from_fn(width, height, |x, y| {
        let d = ((f64::from(x) - cx).powi(2) + (f64::from(y) - cy).powi(2)).sqrt();
        let v = if d < pr {
            20
        } else if d < ir {
            90 + ((model.seed as f64 + d).sin() * 20.0) as i32
        } else {
            180
        };
        image::Luma([v as u8])
    });
    (
        img,
        GroundTruth {
            pupil_x: cx,
            pupil_y: cy,
            pupil_r: pr,
            iris_x: cx,
            iris_y: cy,
            iris_r: ir,
            upper_lid_y: cy - ir,
            lower_lid_y: cy + ir,
            visible_iris_fraction: 1.0,
        },
    )
}
