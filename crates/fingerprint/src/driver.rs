//! The R30x/R50x command layer and the [`Device`] implementation.

use std::time::{Duration, Instant};

use image::GrayImage;
use rekam_device::{
    Capture, CaptureRequest, Device, DeviceError, DeviceInfo, DeviceKind, ImageCapture, Indicator,
    Link, LinkError, Pixels, SelfTestReport,
};

use crate::codec::{DecodeError, Decoder, Packet, PacketKind, DEFAULT_ADDRESS};
use crate::error::{confirmation_meaning, Error};

/// Instruction codes (payload byte 0 of a command packet).
pub mod instr {
    /// Capture a finger image into the image buffer.
    pub const GEN_IMG: u8 = 0x01;
    /// Upload the image buffer to the host.
    pub const UP_IMAGE: u8 = 0x0A;
    /// Write one system parameter.
    pub const SET_SYS_PARA: u8 = 0x0E;
    /// Read the system parameters.
    pub const READ_SYS_PARA: u8 = 0x0F;
    /// Verify the module password.
    pub const VFY_PWD: u8 = 0x13;
    /// R50x: LED ring control.
    pub const AURA_LED_CONFIG: u8 = 0x35;
    /// R50x: check the sensor.
    pub const CHECK_SENSOR: u8 = 0x36;
    /// R50x: read product information.
    pub const READ_PROD_INFO: u8 = 0x3C;
    /// Soft reset.
    pub const SOFT_RESET: u8 = 0x3D;
    /// R50x: handshake.
    pub const HANDSHAKE: u8 = 0x40;
}

/// The byte a module sends after power-up or soft reset.
pub const READY_BYTE: u8 = 0x55;

/// How the driver talks to the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Module address (factory default 0xFFFFFFFF).
    pub address: u32,
    /// Module password (factory default 0).
    pub password: u32,
    /// Line speed, 9600 x N for N in 1..=12.
    pub baud: u32,
    /// How long to wait for an acknowledgement.
    pub ack_timeout: Duration,
    /// How many attempts a command gets (the first included) when its reply arrives damaged or
    /// the module reports it received the command damaged (code 0x01).
    pub retries: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            address: DEFAULT_ADDRESS,
            password: 0,
            baud: 57_600,
            ack_timeout: Duration::from_millis(1_000),
            retries: 3,
        }
    }
}

impl Config {
    /// Checks the values against what the protocol allows.
    pub fn validate(&self) -> Result<(), Error> {
        if self.baud % 9600 != 0 || !(1..=12).contains(&(self.baud / 9600)) {
            return Err(Error::Config(format!(
                "the fingerprint baud rate {} is not valid: R30x modules run at 9600 x N for N from 1 to 12 (9600 ... 115200); the factory setting is 57600",
                self.baud
            )));
        }
        if self.retries == 0 || self.retries > 10 {
            return Err(Error::Config(format!(
                "the fingerprint retry count {} must be from 1 to 10",
                self.retries
            )));
        }
        Ok(())
    }
}

/// The module's system parameters (ReadSysPara).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SystemParameters {
    /// Status register.
    pub status: u16,
    /// System identifier code.
    pub system_id: u16,
    /// Finger library size (templates).
    pub library_size: u16,
    /// Security level 1-5.
    pub security_level: u16,
    /// Module address.
    pub address: u32,
    /// Data packet payload size in bytes (32, 64, 128 or 256).
    pub packet_size: u16,
    /// Line speed in baud (9600 x N).
    pub baud: u32,
}

impl SystemParameters {
    /// Parses the 16 data bytes of the ReadSysPara acknowledgement.
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        if data.len() < 16 {
            return Err(Error::Unexpected {
                expected: "16 bytes of system parameters",
                got: format!("{} bytes", data.len()),
            });
        }
        let u16_at = |i: usize| u16::from_be_bytes([data[i], data[i + 1]]);
        let code = u16_at(12);
        let packet_size = match code {
            0..=3 => 32u16 << code,
            _ => {
                return Err(Error::Unexpected {
                    expected: "a packet size code 0-3",
                    got: format!("code {code}"),
                })
            }
        };
        Ok(Self {
            status: u16_at(0),
            system_id: u16_at(2),
            library_size: u16_at(4),
            security_level: u16_at(6),
            address: u32::from_be_bytes([data[8], data[9], data[10], data[11]]),
            packet_size,
            baud: u32::from(u16_at(14)) * 9600,
        })
    }

    /// The 16 data bytes, as the module sends them.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[0..2].copy_from_slice(&self.status.to_be_bytes());
        out[2..4].copy_from_slice(&self.system_id.to_be_bytes());
        out[4..6].copy_from_slice(&self.library_size.to_be_bytes());
        out[6..8].copy_from_slice(&self.security_level.to_be_bytes());
        out[8..12].copy_from_slice(&self.address.to_be_bytes());
        let code = self.packet_size.max(32).trailing_zeros().saturating_sub(5) as u16;
        out[12..14].copy_from_slice(&code.to_be_bytes());
        out[14..16].copy_from_slice(&((self.baud / 9600) as u16).to_be_bytes());
        out
    }
}

/// Product information of R50x modules (ReadProdInfo).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProductInfo {
    /// Module model.
    pub model: String,
    /// Batch number.
    pub batch: String,
    /// Serial number.
    pub serial: String,
    /// Hardware version, major and minor.
    pub hardware_version: (u8, u8),
    /// Sensor type.
    pub sensor: String,
    /// Image width in pixels.
    pub width: u16,
    /// Image height in pixels.
    pub height: u16,
    /// Template size in bytes.
    pub template_size: u16,
    /// Finger library size.
    pub database_size: u16,
}

/// Length of the ReadProdInfo data.
pub const PROD_INFO_LEN: usize = 46;

impl ProductInfo {
    /// Parses the 46 data bytes of the ReadProdInfo acknowledgement.
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        if data.len() < PROD_INFO_LEN {
            return Err(Error::Unexpected {
                expected: "46 bytes of product information",
                got: format!("{} bytes", data.len()),
            });
        }
        let text = |r: std::ops::Range<usize>| {
            String::from_utf8_lossy(&data[r])
                .trim_end_matches(['\0', ' '])
                .to_string()
        };
        let u16_at = |i: usize| u16::from_be_bytes([data[i], data[i + 1]]);
        Ok(Self {
            model: text(0..16),
            batch: text(16..20),
            serial: text(20..28),
            hardware_version: (data[28], data[29]),
            sensor: text(30..38),
            width: u16_at(38),
            height: u16_at(40),
            template_size: u16_at(42),
            database_size: u16_at(44),
        })
    }

    /// The 46 data bytes, as the module sends them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PROD_INFO_LEN);
        let mut text = |s: &str, n: usize| {
            let mut b = s.as_bytes().to_vec();
            b.resize(n, 0);
            out.extend_from_slice(&b);
        };
        text(&self.model, 16);
        text(&self.batch, 4);
        text(&self.serial, 8);
        out.push(self.hardware_version.0);
        out.push(self.hardware_version.1);
        let mut b = self.sensor.as_bytes().to_vec();
        b.resize(8, 0);
        out.extend_from_slice(&b);
        for v in [
            self.width,
            self.height,
            self.template_size,
            self.database_size,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out
    }
}

/// The LED ring modes of R50x modules (AuraLedConfig control byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedMode {
    /// 1: breathing.
    Breathing,
    /// 2: flashing.
    Flashing,
    /// 3: always on.
    On,
    /// 4: always off.
    Off,
}

/// LED colours of R50x modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedColour {
    /// 1.
    Red,
    /// 2.
    Blue,
    /// 3.
    Purple,
}

/// Whether a finger was on the glass at GenImg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FingerStatus {
    /// An image was taken.
    Captured,
    /// No finger.
    Absent,
}

/// The stages of an image upload (UpImage), one place that moves between them.
#[derive(Debug)]
enum Upload {
    /// Command sent, waiting for the acknowledgement.
    AwaitAck,
    /// Acknowledged; data packets arriving.
    Receiving(Vec<u8>),
    /// The end-of-data packet arrived.
    Complete(Vec<u8>),
}

/// Why one upload attempt stopped short of an image.
enum Attempt<T> {
    Done(T),
    Damaged,
}

/// Counters of what the line did, for diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LineStats {
    /// Bytes received.
    pub bytes_in: u64,
    /// Bytes sent.
    pub bytes_out: u64,
    /// Damaged frames seen.
    pub damaged_frames: u64,
    /// Commands sent again after a damaged reply.
    pub retries: u64,
}

/// An R30x/R50x module on a byte link.
pub struct R30x<L: Link> {
    link: L,
    config: Config,
    decoder: Decoder,
    params: Option<SystemParameters>,
    product: Option<ProductInfo>,
    stats: LineStats,
    buf: Vec<u8>,
}

impl<L: Link> std::fmt::Debug for R30x<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("R30x")
            .field("port", &self.link.name())
            .field("address", &format_args!("{:#010x}", self.config.address))
            .field("baud", &self.config.baud)
            .finish_non_exhaustive()
    }
}

impl<L: Link> R30x<L> {
    /// A driver on `link`; nothing is sent until a command is called.
    pub fn new(link: L, config: Config) -> Result<Self, Error> {
        config.validate()?;
        Ok(Self {
            link,
            config,
            decoder: Decoder::new(),
            params: None,
            product: None,
            stats: LineStats::default(),
            buf: vec![0u8; 4096],
        })
    }

    /// Verifies the password, reads the system parameters and, where offered, the product
    /// information.
    #[tracing::instrument(level = "debug", skip(self), fields(port = %self.link.name()))]
    pub fn connect(&mut self) -> Result<SystemParameters, Error> {
        self.verify_password()?;
        let params = self.read_system_parameters()?;
        self.product = match self.read_product_info() {
            Ok(p) => Some(p),
            Err(Error::Unsupported(_)) => None,
            Err(e) => return Err(e),
        };
        Ok(params)
    }

    /// The link, e.g. to read its name.
    pub fn link(&self) -> &L {
        &self.link
    }

    /// What the line did so far.
    pub fn stats(&self) -> LineStats {
        self.stats
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The product information read at connect, if the module offers it.
    pub fn product_info(&self) -> Option<&ProductInfo> {
        self.product.as_ref()
    }

    /// The image size the module delivers: from its product information, else 256 x 288.
    pub fn image_size(&self) -> (u32, u32) {
        match &self.product {
            Some(p) if p.width > 0 && p.height > 0 && (u32::from(p.width) % 2 == 0) => {
                (u32::from(p.width), u32::from(p.height))
            }
            _ => (256, 288),
        }
    }

    /// Time the line needs for `bytes` bytes at 10 bits a byte.
    fn wire_time(&self, bytes: usize) -> Duration {
        Duration::from_micros(bytes as u64 * 10 * 1_000_000 / u64::from(self.config.baud))
    }

    fn send(&mut self, packet: &Packet) -> Result<(), Error> {
        let bytes = packet.encode();
        self.stats.bytes_out += bytes.len() as u64;
        self.link.write_all(&bytes)?;
        Ok(())
    }

    /// Reads until a packet, a damaged frame, or the deadline.
    fn read_packet(
        &mut self,
        timeout: Duration,
        what: &'static str,
    ) -> Result<Result<Packet, DecodeError>, Error> {
        let deadline = Instant::now() + timeout;
        let skipped_before = self.decoder.skipped();
        loop {
            while let Some(r) = self.decoder.next_packet() {
                match r {
                    Ok(p) if p.address != self.config.address => {
                        return Err(Error::WrongAddress {
                            expected: self.config.address,
                            got: p.address,
                        })
                    }
                    Ok(p) => return Ok(Ok(p)),
                    Err(e @ DecodeError::BadChecksum { .. }) => {
                        self.stats.damaged_frames += 1;
                        tracing::debug!(error = %e, "damaged frame");
                        return Ok(Err(e));
                    }
                    Err(e) => {
                        self.stats.damaged_frames += 1;
                        tracing::debug!(error = %e, "skipping garbage");
                    }
                }
            }
            let now = Instant::now();
            let read = if now >= deadline {
                Err(LinkError::Timeout {
                    port: String::new(),
                    millis: 0,
                })
            } else {
                self.link.read(&mut self.buf, deadline - now)
            };
            match read {
                Ok(n) => {
                    self.stats.bytes_in += n as u64;
                    self.decoder.push(&self.buf[..n]);
                }
                Err(LinkError::Timeout { .. })
                    if self.decoder.in_frame() || self.decoder.skipped() > skipped_before =>
                {
                    // Bytes came (part of a frame, or a frame too damaged to recognise) and
                    // then nothing: bytes were lost on the line.
                    self.stats.damaged_frames += 1;
                    let n = self.decoder.pending();
                    self.decoder.clear();
                    return Ok(Err(DecodeError::Truncated(n)));
                }
                Err(LinkError::Timeout { .. }) => return Err(self.no_answer(what, timeout)),
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn no_answer(&self, what: &'static str, waited: Duration) -> Error {
        Error::NoAnswer {
            port: self.link.name().to_string(),
            what,
            millis: waited.as_millis() as u64,
            baud: self.config.baud,
        }
    }

    /// Waits until the line has been quiet for `quiet`, dropping what arrives; gives up
    /// draining after `limit`.
    fn drain(&mut self, quiet: Duration, limit: Duration) -> Result<(), Error> {
        let end = Instant::now() + limit;
        loop {
            match self.link.read(&mut self.buf, quiet) {
                Ok(n) => {
                    self.stats.bytes_in += n as u64;
                    if Instant::now() >= end {
                        break;
                    }
                }
                Err(LinkError::Timeout { .. }) => break,
                Err(e) => return Err(e.into()),
            }
        }
        self.decoder.clear();
        Ok(())
    }

    /// Sends a command and returns the acknowledgement's confirmation code and data, sending it
    /// again (up to the configured retries) when the reply arrives damaged.
    fn transact(
        &mut self,
        instruction: u8,
        params: &[u8],
        what: &'static str,
        timeout: Duration,
    ) -> Result<(u8, Vec<u8>), Error> {
        let cmd = Packet::command(self.config.address, instruction, params);
        for attempt in 1..=self.config.retries {
            if attempt > 1 {
                self.stats.retries += 1;
                let quiet = self.wire_time(64) + Duration::from_millis(20);
                self.drain(quiet, Duration::from_secs(2))?;
            }
            self.send(&cmd)?;
            loop {
                match self.read_packet(timeout, what)? {
                    Ok(p) if p.kind == PacketKind::Ack => {
                        let Some((&code, data)) = p.payload.split_first() else {
                            return Err(Error::Unexpected {
                                expected: "an acknowledgement with a confirmation code",
                                got: "an empty acknowledgement".into(),
                            });
                        };
                        if code == 0x01 && attempt < self.config.retries {
                            // The module received our command damaged: send it again.
                            tracing::debug!(what, "module reports a damaged command");
                            break;
                        }
                        return Ok((code, data.to_vec()));
                    }
                    Ok(p) => {
                        // Data left over from an earlier, abandoned transfer.
                        tracing::debug!(?p.kind, "ignoring stale packet");
                    }
                    Err(_) => break,
                }
            }
        }
        Err(Error::Corrupted {
            what,
            attempts: self.config.retries,
            baud: self.config.baud,
        })
    }

    fn expect_ok(&self, what: &'static str, code: u8) -> Result<(), Error> {
        match code {
            0x00 => Ok(()),
            _ => Err(code_error(what, code)),
        }
    }

    /// VfyPwd: presents the configured password.
    pub fn verify_password(&mut self) -> Result<(), Error> {
        let pw = self.config.password.to_be_bytes();
        let (code, _) = self.transact(instr::VFY_PWD, &pw, "VfyPwd", self.config.ack_timeout)?;
        self.expect_ok("VfyPwd", code)
    }

    /// ReadSysPara.
    pub fn read_system_parameters(&mut self) -> Result<SystemParameters, Error> {
        let (code, data) = self.transact(
            instr::READ_SYS_PARA,
            &[],
            "ReadSysPara",
            self.config.ack_timeout,
        )?;
        self.expect_ok("ReadSysPara", code)?;
        let p = SystemParameters::parse(&data)?;
        self.params = Some(p);
        Ok(p)
    }

    /// ReadProdInfo (R50x). [`Error::Unsupported`] on modules without it.
    pub fn read_product_info(&mut self) -> Result<ProductInfo, Error> {
        let r = self.transact(
            instr::READ_PROD_INFO,
            &[],
            "ReadProdInfo",
            self.config.ack_timeout,
        );
        match r {
            Ok((0x00, data)) => ProductInfo::parse(&data),
            Ok((0x13 | 0x21, _)) => Err(Error::PasswordRequired),
            Ok(_) | Err(Error::NoAnswer { .. }) => Err(Error::Unsupported("product information")),
            Err(e) => Err(e),
        }
    }

    /// GenImg: takes an image if a finger is on the glass.
    pub fn gen_img(&mut self) -> Result<FingerStatus, Error> {
        let (code, _) = self.transact(instr::GEN_IMG, &[], "GenImg", self.config.ack_timeout)?;
        match code {
            0x00 => Ok(FingerStatus::Captured),
            // No finger, or a failed attempt the module asks us to repeat.
            0x02 | 0x03 => Ok(FingerStatus::Absent),
            _ => self
                .expect_ok("GenImg", code)
                .map(|()| FingerStatus::Absent),
        }
    }

    /// Polls GenImg until a finger is imaged or `timeout` passes. "No finger" is not an error
    /// until then.
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn wait_for_finger(&mut self, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        let mut polls = 0u32;
        loop {
            polls += 1;
            if self.gen_img()? == FingerStatus::Captured {
                tracing::debug!(polls, "finger imaged");
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::NoFinger {
                    seconds: timeout.as_secs_f64(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// UpImage: fetches the image buffer as 8-bit grey (4-bit pixels scaled by 17).
    #[tracing::instrument(level = "debug", skip(self))]
    pub fn up_image(&mut self) -> Result<GrayImage, Error> {
        let (w, h) = self.image_size();
        let expected = (w * h / 2) as usize;
        let packet_size = usize::from(self.params.map(|p| p.packet_size).unwrap_or(128));
        // Allow each packet three times its wire time, plus scheduling slack.
        let packet_timeout = self.wire_time(packet_size + 11) * 3 + Duration::from_millis(500);
        for attempt in 1..=self.config.retries {
            if attempt > 1 {
                self.stats.retries += 1;
                let quiet = self.wire_time(packet_size + 11) * 2 + Duration::from_millis(30);
                let limit = self.wire_time(expected * 12 / 10) + Duration::from_secs(1);
                self.drain(quiet, limit)?;
            }
            match self.upload_once(expected, packet_timeout)? {
                Attempt::Done(data) => return Ok(unpack_image(&data, w, h)),
                Attempt::Damaged => tracing::debug!(attempt, "image upload damaged; retrying"),
            }
        }
        Err(Error::Corrupted {
            what: "UpImage",
            attempts: self.config.retries,
            baud: self.config.baud,
        })
    }

    fn upload_once(
        &mut self,
        expected: usize,
        packet_timeout: Duration,
    ) -> Result<Attempt<Vec<u8>>, Error> {
        self.send(&Packet::command(self.config.address, instr::UP_IMAGE, &[]))?;
        let mut state = Upload::AwaitAck;
        loop {
            state = match state {
                Upload::AwaitAck => {
                    let p = match self.read_packet(self.config.ack_timeout, "UpImage")? {
                        Ok(p) => p,
                        Err(_) => return Ok(Attempt::Damaged),
                    };
                    match (p.kind, p.payload.first()) {
                        (PacketKind::Ack, Some(0x00)) => {
                            Upload::Receiving(Vec::with_capacity(expected))
                        }
                        (PacketKind::Ack, Some(&code)) => return Err(code_error("UpImage", code)),
                        // The acknowledgement was lost and the image is already streaming.
                        (PacketKind::Data | PacketKind::EndData, _) => return Ok(Attempt::Damaged),
                        (kind, _) => {
                            return Err(Error::Unexpected {
                                expected: "the UpImage acknowledgement",
                                got: format!("{kind:?} packet"),
                            })
                        }
                    }
                }
                Upload::Receiving(mut data) => {
                    let p = match self.read_packet(packet_timeout, "image data")? {
                        Ok(p) => p,
                        Err(_) => return Ok(Attempt::Damaged),
                    };
                    if data.len() + p.payload.len() > expected {
                        return Err(Error::ImageSize {
                            got: data.len() + p.payload.len(),
                            expected,
                        });
                    }
                    data.extend_from_slice(&p.payload);
                    match p.kind {
                        PacketKind::Data => Upload::Receiving(data),
                        PacketKind::EndData => Upload::Complete(data),
                        kind => {
                            return Err(Error::Unexpected {
                                expected: "image data",
                                got: format!("{kind:?} packet"),
                            })
                        }
                    }
                }
                Upload::Complete(data) => {
                    if data.len() != expected {
                        return Err(Error::ImageSize {
                            got: data.len(),
                            expected,
                        });
                    }
                    return Ok(Attempt::Done(data));
                }
            };
        }
    }

    /// SoftReset: restarts the module and waits for its ready byte (0x55).
    pub fn soft_reset(&mut self) -> Result<(), Error> {
        let (code, _) =
            self.transact(instr::SOFT_RESET, &[], "SoftReset", self.config.ack_timeout)?;
        self.expect_ok("SoftReset", code)?;
        // The ready byte is not a packet. It may already sit behind the acknowledgement in the
        // decoder; otherwise wait for it on the line.
        let deadline = Instant::now() + Duration::from_millis(1_000);
        let mut one = [0u8; 1];
        while !self.decoder.take_byte(READY_BYTE) && Instant::now() < deadline {
            match self.link.read(&mut one, deadline - Instant::now()) {
                Ok(_) if one[0] == READY_BYTE => break,
                Ok(_) => continue,
                Err(LinkError::Timeout { .. }) => {
                    tracing::debug!("no ready byte after soft reset");
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.decoder.clear();
        // A reset module forgets the verified password.
        self.verify_password()
    }

    /// AuraLedConfig (R50x): sets the LED ring.
    pub fn set_led(&mut self, mode: LedMode, colour: LedColour, times: u8) -> Result<(), Error> {
        let ctrl = match mode {
            LedMode::Breathing => 1,
            LedMode::Flashing => 2,
            LedMode::On => 3,
            LedMode::Off => 4,
        };
        let colour = match colour {
            LedColour::Red => 1,
            LedColour::Blue => 2,
            LedColour::Purple => 3,
        };
        let r = self.transact(
            instr::AURA_LED_CONFIG,
            &[ctrl, 0x80, colour, times],
            "AuraLedConfig",
            self.config.ack_timeout,
        );
        match r {
            Ok((0x00, _)) => Ok(()),
            Ok(_) | Err(Error::NoAnswer { .. }) => Err(Error::Unsupported("LED control")),
            Err(e) => Err(e),
        }
    }

    /// A confirmation-only command that R50x modules offer and R30x modules may not.
    fn optional_check(&mut self, instruction: u8, what: &'static str) -> Result<Option<u8>, Error> {
        match self.transact(instruction, &[], what, self.config.ack_timeout) {
            // R30x modules answer instructions they lack with 0x01, R50x modules with 0xFC.
            Ok((0x01 | 0xFC, _)) => Ok(None),
            Ok((code, _)) => Ok(Some(code)),
            Err(Error::NoAnswer { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Runs the module's checks.
    pub fn run_self_test(&mut self) -> Result<SelfTestReport, Error> {
        let mut report = SelfTestReport::default();
        self.verify_password()?;
        report.push("password", true, "VfyPwd accepted");
        let p = self.read_system_parameters()?;
        let sane =
            p.baud == self.config.baud && p.library_size > 0 && (1..=5).contains(&p.security_level);
        report.push(
            "system parameters",
            sane,
            format!(
                "system id {:#06x}, library {}, security level {}, packet {} bytes, {} baud",
                p.system_id, p.library_size, p.security_level, p.packet_size, p.baud
            ),
        );
        match self.optional_check(instr::HANDSHAKE, "Handshake")? {
            Some(0x00) => report.push("handshake", true, "module ready"),
            Some(code) => report.push("handshake", false, confirmation_meaning(code)),
            None => {}
        }
        match self.optional_check(instr::CHECK_SENSOR, "CheckSensor")? {
            Some(0x00) => report.push("sensor", true, "sensor normal"),
            Some(0x29) => report.push("sensor", false, "the module reports its sensor abnormal: clean the glass; if it persists, replace the module"),
            Some(code) => report.push("sensor", false, confirmation_meaning(code)),
            None => {}
        }
        let status = self.gen_img()?;
        report.push(
            "image capture",
            true,
            match status {
                FingerStatus::Captured => "sensor imaged a finger",
                FingerStatus::Absent => "sensor answered (no finger on the glass)",
            },
        );
        Ok(report)
    }
}

/// The error for a non-zero confirmation code.
fn code_error(what: &'static str, code: u8) -> Error {
    match code {
        0x13 => Error::WrongPassword,
        0x21 => Error::PasswordRequired,
        _ => Error::Module {
            what,
            code,
            meaning: confirmation_meaning(code),
        },
    }
}

/// Expands 4-bit pixels, two per byte with the left pixel in the high nibble, to 8-bit grey.
pub fn unpack_image(data: &[u8], width: u32, height: u32) -> GrayImage {
    let mut px = Vec::with_capacity((width * height) as usize);
    for &b in data {
        px.push((b >> 4) * 17);
        px.push((b & 0x0F) * 17);
    }
    px.resize((width * height) as usize, 255);
    GrayImage::from_raw(width, height, px)
        .unwrap_or_else(|| GrayImage::from_pixel(width, height, image::Luma([255])))
}

/// Packs 8-bit grey into 4-bit pixels, two per byte, left pixel in the high nibble.
pub fn pack_image(img: &GrayImage) -> Vec<u8> {
    img.as_raw()
        .chunks(2)
        .map(|p| {
            let hi = p[0] >> 4;
            let lo = p.get(1).map_or(0, |v| v >> 4);
            (hi << 4) | lo
        })
        .collect()
}

impl<L: Link + 'static> Device for R30x<L> {
    fn info(&mut self) -> Result<DeviceInfo, DeviceError> {
        let p = match self.params {
            Some(p) => p,
            None => self.read_system_parameters()?,
        };
        let mut details = vec![
            ("system_id".into(), format!("{:#06x}", p.system_id)),
            ("status".into(), format!("{:#06x}", p.status)),
            ("library_size".into(), p.library_size.to_string()),
            ("security_level".into(), p.security_level.to_string()),
            ("address".into(), format!("{:#010x}", p.address)),
            ("packet_size".into(), p.packet_size.to_string()),
            ("baud".into(), p.baud.to_string()),
        ];
        let (w, h) = self.image_size();
        details.push(("image".into(), format!("{w}x{h} 4-bit, ~500 ppi")));
        let (model, serial, firmware) = match &self.product {
            Some(pi) => {
                details.push(("sensor".into(), pi.sensor.clone()));
                details.push(("batch".into(), pi.batch.clone()));
                (
                    pi.model.clone(),
                    Some(pi.serial.clone()),
                    Some(format!(
                        "hardware {}.{}",
                        pi.hardware_version.0, pi.hardware_version.1
                    )),
                )
            }
            None => ("R30x-compatible optical module".to_string(), None, None),
        };
        Ok(DeviceInfo {
            kind: DeviceKind::Fingerprint,
            driver: "r30x".into(),
            model,
            serial,
            firmware,
            port: self.link.name().to_string(),
            details,
            simulated: self.link.simulated(),
        })
    }

    fn self_test(&mut self) -> Result<SelfTestReport, DeviceError> {
        Ok(self.run_self_test()?)
    }

    #[tracing::instrument(level = "debug", skip(self, request), fields(position = %request.position))]
    fn capture(&mut self, request: &CaptureRequest) -> Result<Capture, DeviceError> {
        let _ = self.set_indicator(Indicator::Ready);
        if let Err(e) = self.wait_for_finger(request.timeout) {
            let _ = self.set_indicator(Indicator::Off);
            return Err(e.into());
        }
        let img = match self.up_image() {
            Ok(img) => img,
            Err(e) => {
                let _ = self.set_indicator(Indicator::Failure);
                return Err(e.into());
            }
        };
        let _ = self.set_indicator(Indicator::Success);
        Ok(Capture::Image(ImageCapture {
            pixels: Pixels::Gray(img),
            ppi: Some(500),
            position: request.position,
            source_levels: 16,
        }))
    }

    fn set_indicator(&mut self, indicator: Indicator) -> Result<(), DeviceError> {
        if self.product.is_none() {
            // Only R50x modules (which report product information) have the LED ring.
            return Err(Error::Unsupported("LED control").into());
        }
        let r = match indicator {
            Indicator::Off => self.set_led(LedMode::Off, LedColour::Blue, 0),
            Indicator::Ready => self.set_led(LedMode::Breathing, LedColour::Blue, 0),
            Indicator::Success => self.set_led(LedMode::Flashing, LedColour::Purple, 1),
            Indicator::Failure => self.set_led(LedMode::Flashing, LedColour::Red, 3),
        };
        Ok(r?)
    }

    fn close(&mut self) -> Result<(), DeviceError> {
        let _ = self.set_indicator(Indicator::Off);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rekam_device::{ErrorKind, ScriptedLink, Step};

    const A: u32 = DEFAULT_ADDRESS;

    fn cmd(i: u8, p: &[u8]) -> Step {
        Step::Expect(Packet::command(A, i, p).encode())
    }
    fn ack(code: u8, data: &[u8]) -> Step {
        Step::Reply(Packet::ack(A, code, data).encode())
    }
    fn quick() -> Config {
        Config {
            ack_timeout: Duration::from_millis(50),
            ..Config::default()
        }
    }
    fn params() -> SystemParameters {
        SystemParameters {
            status: 0,
            system_id: 9,
            library_size: 200,
            security_level: 3,
            address: A,
            packet_size: 128,
            baud: 57_600,
        }
    }

    #[test]
    fn read_sys_para_bytes_from_the_manual_layout() {
        // Status 0, system id 9, library 200 (0x00C8), level 3, address FFFFFFFF,
        // packet size code 2 (128 bytes), baud factor 6 (57600).
        let data = [
            0, 0, 0, 9, 0, 0xC8, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0, 2, 0, 6,
        ];
        assert_eq!(SystemParameters::parse(&data).unwrap(), params());
        assert_eq!(params().to_bytes(), data);
        let mut s = R30x::new(ScriptedLink::new([cmd(0x0F, &[]), ack(0, &data)]), quick()).unwrap();
        assert_eq!(s.read_system_parameters().unwrap().packet_size, 128);
        s.link.done();
    }

    #[test]
    fn wrong_password_code_0x13() {
        let mut s = R30x::new(
            ScriptedLink::new([cmd(0x13, &[0, 0, 0, 0]), ack(0x13, &[])]),
            quick(),
        )
        .unwrap();
        assert_eq!(
            s.verify_password().unwrap_err().kind(),
            ErrorKind::WrongPassword
        );
    }

    #[test]
    fn a_damaged_ack_is_retried_then_accepted() {
        let mut bad = Packet::ack(A, 0, &[]).encode();
        let n = bad.len();
        bad[n - 1] ^= 1;
        let mut s = R30x::new(
            ScriptedLink::new([
                cmd(0x13, &[0, 0, 0, 0]),
                Step::Reply(bad),
                Step::Silence, // the drain sees a quiet line
                cmd(0x13, &[0, 0, 0, 0]),
                ack(0, &[]),
            ]),
            quick(),
        )
        .unwrap();
        s.verify_password().unwrap();
        assert_eq!(s.stats().retries, 1);
        s.link.done();
    }

    #[test]
    fn gen_img_polls_until_a_finger_then_up_image_unpacks_nibbles() {
        let mut steps = vec![
            cmd(0x01, &[]),
            ack(0x02, &[]),
            cmd(0x01, &[]),
            ack(0x00, &[]),
            cmd(0x0A, &[]),
            ack(0x00, &[]),
        ];
        // 256 x 288 4-bit: 36864 bytes in 288 packets of 128; pixel pair (0xF, 0x0) everywhere.
        for i in 0..288 {
            let kind = if i == 287 {
                PacketKind::EndData
            } else {
                PacketKind::Data
            };
            steps.push(Step::Reply(
                Packet {
                    address: A,
                    kind,
                    payload: vec![0xF0; 128],
                }
                .encode(),
            ));
        }
        let mut s = R30x::new(ScriptedLink::new(steps), quick()).unwrap();
        s.params = Some(params());
        s.wait_for_finger(Duration::from_secs(1)).unwrap();
        let img = s.up_image().unwrap();
        assert_eq!(img.dimensions(), (256, 288));
        assert_eq!(img.get_pixel(0, 0).0[0], 255);
        assert_eq!(img.get_pixel(1, 0).0[0], 0);
        s.link.done();
    }

    #[test]
    fn a_short_image_is_an_error_not_a_panic() {
        let mut s = R30x::new(
            ScriptedLink::new([
                cmd(0x0A, &[]),
                ack(0x00, &[]),
                Step::Reply(
                    Packet {
                        address: A,
                        kind: PacketKind::EndData,
                        payload: vec![0; 10],
                    }
                    .encode(),
                ),
            ]),
            quick(),
        )
        .unwrap();
        let e = s.up_image().unwrap_err();
        assert!(matches!(e, Error::ImageSize { got: 10, .. }), "{e:?}");
    }

    #[test]
    fn a_reply_from_another_address_is_wrong_address() {
        let mut s = R30x::new(
            ScriptedLink::new([
                cmd(0x13, &[0, 0, 0, 0]),
                Step::Reply(Packet::ack(0x0BAD_CAFE, 0, &[]).encode()),
            ]),
            quick(),
        )
        .unwrap();
        let e = s.verify_password().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WrongAddress);
        assert!(e.to_string().contains("0x0badcafe"));
    }

    #[test]
    fn bad_baud_is_refused_with_the_rule() {
        let e = Config {
            baud: 50_000,
            ..Config::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("9600 x N"));
    }

    #[test]
    fn pack_and_unpack_are_inverse_on_4_bit_values() {
        let img = GrayImage::from_fn(8, 2, |x, y| image::Luma([((x + y * 8) as u8 % 16) * 17]));
        assert_eq!(unpack_image(&pack_image(&img), 8, 2), img);
    }

    #[test]
    fn product_info_round_trips() {
        let p = ProductInfo {
            model: "R503".into(),
            batch: "2611".into(),
            serial: "SN123456".into(),
            hardware_version: (1, 2),
            sensor: "FPC1011F".into(),
            width: 192,
            height: 192,
            template_size: 1536,
            database_size: 200,
        };
        let b = p.to_bytes();
        assert_eq!(b.len(), PROD_INFO_LEN);
        assert_eq!(ProductInfo::parse(&b).unwrap(), p);
        assert!(ProductInfo::parse(&b[..20]).is_err());
    }
}
