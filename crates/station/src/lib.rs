//! The Rekam station: what the `rekam` command does, as a library so that the workspace's
//! end-to-end tests (`tests/`) drive the same code in-process with firmware-sim.
#![warn(missing_docs)]

pub mod config;
#[cfg(feature = "sim")]
pub mod demo;
pub mod diag;
pub mod drivers;
pub mod enroll;
pub mod export_cmd;
pub mod i18n;
pub mod logging;
pub mod quality_cmd;
pub mod records;
pub mod rescue;
pub mod sims;
