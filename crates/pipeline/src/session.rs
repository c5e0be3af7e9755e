//! One person's recording as an explicit state machine: the header, ten fingerprints in a
//! prompted order, both irises, the face, the signature; quality gates with attempt limits;
//! exceptions that need a supervisor; going back to redo a capture; and the record built from
//! it.

use std::collections::BTreeMap;

use rekam_device::{Capture, DeviceInfo, Eye, Finger, Pixels, Position};
use rekam_quality::QualityReport;
use rekam_record::{
    sha256_hex, Attachment, CaptureDevice, CaptureEntry, CaptureStatus, Exception, ImageInfo,
    Manifest, Person, QualityEntry,
};
use serde::{Deserialize, Serialize};

/// One capture the session asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Step {
    /// A fingerprint.
    Finger(Finger),
    /// An iris.
    Iris(Eye),
    /// The face photograph.
    Face,
    /// The signature.
    Signature,
}

impl Step {
    /// The prompted order: right hand thumb to little finger, left hand likewise, right eye,
    /// left eye, face, signature.
    pub fn order() -> Vec<Step> {
        let mut v: Vec<Step> = Finger::ALL.iter().map(|f| Step::Finger(*f)).collect();
        v.extend([
            Step::Iris(Eye::Right),
            Step::Iris(Eye::Left),
            Step::Face,
            Step::Signature,
        ]);
        v
    }

    /// The body position.
    pub fn position(self) -> Position {
        match self {
            Step::Finger(f) => Position::Finger(f),
            Step::Iris(e) => Position::Iris(e),
            Step::Face => Position::Face,
            Step::Signature => Position::Signature,
        }
    }

    /// The modality name used in records and gates.
    pub fn modality(self) -> &'static str {
        match self {
            Step::Finger(_) => "finger",
            Step::Iris(_) => "iris",
            Step::Face => "face",
            Step::Signature => "signature",
        }
    }

    /// Whether a justified exception may replace this capture (missing, amputated or bandaged
    /// finger; missing eye). The face and signature have none.
    pub fn allows_exception(self) -> bool {
        matches!(self, Step::Finger(_) | Step::Iris(_))
    }
}

/// A quality gate: the threshold (a score equal to it passes) and the attempts allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    /// 0-100.
    pub threshold: u8,
    /// At least 1.
    pub attempts: u32,
}

/// The gates per modality. Defaults follow MOSIP's registration client, for reference:
/// fingerprints 40, iris 60, face 90, 3 attempts each; the signature gate is Rekam's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Gates {
    /// Fingerprints.
    pub finger: Gate,
    /// Irises.
    pub iris: Gate,
    /// Face.
    pub face: Gate,
    /// Signature.
    pub signature: Gate,
}

impl Default for Gates {
    fn default() -> Self {
        let g = |threshold| Gate {
            threshold,
            attempts: 3,
        };
        Self {
            finger: g(40),
            iris: g(60),
            face: g(90),
            signature: g(50),
        }
    }
}

impl Gates {
    /// The gate for `step`.
    pub fn for_step(&self, step: Step) -> Gate {
        match step {
            Step::Finger(_) => self.finger,
            Step::Iris(_) => self.iris,
            Step::Face => self.face,
            Step::Signature => self.signature,
        }
    }

    /// Checks the values, naming the key of the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        for (name, g) in [
            ("finger", self.finger),
            ("iris", self.iris),
            ("face", self.face),
            ("signature", self.signature),
        ] {
            if g.threshold > 100 {
                return Err(format!(
                    "[gates.{name}] threshold is {}; it must be 0-100",
                    g.threshold
                ));
            }
            if !(1..=10).contains(&g.attempts) {
                return Err(format!(
                    "[gates.{name}] attempts is {}; it must be 1-10",
                    g.attempts
                ));
            }
        }
        Ok(())
    }
}

/// What a record keeps of the device that took a capture.
pub fn capture_device(info: &DeviceInfo) -> CaptureDevice {
    CaptureDevice {
        driver: info.driver.clone(),
        model: info.model.clone(),
        serial: info.serial.clone(),
        firmware: info.firmware.clone(),
        simulated: info.simulated,
    }
}

/// What the gate decided about an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The kept capture passes: the session moves on.
    Accepted,
    /// Below the threshold; `left` attempts remain.
    Retry {
        /// Attempts left.
        left: u32,
    },
    /// The last attempt: the best capture is kept, marked force-captured; the session moves on.
    ForceCaptured,
}

/// What is kept for one step.
#[derive(Debug, Clone)]
pub struct Slot {
    /// The best capture so far and its quality.
    pub best: Option<(Capture, QualityReport)>,
    /// The device that took the best capture.
    pub device: Option<CaptureDevice>,
    /// Attempts made.
    pub attempts: u32,
    /// How it ended, once it has.
    pub status: Option<CaptureStatus>,
    /// The exception, if recorded instead.
    pub exception: Option<PendingException>,
}

/// An exception as recorded by the operator, before or after approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingException {
    /// `missing`, `amputated`, `bandaged`, `missing_eye`.
    pub reason: String,
    /// The operator's note.
    pub note: String,
    /// The photo of the exception (PNG).
    pub photo_png: Vec<u8>,
    /// The approving supervisor.
    pub approved_by: Option<String>,
}

/// Reasons an exception may give.
pub const EXCEPTION_REASONS: &[&str] = &["missing", "amputated", "bandaged", "missing_eye"];

/// The reasons that fit `step`: `missing`, `amputated` or `bandaged` for a finger,
/// `missing_eye` for an eye, none for the face and the signature (they must be captured).
pub fn exception_reasons(step: Step) -> &'static [&'static str] {
    match step {
        Step::Finger(_) => &EXCEPTION_REASONS[..3],
        Step::Iris(_) => &EXCEPTION_REASONS[3..],
        Step::Face | Step::Signature => &[],
    }
}

/// Why a planned exception is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExceptionError {
    /// The face and the signature have no exceptions.
    #[error("{0:?} cannot be excepted: it must be captured")]
    NotAllowed(Step),
    /// The reason does not fit the step.
    #[error("'{reason}' is not a reason for {step:?}: use missing, amputated or bandaged for a finger, missing_eye for an eye")]
    BadReason {
        /// The step.
        step: Step,
        /// The reason given.
        reason: String,
    },
    /// Two exceptions name the same step.
    #[error("{0:?} has two exceptions; give one per finger or eye")]
    Twice(Step),
}

/// Checks one exception: the step allows one and the reason fits it.
pub fn check_exception(step: Step, reason: &str) -> Result<(), ExceptionError> {
    let reasons = exception_reasons(step);
    if reasons.is_empty() {
        return Err(ExceptionError::NotAllowed(step));
    }
    if !reasons.contains(&reason) {
        return Err(ExceptionError::BadReason {
            step,
            reason: reason.to_string(),
        });
    }
    Ok(())
}

/// Checks the exceptions planned for a session before anything is captured: each one
/// ([`check_exception`]), and at most one per finger or eye.
pub fn check_exceptions<'a>(
    planned: impl IntoIterator<Item = (Step, &'a str)>,
) -> Result<(), ExceptionError> {
    let mut seen = std::collections::BTreeSet::new();
    for (step, reason) in planned {
        check_exception(step, reason)?;
        if !seen.insert(step) {
            return Err(ExceptionError::Twice(step));
        }
    }
    Ok(())
}

/// Where the session is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Capturing this step.
    Capturing(Step),
    /// Everything captured or excepted; waiting for approvals or sealing.
    Review,
}

/// Why the session refuses an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The action is for another step than the current one.
    #[error("the session is at {current:?}, not {asked:?}")]
    WrongStep {
        /// Current.
        current: Option<Step>,
        /// Asked.
        asked: Step,
    },
    /// The capture does not fit the step.
    #[error("a {got} capture cannot be kept for {step:?}")]
    WrongCapture {
        /// The step.
        step: Step,
        /// What came.
        got: &'static str,
    },
    /// Exceptions are not allowed for this step, or the reason is unknown.
    #[error("{0}")]
    Exception(String),
    /// Not ready to seal.
    #[error("the record cannot be sealed yet: {0}")]
    NotReady(String),
}

/// One person's recording.
#[derive(Debug, Clone)]
pub struct Session {
    person: Person,
    gates: Gates,
    order: Vec<Step>,
    slots: BTreeMap<Step, Slot>,
    phase: Phase,
    confirmed_warnings: Vec<String>,
    started_at: String,
    self_approval: bool,
}

impl Session {
    /// A session for `person` (already validated) with `gates`.
    pub fn new(person: Person, gates: Gates, confirmed_warnings: Vec<String>) -> Self {
        let order = Step::order();
        let slots = order
            .iter()
            .map(|s| {
                (
                    *s,
                    Slot {
                        best: None,
                        device: None,
                        attempts: 0,
                        status: None,
                        exception: None,
                    },
                )
            })
            .collect();
        let first = order[0];
        Self {
            person,
            gates,
            order,
            slots,
            phase: Phase::Capturing(first),
            confirmed_warnings,
            started_at: rekam_record::now_rfc3339(),
            self_approval: false,
        }
    }

    /// Whether the operator may approve the exceptions of this recording (an office whose
    /// configuration says one person may be operator and supervisor). By default the approver
    /// must be another person: [`Session::build`] refuses an exception approved by the operator.
    pub fn allow_self_approval(&mut self, allowed: bool) {
        self.self_approval = allowed;
    }

    /// The person.
    pub fn person(&self) -> &Person {
        &self.person
    }

    /// Where the session is.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// The step being captured, if any.
    pub fn current(&self) -> Option<Step> {
        match self.phase {
            Phase::Capturing(s) => Some(s),
            Phase::Review => None,
        }
    }

    /// What is kept for `step`.
    pub fn slot(&self, step: Step) -> Option<&Slot> {
        self.slots.get(&step)
    }

    /// The gate of `step`.
    pub fn gate(&self, step: Step) -> Gate {
        self.gates.for_step(step)
    }

    fn check_current(&self, step: Step) -> Result<(), SessionError> {
        if self.current() != Some(step) {
            return Err(SessionError::WrongStep {
                current: self.current(),
                asked: step,
            });
        }
        Ok(())
    }

    /// The next step after `step` that has no result yet, or Review.
    fn advance(&mut self) {
        let next = self
            .order
            .iter()
            .copied()
            .find(|s| self.slots.get(s).is_some_and(|slot| slot.status.is_none()));
        self.phase = match next {
            Some(s) => Phase::Capturing(s),
            None => Phase::Review,
        };
    }

    /// Offers an attempt for the current step, taken by `device`. A recapture replaces the
    /// kept one only if it is at least as good; a score equal to the threshold passes; after
    /// the last attempt the best is kept as force-captured.
    pub fn offer(
        &mut self,
        step: Step,
        capture: Capture,
        report: QualityReport,
        device: &DeviceInfo,
    ) -> Result<Decision, SessionError> {
        self.check_current(step)?;
        let fits = matches!(
            (&step, &capture),
            (Step::Signature, Capture::Pen(_))
                | (
                    Step::Finger(_) | Step::Iris(_) | Step::Face,
                    Capture::Image(_)
                )
        );
        if !fits {
            return Err(SessionError::WrongCapture {
                step,
                got: match capture {
                    Capture::Pen(_) => "pen",
                    Capture::Image(_) => "image",
                },
            });
        }
        let gate = self.gates.for_step(step);
        let slot = self.slots.entry(step).or_insert(Slot {
            best: None,
            device: None,
            attempts: 0,
            status: None,
            exception: None,
        });
        slot.attempts += 1;
        let better = slot
            .best
            .as_ref()
            .is_none_or(|(_, kept)| report.score >= kept.score);
        if better {
            slot.best = Some((capture, report));
            slot.device = Some(capture_device(device));
        }
        let best_score = slot.best.as_ref().map_or(0, |(_, r)| r.score);
        let decision = if best_score >= gate.threshold {
            slot.status = Some(CaptureStatus::Captured);
            Decision::Accepted
        } else if slot.attempts >= gate.attempts {
            slot.status = Some(CaptureStatus::ForceCaptured);
            Decision::ForceCaptured
        } else {
            Decision::Retry {
                left: gate.attempts - slot.attempts,
            }
        };
        let done = slot.status.is_some();
        if done {
            self.advance();
        }
        Ok(decision)
    }

    /// Records a justified exception for the current step (a photo of the exception is
    /// required); it needs a supervisor's approval before the record can be sealed.
    pub fn except(
        &mut self,
        step: Step,
        reason: &str,
        note: &str,
        photo_png: Vec<u8>,
    ) -> Result<(), SessionError> {
        self.check_current(step)?;
        check_exception(step, reason).map_err(|e| SessionError::Exception(e.to_string()))?;
        if photo_png.is_empty() {
            return Err(SessionError::Exception(
                "an exception needs a photo of it".into(),
            ));
        }
        if let Some(slot) = self.slots.get_mut(&step) {
            slot.best = None;
            slot.device = None;
            slot.status = Some(CaptureStatus::Exception);
            slot.exception = Some(PendingException {
                reason: reason.into(),
                note: note.into(),
                photo_png,
                approved_by: None,
            });
        }
        self.advance();
        Ok(())
    }

    /// Exceptions still waiting for a supervisor.
    pub fn pending_approvals(&self) -> Vec<Step> {
        self.slots
            .iter()
            .filter(|(_, s)| {
                s.exception
                    .as_ref()
                    .is_some_and(|e| e.approved_by.is_none())
            })
            .map(|(k, _)| *k)
            .collect()
    }

    /// A supervisor approves every pending exception.
    pub fn approve_exceptions(&mut self, supervisor_id: &str) {
        for s in self.slots.values_mut() {
            if let Some(e) = s.exception.as_mut() {
                e.approved_by
                    .get_or_insert_with(|| supervisor_id.to_string());
            }
        }
    }

    /// Goes back to redo `step`: its kept capture and attempts are cleared.
    pub fn redo(&mut self, step: Step) {
        if let Some(s) = self.slots.get_mut(&step) {
            *s = Slot {
                best: None,
                device: None,
                attempts: 0,
                status: None,
                exception: None,
            };
            self.phase = Phase::Capturing(step);
        }
    }

    /// Builds the manifest and attachments, ready to seal. The session must be in Review with
    /// every exception approved.
    pub fn build(
        &self,
        station_id: &str,
        operator_id: &str,
        station_public_key: &str,
    ) -> Result<(Manifest, Vec<Attachment>), SessionError> {
        if self.phase != Phase::Review {
            return Err(SessionError::NotReady(format!(
                "{:?} is not captured",
                self.current()
            )));
        }
        let pending = self.pending_approvals();
        if !pending.is_empty() {
            return Err(SessionError::NotReady(format!(
                "{} exception(s) need a supervisor's approval",
                pending.len()
            )));
        }
        let own = self
            .slots
            .values()
            .filter_map(|s| s.exception.as_ref())
            .any(|e| e.approved_by.as_deref() == Some(operator_id));
        if own && !self.self_approval {
            return Err(SessionError::Exception(format!(
                "the operator {operator_id} approved an exception of their own recording; another person (the head of service) must approve it"
            )));
        }
        let mut m = Manifest::new(
            station_id,
            operator_id,
            station_public_key,
            self.person.clone(),
        );
        m.started_at = self.started_at.clone();
        m.confirmed_warnings = self.confirmed_warnings.clone();
        let mut files = Vec::new();
        for step in &self.order {
            let Some(slot) = self.slots.get(step) else {
                continue;
            };
            let pos = step.position().to_string();
            let mut entry = CaptureEntry {
                modality: step.modality().into(),
                position: pos.clone(),
                status: slot.status.unwrap_or(CaptureStatus::Exception),
                attempts: slot.attempts,
                quality: None,
                file: None,
                sha256: None,
                image: None,
                exception: None,
                device: None,
            };
            if let Some(e) = &slot.exception {
                let name = format!("exceptions/{pos}.png");
                entry.exception = Some(Exception {
                    reason: e.reason.clone(),
                    note: e.note.clone(),
                    photo_file: Some(name.clone()),
                    photo_sha256: Some(sha256_hex(&e.photo_png)),
                    approved_by: e.approved_by.clone(),
                });
                m.supervisor_id = e.approved_by.clone().or(m.supervisor_id.take());
                files.push(Attachment::new(name, e.photo_png.clone()));
            }
            if let Some((capture, report)) = &slot.best {
                entry.quality = Some(QualityEntry {
                    score: report.score,
                    threshold: self.gates.for_step(*step).threshold,
                    measures: report
                        .measures
                        .iter()
                        .map(|m| (m.name.to_string(), m.value))
                        .collect(),
                });
                let (bytes, info, name) = encode(capture, &pos).map_err(|e| {
                    SessionError::NotReady(format!("{pos} could not be encoded: {e}"))
                })?;
                entry.sha256 = Some(sha256_hex(&bytes));
                entry.file = Some(name.clone());
                entry.image = info;
                entry.device = slot.device.clone();
                files.push(Attachment::new(name, bytes));
            }
            m.captures.push(entry);
        }
        Ok((m, files))
    }
}

/// The stored bytes of a capture: images as PNG; a signature as JSON of its pen series.
fn encode(c: &Capture, pos: &str) -> Result<(Vec<u8>, Option<ImageInfo>, String), String> {
    match c {
        Capture::Image(img) => {
            let png = img.to_png().map_err(|e| e.to_string())?;
            let pixel = match img.pixels {
                Pixels::Gray(_) => "gray8",
                Pixels::Rgb(_) => "rgb8",
            };
            Ok((
                png,
                Some(ImageInfo {
                    format: "png".into(),
                    width: img.width(),
                    height: img.height(),
                    ppi: img.ppi,
                    pixel: pixel.into(),
                    source_levels: img.source_levels,
                }),
                format!("captures/{pos}.png"),
            ))
        }
        Capture::Pen(p) => Ok((
            serde_json::to_vec(p).map_err(|e| e.to_string())?,
            None,
            format!("captures/{pos}.json"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rekam_device::{ImageCapture, PenCapture};
    use rekam_quality::{Modality, QualityReport};
    use rekam_record::{Service, Sex};

    fn person() -> Person {
        Person {
            nik: "3578015507990002".into(),
            name: "Dewi".into(),
            birth_date: "1999-07-15".into(),
            sex: Sex::Female,
            service: Service::New,
        }
    }

    fn report(score: u8) -> QualityReport {
        QualityReport {
            modality: Modality::Finger,
            score,
            measures: vec![],
            feedback: vec![],
        }
    }

    fn image(v: u8, pos: Position) -> Capture {
        Capture::Image(ImageCapture {
            pixels: Pixels::Gray(image::GrayImage::from_pixel(4, 4, image::Luma([v]))),
            ppi: Some(500),
            position: pos,
            source_levels: 16,
        })
    }

    fn pen() -> Capture {
        Capture::Pen(PenCapture {
            strokes: vec![],
            max_x: 10,
            max_y: 10,
            max_pressure: 10,
            units_per_mm: 100,
            duration_us: 0,
        })
    }

    fn dev(serial: &str) -> DeviceInfo {
        DeviceInfo {
            kind: rekam_device::DeviceKind::Fingerprint,
            driver: "r30x".into(),
            model: "R503".into(),
            serial: Some(serial.into()),
            firmware: Some("hardware 1.0".into()),
            port: "/dev/ttyUSB0".into(),
            details: vec![],
            simulated: serial.starts_with("SIM"),
        }
    }

    fn complete(s: &mut Session) {
        while let Some(step) = s.current() {
            let c = if step == Step::Signature {
                pen()
            } else {
                image(1, step.position())
            };
            s.offer(step, c, report(100), &dev("A1")).unwrap();
        }
    }

    #[test]
    fn steps_follow_the_prompted_order() {
        let order = Step::order();
        assert_eq!(order.len(), 14);
        assert_eq!(order[0], Step::Finger(Finger::RightThumb));
        assert_eq!(order[5], Step::Finger(Finger::LeftThumb));
        assert_eq!(
            &order[10..],
            &[
                Step::Iris(Eye::Right),
                Step::Iris(Eye::Left),
                Step::Face,
                Step::Signature
            ]
        );
    }

    #[test]
    fn threshold_passes_and_better_replaces_worse_only() {
        let mut s = Session::new(person(), Gates::default(), vec![]);
        let step = Step::Finger(Finger::RightThumb);
        assert_eq!(
            s.offer(step, image(1, step.position()), report(30), &dev("A1"))
                .unwrap(),
            Decision::Retry { left: 2 }
        );
        // A worse recapture does not replace the kept one.
        assert_eq!(
            s.offer(step, image(2, step.position()), report(20), &dev("A1"))
                .unwrap(),
            Decision::Retry { left: 1 }
        );
        assert_eq!(s.slot(step).unwrap().best.as_ref().unwrap().1.score, 30);
        // Equal to the threshold passes.
        assert_eq!(
            s.offer(step, image(3, step.position()), report(40), &dev("A1"))
                .unwrap(),
            Decision::Accepted
        );
        assert_eq!(s.current(), Some(Step::Finger(Finger::RightIndex)));
    }

    #[test]
    fn last_attempt_keeps_the_best_as_force_captured() {
        let mut s = Session::new(person(), Gates::default(), vec![]);
        let step = Step::Finger(Finger::RightThumb);
        s.offer(step, image(1, step.position()), report(10), &dev("A1"))
            .unwrap();
        // The operator swapped scanners between attempts: the kept capture keeps its device.
        s.offer(step, image(2, step.position()), report(35), &dev("B2"))
            .unwrap();
        assert_eq!(
            s.offer(step, image(3, step.position()), report(20), &dev("SIM3"))
                .unwrap(),
            Decision::ForceCaptured
        );
        let slot = s.slot(step).unwrap();
        assert_eq!(slot.status, Some(CaptureStatus::ForceCaptured));
        assert_eq!(slot.best.as_ref().unwrap().1.score, 35);
        assert_eq!(slot.attempts, 3);
        assert_eq!(
            slot.device.as_ref().and_then(|d| d.serial.as_deref()),
            Some("B2")
        );
    }

    #[test]
    fn the_manifest_names_the_device_of_every_kept_capture() {
        let mut s = Session::new(person(), Gates::default(), vec![]);
        while let Some(step) = s.current() {
            let (c, d) = match step {
                Step::Signature => (pen(), dev("P1")),
                Step::Face => (image(1, step.position()), dev("SIM-CAM")),
                _ => (image(1, step.position()), dev("A1")),
            };
            s.offer(step, c, report(100), &d).unwrap();
        }
        let (m, _) = s.build("ST", "op", "00").unwrap();
        assert_eq!(m.format, rekam_record::FORMAT);
        assert!(m.captures.iter().all(|c| c.device.is_some()));
        assert_eq!(m.simulated_captures(), 1);
        let face = m.captures.iter().find(|c| c.position == "face").unwrap();
        let d = face.device.as_ref().unwrap();
        assert!(d.simulated && d.driver == "r30x" && d.serial.as_deref() == Some("SIM-CAM"));
    }

    #[test]
    fn exceptions_need_a_photo_a_reason_and_approval() {
        let mut s = Session::new(person(), Gates::default(), vec![]);
        let step = Step::Finger(Finger::RightThumb);
        assert!(s.except(step, "tired", "", vec![1]).is_err());
        assert!(s.except(step, "amputated", "", vec![]).is_err());
        s.except(step, "amputated", "since 2015", vec![0x89, b'P'])
            .unwrap();
        complete(&mut s);
        assert_eq!(s.pending_approvals(), vec![step]);
        assert!(matches!(
            s.build("ST", "op", "00"),
            Err(SessionError::NotReady(_))
        ));
        s.approve_exceptions("sup-1");
        let (m, files) = s.build("ST", "op", "00").unwrap();
        let c = &m.captures[0];
        assert_eq!(c.status, CaptureStatus::Exception);
        assert_eq!(
            c.exception.as_ref().unwrap().approved_by.as_deref(),
            Some("sup-1")
        );
        assert_eq!(m.supervisor_id.as_deref(), Some("sup-1"));
        assert_eq!(m.captures.len(), 14);
        assert_eq!(files.len(), 14);
        assert!(s.except(Step::Face, "missing", "", vec![1]).is_err());
    }

    #[test]
    fn planned_exceptions_are_checked_before_anything_is_captured() {
        use rekam_device::Finger::{LeftLittle, RightThumb};
        // The two refused only after nine fingers before (issue 10, 4.5).
        assert_eq!(
            check_exceptions([(Step::Finger(LeftLittle), "lost")]),
            Err(ExceptionError::BadReason {
                step: Step::Finger(LeftLittle),
                reason: "lost".into()
            })
        );
        assert_eq!(
            check_exceptions([(Step::Face, "missing")]),
            Err(ExceptionError::NotAllowed(Step::Face))
        );
        assert_eq!(
            check_exceptions([(Step::Signature, "missing")]),
            Err(ExceptionError::NotAllowed(Step::Signature))
        );
        // A finger's reason does not fit an eye, nor an eye's a finger.
        assert!(check_exceptions([(Step::Iris(Eye::Left), "amputated")]).is_err());
        assert!(check_exceptions([(Step::Finger(RightThumb), "missing_eye")]).is_err());
        // One exception per finger.
        assert_eq!(
            check_exceptions([
                (Step::Finger(LeftLittle), "amputated"),
                (Step::Finger(RightThumb), "bandaged"),
                (Step::Finger(LeftLittle), "bandaged"),
            ]),
            Err(ExceptionError::Twice(Step::Finger(LeftLittle)))
        );
        check_exceptions([
            (Step::Finger(LeftLittle), "amputated"),
            (Step::Finger(RightThumb), "bandaged"),
            (Step::Iris(Eye::Right), "missing_eye"),
        ])
        .unwrap();
        assert_eq!(exception_reasons(Step::Face), &[] as &[&str]);
    }

    #[test]
    fn the_operator_does_not_approve_their_own_exception_unless_allowed() {
        let mut s = Session::new(person(), Gates::default(), vec![]);
        let step = Step::Finger(Finger::RightThumb);
        s.except(step, "amputated", "", vec![0x89, b'P']).unwrap();
        complete(&mut s);
        s.approve_exceptions("op");
        let e = s.build("ST", "op", "00").unwrap_err();
        assert!(e.to_string().contains("another person"), "{e}");
        // Another operator's record with the same approver is fine.
        s.build("ST", "op-2", "00").unwrap();
        // An office where one person holds both roles.
        s.allow_self_approval(true);
        let (m, _) = s.build("ST", "op", "00").unwrap();
        assert_eq!(m.supervisor_id.as_deref(), Some("op"));
    }

    #[test]
    fn redo_goes_back_and_wrong_steps_are_refused() {
        let mut s = Session::new(person(), Gates::default(), vec![]);
        complete(&mut s);
        assert_eq!(s.phase(), &Phase::Review);
        let step = Step::Iris(Eye::Left);
        s.redo(step);
        assert_eq!(s.current(), Some(step));
        assert!(s
            .offer(
                Step::Face,
                image(1, Position::Face),
                report(100),
                &dev("A1")
            )
            .is_err());
        assert!(matches!(
            s.offer(step, pen(), report(100), &dev("A1")),
            Err(SessionError::WrongCapture { .. })
        ));
        s.offer(step, image(9, step.position()), report(99), &dev("A1"))
            .unwrap();
        assert_eq!(s.phase(), &Phase::Review);
        let (m, files) = s.build("ST", "op", "00").unwrap();
        assert!(files.iter().any(|f| f.name == "captures/left_eye.png"));
        assert!(files.iter().any(|f| f.name == "captures/signature.json"));
        assert_eq!(
            m.captures
                .iter()
                .filter(|c| c.status == CaptureStatus::Captured)
                .count(),
            14
        );
    }

    #[test]
    fn gates_validate_with_the_key() {
        let mut g = Gates::default();
        assert_eq!(g.finger.threshold, 40);
        assert_eq!(g.face.threshold, 90);
        g.iris.attempts = 0;
        assert!(g.validate().unwrap_err().contains("gates.iris"));
    }
}
