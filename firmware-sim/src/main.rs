//! `firmware-sim`: starts the simulated devices, prints their ports, and runs until stopped.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;
use firmware_sim::{Fault, SimConfig, Simulator};

/// Simulated Rekam devices on pseudo-terminals.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file whose `[sim]` table says which devices to start (e.g. config/sim.toml).
    #[arg(long, env = "REKAM_SIM_CONFIG")]
    config: Option<PathBuf>,
    /// Where to put the port symlinks and devices.toml (overrides the configuration).
    #[arg(long, env = "REKAM_SIM_DIR")]
    run_dir: Option<PathBuf>,
    /// Inject a fault: DEVICE=FAULT, e.g. fingerprint=corrupt-checksum:2, signature_pad=unplug:500.
    #[arg(long = "fault", value_name = "DEVICE=FAULT")]
    faults: Vec<String>,
    /// Stop after this many seconds (default: run until interrupted).
    #[arg(long)]
    exit_after: Option<u64>,
}

#[derive(Debug, serde::Deserialize)]
struct File {
    #[serde(default)]
    sim: Option<SimConfig>,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("REKAM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut config = match &cli.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the configuration {}", path.display()))?;
            let file: File = toml::from_str(&text)
                .with_context(|| format!("the configuration {} is not valid", path.display()))?;
            file.sim.unwrap_or_default()
        }
        None => SimConfig::default(),
    };
    if let Some(d) = cli.run_dir {
        config.run_dir = Some(d);
    }
    if config.run_dir.is_none() {
        config.run_dir = Some(std::env::temp_dir().join("rekam-sim"));
    }
    let sim = Simulator::start(&config).context("starting the simulated devices")?;
    for spec in &cli.faults {
        let Some((device, fault)) = spec.split_once('=') else {
            bail!("--fault takes DEVICE=FAULT, e.g. fingerprint=noise:3; got '{spec}'");
        };
        let fault: Fault = fault.parse()?;
        match device {
            "fingerprint" => sim
                .fingerprint()
                .context("the fingerprint module is not simulated")?
                .inject(fault),
            "signature_pad" => sim
                .signature_pad()
                .context("the signature pad is not simulated")?
                .inject(fault),
            other => {
                bail!("no simulated device is called '{other}': use fingerprint or signature_pad")
            }
        }
    }
    if let Some(f) = sim.fingerprint() {
        println!(
            "fingerprint   {} ({} baud, R30x protocol)",
            f.path().display(),
            f.baud()
        );
    }
    if let Some(p) = sim.signature_pad() {
        println!(
            "signature_pad {} ({} baud, ISDV4 protocol)",
            p.path().display(),
            p.baud()
        );
    }
    if sim.camera().is_some() {
        println!("camera        simulated inside rekam ([camera] driver = \"simcam\"), not by this process");
    }
    println!(
        "devices       {}",
        sim.run_dir().join("devices.toml").display()
    );
    let (tx, rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .context("installing the interrupt handler")?;
    match cli.exit_after {
        Some(s) => {
            let _ = rx.recv_timeout(Duration::from_secs(s));
        }
        None => {
            let _ = rx.recv();
        }
    }
    drop(sim);
    Ok(())
}
