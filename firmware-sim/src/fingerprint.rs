//! The firmware of an R30x/R50x optical fingerprint module.
//!
//! Reuses the driver crate's packet codec (the independent pyfingerprint client in the tests
//! keeps a shared mistake from passing unnoticed) and models the module's state: password
//! verification, the image buffer, system parameters, the LED ring of R50x modules.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use rekam_fingerprint::codec::{Decoder, Packet, PacketKind, DEFAULT_ADDRESS};
use rekam_fingerprint::{instr, pack_image, ProductInfo, SystemParameters, READY_BYTE};

use crate::runner::Firmware;
use crate::synth::finger::{impression, Condition, MasterPrint};

/// Which module is simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    /// R307: 256 x 288 image, no product information, no LED ring.
    R307,
    /// R503: the R50x instruction set (product information, LED ring, handshake, sensor check),
    /// simulated with the R307's 256 x 288 image (the real, capacitive R503 has 192 x 192).
    R503,
}

/// The module's settings (what its flash holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleSettings {
    /// Which module.
    pub model: Model,
    /// Its address.
    pub address: u32,
    /// Its password.
    pub password: u32,
    /// Data packet size: 32, 64, 128 or 256.
    pub packet_size: u16,
    /// Line speed.
    pub baud: u32,
    /// Serial number reported by R50x modules.
    pub serial: String,
}

impl Default for ModuleSettings {
    fn default() -> Self {
        Self {
            model: Model::R503,
            address: DEFAULT_ADDRESS,
            password: 0,
            packet_size: 128,
            baud: 57_600,
            serial: "SIM00001".into(),
        }
    }
}

/// One finger placed on the glass by the simulated person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// Who (seeds the ridge pattern).
    pub person: u64,
    /// ISO finger position 1-10.
    pub finger: u8,
    /// How it is presented.
    pub condition: Condition,
    /// How many GenImg polls answer "no finger" before it is there.
    pub after_polls: u32,
}

/// What the simulated person does when no placement is queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// Nobody places a finger: GenImg answers "no finger" for ever.
    NoFinger,
    /// Place the next finger of `person` in ISO order, in good condition, after `after_polls`.
    Auto {
        /// Who.
        person: u64,
        /// Polls before the finger is there.
        after_polls: u32,
    },
}

/// The image width of the simulated sensor.
pub const WIDTH: u32 = 256;
/// The image height of the simulated sensor.
pub const HEIGHT: u32 = 288;

/// The module's firmware state.
#[derive(Debug)]
pub struct FingerprintFirmware {
    settings: ModuleSettings,
    decoder: Decoder,
    verified: bool,
    image: Option<Vec<u8>>,
    placements: VecDeque<Placement>,
    idle: Idle,
    polls: u32,
    auto_next: u8,
    impressions: u64,
    masters: HashMap<(u64, u8), MasterPrint>,
    led: [u8; 4],
    /// Instructions received, for tests.
    pub received: Vec<u8>,
    sensor_ok: bool,
}

impl FingerprintFirmware {
    /// A module with `settings`, whose person behaves as `idle` when nothing is queued.
    pub fn new(settings: ModuleSettings, idle: Idle) -> Self {
        Self {
            settings,
            decoder: Decoder::new(),
            verified: false,
            image: None,
            placements: VecDeque::new(),
            idle,
            polls: 0,
            auto_next: 1,
            impressions: 0,
            masters: HashMap::new(),
            led: [4, 0, 0, 0],
            received: Vec::new(),
            sensor_ok: true,
        }
    }

    /// The module's settings.
    pub fn settings(&self) -> &ModuleSettings {
        &self.settings
    }

    /// Changes the module's settings (e.g. another address or password).
    pub fn set_settings(&mut self, settings: ModuleSettings) {
        self.settings = settings;
        self.verified = false;
    }

    /// Queues a placement.
    pub fn place(&mut self, p: Placement) {
        self.placements.push_back(p);
    }

    /// Sets the idle behaviour.
    pub fn set_idle(&mut self, idle: Idle) {
        self.idle = idle;
    }

    /// The LED ring state: control, speed, colour, count.
    pub fn led(&self) -> [u8; 4] {
        self.led
    }

    /// Makes the sensor check fail (or pass again).
    pub fn set_sensor_ok(&mut self, ok: bool) {
        self.sensor_ok = ok;
    }

    /// The image the module would send, as 8-bit grey (what UpImage delivers, unpacked).
    pub fn image_buffer(&self) -> Option<image::GrayImage> {
        self.image
            .as_ref()
            .map(|d| rekam_fingerprint::unpack_image(d, WIDTH, HEIGHT))
    }

    fn params(&self) -> SystemParameters {
        SystemParameters {
            status: 0,
            system_id: 0x0009,
            library_size: 200,
            security_level: 3,
            address: self.settings.address,
            packet_size: self.settings.packet_size,
            baud: self.settings.baud,
        }
    }

    fn product(&self) -> ProductInfo {
        ProductInfo {
            model: "R503-SIM".into(),
            batch: "2611".into(),
            serial: self.settings.serial.clone(),
            hardware_version: (1, 2),
            sensor: "FPC-SIM".into(),
            width: WIDTH as u16,
            height: HEIGHT as u16,
            template_size: 1536,
            database_size: 200,
        }
    }

    fn ack(&self, code: u8, data: &[u8]) -> Vec<u8> {
        Packet::ack(self.settings.address, code, data).encode()
    }

    /// Takes an image if a finger is on the glass.
    fn gen_img(&mut self) -> u8 {
        let placement = match self.placements.front() {
            Some(p) => Some(*p),
            None => match self.idle {
                Idle::NoFinger => None,
                Idle::Auto {
                    person,
                    after_polls,
                } => Some(Placement {
                    person,
                    finger: self.auto_next,
                    condition: Condition::Good,
                    after_polls,
                }),
            },
        };
        let Some(p) = placement else {
            return 0x02;
        };
        if self.polls < p.after_polls {
            self.polls += 1;
            return 0x02;
        }
        self.polls = 0;
        if self.placements.pop_front().is_none() {
            self.auto_next = self.auto_next % 10 + 1;
        }
        let master = self
            .masters
            .entry((p.person, p.finger))
            .or_insert_with(|| MasterPrint::new(p.person, p.finger));
        // Each impression differs (placement, pressure, noise) but is reproducible: the n-th
        // impression of a simulator run with the same scenario is the same image.
        let seed = p
            .person
            .wrapping_mul(31)
            .wrapping_add(u64::from(p.finger))
            .wrapping_mul(1_000_003)
            .wrapping_add(self.impressions);
        self.impressions += 1;
        let img = impression(master, seed, p.condition, WIDTH, HEIGHT);
        self.image = Some(pack_image(&img));
        0x00
    }

    fn handle(&mut self, p: Packet, out: &mut Vec<Vec<u8>>) {
        if p.kind != PacketKind::Command {
            return;
        }
        // A module answers its own address and the broadcast address, always from its own.
        if p.address != self.settings.address && p.address != DEFAULT_ADDRESS {
            return;
        }
        let Some((&code, params)) = p.payload.split_first() else {
            out.push(self.ack(0x01, &[]));
            return;
        };
        self.received.push(code);
        let r503 = self.settings.model == Model::R503;
        if self.settings.password != 0 && !self.verified && code != instr::VFY_PWD {
            out.push(self.ack(0x21, &[]));
            return;
        }
        match code {
            instr::VFY_PWD => {
                let ok = params.len() == 4
                    && u32::from_be_bytes([params[0], params[1], params[2], params[3]])
                        == self.settings.password;
                self.verified = ok;
                out.push(self.ack(if ok { 0x00 } else { 0x13 }, &[]));
            }
            instr::READ_SYS_PARA => out.push(self.ack(0x00, &self.params().to_bytes())),
            instr::SET_SYS_PARA => {
                let ok = match params {
                    [4, n] if (1..=12).contains(n) => {
                        // Takes effect at the next power-up, as on the real module.
                        true
                    }
                    [5, n] if (1..=5).contains(n) => true,
                    [6, n] if *n <= 3 => {
                        self.settings.packet_size = 32 << n;
                        true
                    }
                    _ => false,
                };
                out.push(self.ack(if ok { 0x00 } else { 0x1A }, &[]));
            }
            instr::GEN_IMG => {
                let c = self.gen_img();
                out.push(self.ack(c, &[]));
            }
            instr::UP_IMAGE => match &self.image {
                None => out.push(self.ack(0x0F, &[])),
                Some(data) => {
                    out.push(self.ack(0x00, &[]));
                    let size = usize::from(self.settings.packet_size);
                    let n = data.len().div_ceil(size);
                    for (i, chunk) in data.chunks(size).enumerate() {
                        let kind = if i + 1 == n {
                            PacketKind::EndData
                        } else {
                            PacketKind::Data
                        };
                        out.push(
                            Packet {
                                address: self.settings.address,
                                kind,
                                payload: chunk.to_vec(),
                            }
                            .encode(),
                        );
                    }
                }
            },
            instr::SOFT_RESET => {
                out.push(self.ack(0x00, &[]));
                self.verified = false;
                self.image = None;
                out.push(vec![READY_BYTE]);
            }
            0x1D => out.push(self.ack(0x00, &[0, 0])), // TemplateNum: empty library
            0x14 => {
                let r = (self.impressions as u32).wrapping_mul(2_654_435_761);
                out.push(self.ack(0x00, &r.to_be_bytes()))
            }
            instr::READ_PROD_INFO if r503 => out.push(self.ack(0x00, &self.product().to_bytes())),
            instr::HANDSHAKE if r503 => out.push(self.ack(0x00, &[])),
            instr::CHECK_SENSOR if r503 => {
                out.push(self.ack(if self.sensor_ok { 0x00 } else { 0x29 }, &[]))
            }
            instr::AURA_LED_CONFIG if r503 && params.len() == 4 && (1..=6).contains(&params[0]) => {
                self.led = [params[0], params[1], params[2], params[3]];
                out.push(self.ack(0x00, &[]));
            }
            // Anything else: R50x modules say "unsupported command"; R30x modules answer
            // "error when receiving package".
            _ if r503 => out.push(self.ack(0xFC, &[])),
            _ => out.push(self.ack(0x01, &[])),
        }
    }
}

impl Firmware for FingerprintFirmware {
    fn on_bytes(&mut self, bytes: &[u8], _now: Instant, out: &mut Vec<Vec<u8>>) {
        self.decoder.push(bytes);
        while let Some(r) = self.decoder.next_packet() {
            match r {
                Ok(p) => self.handle(p, out),
                // A damaged command: the module answers "error when receiving package".
                Err(rekam_fingerprint::codec::DecodeError::BadChecksum { .. }) => {
                    out.push(self.ack(0x01, &[]))
                }
                Err(_) => {}
            }
        }
    }

    fn reset(&mut self) {
        self.decoder = Decoder::new();
        self.verified = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(fw: &mut FingerprintFirmware, cmd: u8, params: &[u8]) -> Vec<Packet> {
        let mut out = vec![];
        fw.on_bytes(
            &Packet::command(DEFAULT_ADDRESS, cmd, params).encode(),
            Instant::now(),
            &mut out,
        );
        let mut d = Decoder::new();
        for f in out {
            d.push(&f);
        }
        std::iter::from_fn(|| d.next_packet())
            .filter_map(Result::ok)
            .collect()
    }

    #[test]
    fn password_gates_commands() {
        let mut fw = FingerprintFirmware::new(
            ModuleSettings {
                password: 0x1234,
                ..ModuleSettings::default()
            },
            Idle::NoFinger,
        );
        assert_eq!(
            exchange(&mut fw, instr::READ_SYS_PARA, &[])[0].payload,
            [0x21]
        );
        assert_eq!(
            exchange(&mut fw, instr::VFY_PWD, &[0, 0, 0, 0])[0].payload,
            [0x13]
        );
        assert_eq!(
            exchange(&mut fw, instr::VFY_PWD, &[0, 0, 0x12, 0x34])[0].payload,
            [0x00]
        );
        assert_eq!(
            exchange(&mut fw, instr::READ_SYS_PARA, &[])[0].payload[0],
            0x00
        );
    }

    #[test]
    fn finger_arrives_after_polls_and_uploads_in_packets() {
        let mut fw = FingerprintFirmware::new(ModuleSettings::default(), Idle::NoFinger);
        assert_eq!(exchange(&mut fw, instr::UP_IMAGE, &[])[0].payload, [0x0F]);
        fw.place(Placement {
            person: 1,
            finger: 2,
            condition: Condition::Good,
            after_polls: 2,
        });
        assert_eq!(exchange(&mut fw, instr::GEN_IMG, &[])[0].payload, [0x02]);
        assert_eq!(exchange(&mut fw, instr::GEN_IMG, &[])[0].payload, [0x02]);
        assert_eq!(exchange(&mut fw, instr::GEN_IMG, &[])[0].payload, [0x00]);
        // Lifted: no finger again.
        assert_eq!(exchange(&mut fw, instr::GEN_IMG, &[])[0].payload, [0x02]);
        let packets = exchange(&mut fw, instr::UP_IMAGE, &[]);
        assert_eq!(packets.len(), 1 + 256 * 288 / 2 / 128);
        assert_eq!(packets.last().map(|p| p.kind), Some(PacketKind::EndData));
        assert!(packets[1..packets.len() - 1]
            .iter()
            .all(|p| p.kind == PacketKind::Data && p.payload.len() == 128));
    }
}
