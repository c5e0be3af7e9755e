//! Synthetic biometrics: fingerprints, eyes, faces and signatures made from seeds.
//!
//! The simulator (`firmware-sim`) serves these to the drivers as a person at a real device
//! would present, and the quality crate's tests and benches fit and check its models on them
//! without compiling any device stack. Every generator is deterministic in its seeds; the
//! golden hashes in `tests/golden.rs` pin their output, because the quality models' fits
//! depend on it.
//!
//! ```
//! use rekam_synth::finger::{impression, Condition, MasterPrint};
//! let master = MasterPrint::new(1, 2);
//! let a = impression(&master, 3, Condition::Good, 64, 64);
//! let b = impression(&master, 3, Condition::Good, 64, 64);
//! assert_eq!(a, b);
//! ```
#![warn(missing_docs)]

pub mod eye;
pub mod face;
pub mod finger;
pub mod signature;
