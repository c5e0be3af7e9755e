//! The ISDV4 driver against firmware-sim over real pseudo-terminals, with faults.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use firmware_sim::sigpad::Signer;
use firmware_sim::synth::signature::Style;
use firmware_sim::{Fault, SigpadSim, SimConfig, Simulator};
use rekam_device::{Device, ErrorKind, SerialLink};
use rekam_sigpad::{Config, Isdv4};

fn sim() -> Simulator {
    Simulator::start(&SimConfig {
        fingerprint: None,
        signature_pad: Some(SigpadSim {
            speed: 8.0,
            reach_ms: 100,
            ..SigpadSim::default()
        }),
        ..SimConfig::default()
    })
    .unwrap()
}

fn pad(sim: &Simulator) -> Isdv4<SerialLink> {
    let path = sim.signature_pad().unwrap().path().display().to_string();
    let link = SerialLink::open(&path, 38_400).unwrap();
    Isdv4::new(
        link,
        Config {
            settle: Duration::from_millis(20),
            end_after: Duration::from_millis(300),
            query_timeout: Duration::from_millis(500),
            ..Config::default()
        },
    )
    .unwrap()
}

#[test]
fn query_reports_the_pads_ranges_and_firmware() {
    let sim = sim();
    let mut p = pad(&sim);
    let q = p.connect().unwrap();
    assert_eq!((q.max_x, q.max_y, q.max_pressure), (15_200, 9_500, 1023));
    let info = p.info().unwrap();
    assert_eq!(info.firmware.as_deref(), Some("0x0105"));
    assert!(p.self_test().unwrap().passed());
}

#[test]
fn a_signature_is_captured_as_strokes_and_the_stream_stopped() {
    let sim = sim();
    let mut p = pad(&sim);
    p.connect().unwrap();
    let sig = p.capture_signature(Duration::from_secs(5)).unwrap();
    assert!(!sig.strokes.is_empty());
    assert!(sig.point_count() > 20, "{} points", sig.point_count());
    for s in &sig.strokes {
        assert!(s.windows(2).all(|w| w[0].t_us <= w[1].t_us));
        assert!(s
            .iter()
            .all(|p| p.tip && p.x <= 15_200 && p.y <= 9_500 && p.pressure <= 1023));
    }
    // The pad was told to stop.
    std::thread::sleep(Duration::from_millis(50));
    assert!(!sim
        .signature_pad()
        .unwrap()
        .with_firmware(|fw| fw.streaming()));
    // Rendered, it has ink.
    let img = sig.render(400);
    assert!(img.pixels().filter(|p| p.0[0] < 128).count() > 100);
}

#[test]
fn nobody_signing_is_no_presentation() {
    let sim = sim();
    sim.signature_pad().unwrap().set_signer(Signer::Nobody);
    let mut p = pad(&sim);
    p.connect().unwrap();
    let e = p.capture_signature(Duration::from_millis(300)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoPresentation);
}

#[test]
fn a_dot_is_still_delivered_for_quality_to_judge() {
    let sim = sim();
    sim.signature_pad().unwrap().queue(Signer::Person {
        person: 3,
        style: Style::Dot,
        reach_ms: 50,
    });
    let mut p = pad(&sim);
    p.connect().unwrap();
    let sig = p.capture_signature(Duration::from_secs(5)).unwrap();
    assert!(sig.point_count() >= 1);
}

#[test]
fn silent_pad_is_a_timeout_naming_the_baud() {
    let sim = sim();
    sim.signature_pad()
        .unwrap()
        .inject(Fault::Silent { frames: u32::MAX });
    let mut p = pad(&sim);
    let e = p.connect().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(e.to_string().contains("38400"));
}

#[test]
fn a_query_reply_that_lost_a_byte_is_asked_for_again_and_the_open_succeeds() {
    let sim = sim();
    let pad_sim = sim.signature_pad().unwrap();
    // The next frame the pad sends is the reply to the first query: byte 5 of it is lost.
    pad_sim.inject(Fault::DropByte { frames: 1 });
    let mut p = pad(&sim);
    let started = Instant::now();
    let q = p.connect().unwrap();
    assert_eq!((q.max_x, q.max_y, q.max_pressure), (15_200, 9_500, 1023));
    assert_eq!(pad_sim.stats().frames_faulted, 1);
    // One short gap and a second query, not the whole query timeout (500 ms here).
    assert!(
        started.elapsed() < Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn noise_and_cut_packets_are_skipped() {
    let sim = sim();
    let pad_sim = sim.signature_pad().unwrap();
    let mut p = pad(&sim);
    p.connect().unwrap();
    pad_sim.inject(Fault::Noise { frames: 20 });
    pad_sim.inject(Fault::DropByte { frames: 10 });
    let sig = p.capture_signature(Duration::from_secs(5)).unwrap();
    assert!(sig.point_count() > 10);
    assert!(p.garbage() > 0);
}

#[test]
fn unplug_mid_signature_is_disconnected_without_hanging() {
    let sim = sim();
    let mut p = pad(&sim);
    p.connect().unwrap();
    sim.signature_pad()
        .unwrap()
        .inject(Fault::Unplug { after_bytes: 200 });
    let t = Instant::now();
    let e = p.capture_signature(Duration::from_secs(5)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Disconnected, "{e}");
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_line_that_stalls_mid_stroke_ends_the_signature() {
    let sim = sim();
    let mut p = pad(&sim);
    p.connect().unwrap();
    // Every report after the first 30 is withheld: the pen seems frozen mid-stroke.
    sim.signature_pad()
        .unwrap()
        .inject(Fault::Noise { frames: 30 });
    sim.signature_pad()
        .unwrap()
        .inject(Fault::Silent { frames: u32::MAX });
    let t = Instant::now();
    let e = p.capture_signature(Duration::from_secs(5));
    // Noise frames come first in the fault list, so 30 reports arrive, then silence.
    let sig = e.unwrap();
    assert!(sig.point_count() > 0);
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "ended by end_after, not max_duration"
    );
}

#[test]
fn busy_pad_is_busy() {
    let sim = sim();
    sim.signature_pad().unwrap().inject(Fault::Busy);
    let path = sim.signature_pad().unwrap().path().display().to_string();
    let e = SerialLink::open(&path, 38_400).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Busy);
}
