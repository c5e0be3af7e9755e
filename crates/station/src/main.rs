//! `rekam`: the Rekam station command.
//!
//! Operators run the station; technicians run `rekam diag`; newcomers run `rekam demo`, which
//! needs no hardware.

mod config;
mod demo;
mod diag;
mod drivers;
mod i18n;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use config::StationConfig;
use i18n::Lang;

/// Rekam: KTP-el biometric recording station.
#[derive(Debug, Parser)]
#[command(version, about, propagate_version = true)]
struct Cli {
    /// Station configuration file.
    #[arg(
        long,
        global = true,
        env = "REKAM_CONFIG",
        default_value = "config/station.toml"
    )]
    config: PathBuf,
    /// Language of messages: id (Bahasa Indonesia) or en (English); default from the configuration.
    #[arg(long, global = true, env = "REKAM_LANG", value_parser = parse_lang)]
    lang: Option<Lang>,
    #[command(subcommand)]
    command: Command,
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("'{s}' is not a language: use id or en"))
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Device diagnostics: list ports and USB devices, open each configured device, run its
    /// self-test, show its firmware and parameters, take a test capture, print a report.
    Diag {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Skip the test captures.
        #[arg(long)]
        no_capture: bool,
        /// Seconds a test capture waits for a finger or a signature.
        #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=300))]
        capture_timeout: u64,
        /// Folder for the test captures.
        #[arg(long, default_value = "diag-out")]
        out: PathBuf,
    },
    /// Run the station's job on simulated devices (no hardware needed): start firmware-sim,
    /// run diagnostics, capture a fingerprint and a signature into a folder.
    Demo {
        /// Folder for the captures.
        #[arg(long, default_value = "demo-out")]
        out: PathBuf,
    },
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("REKAM_LOG").unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("rekam: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<bool> {
    match cli.command {
        Command::Diag {
            json,
            no_capture,
            capture_timeout,
            out,
        } => {
            let config = StationConfig::load(&cli.config)?;
            let lang = cli.lang.unwrap_or_else(|| config.lang());
            // `[camera] driver = "simcam"`: the simulated camera lives in this process.
            let _sim_camera = match config.sim_camera()? {
                Some(c) => {
                    let cam = firmware_sim::camera::SimCamera::new(&c)
                        .context("starting the simulated camera of [sim.camera]")?;
                    cam.plug_in();
                    Some(cam)
                }
                None => None,
            };
            let registry = drivers::registry();
            let report = diag::run(
                &config,
                &registry,
                &diag::DiagOptions {
                    capture: !no_capture,
                    capture_timeout: Duration::from_secs(capture_timeout),
                    out_dir: out,
                    lang,
                },
            );
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).context("writing JSON")?
                );
            } else {
                print!("{}", diag::render_text(&report, lang));
            }
            Ok(report.ok)
        }
        Command::Demo { out } => {
            let lang = cli.lang.unwrap_or(Lang::Id);
            let (text, ok) = demo::run(&out, lang)?;
            print!("{text}");
            Ok(ok)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
