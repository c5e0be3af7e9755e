//! The camera driver: format choice, preview frames, full-resolution stills, and the
//! [`Device`] implementation.

use std::fmt;
use std::time::{Duration, Instant};

use image::RgbImage;
use nokhwa::utils::{CameraFormat, FrameFormat, RequestedFormat, RequestedFormatType};
use nokhwa::NokhwaError;
use rekam_device::{
    Capture, CaptureRequest, Device, DeviceError, DeviceInfo, DeviceKind, ImageCapture, Pixels,
    Position, SelfTestReport,
};

use crate::error::{Cause, Error};
use crate::frame;
use crate::source::{CameraSource, DECODED_FORMATS};
use crate::worker::{Stalled, Worker};

/// How long opening, listing formats and switching formats may take.
pub const CONTROL_TIMEOUT: Duration = Duration::from_secs(5);

/// Which picture format to stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    /// YUYV when the camera offers it at a usable frame rate for the resolution, else MJPEG.
    Auto,
    /// Only YUYV (uncompressed 4:2:2).
    Yuyv,
    /// Only MJPEG.
    Mjpeg,
}

impl FormatChoice {
    fn allows(self, f: FrameFormat) -> bool {
        match self {
            FormatChoice::Auto => DECODED_FORMATS.contains(&f),
            FormatChoice::Yuyv => f == FrameFormat::YUYV,
            FormatChoice::Mjpeg => f == FrameFormat::MJPEG,
        }
    }

    /// The configuration spelling.
    pub fn parse(s: &str) -> Option<FormatChoice> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(FormatChoice::Auto),
            "yuyv" | "yuy2" => Some(FormatChoice::Yuyv),
            "mjpeg" | "mjpg" => Some(FormatChoice::Mjpeg),
            _ => None,
        }
    }
}

/// How the driver uses the camera.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Preview width in pixels.
    pub width: u32,
    /// Preview height in pixels.
    pub height: u32,
    /// Which picture format.
    pub format: FormatChoice,
    /// Preferred preview frame rate; the closest offered is used.
    pub fps: u32,
    /// How long one frame may take to arrive.
    pub frame_timeout: Duration,
    /// How many damaged frames in a row are replaced by fresh ones before giving up.
    pub regrabs: u32,
    /// Frames thrown away after a format switch while the camera's exposure settles.
    pub settle_frames: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 720,
            format: FormatChoice::Auto,
            fps: 30,
            frame_timeout: Duration::from_millis(2_000),
            regrabs: 3,
            settle_frames: 2,
        }
    }
}

/// Below this frame rate, `Auto` prefers MJPEG to YUYV for the preview.
const MIN_PREVIEW_FPS: u32 = 15;

/// Counters of what the camera delivered, for diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameStats {
    /// Frames decoded and handed out.
    pub frames: u64,
    /// Frames thrown away after a format switch.
    pub settled: u64,
    /// Damaged frames received.
    pub damaged: u64,
    /// Frame requests that ended without a frame in time.
    pub timeouts: u64,
}

/// The camera's name and description as its backend reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraDescription {
    /// Human name (the V4L2 card name).
    pub name: String,
    /// Description (the V4L2 driver).
    pub description: String,
    /// Further detail (the V4L2 bus and version).
    pub misc: String,
}

/// A face camera, driven through a `nokhwa::Camera` that lives on its own thread.
pub struct Webcam {
    worker: Worker,
    port: String,
    driver: &'static str,
    simulated: bool,
    config: Config,
    description: CameraDescription,
    formats: Vec<CameraFormat>,
    preview: CameraFormat,
    still: CameraFormat,
    /// What the camera is set to; `None` after a switch failed or the camera stalled.
    current: Option<CameraFormat>,
    settle_pending: u32,
    /// The last call found the camera thread blocked in the device: until it answers again,
    /// calls wait only a frame timeout.
    stalled: bool,
    stats: FrameStats,
}

impl fmt::Debug for Webcam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webcam")
            .field("port", &self.port)
            .field("preview", &self.preview.to_string())
            .field("still", &self.still.to_string())
            .finish_non_exhaustive()
    }
}

impl Webcam {
    /// Opens the camera from `source`, lists its formats, chooses the preview and still
    /// formats and sets the preview format.
    #[tracing::instrument(level = "debug", skip_all, fields(port = %source.port()))]
    pub fn open<S: CameraSource>(source: S, config: Config) -> Result<Self, Error> {
        validate(&config)?;
        let driver = source.driver();
        let simulated = source.simulated();
        let (worker, port, description, current, offered) = start(source)?;
        let mut cam = Self {
            worker,
            port,
            driver,
            simulated,
            config,
            description,
            formats: Vec::new(),
            preview: CameraFormat::default(),
            still: CameraFormat::default(),
            current: Some(current),
            settle_pending: 0,
            stalled: false,
            stats: FrameStats::default(),
        };
        let mut formats: Vec<CameraFormat> = offered
            .iter()
            .copied()
            .filter(|f| DECODED_FORMATS.contains(&f.format()))
            .collect();
        formats.sort_by_key(|f| {
            (
                format_rank(f.format()),
                f.width(),
                f.height(),
                f.frame_rate(),
            )
        });
        formats.dedup();
        if formats.is_empty() {
            return Err(Error::NoUsableFormat {
                port: cam.port.clone(),
                offered: summarise(&offered),
            });
        }
        cam.formats = formats;
        cam.preview =
            choose_preview(&cam.formats, &cam.config).ok_or_else(|| Error::NoSuchFormat {
                port: cam.port.clone(),
                wanted: format!(
                    "{}x{} in {}",
                    cam.config.width,
                    cam.config.height,
                    match cam.config.format {
                        FormatChoice::Auto => "any format",
                        FormatChoice::Yuyv => "YUYV",
                        FormatChoice::Mjpeg => "MJPEG",
                    }
                ),
                offered: summarise(&cam.formats),
            })?;
        cam.still = choose_still(&cam.formats, cam.config.format).unwrap_or(cam.preview);
        cam.set_format(cam.preview)?;
        tracing::debug!(preview = %cam.preview, still = %cam.still, "camera ready");
        Ok(cam)
    }

    /// Opens the camera from `source` only to read its name and formats, then releases it.
    pub fn probe<S: CameraSource>(
        source: S,
    ) -> Result<(CameraDescription, Vec<CameraFormat>), Error> {
        let (_worker, _, description, _, offered) = start(source)?;
        Ok((description, offered))
    }

    /// Where the camera is.
    pub fn port(&self) -> &str {
        &self.port
    }

    /// The camera's name and description.
    pub fn description(&self) -> &CameraDescription {
        &self.description
    }

    /// Every format the camera offers that the driver decodes.
    pub fn formats(&self) -> &[CameraFormat] {
        &self.formats
    }

    /// The preview format in use.
    pub fn preview_format(&self) -> CameraFormat {
        self.preview
    }

    /// The format stills are taken in: the largest picture the camera offers.
    pub fn still_format(&self) -> CameraFormat {
        self.still
    }

    /// What the camera delivered so far.
    pub fn stats(&self) -> FrameStats {
        self.stats
    }

    /// Chooses the preview resolution and format: `format` of `None` lets the driver choose as
    /// for [`FormatChoice::Auto`].
    pub fn set_preview(
        &mut self,
        width: u32,
        height: u32,
        format: Option<FrameFormat>,
    ) -> Result<CameraFormat, Error> {
        let choice = match format {
            None => FormatChoice::Auto,
            Some(FrameFormat::YUYV) => FormatChoice::Yuyv,
            Some(FrameFormat::MJPEG) => FormatChoice::Mjpeg,
            Some(other) => {
                return Err(Error::Config(format!(
                    "the preview format must be YUYV or MJPEG, not {other}"
                )))
            }
        };
        let wanted = Config {
            width,
            height,
            format: choice,
            ..self.config.clone()
        };
        let fmt = choose_preview(&self.formats, &wanted).ok_or_else(|| Error::NoSuchFormat {
            port: self.port.clone(),
            wanted: format!(
                "{width}x{height} in {}",
                format.map_or("any format".to_string(), |f| f.to_string())
            ),
            offered: summarise(&self.formats),
        })?;
        self.preview = fmt;
        self.config.width = width;
        self.config.height = height;
        self.set_format(fmt)?;
        Ok(fmt)
    }

    /// One preview frame at the preview resolution.
    #[tracing::instrument(level = "trace", skip(self))]
    pub fn preview_frame(&mut self) -> Result<ImageCapture, Error> {
        if self.current != Some(self.preview) {
            self.set_format(self.preview)?;
        }
        let img = self.grab()?;
        Ok(face(img))
    }

    /// A full-resolution still: switches to the still format, waits for the picture to
    /// settle, takes one frame and switches back to the preview.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn still(&mut self) -> Result<ImageCapture, Error> {
        if self.still == self.preview {
            return self.preview_frame();
        }
        let shot = self.set_format(self.still).and_then(|()| self.grab());
        // After a stall the camera thread is still blocked in the device: switching back
        // would only wait for it again. The next preview sets the format.
        if self.current.is_some() {
            if let Err(e) = self.set_format(self.preview) {
                tracing::warn!(error = %e, "could not switch the camera back to the preview format");
                if shot.is_ok() {
                    self.current = None;
                }
            }
        }
        Ok(face(shot?))
    }

    /// Stops the stream and releases the camera.
    pub fn shutdown(&mut self) {
        self.worker.stop(Duration::from_secs(2));
    }

    fn control<T, F>(&mut self, what: &'static str, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut nokhwa::Camera) -> Result<T, NokhwaError> + Send + 'static,
    {
        let timeout = if self.stalled {
            self.config.frame_timeout
        } else {
            CONTROL_TIMEOUT
        };
        match self.worker.call(timeout, f) {
            Ok(r) => {
                self.stalled = false;
                r.map_err(|e| Error::from_nokhwa(&self.port, what, false, e))
            }
            Err(Stalled::Timeout) => {
                self.current = None;
                self.stalled = true;
                Err(Error::NoFrames {
                    port: self.port.clone(),
                    millis: timeout.as_millis() as u64,
                })
            }
            Err(Stalled::Gone) => Err(Error::Stopped {
                port: self.port.clone(),
                what,
            }),
        }
    }

    /// Stops the stream, sets `fmt`, and checks that the camera took it. (nokhwa 0.10's V4L2
    /// backend does not update its cached format when the format changes while streaming, so
    /// the stream is stopped first; the next frame opens it again.)
    fn set_format(&mut self, fmt: CameraFormat) -> Result<(), Error> {
        self.current = None;
        let got = self.control("set the picture format", move |c| {
            if c.is_stream_open() {
                c.stop_stream()?;
            }
            let wanted = [fmt.format()];
            c.set_camera_requset(RequestedFormat::with_formats(
                RequestedFormatType::Exact(fmt),
                &wanted,
            ))?;
            Ok(c.camera_format())
        })?;
        if got != fmt {
            return Err(Error::Backend {
                port: self.port.clone(),
                what: "set the picture format",
                source: NokhwaError::SetPropertyError {
                    property: "CameraFormat".into(),
                    value: fmt.to_string(),
                    error: format!("the camera is at {got} instead"),
                },
            });
        }
        self.current = Some(fmt);
        self.settle_pending = self.config.settle_frames;
        Ok(())
    }

    /// One decoded frame in the current format: read errors that only mean "no frame yet" are
    /// retried until the frame deadline; damaged frames are replaced by fresh ones up to
    /// `regrabs` times.
    fn grab(&mut self) -> Result<RgbImage, Error> {
        let Some(fmt) = self.current else {
            return Err(Error::Stopped {
                port: self.port.clone(),
                what: "read a frame (no format set)",
            });
        };
        let timeout = self.config.frame_timeout;
        let mut damaged = 0u32;
        let mut window = Instant::now();
        loop {
            let Some(left) = timeout
                .checked_sub(window.elapsed())
                .filter(|d| !d.is_zero())
            else {
                return Err(self.no_frames());
            };
            let got = self.worker.call(left, |c| {
                if !c.is_stream_open() {
                    c.open_stream()?;
                }
                c.frame()
            });
            if got.is_ok() {
                self.stalled = false;
            }
            let buf = match got {
                Ok(Ok(buf)) => buf,
                Ok(Err(e)) => match Cause::of(&e) {
                    Cause::TimedOut => {
                        tracing::debug!(error = %e, "no frame yet");
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                    _ => return Err(Error::from_nokhwa(&self.port, "read a frame", false, e)),
                },
                Err(Stalled::Timeout) => {
                    // The camera thread is blocked in the device; its format is unknown now.
                    self.current = None;
                    self.stalled = true;
                    return Err(self.no_frames());
                }
                Err(Stalled::Gone) => {
                    return Err(Error::Stopped {
                        port: self.port.clone(),
                        what: "read a frame",
                    })
                }
            };
            if self.settle_pending > 0 {
                self.settle_pending -= 1;
                self.stats.settled += 1;
                window = Instant::now();
                continue;
            }
            match frame::decode(&buf, fmt) {
                Ok(img) => {
                    self.stats.frames += 1;
                    return Ok(img);
                }
                Err(detail) => {
                    damaged += 1;
                    self.stats.damaged += 1;
                    tracing::warn!(port = %self.port, %detail, damaged, "damaged frame from the camera");
                    if damaged > self.config.regrabs {
                        return Err(Error::Damaged {
                            port: self.port.clone(),
                            frames: damaged,
                            detail,
                        });
                    }
                    window = Instant::now();
                }
            }
        }
    }

    fn no_frames(&mut self) -> Error {
        self.stats.timeouts += 1;
        Error::NoFrames {
            port: self.port.clone(),
            millis: self.config.frame_timeout.as_millis() as u64,
        }
    }

    /// Runs the camera's checks: usable formats, a preview frame with a picture in it, the
    /// preview frame rate, and a still.
    pub fn run_self_test(&mut self) -> Result<SelfTestReport, Error> {
        let mut report = SelfTestReport::default();
        report.push(
            "formats",
            true,
            format!(
                "preview {}, still {}; offers {}",
                show(self.preview),
                show(self.still),
                summarise(&self.formats)
            ),
        );
        let t = Instant::now();
        if self.current != Some(self.preview) {
            self.set_format(self.preview)?;
        }
        let img = &self.grab()?;
        report.push(
            "preview",
            img.dimensions() == (self.preview.width(), self.preview.height()),
            format!(
                "{}x{} frame in {} ms",
                img.width(),
                img.height(),
                t.elapsed().as_millis()
            ),
        );
        let (mean, spread) = frame::luma_stats(img);
        let lit = spread >= 4.0;
        report.push(
            "picture",
            lit,
            if lit {
                format!("mean brightness {mean:.0}, contrast {spread:.0}")
            } else {
                format!("the picture is uniform (brightness {mean:.0}, contrast {spread:.1}): is the lens covered or the privacy shutter closed?")
            },
        );
        let n = 10u32;
        let t = Instant::now();
        for _ in 0..n {
            self.preview_frame()?;
        }
        let fps = f64::from(n) / t.elapsed().as_secs_f64().max(1e-6);
        let enough = fps >= 5.0;
        report.push(
            "frame rate",
            enough,
            format!(
                "{fps:.1} frames/s at {}x{} (the camera offers {}){}",
                self.preview.width(),
                self.preview.height(),
                self.preview.frame_rate(),
                if enough {
                    ""
                } else {
                    ": too slow for a live preview; use a USB 2.0 port without a hub, or choose MJPEG"
                }
            ),
        );
        let t = Instant::now();
        let still = self.still()?;
        report.push(
            "still",
            (still.width(), still.height()) == (self.still.width(), self.still.height()),
            format!(
                "{}x{} {} still in {} ms",
                still.width(),
                still.height(),
                self.still.format(),
                t.elapsed().as_millis()
            ),
        );
        Ok(report)
    }
}

type Started = (
    Worker,
    String,
    CameraDescription,
    CameraFormat,
    Vec<CameraFormat>,
);

/// Opens `source` on a new camera thread and reads its description, current format and
/// offered formats.
fn start<S: CameraSource>(source: S) -> Result<Started, Error> {
    let port = source.port();
    let worker = match Worker::start(source, CONTROL_TIMEOUT) {
        Ok(Ok(w)) => w,
        Ok(Err(e)) => return Err(Error::from_nokhwa(&port, "open", true, e)),
        Err(Stalled::Timeout) => {
            return Err(Error::NoFrames {
                port,
                millis: CONTROL_TIMEOUT.as_millis() as u64,
            })
        }
        Err(Stalled::Gone) => return Err(Error::Stopped { port, what: "open" }),
    };
    let got = worker.call(CONTROL_TIMEOUT, |c| {
        let i = c.info();
        let d = CameraDescription {
            name: i.human_name(),
            description: i.description().to_string(),
            misc: i.misc(),
        };
        let fmt = c.camera_format();
        c.compatible_camera_formats().map(|f| (d, fmt, f))
    });
    match got {
        // Still part of opening: a missing or vanished device here is "not found".
        Ok(Ok((d, fmt, offered))) => Ok((worker, port, d, fmt, offered)),
        Ok(Err(e)) => Err(Error::from_nokhwa(&port, "list its formats", true, e)),
        Err(Stalled::Timeout) => Err(Error::NoFrames {
            port,
            millis: CONTROL_TIMEOUT.as_millis() as u64,
        }),
        Err(Stalled::Gone) => Err(Error::Stopped {
            port,
            what: "list its formats",
        }),
    }
}

fn face(img: RgbImage) -> ImageCapture {
    ImageCapture {
        pixels: Pixels::Rgb(img),
        ppi: None,
        position: Position::Face,
        source_levels: 256,
    }
}

fn validate(c: &Config) -> Result<(), Error> {
    if !(16..=8192).contains(&c.width) || !(16..=8192).contains(&c.height) {
        return Err(Error::Config(format!(
            "the camera preview size {}x{} is not valid: width and height must be from 16 to 8192",
            c.width, c.height
        )));
    }
    if !(1..=240).contains(&c.fps) {
        return Err(Error::Config(format!(
            "the camera frame rate {} must be from 1 to 240",
            c.fps
        )));
    }
    if c.frame_timeout < Duration::from_millis(50) || c.frame_timeout > Duration::from_secs(60) {
        return Err(Error::Config(format!(
            "the camera frame timeout {} ms must be from 50 to 60000",
            c.frame_timeout.as_millis()
        )));
    }
    if c.regrabs > 20 || c.settle_frames > 100 {
        return Err(Error::Config(
            "the camera regrabs must be at most 20 and settle_frames at most 100".into(),
        ));
    }
    Ok(())
}

fn format_rank(f: FrameFormat) -> usize {
    DECODED_FORMATS
        .iter()
        .position(|&d| d == f)
        .unwrap_or(DECODED_FORMATS.len())
}

/// The preview format: the configured size, in the allowed format with the best rank that
/// reaches a usable frame rate (any rate if none does), at the rate closest to the wanted one.
pub fn choose_preview(formats: &[CameraFormat], c: &Config) -> Option<CameraFormat> {
    let fits: Vec<&CameraFormat> = formats
        .iter()
        .filter(|f| f.width() == c.width && f.height() == c.height && c.format.allows(f.format()))
        .collect();
    let usable = c.fps.min(MIN_PREVIEW_FPS);
    fits.iter()
        .copied()
        .min_by_key(|f| {
            (
                f.frame_rate() < usable,
                format_rank(f.format()),
                f.frame_rate().abs_diff(c.fps),
            )
        })
        .copied()
}

/// The still format: the largest picture in an allowed format, preferring YUYV, then the
/// highest frame rate (the quickest first frame).
pub fn choose_still(formats: &[CameraFormat], choice: FormatChoice) -> Option<CameraFormat> {
    formats
        .iter()
        .filter(|f| choice.allows(f.format()))
        .max_by_key(|f| {
            (
                u64::from(f.width()) * u64::from(f.height()),
                std::cmp::Reverse(format_rank(f.format())),
                f.frame_rate(),
            )
        })
        .copied()
}

/// `YUYV 1280x720@30`.
pub fn show(f: CameraFormat) -> String {
    format!(
        "{} {}x{}@{}",
        f.format(),
        f.width(),
        f.height(),
        f.frame_rate()
    )
}

/// `YUYV 640x480@30, 1280x720@10; MJPEG 640x480@30, ...`.
pub fn summarise(formats: &[CameraFormat]) -> String {
    if formats.is_empty() {
        return "nothing".into();
    }
    let mut sorted = formats.to_vec();
    sorted.sort_by_key(|f| {
        (
            format_rank(f.format()),
            f.width(),
            f.height(),
            f.frame_rate(),
        )
    });
    let mut out = String::new();
    let mut last: Option<FrameFormat> = None;
    for f in sorted {
        if last != Some(f.format()) {
            if last.is_some() {
                out.push_str("; ");
            }
            out.push_str(&format!("{} ", f.format()));
            last = Some(f.format());
        } else {
            out.push_str(", ");
        }
        out.push_str(&format!("{}x{}@{}", f.width(), f.height(), f.frame_rate()));
    }
    out
}

impl Device for Webcam {
    fn info(&mut self) -> Result<DeviceInfo, DeviceError> {
        let mut details = vec![
            ("preview".to_string(), show(self.preview)),
            ("still".to_string(), show(self.still)),
            ("formats".to_string(), summarise(&self.formats)),
        ];
        if !self.description.description.is_empty() {
            details.push(("backend".into(), self.description.description.clone()));
        }
        // For V4L2, nokhwa reports the bus and the kernel driver's version here.
        let misc = self.description.misc.trim();
        if !misc.is_empty() {
            details.push(("bus".into(), misc.to_string()));
        }
        Ok(DeviceInfo {
            kind: DeviceKind::Camera,
            driver: self.driver.to_string(),
            model: self.description.name.clone(),
            serial: None,
            firmware: None,
            port: self.port.clone(),
            details,
            simulated: self.simulated,
        })
    }

    fn self_test(&mut self) -> Result<SelfTestReport, DeviceError> {
        Ok(self.run_self_test()?)
    }

    #[tracing::instrument(level = "debug", skip(self, request), fields(position = %request.position))]
    fn capture(&mut self, request: &CaptureRequest) -> Result<Capture, DeviceError> {
        let mut shot = self.still()?;
        shot.position = request.position;
        Ok(Capture::Image(shot))
    }

    fn close(&mut self) -> Result<(), DeviceError> {
        self.shutdown();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nokhwa::utils::Resolution;

    fn f(fmt: FrameFormat, w: u32, h: u32, fps: u32) -> CameraFormat {
        CameraFormat::new(Resolution::new(w, h), fmt, fps)
    }

    /// A typical USB 2.0 webcam: YUYV is slow at large sizes, MJPEG is not.
    fn c920() -> Vec<CameraFormat> {
        vec![
            f(FrameFormat::YUYV, 640, 480, 30),
            f(FrameFormat::YUYV, 1280, 720, 10),
            f(FrameFormat::YUYV, 1920, 1080, 5),
            f(FrameFormat::MJPEG, 640, 480, 30),
            f(FrameFormat::MJPEG, 1280, 720, 30),
            f(FrameFormat::MJPEG, 1920, 1080, 30),
        ]
    }

    #[test]
    fn auto_prefers_yuyv_unless_it_is_too_slow() {
        let c = Config {
            width: 640,
            height: 480,
            ..Config::default()
        };
        assert_eq!(
            choose_preview(&c920(), &c),
            Some(f(FrameFormat::YUYV, 640, 480, 30))
        );
        let c = Config::default();
        assert_eq!(
            choose_preview(&c920(), &c),
            Some(f(FrameFormat::MJPEG, 1280, 720, 30))
        );
        let c = Config {
            format: FormatChoice::Yuyv,
            ..Config::default()
        };
        assert_eq!(
            choose_preview(&c920(), &c),
            Some(f(FrameFormat::YUYV, 1280, 720, 10))
        );
        let c = Config {
            width: 800,
            height: 600,
            ..Config::default()
        };
        assert_eq!(choose_preview(&c920(), &c), None);
    }

    #[test]
    fn the_still_is_the_largest_picture_preferring_yuyv() {
        assert_eq!(
            choose_still(&c920(), FormatChoice::Auto),
            Some(f(FrameFormat::YUYV, 1920, 1080, 5))
        );
        assert_eq!(
            choose_still(&c920(), FormatChoice::Mjpeg),
            Some(f(FrameFormat::MJPEG, 1920, 1080, 30))
        );
    }

    #[test]
    fn formats_are_summarised_per_fourcc() {
        assert_eq!(
            summarise(&c920()),
            "YUYV 640x480@30, 1280x720@10, 1920x1080@5; MJPEG 640x480@30, 1280x720@30, 1920x1080@30"
        );
    }
}
