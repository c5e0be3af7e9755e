//! The driver on a scripted nokhwa backend: error mapping, retries and deadlines.
#![allow(clippy::unwrap_used)]

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nokhwa::camera_traits::CaptureBackendTrait;
use nokhwa::utils::{
    ApiBackend, CameraControl, CameraFormat, CameraIndex, CameraInfo, ControlValueSetter,
    FrameFormat, KnownCameraControl, Resolution,
};
use nokhwa::{Buffer, NokhwaError};
use rekam_device::{Device, ErrorKind};

use super::*;

/// What the scripted camera does at its next frame request.
#[derive(Debug, Clone)]
enum Step {
    /// A mid-grey frame of the right size.
    Good,
    /// A frame of half the right length.
    Short,
    /// A read error.
    Fail(NokhwaError),
    /// Wait, then a good frame.
    Block(Duration),
}

#[derive(Debug, Default)]
struct Script {
    steps: VecDeque<Step>,
    /// Every format set, in order.
    set: Vec<CameraFormat>,
    /// Frames served.
    served: u32,
}

/// A nokhwa backend that plays a script.
struct Scripted {
    info: CameraInfo,
    format: CameraFormat,
    formats: Vec<CameraFormat>,
    /// Returned by every call while set (a device refused at open).
    refuse: Option<NokhwaError>,
    open: bool,
    script: Arc<Mutex<Script>>,
}

fn fmt(f: FrameFormat, w: u32, h: u32, fps: u32) -> CameraFormat {
    CameraFormat::new(Resolution::new(w, h), f, fps)
}

impl Scripted {
    fn new(steps: Vec<Step>) -> (Self, Arc<Mutex<Script>>) {
        let script = Arc::new(Mutex::new(Script {
            steps: steps.into(),
            ..Script::default()
        }));
        let formats = vec![
            fmt(FrameFormat::YUYV, 64, 48, 30),
            fmt(FrameFormat::YUYV, 160, 120, 30),
            fmt(FrameFormat::GRAY, 320, 240, 30),
        ];
        (
            Self {
                info: CameraInfo::new("Scripted", "test", "", CameraIndex::Index(0)),
                format: formats[0],
                formats,
                refuse: None,
                open: false,
                script: script.clone(),
            },
            script,
        )
    }

    fn check(&self) -> Result<(), NokhwaError> {
        match &self.refuse {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

impl CaptureBackendTrait for Scripted {
    fn backend(&self) -> ApiBackend {
        ApiBackend::Auto
    }
    fn camera_info(&self) -> &CameraInfo {
        &self.info
    }
    fn refresh_camera_format(&mut self) -> Result<(), NokhwaError> {
        self.check()
    }
    fn camera_format(&self) -> CameraFormat {
        self.format
    }
    fn set_camera_format(&mut self, new_fmt: CameraFormat) -> Result<(), NokhwaError> {
        self.check()?;
        self.script.lock().unwrap().set.push(new_fmt);
        self.format = new_fmt;
        Ok(())
    }
    fn compatible_list_by_resolution(
        &mut self,
        fourcc: FrameFormat,
    ) -> Result<HashMap<Resolution, Vec<u32>>, NokhwaError> {
        self.check()?;
        let mut m: HashMap<Resolution, Vec<u32>> = HashMap::new();
        for f in self.formats.iter().filter(|f| f.format() == fourcc) {
            m.entry(f.resolution()).or_default().push(f.frame_rate());
        }
        Ok(m)
    }
    fn compatible_fourcc(&mut self) -> Result<Vec<FrameFormat>, NokhwaError> {
        self.check()?;
        let mut v: Vec<FrameFormat> = self.formats.iter().map(|f| f.format()).collect();
        v.dedup();
        Ok(v)
    }
    fn resolution(&self) -> Resolution {
        self.format.resolution()
    }
    fn set_resolution(&mut self, new_res: Resolution) -> Result<(), NokhwaError> {
        let mut f = self.format;
        f.set_resolution(new_res);
        self.set_camera_format(f)
    }
    fn frame_rate(&self) -> u32 {
        self.format.frame_rate()
    }
    fn set_frame_rate(&mut self, new_fps: u32) -> Result<(), NokhwaError> {
        let mut f = self.format;
        f.set_frame_rate(new_fps);
        self.set_camera_format(f)
    }
    fn frame_format(&self) -> FrameFormat {
        self.format.format()
    }
    fn set_frame_format(&mut self, fourcc: FrameFormat) -> Result<(), NokhwaError> {
        let mut f = self.format;
        f.set_format(fourcc);
        self.set_camera_format(f)
    }
    fn camera_control(&self, _: KnownCameraControl) -> Result<CameraControl, NokhwaError> {
        Err(NokhwaError::UnsupportedOperationError(ApiBackend::Auto))
    }
    fn camera_controls(&self) -> Result<Vec<CameraControl>, NokhwaError> {
        Ok(Vec::new())
    }
    fn set_camera_control(
        &mut self,
        _: KnownCameraControl,
        _: ControlValueSetter,
    ) -> Result<(), NokhwaError> {
        Err(NokhwaError::UnsupportedOperationError(ApiBackend::Auto))
    }
    fn open_stream(&mut self) -> Result<(), NokhwaError> {
        self.check()?;
        self.open = true;
        Ok(())
    }
    fn is_stream_open(&self) -> bool {
        self.open
    }
    fn frame(&mut self) -> Result<Buffer, NokhwaError> {
        if !self.open {
            return Err(NokhwaError::ReadFrameError("Stream Not Started".into()));
        }
        let step = {
            let mut s = self.script.lock().unwrap();
            s.served += 1;
            s.steps.pop_front().unwrap_or(Step::Good)
        };
        let n = self.format.width() as usize * self.format.height() as usize * 2;
        let grey = [128u8, 128].repeat(n / 2);
        match step {
            Step::Good => Ok(Buffer::new(
                self.format.resolution(),
                &grey,
                FrameFormat::YUYV,
            )),
            Step::Short => Ok(Buffer::new(
                self.format.resolution(),
                &grey[..n / 2],
                FrameFormat::YUYV,
            )),
            Step::Fail(e) => Err(e),
            Step::Block(d) => {
                std::thread::sleep(d);
                Ok(Buffer::new(
                    self.format.resolution(),
                    &grey,
                    FrameFormat::YUYV,
                ))
            }
        }
    }
    fn frame_raw(&mut self) -> Result<Cow<'_, [u8]>, NokhwaError> {
        Ok(Cow::Owned(self.frame()?.buffer().to_vec()))
    }
    fn stop_stream(&mut self) -> Result<(), NokhwaError> {
        self.open = false;
        Ok(())
    }
}

fn small() -> Config {
    Config {
        width: 64,
        height: 48,
        frame_timeout: Duration::from_millis(300),
        settle_frames: 0,
        ..Config::default()
    }
}

fn open(steps: Vec<Step>) -> (Webcam, Arc<Mutex<Script>>) {
    let (backend, script) = Scripted::new(steps);
    let cam = Webcam::open(
        BackendSource::new("scripted:0", "scripted", backend),
        small(),
    )
    .unwrap();
    (cam, script)
}

fn refused(text: &str) -> Error {
    let (mut backend, _) = Scripted::new(vec![]);
    backend.refuse = Some(NokhwaError::OpenDeviceError(
        "0".into(),
        format!("V4L2 Error: {text}"),
    ));
    Webcam::open(
        BackendSource::new("/dev/video0", "scripted", backend),
        small(),
    )
    .unwrap_err()
}

#[test]
fn busy_denied_and_missing_cameras_say_what_to_do() {
    let e = refused("Device or resource busy (os error 16)");
    assert_eq!(e.kind(), ErrorKind::Busy);
    let e = refused("Permission denied (os error 13)");
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    assert!(e.to_string().contains("'video' group"), "{e}");
    let e = refused("No such file or directory (os error 2)");
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn preview_and_still_sizes_and_the_switch_back() {
    let (mut cam, script) = open(vec![]);
    // GRAY is not decoded, so the still is the largest YUYV size.
    assert_eq!(cam.still_format(), fmt(FrameFormat::YUYV, 160, 120, 30));
    let p = cam.preview_frame().unwrap();
    assert_eq!((p.width(), p.height()), (64, 48));
    let s = cam.still().unwrap();
    assert_eq!((s.width(), s.height()), (160, 120));
    let p = cam.preview_frame().unwrap();
    assert_eq!((p.width(), p.height()), (64, 48));
    let set = script.lock().unwrap().set.clone();
    assert_eq!(
        set.iter().map(|f| f.width()).collect::<Vec<_>>(),
        vec![64, 160, 64]
    );
}

#[test]
fn one_damaged_frame_is_replaced() {
    let (mut cam, script) = open(vec![Step::Short]);
    cam.preview_frame().unwrap();
    assert_eq!(cam.stats().damaged, 1);
    assert_eq!(script.lock().unwrap().served, 2);
}

#[test]
fn damaged_frames_in_a_row_end_in_a_protocol_error() {
    let (mut cam, script) = open(vec![Step::Short; 10]);
    let e = cam.preview_frame().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.to_string().contains("4 damaged frames"), "{e}");
    // regrabs = 3: the first frame and three fresh ones.
    assert_eq!(script.lock().unwrap().served, 4);
}

#[test]
fn a_read_timeout_is_retried_within_the_deadline() {
    let timed_out = || {
        Step::Fail(NokhwaError::ReadFrameError(
            "Connection timed out (os error 110)".into(),
        ))
    };
    let (mut cam, _) = open(vec![timed_out(), timed_out()]);
    cam.preview_frame().unwrap();
    let (mut cam, _) = open(vec![timed_out(); 10_000]);
    let t = Instant::now();
    let e = cam.preview_frame().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

#[test]
fn a_blocked_camera_costs_the_deadline_not_a_hang() {
    let (mut cam, _) = open(vec![Step::Block(Duration::from_millis(1500))]);
    let t = Instant::now();
    let e = cam.preview_frame().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(
        t.elapsed() < Duration::from_millis(800),
        "{:?}",
        t.elapsed()
    );
    // Once the camera answers again, so does the driver: the late frame is thrown away.
    std::thread::sleep(Duration::from_millis(1400));
    cam.preview_frame().unwrap();
}

#[test]
fn a_vanished_camera_is_disconnected() {
    let (mut cam, _) = open(vec![Step::Fail(NokhwaError::ReadFrameError(
        "No such device (os error 19)".into(),
    ))]);
    let e = cam.preview_frame().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Disconnected);
    assert!(e.to_string().contains("USB cable"), "{e}");
}

#[test]
fn device_trait_reports_a_camera() {
    let (mut cam, _) = open(vec![]);
    let info = cam.info().unwrap();
    assert_eq!(info.kind, rekam_device::DeviceKind::Camera);
    assert_eq!(info.model, "Scripted");
    let report = cam.self_test().unwrap();
    // A uniform grey picture fails the picture check, with a hint about the lens.
    let picture = report.checks.iter().find(|c| c.name == "picture").unwrap();
    assert!(
        !picture.passed && picture.detail.contains("lens"),
        "{picture:?}"
    );
    cam.close().unwrap();
}

#[test]
fn options_name_the_bad_key() {
    let e = config("v4l", &Options::new().set("fps", 0)).unwrap_err();
    assert!(e.message().contains("'fps'"), "{}", e.message());
    let e = CameraFactory
        .open(&Selector::Serial("/dev/ttyUSB0".into()), &Options::new())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn listing_never_fails_without_cameras() {
    // On a machine with no /dev/video* this is empty with a note; with cameras, each has a
    // selector. Either way it returns.
    let (cams, notes) = list_v4l();
    assert!(cams.iter().all(|c| c.selector.starts_with("/dev/video")));
    if cams.is_empty() {
        assert!(!notes.is_empty());
    }
}
