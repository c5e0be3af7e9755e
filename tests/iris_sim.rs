//! The iris driver against the simulated scanner through the in-process USB link: commands,
//! the live guidance, both eyes, and every fault with its documented outcome.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use firmware_sim::iris::{IrisFirmware, IrisScenario, SimUsbLink, UsbFault};
use firmware_sim::synth::eye::EyeCondition;
use rekam_device::{Capture, CaptureRequest, Device, ErrorKind, Eye, Pixels, Position};
use rekam_iris::codec::{Eyes, Feedback, State};
use rekam_iris::{Config, Iris};

fn setup(scenario: IrisScenario) -> (Arc<Mutex<IrisFirmware>>, Iris<SimUsbLink>) {
    let fw = Arc::new(Mutex::new(IrisFirmware::new(scenario)));
    let mut iris = Iris::new(
        SimUsbLink::new(fw.clone()),
        Config {
            poll_interval: Duration::ZERO,
            reply_timeout: Duration::from_millis(300),
            ..Config::default()
        },
    )
    .unwrap();
    iris.connect().unwrap();
    (fw, iris)
}

fn typical() -> (Arc<Mutex<IrisFirmware>>, Iris<SimUsbLink>) {
    setup(IrisScenario::typical(5))
}

#[test]
fn info_and_self_test() {
    let (fw, mut iris) = typical();
    let info = iris.info().unwrap();
    assert_eq!(info.serial.as_deref(), Some("IR00000001"));
    assert_eq!(info.firmware.as_deref(), Some("1.4.2"));
    let report = iris.self_test().unwrap();
    assert!(report.passed(), "{report:?}");
    assert!(report
        .checks
        .iter()
        .any(|c| c.name == "temperature" && c.detail.contains("36.4")));
    fw.lock().unwrap().inject(UsbFault::IlluminatorFault);
    let report = iris.self_test().unwrap();
    assert!(!report.passed());
}

#[test]
fn both_eyes_with_live_guidance() {
    let (fw, mut iris) = typical();
    let mut seen = Vec::new();
    let images = iris
        .capture_eyes(Eyes::Both, Duration::from_secs(5), &mut |s| {
            seen.push((s.state, s.feedback))
        })
        .unwrap();
    let fw = fw.lock().unwrap();
    assert_eq!(images.left.as_ref(), fw.image(1).as_ref());
    assert_eq!(images.right.as_ref(), fw.image(2).as_ref());
    assert_ne!(images.left, images.right);
    let feedback: Vec<Feedback> = seen.iter().map(|s| s.1).collect();
    for f in [
        Feedback::MoveCloser,
        Feedback::MoveLeft,
        Feedback::OpenEyes,
        Feedback::HoldStill,
    ] {
        assert!(feedback.contains(&f), "{f:?} missing from {feedback:?}");
    }
    assert_eq!(seen.last().map(|s| s.0), Some(State::Done));
}

#[test]
fn device_trait_captures_one_eye() {
    let (_fw, mut iris) = typical();
    let c = iris
        .capture(&CaptureRequest::new(
            Position::Iris(Eye::Left),
            Duration::from_secs(5),
        ))
        .unwrap();
    let Capture::Image(img) = c else {
        panic!("image expected")
    };
    assert_eq!((img.width(), img.height()), (640, 480));
    assert!(matches!(img.pixels, Pixels::Gray(_)));
    assert_eq!(img.position, Position::Iris(Eye::Left));
    let e = iris
        .capture(&CaptureRequest::new(Position::Face, Duration::from_secs(1)))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn a_person_who_never_aligns_is_no_presentation() {
    let mut s = IrisScenario::typical(5);
    s.never_aligns = true;
    s.left = EyeCondition::Closed;
    let (_fw, mut iris) = setup(s);
    let t = Instant::now();
    let e = iris
        .capture_eyes(Eyes::Left, Duration::from_millis(200), &mut |_| {})
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoPresentation, "{e}");
    assert!(t.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_second_start_is_busy_but_a_retransmission_is_not() {
    use rekam_device::UsbLink;
    use rekam_iris::codec::{cmd, decode, status, Frame, EP_IN, EP_OUT};
    let fw = Arc::new(Mutex::new(IrisFirmware::new(IrisScenario::typical(5))));
    let mut link = SimUsbLink::new(fw);
    let t = Duration::from_millis(100);
    let mut start = |seq: u16| {
        let f = Frame::command(seq, cmd::START_CAPTURE, vec![1, 0x10, 0x27, 0, 0]);
        link.write_bulk(EP_OUT, &f.encode(), t).unwrap();
        let mut buf = vec![0u8; 16_384];
        let n = link.read_bulk(EP_IN, &mut buf, t).unwrap();
        decode(&buf[..n]).unwrap().code
    };
    assert_eq!(start(1), status::OK);
    assert_eq!(start(1), status::OK, "same sequence: the first reply again");
    assert_eq!(start(2), status::BUSY, "a new start while one runs");
}

#[test]
fn transient_faults_are_recovered() {
    for fault in [
        UsbFault::Stall(1),
        UsbFault::ShortRead(1),
        UsbFault::GarbageFrame(1),
    ] {
        let (fw, mut iris) = typical();
        fw.lock().unwrap().inject(fault);
        let images = iris
            .capture_eyes(Eyes::Right, Duration::from_secs(5), &mut |_| {})
            .unwrap();
        assert_eq!(images.right, fw.lock().unwrap().image(2), "{fault:?}");
        assert_eq!(iris.retries(), 1, "{fault:?}");
        // The capture ran once: the retransmission did not start a second one.
        assert_eq!(
            fw.lock()
                .unwrap()
                .received
                .iter()
                .filter(|&&c| c == 0x03)
                .count(),
            1,
            "{fault:?}"
        );
    }
}

#[test]
fn persistent_damage_is_a_protocol_error() {
    for fault in [
        UsbFault::ShortRead(u32::MAX),
        UsbFault::GarbageFrame(u32::MAX),
        UsbFault::Stall(u32::MAX),
    ] {
        let (fw, mut iris) = typical();
        fw.lock().unwrap().inject(fault);
        let e = iris.status().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{fault:?}: {e}");
        assert!(e.to_string().contains("USB cable"), "{e}");
    }
}

#[test]
fn silence_is_a_timeout_and_the_next_command_works() {
    let (fw, mut iris) = typical();
    fw.lock().unwrap().inject(UsbFault::Silent(1));
    let t = Instant::now();
    let e = iris.status().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(t.elapsed() < Duration::from_secs(2));
    iris.status().unwrap();
}

#[test]
fn unplug_mid_image_is_disconnected_and_replug_recovers() {
    let (fw, mut iris) = typical();
    fw.lock().unwrap().inject(UsbFault::UnplugAfter(12));
    let e = iris
        .capture_eyes(Eyes::Left, Duration::from_secs(5), &mut |_| {})
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Disconnected, "{e}");
    fw.lock().unwrap().replug();
    iris.connect().unwrap();
    iris.capture_eyes(Eyes::Left, Duration::from_secs(5), &mut |_| {})
        .unwrap();
}

#[test]
fn too_far_is_reported_in_the_guidance() {
    let mut s = IrisScenario::typical(5);
    s.approach = vec![firmware_sim::iris::Approach {
        distance_mm: 450,
        offset_x: 0,
        offset_y: 0,
        open: true,
    }];
    let (_fw, mut iris) = setup(s);
    let mut first = None;
    iris.capture_eyes(Eyes::Left, Duration::from_secs(5), &mut |s| {
        first.get_or_insert(*s);
    })
    .unwrap();
    let first = first.unwrap();
    assert_eq!(first.feedback, Feedback::MoveCloser);
    assert!(first.iris_diameter < 200, "{}", first.iris_diameter);
}
