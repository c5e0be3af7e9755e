//! The R30x driver against firmware-sim over real pseudo-terminals: every command and every
//! injected fault, each with its documented outcome (recovered, or a specific error kind).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use firmware_sim::fingerprint::{Idle, ModuleSettings, Placement};
use firmware_sim::synth::finger::Condition;
use firmware_sim::{Fault, FingerprintSim, SimConfig, Simulator};
use rekam_device::{
    Capture, CaptureRequest, Device, DriverFactory, ErrorKind, Finger, Options, Pixels, Position,
    Selector, SerialLink,
};
use rekam_fingerprint::{Config, R30x, R30xFactory};

fn sim_with(f: FingerprintSim) -> Simulator {
    Simulator::start(&SimConfig {
        fingerprint: Some(f),
        signature_pad: None,
        run_dir: None,
        camera: None,
    })
    .unwrap()
}

fn sim() -> Simulator {
    sim_with(FingerprintSim::default())
}

fn port(sim: &Simulator) -> String {
    sim.fingerprint().unwrap().path().display().to_string()
}

fn scanner(sim: &Simulator) -> R30x<SerialLink> {
    let link = SerialLink::open(&port(sim), 57_600).unwrap();
    R30x::new(link, Config::default()).unwrap()
}

fn gray(c: Capture) -> image::GrayImage {
    match c {
        Capture::Image(i) => match i.pixels {
            Pixels::Gray(g) => g,
            Pixels::Rgb(_) => panic!("expected grey"),
        },
        Capture::Pen(_) => panic!("expected an image"),
    }
}

#[test]
fn connect_reads_parameters_and_product_info() {
    let sim = sim();
    let mut s = scanner(&sim);
    let p = s.connect().unwrap();
    assert_eq!(p.baud, 57_600);
    assert_eq!(p.packet_size, 128);
    assert_eq!(p.address, 0xFFFF_FFFF);
    assert_eq!(s.product_info().unwrap().serial, "SIM00001");
    assert_eq!(s.image_size(), (256, 288));
}

#[test]
fn capture_delivers_the_modules_image_exactly() {
    let sim = sim();
    let fp = sim.fingerprint().unwrap();
    fp.set_idle(Idle::NoFinger);
    fp.place(Placement {
        person: 7,
        finger: 2,
        condition: Condition::Good,
        after_polls: 4,
    });
    let mut s = scanner(&sim);
    s.connect().unwrap();
    let c = s
        .capture(&CaptureRequest::new(
            Position::Finger(Finger::RightIndex),
            Duration::from_secs(5),
        ))
        .unwrap();
    let img = gray(c);
    assert_eq!(img.dimensions(), (256, 288));
    let expected = fp.with_firmware(|fw| fw.image_buffer()).unwrap();
    assert_eq!(
        img, expected,
        "the driver's image must equal the module's buffer"
    );
    // The polls for the finger really happened, and the LED was driven.
    let (polls, led) =
        fp.with_firmware(|fw| (fw.received.iter().filter(|&&c| c == 0x01).count(), fw.led()));
    assert!(polls >= 5, "GenImg polled {polls} times");
    assert_eq!(led[0], 2, "a good capture flashes the LED");
}

#[test]
fn no_finger_is_not_an_error_until_the_deadline() {
    let sim = sim();
    sim.fingerprint().unwrap().set_idle(Idle::NoFinger);
    let mut s = scanner(&sim);
    s.connect().unwrap();
    let t = Instant::now();
    let e = s
        .capture(&CaptureRequest::new(
            Position::Unknown,
            Duration::from_millis(400),
        ))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoPresentation);
    assert!(t.elapsed() >= Duration::from_millis(400));
}

#[test]
fn same_scenario_gives_the_same_image() {
    let grab = || {
        let sim = sim();
        let mut s = scanner(&sim);
        s.connect().unwrap();
        gray(
            s.capture(&CaptureRequest::new(
                Position::Unknown,
                Duration::from_secs(5),
            ))
            .unwrap(),
        )
    };
    assert_eq!(grab(), grab());
}

#[test]
fn soft_reset_and_self_test() {
    let sim = sim();
    let mut s = scanner(&sim);
    s.connect().unwrap();
    s.soft_reset().unwrap();
    let report = s.self_test().unwrap();
    assert!(report.passed(), "{report:?}");
    assert!(report.checks.iter().any(|c| c.name == "sensor"));
    sim.fingerprint()
        .unwrap()
        .with_firmware(|fw| fw.set_sensor_ok(false));
    let report = s.self_test().unwrap();
    assert!(!report.passed());
}

#[test]
fn r307_has_no_led_and_no_product_info() {
    let sim = sim_with(FingerprintSim {
        model: firmware_sim::fingerprint::Model::R307,
        ..FingerprintSim::default()
    });
    let mut s = scanner(&sim);
    s.connect().unwrap();
    assert!(s.product_info().is_none());
    let e = s.set_indicator(rekam_device::Indicator::Ready).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    // Capture still works without the LED.
    s.capture(&CaptureRequest::new(
        Position::Unknown,
        Duration::from_secs(5),
    ))
    .unwrap();
}

#[test]
fn factory_opens_by_selector_with_options() {
    let sim = sim();
    let sel: Selector = port(&sim).parse().unwrap();
    let mut dev = R30xFactory
        .open(
            &sel,
            &Options::new().set("baud", 57_600).set("password", "0x0"),
        )
        .unwrap();
    assert_eq!(dev.info().unwrap().model, "R503-SIM");
    let e = R30xFactory
        .open(&sel, &Options::new().set("baud", 12_345))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("baud"));
}

// ---- Faults: each has one documented outcome (docs/protocols/r30x.md, "Faults") ----

#[test]
fn corrupted_checksum_once_is_recovered_by_resending() {
    let sim = sim();
    let mut s = scanner(&sim);
    sim.fingerprint()
        .unwrap()
        .inject(Fault::CorruptChecksum { frames: 1 });
    s.connect().unwrap();
    assert_eq!(s.stats().retries, 1);
}

#[test]
fn corrupted_checksum_always_is_a_protocol_error() {
    let sim = sim();
    let mut s = scanner(&sim);
    sim.fingerprint()
        .unwrap()
        .inject(Fault::CorruptChecksum { frames: u32::MAX });
    let e = s.connect().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.to_string().contains("baud rate"), "{e}");
}

#[test]
fn dropped_and_extra_bytes_during_upload_are_recovered() {
    for fault in [
        Fault::DropByte { frames: 1 },
        Fault::ExtraByte { frames: 1 },
    ] {
        let sim = sim();
        let fp = sim.fingerprint().unwrap();
        let mut s = scanner(&sim);
        s.connect().unwrap();
        s.wait_for_finger(Duration::from_secs(5)).unwrap();
        let expected = fp.with_firmware(|fw| fw.image_buffer()).unwrap();
        // Let the acknowledgement and a few data packets through, then damage one.
        fp.inject(Fault::Noise { frames: 5 });
        fp.inject(fault);
        let img = s.up_image().unwrap();
        assert_eq!(img, expected, "{fault:?}");
        assert!(s.stats().retries >= 1, "{fault:?}");
    }
}

#[test]
fn noise_before_every_packet_is_skipped_without_retries() {
    let sim = sim();
    let mut s = scanner(&sim);
    sim.fingerprint()
        .unwrap()
        .inject(Fault::Noise { frames: u32::MAX });
    s.connect().unwrap();
    s.capture(&CaptureRequest::new(
        Position::Unknown,
        Duration::from_secs(5),
    ))
    .unwrap();
    assert_eq!(s.stats().retries, 0);
    assert!(s.stats().damaged_frames == 0);
}

#[test]
fn persistent_byte_loss_during_upload_is_a_protocol_error() {
    let sim = sim();
    let fp = sim.fingerprint().unwrap();
    let mut s = scanner(&sim);
    s.connect().unwrap();
    s.wait_for_finger(Duration::from_secs(5)).unwrap();
    fp.inject(Fault::DropByte { frames: u32::MAX });
    let e = s.up_image().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
}

#[test]
fn silence_is_a_timeout_and_the_next_command_works() {
    let sim = sim();
    let fp = sim.fingerprint().unwrap();
    let link = SerialLink::open(&port(&sim), 57_600).unwrap();
    let mut s = R30x::new(
        link,
        Config {
            ack_timeout: Duration::from_millis(300),
            ..Config::default()
        },
    )
    .unwrap();
    fp.inject(Fault::Silent { frames: 1 });
    let e = s.verify_password().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(e.to_string().contains("57600"));
    s.verify_password().unwrap();
}

#[test]
fn unplug_mid_transfer_is_disconnected_and_replug_recovers() {
    let sim = sim();
    let fp = sim.fingerprint().unwrap();
    let mut s = scanner(&sim);
    s.connect().unwrap();
    s.wait_for_finger(Duration::from_secs(5)).unwrap();
    fp.inject(Fault::Unplug { after_bytes: 5_000 });
    let t = Instant::now();
    let e = s.up_image().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Disconnected, "{e}");
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "a pulled cable must not hang the driver"
    );
    drop(s);
    fp.replug();
    std::thread::sleep(Duration::from_millis(50));
    let mut s = scanner(&sim);
    s.connect().unwrap();
    s.capture(&CaptureRequest::new(
        Position::Unknown,
        Duration::from_secs(5),
    ))
    .unwrap();
}

#[test]
fn unplug_while_idle_fails_the_next_command() {
    let sim = sim();
    let fp = sim.fingerprint().unwrap();
    let mut s = scanner(&sim);
    s.connect().unwrap();
    fp.inject(Fault::Unplug { after_bytes: 0 });
    std::thread::sleep(Duration::from_millis(50));
    let e = s.verify_password().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Disconnected, "{e}");
}

#[test]
fn a_lost_byte_in_an_acknowledgement_is_recovered() {
    let sim = sim();
    let fp = sim.fingerprint().unwrap();
    let mut s = scanner(&sim);
    fp.inject(Fault::DropByte { frames: 1 });
    s.connect().unwrap();
    assert_eq!(s.stats().retries, 1);
    // And in the UpImage acknowledgement, and in the last data packet.
    s.wait_for_finger(Duration::from_secs(5)).unwrap();
    let expected = fp.with_firmware(|fw| fw.image_buffer()).unwrap();
    fp.inject(Fault::DropByte { frames: 1 });
    assert_eq!(s.up_image().unwrap(), expected);
    fp.inject(Fault::Noise { frames: 288 });
    fp.inject(Fault::ExtraByte { frames: 1 });
    assert_eq!(s.up_image().unwrap(), expected);
}

#[test]
fn r307_self_test_skips_what_it_lacks() {
    let sim = sim_with(FingerprintSim {
        model: firmware_sim::fingerprint::Model::R307,
        ..FingerprintSim::default()
    });
    let mut s = scanner(&sim);
    s.connect().unwrap();
    let t = Instant::now();
    s.soft_reset().unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "the ready byte was seen"
    );
    let report = s.self_test().unwrap();
    assert!(report.passed(), "{report:?}");
    assert!(!report.checks.iter().any(|c| c.name == "sensor"));
}

#[test]
fn wrong_address_is_reported_with_the_modules_address() {
    let sim = sim();
    sim.fingerprint().unwrap().with_firmware(|fw| {
        fw.set_settings(ModuleSettings {
            address: 0x1234_5678,
            ..ModuleSettings::default()
        })
    });
    let mut s = scanner(&sim);
    let e = s.connect().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WrongAddress);
    assert!(e.to_string().contains("0x12345678"), "{e}");
    drop(s);
    // Configured with the right address, it works.
    let link = SerialLink::open(&port(&sim), 57_600).unwrap();
    let mut s = R30x::new(
        link,
        Config {
            address: 0x1234_5678,
            ..Config::default()
        },
    )
    .unwrap();
    s.connect().unwrap();
}

#[test]
fn wrong_password_is_its_own_kind() {
    let sim = sim();
    sim.fingerprint().unwrap().with_firmware(|fw| {
        fw.set_settings(ModuleSettings {
            password: 0xCAFE,
            ..ModuleSettings::default()
        })
    });
    let mut s = scanner(&sim);
    let e = s.connect().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WrongPassword);
    drop(s);
    let link = SerialLink::open(&port(&sim), 57_600).unwrap();
    let mut s = R30x::new(
        link,
        Config {
            password: 0xCAFE,
            ..Config::default()
        },
    )
    .unwrap();
    s.connect().unwrap();
}

#[test]
fn a_second_opener_gets_busy() {
    let sim = sim();
    let _first = SerialLink::open(&port(&sim), 57_600).unwrap();
    let e = SerialLink::open(&port(&sim), 57_600).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Busy);
    assert!(e.to_string().contains("in use by another program"));
}

#[test]
fn busy_port_is_reported_as_busy() {
    let sim = sim();
    sim.fingerprint().unwrap().inject(Fault::Busy);
    let e = SerialLink::open(&port(&sim), 57_600).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Busy);
    sim.fingerprint().unwrap().clear_faults();
    SerialLink::open(&port(&sim), 57_600).unwrap();
}

#[test]
fn slow_line_keeps_the_real_baud_timing() {
    let sim = sim_with(FingerprintSim {
        baud: 115_200,
        line_timing: true,
        ..FingerprintSim::default()
    });
    let link = SerialLink::open(&port(&sim), 115_200).unwrap();
    let mut s = R30x::new(
        link,
        Config {
            baud: 115_200,
            ..Config::default()
        },
    )
    .unwrap();
    s.connect().unwrap();
    s.wait_for_finger(Duration::from_secs(5)).unwrap();
    let before = sim.fingerprint().unwrap().stats().bytes_out;
    let t = Instant::now();
    s.up_image().unwrap();
    let elapsed = t.elapsed();
    let bytes = sim.fingerprint().unwrap().stats().bytes_out - before;
    let line_time = Duration::from_micros(bytes * 10 * 1_000_000 / 115_200);
    // Physics, not performance: the image cannot arrive faster than the line carries it.
    assert!(
        elapsed >= line_time.mul_f64(0.98),
        "{elapsed:?} < {line_time:?}"
    );
}
