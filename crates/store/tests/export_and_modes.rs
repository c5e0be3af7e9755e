//! Export to a destination that fills up (rekam-testfs with a capacity: `ENOSPC` on the stick
//! is the stick's, not the station's disk), and the store's file modes whatever the umask.
//!
//! The export test needs FUSE (`/dev/fuse`, root or fusermount3): skipped locally without it,
//! fails under CI.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rekam_record::{
    seal, sha256_hex, Attachment, CaptureEntry, CaptureStatus, Manifest, Person, Service, Sex,
    StationKey,
};
use rekam_store::{State, Store, StoreError};

fn make_record(rng: &mut impl Rng, key: &StationKey, n: u64, size: usize) -> Vec<u8> {
    let mut blob = vec![0u8; size];
    rng.fill(&mut blob[..]);
    let mut m = Manifest::new(
        "ST-EXPORT",
        "op",
        &key.public_hex(),
        Person {
            nik: format!("3578{n:012}"),
            name: "Ekspor".into(),
            birth_date: "1990-01-01".into(),
            sex: Sex::Male,
            service: Service::New,
        },
    );
    m.captures.push(CaptureEntry {
        modality: "finger".into(),
        position: "right_index".into(),
        status: CaptureStatus::Captured,
        attempts: 1,
        quality: None,
        file: Some("captures/right_index.png".into()),
        sha256: Some(sha256_hex(&blob)),
        image: None,
        exception: None,
        device: Some(rekam_record::CaptureDevice {
            driver: "simcam".into(),
            model: "test".into(),
            serial: None,
            firmware: None,
            simulated: true,
        }),
    });
    seal(
        &m,
        &[Attachment::new("captures/right_index.png", blob)],
        key,
    )
    .unwrap()
}

#[test]
fn a_full_stick_is_the_sticks_and_leaves_no_temporary_file() {
    let Some(fs) =
        rekam_testfs::mount_or_skip("a_full_stick_is_the_sticks_and_leaves_no_temporary_file")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key = StationKey::from_seed([3; 32]);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let store = Store::open(dir.path()).unwrap();
    let ids: Vec<String> = (1..=3)
        .map(|n| {
            store
                .commit(&make_record(&mut rng, &key, n, 100_000))
                .unwrap()
                .record_id
        })
        .collect();
    let stick = fs.path().join("EXPORT");
    std::fs::create_dir(&stick).unwrap();
    // Room for one record and part of the next.
    fs.set_capacity(Some(fs.stats().volatile_bytes + 150_000));
    let r = store.export(&stick, &[key.verifying_key()]).unwrap();
    assert_eq!(r.exported, vec![ids[0].clone()]);
    assert_eq!(r.not_tried, 2);
    let stop = r.stopped.as_ref().unwrap();
    assert!(matches!(stop, StoreError::DestinationFull(_)), "{stop:?}");
    let text = stop.to_string();
    assert!(
        text.contains("destination") && text.contains("is full"),
        "{text}"
    );
    assert!(!text.contains("station's disk"), "{text}");
    assert!(!r.ok());
    // Only the whole record is on the stick; no temporary file.
    let names: Vec<String> = std::fs::read_dir(&stick)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec![format!("{}.rkm", ids[0])]);
    assert_eq!(store.get(&ids[1]).unwrap().state, State::Queued);
    assert_eq!(store.get(&ids[2]).unwrap().state, State::Queued);
    // A bigger stick: the rest goes.
    fs.set_capacity(None);
    let r = store.export(&stick, &[key.verifying_key()]).unwrap();
    assert!(r.ok());
    assert_eq!(r.exported, ids[1..].to_vec());
    for id in &ids {
        let copy = std::fs::read(stick.join(format!("{id}.rkm"))).unwrap();
        rekam_record::verify(&copy, &key.verifying_key()).unwrap();
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_store_is_private_whatever_the_umask() {
    // The most permissive umask: every mode below comes from the store itself.
    nix::sys::stat::umask(nix::sys::stat::Mode::empty());
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("data/store");
    let key = StationKey::from_seed([4; 32]);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
    let id = {
        let store = Store::open(&dir).unwrap();
        let id = store
            .commit(&make_record(&mut rng, &key, 1, 1000))
            .unwrap()
            .record_id;
        store
            .set_state(
                &id,
                State::Uploaded {
                    at: "2026-11-22T04:00:00Z".into(),
                },
            )
            .unwrap();
        store.checkpoint().unwrap();
        id
    };
    // Reopened, so the index's files as sled left them are tightened too.
    drop(Store::open(&dir).unwrap());
    for d in ["", "records", "tmp", "quarantine", "index"] {
        assert_eq!(mode(&dir.join(d)), 0o700, "{d}");
    }
    assert_eq!(mode(&dir.join(format!("records/{id}.rkm"))), 0o600);
    assert_eq!(mode(&dir.join("states.journal")), 0o600);
    let mut index_files = 0;
    for e in std::fs::read_dir(dir.join("index")).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
            index_files += 1;
        }
    }
    assert!(index_files > 0);
    // An existing store from an earlier version, world-readable: tightened on open.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dir.join("records"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let rec = dir.join(format!("records/{id}.rkm"));
    std::fs::set_permissions(&rec, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Store::open(&dir).unwrap());
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("records")), 0o700);
    assert_eq!(mode(&rec), 0o600);
    // The data folder above it, made with ensure_private_dir.
    let data = top.path().join("station-data");
    rekam_store::ensure_private_dir(&data).unwrap();
    assert_eq!(mode(&data), 0o700);
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777)).unwrap();
    rekam_store::ensure_private_dir(&data).unwrap();
    assert_eq!(mode(&data), 0o700);
}
