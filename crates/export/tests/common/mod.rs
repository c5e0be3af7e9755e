//! A sealed record for the export tests: ten synthetic prints (or nine and an amputated
//! finger), two synthetic eyes (or one and a missing eye), a synthetic portrait and a
//! signature, all from seeds.
#![allow(dead_code)]
use rekam_record::{
    sha256_hex, Attachment, CaptureDevice, CaptureEntry, CaptureStatus, Exception, ImageInfo,
    Manifest, Person, QualityEntry, Service, Sex, StationKey,
};
use rekam_synth::eye::{EyeCondition, EyeModel, Side};
use rekam_synth::finger::{impression, Condition, MasterPrint};

pub const FINGERS: [&str; 10] = [
    "right_thumb",
    "right_index",
    "right_middle",
    "right_ring",
    "right_little",
    "left_thumb",
    "left_index",
    "left_middle",
    "left_ring",
    "left_little",
];

fn png_gray(img: &image::GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

fn png_rgb(img: &image::RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

fn device() -> Option<CaptureDevice> {
    Some(CaptureDevice {
        driver: "r30x".into(),
        model: "test".into(),
        serial: None,
        firmware: None,
        simulated: true,
    })
}

fn entry(
    modality: &str,
    position: &str,
    file: &str,
    data: &[u8],
    image: Option<ImageInfo>,
) -> CaptureEntry {
    CaptureEntry {
        modality: modality.into(),
        position: position.into(),
        status: CaptureStatus::Captured,
        attempts: 1,
        quality: Some(QualityEntry {
            score: 80,
            threshold: 40,
            measures: vec![],
        }),
        file: Some(file.into()),
        sha256: Some(sha256_hex(data)),
        image,
        exception: None,
        device: device(),
    }
}

fn exception(modality: &str, position: &str, reason: &str, photo: &[u8]) -> CaptureEntry {
    CaptureEntry {
        modality: modality.into(),
        position: position.into(),
        status: CaptureStatus::Exception,
        attempts: 0,
        quality: None,
        file: None,
        sha256: None,
        image: None,
        exception: Some(Exception {
            reason: reason.into(),
            note: String::new(),
            photo_file: Some(format!("exceptions/{position}.png")),
            photo_sha256: Some(sha256_hex(photo)),
            approved_by: Some("sup-1".into()),
        }),
        device: None,
    }
}

fn info(w: u32, h: u32, ppi: Option<u32>, pixel: &str) -> Option<ImageInfo> {
    Some(ImageInfo {
        format: "png".into(),
        width: w,
        height: h,
        ppi,
        pixel: pixel.into(),
        source_levels: 256,
    })
}

/// A sealed record of person `seed`; with `exceptions`, the left little finger is amputated
/// and the left eye missing.
pub fn record(seed: u64, exceptions: bool) -> (Vec<u8>, StationKey) {
    let key = StationKey::from_seed([seed as u8; 32]);
    let mut m = Manifest::new(
        "ST-5171-01",
        "op-1",
        &key.public_hex(),
        Person {
            nik: "5171014507990002".into(),
            name: "Ni Kadek Ayu".into(),
            birth_date: "1999-07-05".into(),
            sex: Sex::Female,
            service: Service::New,
        },
    );
    let mut files = Vec::new();
    let photo = png_gray(&image::GrayImage::from_pixel(64, 48, image::Luma([90])));
    for (i, pos) in FINGERS.iter().enumerate() {
        if exceptions && *pos == "left_little" {
            let name = format!("exceptions/{pos}.png");
            m.captures
                .push(exception("finger", pos, "amputated", &photo));
            files.push(Attachment::new(name, photo.clone()));
            continue;
        }
        let master = MasterPrint::new(seed, i as u8 + 1);
        // The simulated R30x's size, and a larger one.
        let (w, h) = if i % 2 == 0 { (256, 288) } else { (320, 400) };
        let img = impression(&master, seed * 10 + i as u64, Condition::Good, w, h);
        let png = png_gray(&img);
        let name = format!("captures/{pos}.png");
        m.captures.push(entry(
            "finger",
            pos,
            &name,
            &png,
            info(w, h, Some(500), "gray8"),
        ));
        files.push(Attachment::new(name, png));
    }
    for (pos, side) in [("right_eye", Side::Right), ("left_eye", Side::Left)] {
        if exceptions && pos == "left_eye" {
            let name = format!("exceptions/{pos}.png");
            m.captures
                .push(exception("iris", pos, "missing_eye", &photo));
            files.push(Attachment::new(name, photo.clone()));
            continue;
        }
        let (img, _) = rekam_synth::eye::render(
            &EyeModel::new(seed, side),
            seed,
            EyeCondition::Good,
            640,
            480,
        );
        let png = png_gray(&img);
        let name = format!("captures/{pos}.png");
        m.captures.push(entry(
            "iris",
            pos,
            &name,
            &png,
            info(640, 480, None, "gray8"),
        ));
        files.push(Attachment::new(name, png));
    }
    let portrait = rekam_synth::face::Portrait {
        person: seed,
        birth_year: 1999,
        ..Default::default()
    };
    let face = rekam_synth::face::render(&portrait, 240, 320);
    let png = png_rgb(&face);
    m.captures.push(entry(
        "face",
        "face",
        "captures/face.png",
        &png,
        info(240, 320, None, "rgb8"),
    ));
    files.push(Attachment::new("captures/face.png", png));
    let sig = serde_json::json!({
        "strokes": [
            [{"t_us": 0, "x": 100, "y": 900, "pressure": 300, "tip": true},
             {"t_us": 5000, "x": 400, "y": 500, "pressure": 800, "tip": true},
             {"t_us": 9000, "x": 900, "y": 700, "pressure": 1023, "tip": true}],
            [{"t_us": 30000, "x": 1200, "y": 600, "pressure": 500, "tip": true},
             {"t_us": 35000, "x": 1500, "y": 300, "pressure": 200, "tip": true}]
        ],
        "max_x": 2000, "max_y": 1000, "max_pressure": 1023, "units_per_mm": 100,
        "duration_us": 35000
    });
    let sig = serde_json::to_vec(&sig).expect("json");
    m.captures.push(entry(
        "signature",
        "signature",
        "captures/signature.json",
        &sig,
        None,
    ));
    files.push(Attachment::new("captures/signature.json", sig));
    let bytes = rekam_record::seal(&m, &files, &key).expect("seal");
    (bytes, key)
}
