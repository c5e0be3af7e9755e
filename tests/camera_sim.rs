//! The camera driver against firmware-sim's camera, plugged into nokhwa's own `Camera` through
//! its custom-backend seam: nokhwa's format negotiation and its YUYV and MJPEG decoders run as
//! they do for a V4L2 camera. Each fault's documented outcome (docs/protocols/camera.md).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use firmware_sim::camera::{CameraFault, CameraSim, SimCamera, SimCameraFactory, MODES};
use firmware_sim::synth::face::{Portrait, KTP_BLUE, KTP_RED};
use image::RgbImage;
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{CameraFormat, FrameFormat, RequestedFormat, RequestedFormatType, Resolution};
use rekam_camera::{BackendSource, Config, FormatChoice, Webcam};
use rekam_device::{
    Capture, CaptureRequest, DriverFactory, ErrorKind, Options, Pixels, Position, Selector,
};

fn camera(birth_year: i32) -> SimCamera {
    SimCamera::new(&CameraSim {
        birth_year,
        ..CameraSim::default()
    })
    .unwrap()
}

fn config(width: u32, height: u32, format: FormatChoice) -> Config {
    Config {
        width,
        height,
        format,
        frame_timeout: Duration::from_millis(400),
        settle_frames: 0,
        ..Config::default()
    }
}

fn open(cam: &SimCamera, c: Config) -> Webcam {
    Webcam::open(BackendSource::new("sim:0", "simcam", cam.backend()), c).unwrap()
}

fn rgb(c: &rekam_device::ImageCapture) -> &RgbImage {
    match &c.pixels {
        Pixels::Rgb(i) => i,
        Pixels::Gray(_) => panic!("a camera delivers colour"),
    }
}

/// The mean colour of a patch in the top-left corner (backdrop only).
fn corner(img: &RgbImage) -> [f64; 3] {
    let mut s = [0f64; 3];
    let mut n = 0.0;
    for y in 4..24 {
        for x in 4..24 {
            let p = img.get_pixel(x, y).0;
            for k in 0..3 {
                s[k] += f64::from(p[k]);
            }
            n += 1.0;
        }
    }
    s.map(|v| v / n)
}

fn near(got: [f64; 3], want: [u8; 3], tol: f64) -> bool {
    (0..3).all(|k| (got[k] - f64::from(want[k])).abs() <= tol)
}

#[test]
fn nokhwas_own_camera_api_runs_on_the_simulated_backend() {
    // No Rekam driver here: nokhwa's Camera, its format request and its decoder.
    let sim = camera(1991);
    let mut cam = nokhwa::Camera::with_custom(
        nokhwa::utils::CameraIndex::Index(0),
        nokhwa::utils::ApiBackend::Auto,
        Box::new(sim.backend()),
    );
    let formats = cam.compatible_camera_formats().unwrap();
    assert_eq!(formats.len(), MODES.len());
    let want = CameraFormat::new(Resolution::new(1280, 720), FrameFormat::MJPEG, 30);
    let got = cam
        .set_camera_requset(RequestedFormat::with_formats(
            RequestedFormatType::Closest(want),
            &[FrameFormat::MJPEG],
        ))
        .unwrap();
    assert_eq!(got, want);
    cam.open_stream().unwrap();
    let img = cam.frame().unwrap().decode_image::<RgbFormat>().unwrap();
    assert_eq!(img.dimensions(), (1280, 720));
    assert!(near(corner(&img), KTP_RED, 6.0), "{:?}", corner(&img));
    cam.stop_stream().unwrap();
}

#[test]
fn formats_are_listed_and_chosen() {
    let sim = camera(1990);
    let mut cam = open(&sim, config(640, 480, FormatChoice::Auto));
    assert_eq!(cam.formats().len(), 6);
    // Auto: YUYV where it is fast enough (640x480@30), MJPEG where it is not (YUYV 720p@10).
    assert_eq!(cam.preview_format().format(), FrameFormat::YUYV);
    let f = cam.set_preview(1280, 720, None).unwrap();
    assert_eq!((f.format(), f.frame_rate()), (FrameFormat::MJPEG, 30));
    let f = cam.set_preview(1280, 720, Some(FrameFormat::YUYV)).unwrap();
    assert_eq!((f.format(), f.frame_rate()), (FrameFormat::YUYV, 10));
    let e = cam.set_preview(800, 600, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("1280x720"), "{e}");
}

#[test]
fn preview_and_still_sizes_through_nokhwa() {
    let sim = camera(1990);
    for (w, h) in [(640, 480), (1280, 720)] {
        let mut cam = open(&sim, config(w, h, FormatChoice::Auto));
        let p = cam.preview_frame().unwrap();
        assert_eq!((p.width(), p.height()), (w, h));
        assert_eq!(p.position, Position::Face);
        let s = cam.still().unwrap();
        assert_eq!((s.width(), s.height()), (1920, 1080));
        assert_eq!(cam.still_format().format(), FrameFormat::YUYV);
        // Back at the preview size afterwards.
        let p = cam.preview_frame().unwrap();
        assert_eq!((p.width(), p.height()), (w, h));
    }
}

#[test]
fn the_backdrop_is_red_for_odd_and_blue_for_even_birth_years_after_decoding() {
    for format in [FormatChoice::Yuyv, FormatChoice::Mjpeg] {
        for (year, colour) in [(1991, KTP_RED), (1990, KTP_BLUE)] {
            let sim = camera(year);
            let mut cam = open(&sim, config(640, 480, format));
            let img = cam.preview_frame().unwrap();
            let got = corner(rgb(&img));
            // YUYV (studio range, 4:2:2) and JPEG round trips move a colour by a few levels.
            assert!(near(got, colour, 8.0), "{format:?} {year}: {got:?}");
            let other = if colour == KTP_RED { KTP_BLUE } else { KTP_RED };
            assert!(!near(got, other, 60.0));
        }
    }
}

#[test]
fn the_scene_changes_between_frames() {
    let sim = camera(1990);
    let mut cam = open(&sim, config(640, 480, FormatChoice::Yuyv));
    assert!(near(
        corner(rgb(&cam.preview_frame().unwrap())),
        KTP_BLUE,
        8.0
    ));
    sim.set_portrait(Portrait {
        birth_year: 1987,
        ..Portrait::default()
    });
    assert!(near(
        corner(rgb(&cam.preview_frame().unwrap())),
        KTP_RED,
        8.0
    ));
}

#[test]
fn no_frames_times_out_within_the_deadline_and_recovers() {
    let sim = camera(1990);
    let mut cam = open(&sim, config(640, 480, FormatChoice::Yuyv));
    cam.preview_frame().unwrap();
    sim.inject(CameraFault::NoFrames);
    let t = Instant::now();
    let e = cam.preview_frame().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(
        t.elapsed() < Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    assert!(e.to_string().contains("400 ms"), "{e}");
    // A still fails as quickly: while the camera is stalled, every call waits one frame
    // timeout, and the still does not wait again to switch back.
    let t = Instant::now();
    assert_eq!(cam.still().unwrap_err().kind(), ErrorKind::Timeout);
    assert!(
        t.elapsed() < Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    sim.clear_faults();
    let p = cam.preview_frame().unwrap();
    assert_eq!((p.width(), p.height()), (640, 480));
}

#[test]
fn a_stall_longer_than_the_deadline_times_out_once() {
    let sim = camera(1990);
    let mut cam = open(&sim, config(640, 480, FormatChoice::Yuyv));
    cam.preview_frame().unwrap();
    sim.inject(CameraFault::Stall { millis: 100 });
    cam.preview_frame().unwrap();
    sim.inject(CameraFault::Stall { millis: 1200 });
    assert_eq!(cam.preview_frame().unwrap_err().kind(), ErrorKind::Timeout);
    std::thread::sleep(Duration::from_millis(900));
    cam.preview_frame().unwrap();
}

#[test]
fn read_timeouts_are_retried_until_the_deadline() {
    let sim = camera(1990);
    let mut cam = open(&sim, config(640, 480, FormatChoice::Yuyv));
    sim.inject(CameraFault::Timeout { frames: 2 });
    cam.preview_frame().unwrap();
    sim.inject(CameraFault::Timeout { frames: u32::MAX });
    let t = Instant::now();
    assert_eq!(cam.preview_frame().unwrap_err().kind(), ErrorKind::Timeout);
    assert!(
        t.elapsed() < Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn garbage_is_re_grabbed_or_ends_in_a_protocol_error() {
    for format in [FormatChoice::Yuyv, FormatChoice::Mjpeg] {
        let sim = camera(1990);
        let mut cam = open(&sim, config(640, 480, format));
        sim.inject(CameraFault::Garbage { frames: 2 });
        let before = sim.frames_served();
        cam.preview_frame().unwrap();
        assert_eq!(sim.frames_served() - before, 3, "{format:?}");
        assert_eq!(cam.stats().damaged, 2);

        sim.inject(CameraFault::Garbage { frames: u32::MAX });
        let before = sim.frames_served();
        let e = cam.preview_frame().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{format:?}: {e}");
        // regrabs = 3: the frame and three fresh ones, then the driver gives up.
        assert_eq!(sim.frames_served() - before, 4);
        sim.clear_faults();
        cam.preview_frame().unwrap();
    }
}

#[test]
fn unplug_is_disconnected_and_a_replugged_camera_opens_again() {
    let sim = camera(1990);
    let mut cam = open(&sim, config(640, 480, FormatChoice::Yuyv));
    cam.preview_frame().unwrap();
    sim.inject(CameraFault::Unplug);
    let t = Instant::now();
    let e = cam.preview_frame().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Disconnected);
    assert!(t.elapsed() < Duration::from_millis(500));
    assert!(e.to_string().contains("USB cable"), "{e}");
    // Every later call fails the same way.
    assert_eq!(cam.still().unwrap_err().kind(), ErrorKind::Disconnected);
    sim.replug();
    assert_eq!(
        cam.preview_frame().unwrap_err().kind(),
        ErrorKind::Disconnected
    );
    let mut again = open(&sim, config(640, 480, FormatChoice::Yuyv));
    again.preview_frame().unwrap();
}

#[test]
fn busy_and_denied_cameras_fail_to_open_with_what_to_do() {
    let sim = camera(1990);
    sim.inject(CameraFault::Busy);
    let e = Webcam::open(
        BackendSource::new("sim:0", "simcam", sim.backend()),
        config(640, 480, FormatChoice::Auto),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Busy);
    assert!(e.to_string().contains("another program"), "{e}");
    sim.clear_faults();
    sim.inject(CameraFault::Denied);
    let e = Webcam::open(
        BackendSource::new("sim:0", "simcam", sim.backend()),
        config(640, 480, FormatChoice::Auto),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    assert!(e.to_string().contains("'video' group"), "{e}");
}

#[test]
fn dropping_a_stalled_camera_does_not_hang() {
    let sim = camera(1990);
    let mut cam = open(&sim, config(640, 480, FormatChoice::Yuyv));
    sim.inject(CameraFault::NoFrames);
    assert!(cam.preview_frame().is_err());
    let t = Instant::now();
    drop(cam);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    sim.clear_faults();
}

#[test]
fn the_simcam_driver_lists_opens_and_captures_through_the_device_trait() {
    let sim = camera(1991);
    let n = sim.plug_in();
    let listed = SimCameraFactory.list(&Default::default());
    let mine = listed
        .iter()
        .find(|d| d.selector == format!("camera:{n}"))
        .unwrap();
    assert!(
        mine.description.contains("red backdrop"),
        "{}",
        mine.description
    );
    assert!(mine.description.contains("MJPEG"), "{}", mine.description);
    let mut dev = SimCameraFactory
        .open(
            &Selector::Camera(n.to_string()),
            &Options::new()
                .set("width", 640)
                .set("height", 480)
                .set("settle_frames", 0),
        )
        .unwrap();
    let info = dev.info().unwrap();
    assert_eq!(info.model, firmware_sim::camera::MODEL);
    assert!(info
        .details
        .iter()
        .any(|(k, v)| k == "still" && v.contains("1920x1080")));
    let report = dev.self_test().unwrap();
    assert!(report.passed(), "{report:?}");
    let Capture::Image(img) = dev
        .capture(&CaptureRequest::new(Position::Face, Duration::from_secs(2)))
        .unwrap()
    else {
        panic!("a camera captures images")
    };
    assert_eq!((img.width(), img.height()), (1920, 1080));
    assert!(near(corner(rgb(&img)), KTP_RED, 8.0));
    dev.close().unwrap();
    let e = SimCameraFactory
        .open(&Selector::Camera("97".into()), &Options::new())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}
