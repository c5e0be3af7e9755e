//! The firmware of a Wacom ISDV4 (W8001) pen digitiser used as a signature pad.
//!
//! On `*` it sends its query reply; on `1` it starts reporting and the simulated person signs
//! (after a short reach for the pen); on `0` it stops. Reports go out at the pad's rate,
//! optionally faster than real time so tests stay quick.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rekam_sigpad::codec::{PenReport, QueryReply, CMD_QUERY, CMD_START, CMD_STOP};

use crate::runner::Firmware;
use crate::synth::signature::{generate, SignatureSpec, Style};

/// The pad's fixed properties.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PadSettings {
    /// The query reply.
    pub caps: QueryReply,
    /// Reports a second.
    pub rate_hz: u32,
    /// 1.0 is real time; 4.0 plays a signature four times faster.
    pub speed: f64,
    /// Whether the pad answers the query at all.
    pub answers_query: bool,
}

impl Default for PadSettings {
    fn default() -> Self {
        Self {
            caps: QueryReply {
                max_x: 15_200,
                max_y: 9_500,
                max_pressure: 1023,
                max_tilt_x: 0,
                max_tilt_y: 0,
                version: 0x0105,
            },
            rate_hz: 133,
            speed: 1.0,
            answers_query: true,
        }
    }
}

/// What the simulated person does when reporting starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// Nobody signs.
    Nobody,
    /// `person` signs in `style`, reaching for the pen for `reach_ms` first.
    Person {
        /// Who (seeds the signature's design).
        person: u64,
        /// How.
        style: Style,
        /// Milliseconds before the first report.
        reach_ms: u32,
    },
}

/// The pad's firmware state.
#[derive(Debug)]
pub struct SigpadFirmware {
    settings: PadSettings,
    signer: Signer,
    queue: VecDeque<Signer>,
    streaming: bool,
    script: VecDeque<(Instant, PenReport)>,
    attempts: u64,
}

impl SigpadFirmware {
    /// A pad with `settings` whose person behaves as `signer`.
    pub fn new(settings: PadSettings, signer: Signer) -> Self {
        Self {
            settings,
            signer,
            queue: VecDeque::new(),
            streaming: false,
            script: VecDeque::new(),
            attempts: 0,
        }
    }

    /// The default signer (used when nothing is queued).
    pub fn set_signer(&mut self, signer: Signer) {
        self.signer = signer;
    }

    /// Queues a signer for the next start.
    pub fn queue(&mut self, signer: Signer) {
        self.queue.push_back(signer);
    }

    /// Changes the pad's settings.
    pub fn set_settings(&mut self, settings: PadSettings) {
        self.settings = settings;
    }

    /// Whether reports are on.
    pub fn streaming(&self) -> bool {
        self.streaming
    }

    fn start(&mut self, now: Instant) {
        self.streaming = true;
        self.script.clear();
        let signer = self.queue.pop_front().unwrap_or(self.signer);
        let Signer::Person {
            person,
            style,
            reach_ms,
        } = signer
        else {
            return;
        };
        let caps = self.settings.caps;
        let spec = SignatureSpec {
            max_x: caps.max_x,
            max_y: caps.max_y,
            max_pressure: caps.max_pressure,
            rate_hz: self.settings.rate_hz,
            style,
        };
        let reports = generate(person, self.attempts, &spec);
        self.attempts += 1;
        let speed = if self.settings.speed > 0.0 {
            self.settings.speed
        } else {
            1.0
        };
        let t0 = now + Duration::from_secs_f64(f64::from(reach_ms) / 1000.0 / speed);
        for r in reports {
            let at = t0 + Duration::from_secs_f64(f64::from(r.t_ms) / 1000.0 / speed);
            let report = PenReport {
                proximity: r.in_proximity,
                tip: r.tip,
                x: r.x,
                y: r.y,
                pressure: r.pressure,
                ..PenReport::default()
            };
            self.script.push_back((at, report));
        }
    }
}

impl Firmware for SigpadFirmware {
    fn on_bytes(&mut self, bytes: &[u8], now: Instant, out: &mut Vec<Vec<u8>>) {
        for &b in bytes {
            match b {
                CMD_STOP => {
                    self.streaming = false;
                    self.script.clear();
                }
                CMD_START if !self.streaming => self.start(now),
                CMD_QUERY if self.settings.answers_query => {
                    out.push(self.settings.caps.encode().to_vec())
                }
                _ => {}
            }
        }
    }

    fn poll(&mut self, now: Instant, out: &mut Vec<Vec<u8>>) {
        if !self.streaming {
            return;
        }
        while let Some((at, r)) = self.script.front() {
            if *at > now {
                break;
            }
            out.push(r.encode().to_vec());
            self.script.pop_front();
        }
    }

    fn reset(&mut self) {
        self.streaming = false;
        self.script.clear();
    }
}
