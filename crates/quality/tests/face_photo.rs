//! Face quality of photographs from files (`assess_photo`, what `rekam quality --modality face`
//! runs): the face may be anywhere in an image of any shape, and the framing is judged against
//! the image's own edges.
//!
//! Real photographs: scikit-image's astronaut (`skimage.data.astronaut()`, a NASA portrait),
//! saved by a Python named by `REKAM_PYTHON` (`.ci/run` makes one with scikit-image) into a
//! temporary folder at run time; nothing is committed. Each case is derived from it here: cut
//! so the head is cut off at an edge, padded so the face is small or off centre, a tall crop
//! with the head near the top, the head keyed onto a plain backdrop with a flag or another
//! person behind, JPEG-encoded. Without `REKAM_PYTHON` those tests are skipped, except under CI
//! (`CI` set), where they fail. The simulated portraits of `rekam-synth` need nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use image::{Rgb, RgbImage};
use rekam_quality::face::{
    assess_photo, background_for_birth_year, code, limits, Background, ACCEPT_SCORE,
};
use rekam_quality::QualityReport;

const BLUE: [u8; 3] = [30, 110, 200];
const GREY: [u8; 3] = [128, 128, 128];

fn codes(r: &QualityReport) -> Vec<&'static str> {
    r.feedback.iter().map(|f| f.code).collect()
}

fn python() -> Option<PathBuf> {
    match std::env::var_os("REKAM_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must set REKAM_PYTHON to a Python with scikit-image installed")
        }
        None => None,
    }
}

/// scikit-image's astronaut, 512 x 512, or `None` (skipped) without `REKAM_PYTHON`.
fn astronaut() -> Option<RgbImage> {
    let Some(python) = python() else {
        eprintln!("skipped: REKAM_PYTHON is not set (a Python with scikit-image)");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("astronaut.png");
    let out = Command::new(&python)
        .arg("-c")
        .arg(
            "import sys, skimage.data, skimage.io\n\
             skimage.io.imsave(sys.argv[1], skimage.data.astronaut(), check_contrast=False)",
        )
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scikit-image failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img = image::open(&path).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (512, 512));
    Some(img)
}

fn crop(img: &RgbImage, x: u32, y: u32, w: u32, h: u32) -> RgbImage {
    image::imageops::crop_imm(img, x, y, w, h).to_image()
}

/// `img` on a larger plain canvas, `l`, `t`, `r`, `b` pixels added on each side.
fn pad(img: &RgbImage, (l, t, r, b): (u32, u32, u32, u32), colour: [u8; 3]) -> RgbImage {
    let mut out = RgbImage::from_pixel(img.width() + l + r, img.height() + t + b, Rgb(colour));
    image::imageops::replace(&mut out, img, i64::from(l), i64::from(t));
    out
}

/// The astronaut's head and shoulders' top (columns 140-310, rows 0-200), keyed out of her grey
/// studio backdrop, pasted onto `img` scaled by `s` with the head's centre (225, 98 in the
/// photograph) at `(cx, cy)`.
fn paste_head(img: &mut RgbImage, astronaut: &RgbImage, (cx, cy): (f64, f64), s: f64) {
    let (w, h) = img.dimensions();
    for ty in 0..h {
        for tx in 0..w {
            let sx = 225.0 + (f64::from(tx) - cx) / s;
            let sy = 98.0 + (f64::from(ty) - cy) / s;
            if !(140.0..310.0).contains(&sx) || !(0.0..200.0).contains(&sy) {
                continue;
            }
            let p = *astronaut.get_pixel(sx as u32, sy as u32);
            let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
            let studio = r > 170 && g > 160 && b > 150 && (r - b).abs() < 40;
            if !studio {
                img.put_pixel(tx, ty, p);
            }
        }
    }
}

/// A striped flag (red and white stripes, a dark blue canton) at `(x0, y0)`, `w` x `h`.
fn paste_flag(img: &mut RgbImage, (x0, y0): (u32, u32), (w, h): (u32, u32)) {
    for y in y0..(y0 + h).min(img.height()) {
        for x in x0..(x0 + w).min(img.width()) {
            let canton = x - x0 < w * 2 / 5 && y - y0 < h * 7 / 13;
            let red = ((y - y0) * 13 / h) % 2 == 0;
            let c = if canton {
                [40, 50, 120]
            } else if red {
                [190, 30, 45]
            } else {
                [240, 240, 240]
            };
            img.put_pixel(x, y, Rgb(c));
        }
    }
}

/// The astronaut's head on a plain blue 300 x 400 (3:4) backdrop at ICAO proportions.
fn on_blue(astronaut: &RgbImage) -> RgbImage {
    let mut img = RgbImage::from_pixel(300, 400, Rgb(BLUE));
    paste_head(&mut img, astronaut, (150.0, 200.0), 1.8);
    img
}

#[test]
fn a_portrait_on_a_plain_backdrop_is_accepted_also_as_jpeg() {
    let Some(a) = astronaut() else { return };
    let photo = on_blue(&a);
    let r = assess_photo(&photo, Some(background_for_birth_year(1990))).unwrap();
    assert!(r.feedback.is_empty(), "{:?} {:?}", codes(&r), r.measures);
    assert!(r.score >= ACCEPT_SCORE);
    assert_eq!(r.measure("background_sides"), Some(3.0));
    // JPEG-encoded (the format every camera and phone writes) and read back.
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode_image(&photo)
        .unwrap();
    let back = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
        .unwrap()
        .to_rgb8();
    let r = assess_photo(&back, Some(Background::Blue)).unwrap();
    assert!(r.feedback.is_empty(), "{:?} {:?}", codes(&r), r.measures);
    // The wrong colour for the birth year is still told.
    let r = assess_photo(&back, Some(Background::Red)).unwrap();
    assert_eq!(codes(&r), [code::WRONG_BACKGROUND_COLOUR]);
}

#[test]
fn a_head_cut_by_an_edge_is_cut_off_and_the_message_names_the_edge() {
    let Some(a) = astronaut() else { return };
    // Her face box is at (176, 68), 98 x 98; hair from row 15, chin at row 178.
    for (name, img, measure, edge) in [
        ("top", crop(&a, 100, 60, 260, 300), "cut_top", "TOP"),
        ("bottom", crop(&a, 100, 0, 260, 150), "cut_bottom", "BOTTOM"),
        ("left", crop(&a, 190, 0, 250, 300), "cut_left", "LEFT"),
        ("right", crop(&a, 0, 0, 260, 300), "cut_right", "RIGHT"),
    ] {
        let r = assess_photo(&img, None).unwrap();
        assert_eq!(
            r.measure("face_count"),
            Some(1.0),
            "{name}: {:?}",
            codes(&r)
        );
        assert!(
            r.has_feedback(code::FACE_CUT_OFF),
            "{name}: {:?}",
            codes(&r)
        );
        let cut = r
            .feedback
            .iter()
            .find(|f| f.code == code::FACE_CUT_OFF)
            .unwrap();
        assert!(cut.en.contains(edge), "{name}: {}", cut.en);
        assert!(cut.id.len() > 40);
        assert!(
            r.measure(measure).unwrap() > limits::MAX_HEAD_OUTSIDE,
            "{name}: {:?}",
            r.measures
        );
        assert!(r.score < ACCEPT_SCORE);
    }
    // The whole photograph: nothing cut off.
    let r = assess_photo(&a, None).unwrap();
    assert!(!r.has_feedback(code::FACE_CUT_OFF), "{:?}", codes(&r));
    for m in ["cut_top", "cut_bottom", "cut_left", "cut_right"] {
        assert_eq!(r.measure(m), Some(0.0), "{m}");
    }
}

#[test]
fn a_small_face_in_a_large_image_is_found_and_too_small() {
    let Some(a) = astronaut() else { return };
    // The photograph in the middle of a grey canvas three times its size: the face box is
    // 6 % of the side.
    let img = pad(&a, (512, 512, 512, 512), GREY);
    let r = assess_photo(&img, None).unwrap();
    assert_eq!(r.measure("face_count"), Some(1.0), "{:?}", codes(&r));
    assert!(r.has_feedback(code::FACE_TOO_SMALL), "{:?}", codes(&r));
    assert!(!r.has_feedback(code::FACE_CUT_OFF), "{:?}", codes(&r));
    assert!(r.measure("face_height_ratio").unwrap() < 0.2);
    assert!(r.measure("centre_offset_x").unwrap().abs() < limits::MAX_OFFSET_X);
}

#[test]
fn a_face_to_one_side_of_a_wide_image_is_off_centre() {
    let Some(a) = astronaut() else { return };
    // Her head and shoulders (the top 240 rows), then 500 grey columns to the right.
    let img = pad(&crop(&a, 0, 0, 512, 240), (0, 0, 500, 0), [150, 150, 150]);
    let r = assess_photo(&img, None).unwrap();
    assert_eq!(r.measure("face_count"), Some(1.0), "{:?}", codes(&r));
    assert!(r.has_feedback(code::OFF_CENTRE), "{:?}", codes(&r));
    assert!(r.measure("centre_offset_x").unwrap() < -0.2);
    assert!(!r.has_feedback(code::FACE_TOO_SMALL), "{:?}", codes(&r));
    assert!(!r.has_feedback(code::FACE_CUT_OFF), "{:?}", codes(&r));
}

#[test]
fn a_tall_portrait_is_found_with_its_head_near_the_top_and_its_background_measured() {
    let Some(a) = astronaut() else { return };
    // 210 x 512: a centred 3:4 crop of it would keep rows 116-396 and lose the head.
    let img = crop(&a, 120, 0, 210, 512);
    let r = assess_photo(&img, None).unwrap();
    assert_eq!(r.measure("face_count"), Some(1.0), "{:?}", codes(&r));
    assert!(r.has_feedback(code::OFF_CENTRE), "{:?}", codes(&r));
    assert!(r.measure("centre_offset_y").unwrap() < -0.2);
    assert!(r.has_feedback(code::FACE_TOO_SMALL), "{:?}", codes(&r));
    // The head fills the width: both sides are measured in the top corners.
    assert!(
        r.measure("background_sides").unwrap() >= 2.0,
        "{:?}",
        r.measures
    );
    assert!(r.measure("background_uniformity").is_some());
}

#[test]
fn a_flag_or_another_person_behind_is_noticed_when_the_crown_touches_the_top() {
    let Some(a) = astronaut() else { return };
    // 300 x 212, the hair's top at the first row: the centred 3:4 crop (159 wide) would hold
    // the head alone, leaving no background beside or above it.
    let mut top = RgbImage::from_pixel(300, 212, Rgb(BLUE));
    paste_head(&mut top, &a, (150.0, 84.0), 1.0);
    let plain = assess_photo(&top, Some(Background::Blue)).unwrap();
    assert!(
        !plain.has_feedback(code::BACKGROUND_NOT_PLAIN),
        "{:?} {:?}",
        codes(&plain),
        plain.measures
    );
    assert!(plain.measure("background_sides").unwrap() >= 2.0);

    let mut flag = top.clone();
    paste_flag(&mut flag, (0, 10), (45, 90));
    let r = assess_photo(&flag, Some(Background::Blue)).unwrap();
    assert!(
        r.has_feedback(code::BACKGROUND_NOT_PLAIN),
        "{:?} {:?}",
        codes(&r),
        r.measures
    );
    assert!(r.score < ACCEPT_SCORE);

    // Another person behind her right shoulder, smaller (further back).
    let mut two = RgbImage::from_pixel(300, 212, Rgb(BLUE));
    paste_head(&mut two, &a, (255.0, 70.0), 0.6);
    paste_head(&mut two, &a, (150.0, 84.0), 1.0);
    let r = assess_photo(&two, Some(Background::Blue)).unwrap();
    assert!(
        r.has_feedback(code::BACKGROUND_NOT_PLAIN),
        "{:?} {:?}",
        codes(&r),
        r.measures
    );
    assert!(r.score < ACCEPT_SCORE);
}

#[test]
fn a_flag_behind_a_well_framed_head_is_not_plain() {
    let Some(a) = astronaut() else { return };
    // In a 3:4 portrait at ICAO proportions the head and hair take most of the width; a flag
    // hanging behind shows in the top corner.
    let mut img = on_blue(&a);
    paste_flag(&mut img, (0, 0), (60, 130));
    let r = assess_photo(&img, Some(Background::Blue)).unwrap();
    assert_eq!(codes(&r), [code::BACKGROUND_NOT_PLAIN], "{:?}", r.measures);
}

// ---- The simulated portraits (rekam-synth) as files ----

mod simulated {
    use rekam_quality::face::{
        assess_frame, assess_photo, background_for_birth_year, code, limits, portrait_crop,
        ACCEPT_SCORE,
    };
    use rekam_synth::face::{render, Portrait};

    use super::codes;

    fn person(person: u64) -> Portrait {
        Portrait {
            person,
            birth_year: 1980 + person as i32,
            ..Portrait::default()
        }
    }

    #[test]
    fn the_station_s_photos_pass_as_files_as_they_passed_live() {
        for n in 1..=40 {
            let p = person(n);
            let frame = render(&p, 1280, 720);
            let bg = Some(background_for_birth_year(p.birth_year));
            let live = assess_frame(&frame, bg).unwrap();
            // What the record keeps is the 3:4 crop; as a file it is judged whole.
            let r = assess_photo(&portrait_crop(&frame), bg).unwrap();
            assert!(
                r.feedback.is_empty() && live.feedback.is_empty(),
                "person {n}: file {:?} live {:?}",
                codes(&r),
                codes(&live)
            );
            assert!(r.score >= ACCEPT_SCORE);
        }
    }

    #[test]
    fn framing_faults_in_a_three_by_four_photo_each_get_their_reason() {
        let d = || Portrait {
            birth_year: 1991,
            ..Portrait::default()
        };
        let cases = [
            // Offsets are fractions of the photo's width and height.
            (
                Portrait {
                    offset: (0.42, 0.0),
                    ..d()
                },
                code::FACE_CUT_OFF,
                "RIGHT",
            ),
            (
                Portrait {
                    offset: (-0.42, 0.0),
                    ..d()
                },
                code::FACE_CUT_OFF,
                "LEFT",
            ),
            (
                Portrait {
                    offset: (0.0, -0.3),
                    ..d()
                },
                code::FACE_CUT_OFF,
                "TOP",
            ),
            (
                Portrait {
                    offset: (0.0, 0.35),
                    ..d()
                },
                code::FACE_CUT_OFF,
                "BOTTOM",
            ),
            (
                Portrait {
                    distance: 1.6,
                    ..d()
                },
                code::FACE_TOO_SMALL,
                "",
            ),
            (
                Portrait {
                    distance: 0.8,
                    ..d()
                },
                code::FACE_TOO_LARGE,
                "",
            ),
        ];
        for (p, want, edge) in &cases {
            let img = render(p, 600, 800);
            let r = assess_photo(&img, Some(background_for_birth_year(p.birth_year))).unwrap();
            assert!(
                r.has_feedback(want),
                "{p:?}: {:?} {:?}",
                codes(&r),
                r.measures
            );
            assert!(r.score < ACCEPT_SCORE);
            let fb = r.feedback.iter().find(|f| f.code == *want).unwrap();
            assert!(fb.en.contains(edge), "{p:?}: {}", fb.en);
            if *want == code::FACE_TOO_SMALL {
                assert!(
                    !r.has_feedback(code::FACE_CUT_OFF),
                    "{p:?}: {:?}",
                    codes(&r)
                );
            }
        }
        // To one side of a 16:9 picture: off centre, not cut off (in a 3:4 photo the head
        // and hair fill most of the width, so a head that far aside is cut off too).
        let p = Portrait {
            offset: (0.3, 0.0),
            ..d()
        };
        let r = assess_photo(&render(&p, 1280, 720), None).unwrap();
        assert!(r.has_feedback(code::OFF_CENTRE), "{:?}", codes(&r));
        assert!(!r.has_feedback(code::FACE_CUT_OFF), "{:?}", codes(&r));
        assert!(r.measure("centre_offset_x").unwrap() > limits::MAX_OFFSET_X);
        // Far away and to the side in a wide picture: found, too small and off centre.
        let p = Portrait {
            distance: 2.5,
            offset: (0.5, 0.0),
            ..d()
        };
        let r = assess_photo(&render(&p, 1600, 900), None).unwrap();
        assert!(r.has_feedback(code::FACE_TOO_SMALL), "{:?}", codes(&r));
        assert!(r.has_feedback(code::OFF_CENTRE), "{:?}", codes(&r));
        assert!(r.measure("centre_offset_x").unwrap() > limits::MAX_OFFSET_X);
    }
}
