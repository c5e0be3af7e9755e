//! Technician diagnostics: what is attached, each configured device's information, self-test and
//! a test capture, as a report in text or JSON.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rekam_device::{
    Capture, CaptureRequest, DeviceDescriptor, DeviceError, DeviceInfo, DeviceKind, ErrorKind,
    Pixels, Position, Registry, SelfTestReport, SerialPortInfo,
};
use serde::Serialize;

use crate::config::StationConfig;
use crate::drivers::known_usb;
use crate::i18n::{hint_for, Lang};

/// What diagnostics should do.
#[derive(Debug, Clone)]
pub struct DiagOptions {
    /// Take a test capture per device.
    pub capture: bool,
    /// How long a test capture waits for the person.
    pub capture_timeout: Duration,
    /// Where test captures are saved.
    pub out_dir: PathBuf,
    /// Message language.
    pub lang: Lang,
}

/// A USB device in the report.
#[derive(Debug, Clone, Serialize)]
pub struct UsbEntry {
    /// "vvvv:pppp".
    pub id: String,
    /// Bus and address.
    pub bus: u8,
    /// Address on the bus.
    pub address: u8,
    /// What it is, when known.
    pub known: Option<String>,
}

/// What is attached.
#[derive(Debug, Clone, Serialize)]
pub struct SystemSection {
    /// Serial ports.
    pub serial_ports: Vec<SerialPortInfo>,
    /// USB devices.
    pub usb_devices: Vec<UsbEntry>,
    /// Devices a driver recognises.
    pub candidates: Vec<DeviceDescriptor>,
    /// What could not be listed.
    pub notes: Vec<String>,
}

/// A failure in the report.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// Where it happened: open, info, self_test, capture.
    pub stage: &'static str,
    /// The error kind.
    pub kind: ErrorKind,
    /// The driver's sentence.
    pub message: String,
    /// What to check, in the station's language.
    pub hint: String,
}

/// The test capture in the report.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureSummary {
    /// Where it was saved.
    pub file: PathBuf,
    /// Image width, or rendered signature width.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// Signature: strokes.
    pub strokes: Option<usize>,
    /// Signature: pen-down samples.
    pub points: Option<usize>,
    /// Signature: duration in milliseconds.
    pub duration_ms: Option<u64>,
}

/// One configured device in the report.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceReport {
    /// The configuration table (`fingerprint`, `signature_pad`).
    pub table: String,
    /// Driver name.
    pub driver: String,
    /// Port.
    pub port: String,
    /// What the device says about itself.
    pub info: Option<DeviceInfo>,
    /// Its self-test.
    pub self_test: Option<SelfTestReport>,
    /// The test capture.
    pub capture: Option<CaptureSummary>,
    /// What failed.
    pub failure: Option<Failure>,
}

impl DeviceReport {
    /// Whether everything that ran passed.
    pub fn ok(&self) -> bool {
        self.failure.is_none() && self.self_test.as_ref().is_none_or(SelfTestReport::passed)
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Station id.
    pub station: String,
    /// What is attached.
    pub system: SystemSection,
    /// Each configured device.
    pub devices: Vec<DeviceReport>,
    /// Whether at least one device is configured and every configured device passed.
    pub ok: bool,
}

/// Lists what is attached to the machine.
pub fn system_section(registry: &Registry) -> SystemSection {
    let snap = registry.snapshot();
    let candidates = registry.list(&snap);
    SystemSection {
        usb_devices: snap
            .usb_devices
            .iter()
            .map(|u| UsbEntry {
                id: format!("{:04x}:{:04x}", u.vid, u.pid),
                bus: u.bus,
                address: u.address,
                known: known_usb(u.vid, u.pid),
            })
            .collect(),
        serial_ports: snap.serial_ports,
        notes: with_camera_note(snap.notes, &candidates),
        candidates,
    }
}

/// Says so when no camera driver found a camera (a machine without /dev/video*).
fn with_camera_note(mut notes: Vec<String>, candidates: &[DeviceDescriptor]) -> Vec<String> {
    if !candidates.iter().any(|c| c.kind == DeviceKind::Camera) {
        notes.push("no cameras found: this machine has no /dev/video* devices (is the camera plugged in and its driver, e.g. uvcvideo, loaded?)".into());
    }
    notes
}

fn failure(stage: &'static str, e: &DeviceError, table: &str, port: &str, lang: Lang) -> Failure {
    Failure {
        stage,
        kind: e.kind(),
        message: e.message().to_string(),
        hint: hint_for(lang, table, e.kind(), port),
    }
}

/// Runs diagnostics on every configured device.
pub fn run(config: &StationConfig, registry: &Registry, opts: &DiagOptions) -> Report {
    let system = system_section(registry);
    let mut devices = Vec::new();
    for (table, dev) in config.devices() {
        devices.push(diagnose_device(table, dev, registry, opts));
    }
    // Nothing configured is not "all devices ready": a station without devices records nobody.
    let ok = !devices.is_empty() && devices.iter().all(DeviceReport::ok);
    Report {
        station: config.station.id.clone(),
        system,
        devices,
        ok,
    }
}

fn diagnose_device(
    table: &str,
    dev: &crate::config::DeviceConfig,
    registry: &Registry,
    opts: &DiagOptions,
) -> DeviceReport {
    let opened = dev.open(table, registry);
    diagnose_opened(table, &dev.driver, &dev.port, opened, opts)
}

/// The position a test capture of the device in `table` is taken at.
fn test_position(table: &str) -> Position {
    match table {
        "signature_pad" => Position::Signature,
        "iris" => Position::Iris(rekam_device::Eye::Right),
        "camera" => Position::Face,
        _ => Position::Unknown,
    }
}

/// Runs info, self-test and a test capture on a device already opened (or the error of
/// opening it).
pub fn diagnose_opened(
    table: &str,
    driver: &str,
    port: &str,
    opened: Result<Box<dyn rekam_device::Device>, DeviceError>,
    opts: &DiagOptions,
) -> DeviceReport {
    let mut r = DeviceReport {
        table: table.to_string(),
        driver: driver.to_string(),
        port: port.to_string(),
        info: None,
        self_test: None,
        capture: None,
        failure: None,
    };
    let mut device = match opened {
        Ok(d) => d,
        Err(e) => {
            r.failure = Some(failure("open", &e, table, port, opts.lang));
            return r;
        }
    };
    match device.info() {
        Ok(i) => r.info = Some(i),
        Err(e) => {
            r.failure = Some(failure("info", &e, table, port, opts.lang));
            return r;
        }
    }
    match device.self_test() {
        Ok(t) => r.self_test = Some(t),
        Err(e) => {
            r.failure = Some(failure("self_test", &e, table, port, opts.lang));
            return r;
        }
    }
    if opts.capture {
        let req = CaptureRequest::new(test_position(table), opts.capture_timeout);
        match device.capture(&req) {
            Ok(c) => match save_capture(&c, &opts.out_dir, table) {
                Ok(s) => r.capture = Some(s),
                Err(e) => r.failure = Some(Failure {
                    stage: "capture",
                    kind: ErrorKind::Io,
                    message: format!("the test capture could not be saved: {e:#}"),
                    hint: opts
                        .lang
                        .pick(
                            "Periksa bahwa folder keluaran dapat ditulisi dan disk tidak penuh.",
                            "Check that the output folder is writable and the disk is not full.",
                        )
                        .to_string(),
                }),
            },
            Err(e) => r.failure = Some(failure("capture", &e, table, port, opts.lang)),
        }
    }
    let _ = device.close();
    r
}

/// Saves a capture as PNG under `dir`, named after the table.
pub fn save_capture(c: &Capture, dir: &Path, name: &str) -> anyhow::Result<CaptureSummary> {
    std::fs::create_dir_all(dir)?;
    let file = dir.join(format!("{name}.png"));
    match c {
        Capture::Image(img) => {
            std::fs::write(&file, img.to_png()?)?;
            let (width, height) = match &img.pixels {
                Pixels::Gray(i) => i.dimensions(),
                Pixels::Rgb(i) => i.dimensions(),
            };
            Ok(CaptureSummary {
                file,
                width,
                height,
                strokes: None,
                points: None,
                duration_ms: None,
            })
        }
        Capture::Pen(pen) => {
            let img = pen.render(800);
            img.save(&file)?;
            Ok(CaptureSummary {
                file,
                width: img.width(),
                height: img.height(),
                strokes: Some(pen.strokes.len()),
                points: Some(pen.point_count()),
                duration_ms: Some(pen.duration_us / 1000),
            })
        }
    }
}

/// The report as text for a terminal.
pub fn render_text(r: &Report, lang: Lang) -> String {
    let t = |id, en| lang.pick(id, en);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} {}",
        t("Diagnostik stasiun", "Station diagnostics"),
        r.station
    );
    let _ = writeln!(s, "\n{}", t("Port serial:", "Serial ports:"));
    if r.system.serial_ports.is_empty() {
        let _ = writeln!(s, "  {}", t("(tidak ada)", "(none)"));
    }
    for p in &r.system.serial_ports {
        let usb = p
            .usb
            .map(|(v, q)| format!(" USB {v:04x}:{q:04x}"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  {}{}{}",
            p.path,
            usb,
            p.description
                .as_deref()
                .map(|d| format!(" {d}"))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(s, "\n{}", t("Perangkat USB:", "USB devices:"));
    if r.system.usb_devices.is_empty() {
        let _ = writeln!(s, "  {}", t("(tidak ada)", "(none)"));
    }
    for u in &r.system.usb_devices {
        let _ = writeln!(
            s,
            "  {} bus {} addr {}{}",
            u.id,
            u.bus,
            u.address,
            u.known
                .as_deref()
                .map(|k| format!("  <- {k}"))
                .unwrap_or_default()
        );
    }
    for c in &r.system.candidates {
        let _ = writeln!(s, "  {}: {} ({})", c.driver, c.selector, c.description);
    }
    for n in &r.system.notes {
        let _ = writeln!(s, "  {} {n}", t("catatan:", "note:"));
    }
    for d in &r.devices {
        let status = if d.ok() { "OK" } else { t("GAGAL", "FAILED") };
        let _ = writeln!(s, "\n[{}] {} {} — {status}", d.table, d.driver, d.port);
        if let Some(i) = &d.info {
            let _ = writeln!(s, "  {}: {}", t("model", "model"), i.model);
            if let Some(sn) = &i.serial {
                let _ = writeln!(s, "  {}: {sn}", t("nomor seri", "serial"));
            }
            if let Some(fw) = &i.firmware {
                let _ = writeln!(s, "  firmware: {fw}");
            }
            for (k, v) in &i.details {
                let _ = writeln!(s, "  {k}: {v}");
            }
        }
        if let Some(st) = &d.self_test {
            let _ = writeln!(s, "  {}:", t("uji mandiri", "self-test"));
            for c in &st.checks {
                let mark = if c.passed { "ok  " } else { "FAIL" };
                let _ = writeln!(s, "    {mark} {}: {}", c.name, c.detail);
            }
        }
        if let Some(c) = &d.capture {
            let _ = write!(
                s,
                "  {}: {} ({}x{})",
                t("uji tangkap", "test capture"),
                c.file.display(),
                c.width,
                c.height
            );
            if let (Some(st), Some(p), Some(ms)) = (c.strokes, c.points, c.duration_ms) {
                let _ = write!(
                    s,
                    ", {st} {}, {p} {}, {ms} ms",
                    t("goresan", "strokes"),
                    t("titik", "points")
                );
            }
            let _ = writeln!(s);
        }
        if let Some(f) = &d.failure {
            let _ = writeln!(
                s,
                "  {} ({}, {}): {}",
                t("kesalahan", "error"),
                f.stage,
                f.kind,
                f.message
            );
            let _ = writeln!(s, "  {} {}", t("periksa:", "check:"), f.hint);
        }
    }
    let _ = writeln!(
        s,
        "\n{}",
        if r.devices.is_empty() {
            t(
                "Tidak ada perangkat yang dikonfigurasi: tambahkan tabel [fingerprint], [signature_pad], [iris] atau [camera] ke berkas konfigurasi (lihat config/station.toml).",
                "No device is configured: add a [fingerprint], [signature_pad], [iris] or [camera] table to the configuration file (see config/station.toml).",
            )
        } else if r.ok {
            t("Semua perangkat siap.", "All devices ready.")
        } else {
            t(
                "Ada perangkat yang belum siap: lihat di atas.",
                "Some devices are not ready: see above.",
            )
        }
    );
    s
}
