//! Drives a [`Session`] with devices: for each step, capture on the right device, score it,
//! offer it to the gate, and tell the operator what happened. A device fault (a pulled cable, a
//! timeout) never loses what was already captured: the engine reconnects (or the operator
//! switches device) and continues at the same step.

use std::time::Duration;

use rekam_device::{Capture, CaptureRequest, Device, DeviceError, DeviceKind, ErrorKind};
use rekam_quality::QualityReport;
use rekam_record::Person;

use crate::session::{Decision, Session, SessionError, Step};

/// Scores a capture for a step.
pub trait Assessor {
    /// What is kept of a capture for `step` (e.g. the portrait cropped from a camera frame).
    /// The default keeps it as it came.
    fn prepare(&self, _step: Step, capture: Capture) -> Capture {
        capture
    }

    /// The quality of `capture` taken at `step` of `person`'s session.
    fn assess(
        &self,
        step: Step,
        capture: &Capture,
        person: &Person,
    ) -> Result<QualityReport, String>;
}

/// Opens a device again after a fault (the same one reconnected, or another one).
pub trait Reconnect {
    /// A device of `kind`, ready to capture.
    fn reopen(&mut self, kind: DeviceKind) -> Result<Box<dyn Device>, DeviceError>;
}

/// The operator's decisions the engine needs.
pub trait Operator {
    /// Before capturing `step`: an exception to record instead (reason, note, photo PNG).
    fn exception_for(&mut self, _step: Step) -> Option<(String, String, Vec<u8>)> {
        None
    }
    /// In review, with exceptions pending: the approving supervisor's id, if one approves.
    fn approve(&mut self, _pending: &[Step]) -> Option<String> {
        None
    }
}

/// What the operator sees.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Capturing `step`, attempt `attempt` of `of`.
    Prompt {
        /// The step.
        step: Step,
        /// 1-based attempt.
        attempt: u32,
        /// Attempts allowed.
        of: u32,
    },
    /// A capture was scored.
    Scored {
        /// The step.
        step: Step,
        /// Its report.
        report: QualityReport,
        /// What the gate decided.
        decision: Decision,
    },
    /// An exception was recorded for `step`.
    Excepted {
        /// The step.
        step: Step,
        /// The reason.
        reason: String,
    },
    /// The device failed; what it said.
    DeviceFault {
        /// The step.
        step: Step,
        /// The error kind.
        kind: ErrorKind,
        /// The sentence.
        message: String,
    },
    /// The device was opened again and the session continues.
    Reconnected {
        /// Which device.
        kind: DeviceKind,
    },
    /// The person did not present in time; asked again.
    NotPresented {
        /// The step.
        step: Step,
    },
}

/// The devices of the station, by kind.
#[derive(Debug, Default)]
pub struct Devices {
    /// Fingerprint scanner.
    pub finger: Option<Box<dyn Device>>,
    /// Iris scanner.
    pub iris: Option<Box<dyn Device>>,
    /// Camera.
    pub camera: Option<Box<dyn Device>>,
    /// Signature pad.
    pub signature_pad: Option<Box<dyn Device>>,
}

impl Devices {
    /// The place of the device of `kind`.
    pub fn slot(&mut self, kind: DeviceKind) -> &mut Option<Box<dyn Device>> {
        match kind {
            DeviceKind::Fingerprint => &mut self.finger,
            DeviceKind::Iris => &mut self.iris,
            DeviceKind::Camera => &mut self.camera,
            DeviceKind::SignaturePad => &mut self.signature_pad,
        }
    }
}

/// The device kind a step needs.
pub fn kind_for(step: Step) -> DeviceKind {
    match step {
        Step::Finger(_) => DeviceKind::Fingerprint,
        Step::Iris(_) => DeviceKind::Iris,
        Step::Face => DeviceKind::Camera,
        Step::Signature => DeviceKind::SignaturePad,
    }
}

/// How patient the engine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// How long one capture waits for the person.
    pub capture_timeout: Duration,
    /// Reconnection attempts after a device fault, per step.
    pub reconnects: u32,
    /// Times the person is asked again after not presenting, per step.
    pub re_prompts: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            capture_timeout: Duration::from_secs(20),
            reconnects: 3,
            re_prompts: 2,
        }
    }
}

/// Why the engine stopped before the session was complete. The session keeps everything
/// captured so far and can be run again from where it stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// No device of that kind is configured or it could not be reopened.
    #[error("the {kind} is not available ({message}); reconnect it and continue the session")]
    Device {
        /// Which.
        kind: DeviceKind,
        /// Why.
        message: String,
    },
    /// The person did not present.
    #[error("the person did not present for {0:?}; continue the session when ready")]
    NotPresented(Step),
    /// The quality could not be computed.
    #[error("the capture for {step:?} could not be scored: {message}")]
    Quality {
        /// The step.
        step: Step,
        /// Why.
        message: String,
    },
    /// The session refused an action.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// Exceptions were not approved.
    #[error("{0} exception(s) wait for a supervisor's approval")]
    NeedsApproval(usize),
}

/// Runs the session until it is complete (Review, exceptions approved) or cannot go on.
pub fn run(
    session: &mut Session,
    devices: &mut Devices,
    assessor: &dyn Assessor,
    reconnect: &mut dyn Reconnect,
    operator: &mut dyn Operator,
    policy: Policy,
    observe: &mut dyn FnMut(&Event),
) -> Result<(), EngineError> {
    while let Some(step) = session.current() {
        if let Some((reason, note, photo)) = operator.exception_for(step) {
            session.except(step, &reason, &note, photo)?;
            observe(&Event::Excepted { step, reason });
            continue;
        }
        let kind = kind_for(step);
        let (mut faults, mut absent) = (0u32, 0u32);
        loop {
            let gate = session.gate(step);
            let attempt = session.slot(step).map_or(0, |s| s.attempts) + 1;
            observe(&Event::Prompt {
                step,
                attempt,
                of: gate.attempts,
            });
            let slot = devices.slot(kind);
            // The device says what it is before each capture: the record names the device
            // that took the kept one, even after a swap at the terminal.
            let result = match slot.as_mut() {
                Some(d) => d.info().and_then(|info| {
                    d.capture(&CaptureRequest::new(
                        step.position(),
                        policy.capture_timeout,
                    ))
                    .map(|c| (c, info))
                }),
                None => Err(DeviceError::new(
                    ErrorKind::NotFound,
                    format!("no {kind} is open"),
                )),
            };
            match result {
                Ok((capture, device)) => {
                    let capture = assessor.prepare(step, capture);
                    let report = assessor
                        .assess(step, &capture, session.person())
                        .map_err(|message| EngineError::Quality { step, message })?;
                    let decision = session.offer(step, capture, report.clone(), &device)?;
                    observe(&Event::Scored {
                        step,
                        report,
                        decision,
                    });
                    if !matches!(decision, Decision::Retry { .. }) {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::NoPresentation => {
                    observe(&Event::NotPresented { step });
                    absent += 1;
                    if absent > policy.re_prompts {
                        return Err(EngineError::NotPresented(step));
                    }
                }
                Err(e) => {
                    observe(&Event::DeviceFault {
                        step,
                        kind: e.kind(),
                        message: e.message().to_string(),
                    });
                    faults += 1;
                    if faults > policy.reconnects {
                        return Err(EngineError::Device {
                            kind,
                            message: e.message().to_string(),
                        });
                    }
                    // Drop the broken handle first: the port must be free to reopen.
                    *devices.slot(kind) = None;
                    match reconnect.reopen(kind) {
                        Ok(d) => {
                            *devices.slot(kind) = Some(d);
                            observe(&Event::Reconnected { kind });
                        }
                        Err(e2) => {
                            tracing::warn!(%kind, error = %e2, "reconnect failed");
                        }
                    }
                }
            }
        }
    }
    let pending = session.pending_approvals();
    if !pending.is_empty() {
        match operator.approve(&pending) {
            Some(supervisor) => session.approve_exceptions(&supervisor),
            None => return Err(EngineError::NeedsApproval(pending.len())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Gates;
    use rekam_device::{DeviceInfo, ImageCapture, PenCapture, Pixels, SelfTestReport};
    use rekam_quality::Modality;
    use rekam_record::{Service, Sex};
    use std::collections::VecDeque;

    /// A device that plays a list of outcomes (a test double for the engine's logic; the
    /// end-to-end tests use firmware-sim).
    #[derive(Debug)]
    struct Script(VecDeque<Result<u8, ErrorKind>>, DeviceKind);

    impl Device for Script {
        fn info(&mut self) -> Result<DeviceInfo, DeviceError> {
            Ok(DeviceInfo {
                kind: self.1,
                driver: "script".into(),
                model: format!("scripted {}", self.1),
                serial: None,
                firmware: None,
                port: "script".into(),
                details: vec![],
                simulated: true,
            })
        }
        fn self_test(&mut self) -> Result<SelfTestReport, DeviceError> {
            Ok(SelfTestReport::default())
        }
        fn capture(&mut self, r: &CaptureRequest) -> Result<Capture, DeviceError> {
            match self.0.pop_front().unwrap_or(Ok(90)) {
                Ok(v) if self.1 == DeviceKind::SignaturePad => Ok(Capture::Pen(PenCapture {
                    strokes: vec![],
                    max_x: u16::from(v),
                    max_y: 1,
                    max_pressure: 1,
                    units_per_mm: 100,
                    duration_us: 0,
                })),
                Ok(v) => Ok(Capture::Image(ImageCapture {
                    pixels: Pixels::Gray(image::GrayImage::from_pixel(2, 2, image::Luma([v]))),
                    ppi: None,
                    position: r.position,
                    source_levels: 256,
                })),
                Err(k) => Err(DeviceError::new(k, "scripted")),
            }
        }
        fn close(&mut self) -> Result<(), DeviceError> {
            Ok(())
        }
    }

    /// Scores an image by its grey value, a pen series by max_x.
    struct ByValue;
    impl Assessor for ByValue {
        fn assess(&self, _s: Step, c: &Capture, _p: &Person) -> Result<QualityReport, String> {
            let score = match c {
                Capture::Image(i) => match &i.pixels {
                    Pixels::Gray(g) => g.get_pixel(0, 0).0[0],
                    Pixels::Rgb(_) => 0,
                },
                Capture::Pen(p) => p.max_x as u8,
            };
            Ok(QualityReport {
                modality: Modality::Finger,
                score,
                measures: vec![],
                feedback: vec![],
            })
        }
    }

    struct Fresh(u32);
    impl Reconnect for Fresh {
        fn reopen(&mut self, kind: DeviceKind) -> Result<Box<dyn Device>, DeviceError> {
            self.0 += 1;
            Ok(Box::new(Script(VecDeque::new(), kind)))
        }
    }

    struct Amputee;
    impl Operator for Amputee {
        fn exception_for(&mut self, step: Step) -> Option<(String, String, Vec<u8>)> {
            (step == Step::Finger(rekam_device::Finger::LeftLittle)).then(|| {
                (
                    "amputated".into(),
                    "since 2010".into(),
                    vec![0x89, b'P', b'N', b'G'],
                )
            })
        }
        fn approve(&mut self, _p: &[Step]) -> Option<String> {
            Some("sup-2".into())
        }
    }

    fn person() -> Person {
        Person {
            nik: "3578011207990001".into(),
            name: "B".into(),
            birth_date: "1999-07-12".into(),
            sex: Sex::Male,
            service: Service::New,
        }
    }

    #[test]
    fn a_pulled_cable_mid_session_keeps_what_was_captured() {
        let mut s = Session::new(person(), Gates::default(), vec![]);
        // Two good fingers, then the cable goes; after reconnecting, the rest.
        let finger = Script(
            VecDeque::from([
                Ok(90),
                Ok(90),
                Err(ErrorKind::Disconnected),
                Err(ErrorKind::NoPresentation),
            ]),
            DeviceKind::Fingerprint,
        );
        let mut devices = Devices {
            finger: Some(Box::new(finger)),
            iris: Some(Box::new(Script(
                VecDeque::from([Ok(30), Ok(70)]),
                DeviceKind::Iris,
            ))),
            camera: Some(Box::new(Script(VecDeque::new(), DeviceKind::Camera))),
            signature_pad: Some(Box::new(Script(VecDeque::new(), DeviceKind::SignaturePad))),
        };
        let mut fresh = Fresh(0);
        let mut events = Vec::new();
        run(
            &mut s,
            &mut devices,
            &ByValue,
            &mut fresh,
            &mut Amputee,
            Policy::default(),
            &mut |e| events.push(e.clone()),
        )
        .unwrap();
        assert_eq!(fresh.0, 1, "reconnected once");
        assert!(events.iter().any(|e| matches!(
            e,
            Event::DeviceFault {
                kind: ErrorKind::Disconnected,
                ..
            }
        )));
        assert!(events.iter().any(|e| matches!(
            e,
            Event::Reconnected {
                kind: DeviceKind::Fingerprint
            }
        )));
        assert!(events.iter().any(|e| matches!(e, Event::Excepted { .. })));
        // The first iris needed a second attempt (30 < 60, then 70).
        assert_eq!(
            s.slot(Step::Iris(rekam_device::Eye::Right))
                .unwrap()
                .attempts,
            2
        );
        assert!(s.pending_approvals().is_empty());
        let (m, _) = s.build("ST", "op", "00").unwrap();
        assert_eq!(m.captures.len(), 14);
        assert_eq!(m.supervisor_id.as_deref(), Some("sup-2"));
        // Each kept capture names the device the engine took it with; the exception none.
        for c in &m.captures {
            let want = match c.modality.as_str() {
                _ if c.exception.is_some() => None,
                "finger" => Some("scripted fingerprint"),
                "iris" => Some("scripted iris"),
                "face" => Some("scripted camera"),
                _ => Some("scripted signature_pad"),
            };
            assert_eq!(c.device.as_ref().map(|d| d.model.as_str()), want);
        }
        assert_eq!(m.simulated_captures(), 13);
    }

    #[test]
    fn a_device_that_stays_gone_stops_the_session_resumably() {
        struct Never;
        impl Reconnect for Never {
            fn reopen(&mut self, kind: DeviceKind) -> Result<Box<dyn Device>, DeviceError> {
                Err(DeviceError::new(ErrorKind::NotFound, format!("no {kind}")))
            }
        }
        struct Nobody;
        impl Operator for Nobody {}
        let mut s = Session::new(person(), Gates::default(), vec![]);
        let mut devices = Devices {
            finger: Some(Box::new(Script(
                VecDeque::from([Ok(90), Err(ErrorKind::Disconnected)]),
                DeviceKind::Fingerprint,
            ))),
            ..Devices::default()
        };
        let e = run(
            &mut s,
            &mut devices,
            &ByValue,
            &mut Never,
            &mut Nobody,
            Policy {
                reconnects: 2,
                ..Policy::default()
            },
            &mut |_| {},
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                EngineError::Device {
                    kind: DeviceKind::Fingerprint,
                    ..
                }
            ),
            "{e}"
        );
        // The first finger is kept; the session waits at the second.
        assert_eq!(
            s.current(),
            Some(Step::Finger(rekam_device::Finger::RightIndex))
        );
        assert!(s
            .slot(Step::Finger(rekam_device::Finger::RightThumb))
            .unwrap()
            .best
            .is_some());
    }
}
