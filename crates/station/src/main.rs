//! `rekam`: the Rekam station command.
//!
//! Operators run the station; technicians run `rekam diag`; newcomers run `rekam demo`, which
//! needs no hardware.

#[cfg(feature = "sim")]
use rekam_station::demo;
use rekam_station::{
    config, diag, drivers, enroll, export_cmd, i18n, quality_cmd, records, rescue, sims,
};

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

fn parse_sex(s: &str) -> Result<rekam_record::Sex, String> {
    enroll::parse_sex(s).ok_or_else(|| format!("'{s}' is not a sex: use m or f"))
}

fn parse_service(s: &str) -> Result<rekam_record::Service, String> {
    enroll::parse_service(s).ok_or_else(|| {
        format!("'{s}' is not a service: new, replacement_lost, replacement_damaged, data_change, moved_in, recording_only")
    })
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
    /// Score capture files the way the station does (so anyone can check them against a
    /// reference): text, --json, or --csv with `path,score` first.
    Quality {
        /// Which scorer.
        #[arg(long, value_enum)]
        modality: quality_cmd::Modality,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: quality_cmd::Format,
        /// Shorthand for --format json.
        #[arg(long, conflicts_with_all = ["format", "csv"])]
        json: bool,
        /// Shorthand for --format csv.
        #[arg(long, conflicts_with = "format")]
        csv: bool,
        /// Fingerprint resolution, pixels per inch.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(100..=2000))]
        ppi: u32,
        /// Face: the person's birth year, to check the background colour (red odd, blue even).
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=2100))]
        birth_year: Option<i32>,
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// The station's signing key: show it, or replace it on purpose (`rotate`).
    Key {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Verify a record file's signature and contents; any changed byte fails. Without
    /// --public-key, against this station's keys (current and retired), naming the one used.
    Verify {
        /// The record file (.rkm).
        record: PathBuf,
        /// The signing station's public key, hex (default: this station's own keys).
        #[arg(long)]
        public_key: Option<String>,
    },
    /// Export a verified record as an ANSI/NIST-ITL transaction (nist) or ISO/IEC 19794
    /// records (iso); the files are written readable by the owner only.
    Export {
        /// nist or iso.
        #[arg(long)]
        format: rekam_export::Format,
        /// The record file (.rkm).
        record: PathBuf,
        /// Folder for the exported files.
        #[arg(long)]
        out: PathBuf,
        /// The signing station's public key, hex (default: this station's own key).
        #[arg(long)]
        public_key: Option<String>,
    },
    /// The office's service standard: tickets, file checks, approval, register, printing,
    /// pickup, complaints, survey, reports, accounts (see docs/service.md).
    Service {
        /// Office configuration.
        #[arg(long, env = "REKAM_OFFICE", default_value = "config/office.toml")]
        office: PathBuf,
        /// Staff account; the password comes from REKAM_PASSWORD, never the command line.
        #[arg(long, env = "REKAM_USER")]
        user: Option<String>,
        #[command(subcommand)]
        command: Box<rekam_service::cli::ServiceCommand>,
    },
    /// Record one person: the header is checked (NIK, recording once), then ten fingerprints,
    /// both irises, the face and the signature through the quality gates; the record is sealed
    /// with the station key and saved durably. The operator's password comes from
    /// REKAM_PASSWORD, a supervisor's from REKAM_SUPERVISOR_PASSWORD.
    Enroll {
        /// The NIK (16 digits).
        #[arg(long)]
        nik: String,
        /// Full name as on the family card.
        #[arg(long)]
        name: String,
        /// Birth date, YYYY-MM-DD.
        #[arg(long)]
        birth_date: String,
        /// Sex: m (laki-laki) or f (perempuan).
        #[arg(long, value_parser = parse_sex)]
        sex: rekam_record::Sex,
        /// Service: new, replacement_lost, replacement_damaged, data_change, moved_in,
        /// recording_only.
        #[arg(long, value_parser = parse_service, default_value = "new")]
        service: rekam_record::Service,
        /// The operator confirms that the stated birth date and sex are right although the
        /// NIK encodes others.
        #[arg(long)]
        confirm_warnings: bool,
        /// An exception instead of a capture, CAPTURE:REASON[:NOTE] (e.g.
        /// left_little:amputated:since 2010); photographed with the station camera.
        #[arg(long = "exception", value_parser = enroll::parse_exception)]
        exceptions: Vec<enroll::ExceptionRequest>,
        /// The operator's account.
        #[arg(long, env = "REKAM_USER")]
        user: String,
        /// The supervisor (head of service) approving exceptions.
        #[arg(long)]
        supervisor: Option<String>,
        /// Office configuration with the staff accounts.
        #[arg(long, env = "REKAM_OFFICE", default_value = "config/office.toml")]
        office: PathBuf,
        /// The office's application (approved by the head of service) this recording is for;
        /// it moves to "recorded" with the record id.
        #[arg(long)]
        application: Option<String>,
        /// Seconds one capture waits for the person.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=300))]
        capture_timeout: u64,
    },
    /// The upload queue of records.
    Queue {
        #[command(subcommand)]
        action: QueueAction,
    },
    /// Run the station's job on simulated devices (no hardware needed): start firmware-sim,
    /// run diagnostics, capture a fingerprint and a signature into a folder.
    Demo {
        /// Folder for the captures.
        #[arg(long, default_value = "demo-out")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum KeyAction {
    /// Print the public key and its fingerprint, and the retired keys (the secret is never
    /// printed).
    Show,
    /// Replace the station key on purpose (a lost or compromised key): a head of office or
    /// technician logs in (password from REKAM_PASSWORD); the old public key stays in the
    /// keyring so earlier records still verify; the rotation is audited.
    Rotate {
        /// The head of office's or technician's account.
        #[arg(long, env = "REKAM_USER")]
        user: String,
        /// Office configuration with the staff accounts.
        #[arg(long, env = "REKAM_OFFICE", default_value = "config/office.toml")]
        office: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum QueueAction {
    /// Every record with its state, date, age and size.
    List,
    /// Counts per state and the oldest record not yet acknowledged.
    Stats,
    /// Copy queued records to a folder or USB stick and mark them: each is verified first (a
    /// bad one is quarantined), written to a temporary name, read back and renamed. Exits 1
    /// when any record was not exported.
    Export {
        /// Destination folder.
        dir: PathBuf,
    },
    /// Put a record this station sealed but could not store (saved elsewhere by `rekam
    /// enroll` when the disk was full or read-only) into the queue: verified against the
    /// station's keys, checked for recording once, committed durably; the file is removed.
    Import {
        /// The record file (.rkm).
        file: PathBuf,
    },
    /// The head of service resolves a record whose file is missing (or was quarantined):
    /// recorded with who, when and why, after which its NIK may be recorded again. The
    /// password comes from REKAM_PASSWORD.
    ResolveMissing {
        /// The record id (from `rekam queue list`).
        id: String,
        /// Why, in words (what happened and what was done); no personal data.
        #[arg(long)]
        reason: String,
        /// The head of service's account (role supervisor).
        #[arg(long, env = "REKAM_USER")]
        user: String,
        /// Office configuration with the staff accounts.
        #[arg(long, env = "REKAM_OFFICE", default_value = "config/office.toml")]
        office: PathBuf,
    },
}

/// `REKAM_LOG` (default `warn`) sets the level of our own crates; every other crate is capped
/// at `warn` whatever it says, because dependencies' debug and trace lines carry the bytes they
/// handle (sled prints keys and values, a person's NIK and name and the password hashes, as
/// byte arrays).
fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    use tracing_subscriber::{filter, EnvFilter, Layer as _};
    let wanted = EnvFilter::try_from_env("REKAM_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    let foreign_capped = filter::filter_fn(|meta| {
        rekam_station::logging::is_ours(meta.target()) || *meta.level() <= tracing::Level::WARN
    });
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(foreign_capped)
                .with_filter(wanted),
        )
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
            // `simcam` and `simiris` drivers: those simulated devices live in this process.
            let _sims = sims::InProcessSims::start(&config)?;
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
        Command::Quality {
            modality,
            format,
            json,
            csv,
            ppi,
            birth_year,
            files,
        } => {
            let format = if json {
                quality_cmd::Format::Json
            } else if csv {
                quality_cmd::Format::Csv
            } else {
                format
            };
            let (text, ok) = quality_cmd::run(
                modality,
                &files,
                format,
                &quality_cmd::Settings {
                    ppi,
                    birth_year,
                    gates: quality_cmd::ConfiguredGates::load(&cli.config)?,
                },
            )?;
            print!("{text}");
            Ok(ok)
        }
        Command::Key {
            action: KeyAction::Show,
        } => {
            let config = StationConfig::load(&cli.config)?;
            print!("{}", records::key_show(&config)?);
            Ok(true)
        }
        Command::Key {
            action: KeyAction::Rotate { user, office },
        } => {
            let config = StationConfig::load(&cli.config)?;
            let lang = cli.lang.unwrap_or_else(|| config.lang());
            let login = enroll::Login {
                user,
                password: std::env::var("REKAM_PASSWORD")
                    .ok()
                    .filter(|p| !p.is_empty())
                    .context("set REKAM_PASSWORD to the password (never on the command line)")?,
            };
            print!("{}", records::key_rotate(&config, &office, &login, lang)?);
            Ok(true)
        }
        Command::Verify { record, public_key } => {
            let config = StationConfig::load(&cli.config)?;
            let (text, ok) = records::verify_file(&config, &record, public_key.as_deref())?;
            print!("{text}");
            Ok(ok)
        }
        Command::Export {
            format,
            record,
            out,
            public_key,
        } => {
            let config = StationConfig::load(&cli.config)?;
            let lang = cli.lang.unwrap_or_else(|| config.lang());
            let (text, ok) =
                export_cmd::run(&config, &record, format, &out, public_key.as_deref(), lang)?;
            print!("{text}");
            Ok(ok)
        }
        Command::Service {
            office,
            user,
            command,
        } => {
            let config = StationConfig::load(&cli.config)?;
            // The same database as the enrollment records, in trees of its own.
            let store = records::store(&config)?;
            let lang = cli.lang.map(|l| match l {
                Lang::Id => rekam_service::Lang::Id,
                Lang::En => rekam_service::Lang::En,
            });
            let mut out = std::io::stdout().lock();
            rekam_service::cli::run(
                *command,
                store.db(),
                &records::service_journal(&config),
                &office,
                rekam_service::cli::Context {
                    credentials: rekam_service::cli::Credentials::from_env(user),
                    lang,
                    clock: std::sync::Arc::new(rekam_service::SystemClock),
                    options: rekam_service::ServiceOptions::default(),
                    out: &mut out,
                },
            )?;
            Ok(true)
        }
        Command::Enroll {
            nik,
            name,
            birth_date,
            sex,
            service,
            confirm_warnings,
            exceptions,
            user,
            supervisor,
            office,
            application,
            capture_timeout,
        } => {
            let config = StationConfig::load(&cli.config)?;
            let lang = cli.lang.unwrap_or_else(|| config.lang());
            let password = |var: &str| {
                std::env::var(var)
                    .ok()
                    .filter(|p| !p.is_empty())
                    .with_context(|| {
                        format!("set {var} to the password (never on the command line)")
                    })
            };
            let req = enroll::Request {
                person: rekam_record::Person {
                    // As typed: `enroll::run` puts the header in its one canonical form.
                    nik,
                    name,
                    birth_date,
                    sex,
                    service,
                },
                confirm_warnings,
                exceptions,
                operator: enroll::Login {
                    user,
                    password: password("REKAM_PASSWORD")?,
                },
                supervisor: match supervisor {
                    Some(user) => Some(enroll::Login {
                        user,
                        password: password("REKAM_SUPERVISOR_PASSWORD")?,
                    }),
                    None => None,
                },
                office,
                application,
                policy: rekam_pipeline::engine::Policy {
                    capture_timeout: Duration::from_secs(capture_timeout),
                    ..Default::default()
                },
                unsaved_dirs: rescue::default_dirs(&config),
            };
            let registry = drivers::registry();
            let mut out = std::io::stdout().lock();
            // At a terminal the operator reviews the captures and may redo any before saving.
            use std::io::IsTerminal as _;
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            let review: Option<&mut dyn std::io::BufRead> = if stdin.is_terminal() {
                Some(&mut input)
            } else {
                None
            };
            let outcome = enroll::run(&config, &registry, &req, lang, &mut out, review)?;
            print!("{}", enroll::render_summary(&outcome, lang));
            Ok(true)
        }
        Command::Queue { action } => {
            let config = StationConfig::load(&cli.config)?;
            let lang = cli.lang.unwrap_or_else(|| config.lang());
            let (text, ok) = match action {
                QueueAction::List => (records::queue_list(&config, lang)?, true),
                QueueAction::Stats => (records::queue_stats(&config)?, true),
                QueueAction::Export { dir } => records::queue_export(&config, &dir, lang)?,
                QueueAction::Import { file } => (rescue::import(&config, &file, lang)?, true),
                QueueAction::ResolveMissing {
                    id,
                    reason,
                    user,
                    office,
                } => {
                    let password = std::env::var("REKAM_PASSWORD")
                        .ok()
                        .filter(|p| !p.is_empty())
                        .context(
                            "set REKAM_PASSWORD to the password (never on the command line)",
                        )?;
                    let login = enroll::Login { user, password };
                    (
                        records::queue_resolve_missing(
                            &config, &office, &login, &id, &reason, lang,
                        )?,
                        true,
                    )
                }
            };
            print!("{text}");
            Ok(ok)
        }
        Command::Demo { out } => {
            let lang = cli.lang.unwrap_or(Lang::Id);
            #[cfg(feature = "sim")]
            {
                let (text, ok) = demo::run(&out, lang)?;
                print!("{text}");
                Ok(ok)
            }
            #[cfg(not(feature = "sim"))]
            {
                let _ = out;
                anyhow::bail!("{}", drivers::no_simulator(lang))
            }
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
