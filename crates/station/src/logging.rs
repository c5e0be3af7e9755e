//! Which log lines may reach the station's log at any level.
//!
//! The binary's subscriber lets `REKAM_LOG` choose the level of our own crates only; every
//! other crate's lines are capped at `warn`. A dependency's debug and trace lines show the bytes
//! it handles: sled prints the keys and values it stores, which are a person's NIK, name,
//! address and family-card number and the staff's password hashes, as byte arrays. Our own
//! crates log ids, states, counts and sizes, never a person's data.

/// The crates whose log lines follow `REKAM_LOG` (a target is the module path of the line).
const OURS: [&str; 2] = ["rekam", "firmware_sim"];

/// Whether a log line's target is one of our crates (`rekam`, `rekam_*`, `firmware_sim`).
///
/// ```
/// use rekam_station::logging::is_ours;
/// assert!(is_ours("rekam_store::journal"));
/// assert!(is_ours("rekam"));
/// assert!(!is_ours("sled::pagecache"));
/// assert!(!is_ours("rekamx"));
/// ```
pub fn is_ours(target: &str) -> bool {
    let krate = target.split("::").next().unwrap_or(target);
    OURS.iter()
        .any(|o| krate == *o || (*o == "rekam" && krate.starts_with("rekam_")))
}

#[cfg(test)]
mod tests {
    use super::is_ours;

    #[test]
    fn only_our_crates_are_ours() {
        for t in [
            "rekam",
            "rekam::main",
            "rekam_station::enroll",
            "rekam_service::accounts",
            "firmware_sim::runner",
        ] {
            assert!(is_ours(t), "{t}");
        }
        for t in [
            "sled",
            "sled::meta",
            "nokhwa",
            "rusb",
            "argon2",
            "rekamx",
            "firmware",
        ] {
            assert!(!is_ours(t), "{t}");
        }
    }
}
