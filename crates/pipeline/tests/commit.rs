//! Sealing a complete session into the store, and the recording-once rule.
#![allow(clippy::unwrap_used)]

use rekam_device::{Capture, ImageCapture, PenCapture, Pixels};
use rekam_pipeline::{Enrollment, Gates, PipelineError, Session, Step};
use rekam_quality::{Modality, QualityReport};
use rekam_record::{Person, Service, Sex, StationKey};
use rekam_store::Store;

fn complete(service: Service) -> Session {
    complete_as("3578011207990001", service)
}

fn complete_as(nik: &str, service: Service) -> Session {
    let mut s = Session::new(
        Person {
            nik: nik.into(),
            name: "Budi".into(),
            birth_date: "1999-07-12".into(),
            sex: Sex::Male,
            service,
        },
        Gates::default(),
        vec![],
    );
    while let Some(step) = s.current() {
        let c = match step {
            Step::Signature => Capture::Pen(PenCapture {
                strokes: vec![],
                max_x: 1,
                max_y: 1,
                max_pressure: 1,
                units_per_mm: 100,
                duration_us: 0,
            }),
            _ => Capture::Image(ImageCapture {
                pixels: Pixels::Gray(image::GrayImage::from_pixel(8, 8, image::Luma([7]))),
                ppi: None,
                position: step.position(),
                source_levels: 256,
            }),
        };
        s.offer(
            step,
            c,
            QualityReport {
                modality: Modality::Face,
                score: 95,
                measures: vec![],
                feedback: vec![],
            },
            &rekam_device::DeviceInfo {
                kind: rekam_pipeline::engine::kind_for(step),
                driver: "r30x".into(),
                model: "R503".into(),
                serial: Some("00A1B2C3".into()),
                firmware: None,
                port: "/dev/ttyUSB0".into(),
                details: vec![],
                simulated: false,
            },
        )
        .unwrap();
    }
    s
}

#[test]
fn a_session_is_sealed_verified_and_a_repeat_nik_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let key = StationKey::generate();
    let e = Enrollment {
        station_id: "ST-01",
        operator_id: "op-3",
        key: &key,
        store: &store,
    };
    let entry = e.seal_and_commit(&complete(Service::New)).unwrap();
    let v =
        rekam_record::verify(&store.read(&entry.record_id).unwrap(), &key.verifying_key()).unwrap();
    assert_eq!(v.manifest.captures.len(), 14);
    assert_eq!(v.manifest.operator_id, "op-3");
    // The same person again, for a new card: refused with the earlier record's id and date.
    match e.seal_and_commit(&complete(Service::New)) {
        Err(PipelineError::AlreadyRecorded { record_id, .. }) => {
            assert_eq!(record_id, entry.record_id)
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // For a lost card, allowed.
    e.seal_and_commit(&complete(Service::ReplacementLost))
        .unwrap();
    assert_eq!(store.find_by_nik("3578011207990001").unwrap().len(), 2);
}

#[test]
fn a_nik_with_separators_is_the_same_person_and_sealed_canonical() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let key = StationKey::generate();
    let e = Enrollment {
        station_id: "ST-01",
        operator_id: "op-3",
        key: &key,
        store: &store,
    };
    let first = e.seal_and_commit(&complete(Service::New)).unwrap();
    for written in [
        "3578-0112-0799-0001",
        "3578 0112 0799 0001",
        "3578.0112.0799.0001",
    ] {
        // The recording-once check before the first capture, as `rekam enroll` runs it...
        match rekam_pipeline::check_recording_once(&store, written, Service::New) {
            Err(PipelineError::AlreadyRecorded { record_id, .. }) => {
                assert_eq!(record_id, first.record_id)
            }
            other => panic!("{written}: expected a refusal, got {other:?}"),
        }
        // ...and at sealing.
        assert!(matches!(
            e.seal_and_commit(&complete_as(written, Service::New)),
            Err(PipelineError::AlreadyRecorded { .. })
        ));
    }
    // A hyphenated NIK first: the manifest and the index hold the 16 digits.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let e = Enrollment { store: &store, ..e };
    let entry = e
        .seal_and_commit(&complete_as("3578-0112-0799-0001", Service::New))
        .unwrap();
    assert_eq!(entry.nik, "3578011207990001");
    let v =
        rekam_record::verify(&store.read(&entry.record_id).unwrap(), &key.verifying_key()).unwrap();
    assert_eq!(v.manifest.person.nik, "3578011207990001");
    assert_eq!(store.find_by_nik("3578011207990001").unwrap().len(), 1);
    assert!(matches!(
        e.seal_and_commit(&complete(Service::New)),
        Err(PipelineError::AlreadyRecorded { .. })
    ));
}

#[test]
fn a_resolved_missing_record_releases_the_nik() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let key = StationKey::generate();
    let e = Enrollment {
        station_id: "ST-01",
        operator_id: "op-3",
        key: &key,
        store: &store,
    };
    let first = e.seal_and_commit(&complete(Service::New)).unwrap();
    std::fs::remove_file(store.records_dir().join(format!("{}.rkm", first.record_id))).unwrap();
    // Missing, but still the person's record until the head of service resolves it.
    assert!(matches!(
        rekam_pipeline::check_recording_once(&store, "3578011207990001", Service::New),
        Err(PipelineError::AlreadyRecorded { .. })
    ));
    store
        .resolve_missing(&first.record_id, "kasi", "file lost in a disk failure")
        .unwrap();
    rekam_pipeline::check_recording_once(&store, "3578011207990001", Service::New).unwrap();
    e.seal_and_commit(&complete(Service::New)).unwrap();
}
