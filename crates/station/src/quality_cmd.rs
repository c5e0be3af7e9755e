//! `rekam quality`: scores files the way the station scores captures, so anyone can check our
//! scores against a reference (text, `--json`, or `--csv` with `path,score,verdict` first).
//! Each file gets a verdict against the configured gate (`[gates]` in the station
//! configuration; MOSIP's defaults when there is no configuration file): accepted when its
//! score reaches the gate's threshold, else refused, with the feedback codes as reasons.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rekam_quality::QualityReport;

/// Which scorer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Modality {
    /// 500 ppi fingerprint images.
    Finger,
    /// Near-infrared iris images.
    Iris,
    /// Face photographs.
    Face,
    /// Signatures: JSON pen series as stored in records (`captures/signature.json`).
    Signature,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable text.
    Text,
    /// One JSON array.
    Json,
    /// `path,score,` then each measure.
    Csv,
}

/// What some scorers need besides the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Fingerprint resolution in pixels per inch (the scanners are 500 ppi).
    pub ppi: u32,
    /// The person's birth year, for the face's background colour (red odd, blue even); none
    /// skips the colour check.
    pub birth_year: Option<i32>,
    /// The gates the verdicts are given against, and where they came from.
    pub gates: ConfiguredGates,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            ppi: rekam_pipeline::assess::DEFAULT_FINGER_PPI,
            birth_year: None,
            gates: ConfiguredGates::default(),
        }
    }
}

/// The quality gates and their source.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfiguredGates {
    /// The thresholds.
    pub gates: rekam_pipeline::Gates,
    /// The configuration file they were read from; `None` for the built-in defaults.
    pub source: Option<PathBuf>,
}

impl ConfiguredGates {
    /// The gates of the station configuration at `config`; the built-in defaults (MOSIP's)
    /// when that file does not exist. A file that exists but is not a valid configuration is
    /// an error.
    pub fn load(config: &Path) -> anyhow::Result<Self> {
        if !config.exists() {
            return Ok(Self::default());
        }
        let c = crate::config::StationConfig::load(config)?;
        Ok(Self {
            gates: c.gates,
            source: Some(config.to_path_buf()),
        })
    }

    fn threshold(&self, modality: Modality) -> u8 {
        let g = &self.gates;
        match modality {
            Modality::Finger => g.finger.threshold,
            Modality::Iris => g.iris.threshold,
            Modality::Face => g.face.threshold,
            Modality::Signature => g.signature.threshold,
        }
    }

    fn describe(&self) -> String {
        match &self.source {
            Some(p) => p.display().to_string(),
            None => "default".to_string(),
        }
    }
}

/// Accepted or refused against the gate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    /// Whether the score reaches the gate's threshold.
    pub accepted: bool,
    /// The threshold.
    pub gate: u8,
    /// Where the gate came from: the configuration file, or `default`.
    pub gate_source: String,
    /// The feedback codes, most important first (a refusal's reasons).
    pub reasons: Vec<&'static str>,
}

/// The verdict on `report` against the gate for `modality`.
pub fn verdict(modality: Modality, report: &QualityReport, gates: &ConfiguredGates) -> Verdict {
    let gate = gates.threshold(modality);
    Verdict {
        accepted: report.score >= gate,
        gate,
        gate_source: gates.describe(),
        reasons: report.feedback.iter().map(|f| f.code).collect(),
    }
}

impl Verdict {
    /// `accepted` or `refused`.
    pub fn word(&self) -> &'static str {
        if self.accepted {
            "accepted"
        } else {
            "refused"
        }
    }
}

fn open_image(path: &Path) -> anyhow::Result<image::DynamicImage> {
    image::ImageReader::open(path)
        .with_context(|| format!("reading {}", path.display()))?
        .with_guessed_format()
        .with_context(|| format!("reading {}", path.display()))?
        .decode()
        .with_context(|| {
            format!(
                "{} is not an image this build reads (PNG, JPEG, BMP, TIFF, WebP)",
                path.display()
            )
        })
}

fn assess(modality: Modality, path: &Path, settings: &Settings) -> anyhow::Result<QualityReport> {
    match modality {
        Modality::Signature => {
            let text =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let pen: rekam_device::PenCapture =
                serde_json::from_slice(&text).with_context(|| {
                    format!(
                        "{} is not a pen series (JSON as stored in records)",
                        path.display()
                    )
                })?;
            Ok(rekam_quality::signature::assess(&pen)?)
        }
        Modality::Finger => Ok(rekam_quality::finger::assess(
            &open_image(path)?.to_luma8(),
            settings.ppi,
        )?),
        Modality::Iris => Ok(rekam_quality::iris::assess(&open_image(path)?.to_luma8())?),
        // A photograph of any shape: the face is looked for anywhere in it and the framing is
        // judged against its own edges (the station's live frames use the fixed 3:4 guide box).
        Modality::Face => Ok(rekam_quality::face::assess_photo(
            &open_image(path)?.to_rgb8(),
            settings
                .birth_year
                .map(rekam_quality::face::background_for_birth_year),
        )?),
    }
}

/// Scores every file; returns the output and whether all could be scored.
pub fn run(
    modality: Modality,
    files: &[PathBuf],
    format: Format,
    settings: &Settings,
) -> anyhow::Result<(String, bool)> {
    let mut ok = true;
    let mut results = Vec::new();
    for f in files {
        match assess(modality, f, settings) {
            Ok(r) => {
                let v = verdict(modality, &r, &settings.gates);
                results.push((f.display().to_string(), Ok((r, v))))
            }
            Err(e) => {
                ok = false;
                results.push((f.display().to_string(), Err(format!("{e:#}"))));
            }
        }
    }
    let mut out = String::new();
    match format {
        Format::Json => {
            let v: Vec<serde_json::Value> = results
                .iter()
                .map(|(p, r)| match r {
                    Ok((r, v)) => serde_json::json!({ "path": p, "verdict": v, "report": r }),
                    Err(e) => serde_json::json!({ "path": p, "error": e }),
                })
                .collect();
            out = serde_json::to_string_pretty(&v)?;
            out.push('\n');
        }
        Format::Csv => {
            let names: Vec<&str> = results
                .iter()
                .find_map(|(_, r)| r.as_ref().ok())
                .map(|(r, _)| r.measures.iter().map(|m| m.name).collect())
                .unwrap_or_default();
            let mut rows = vec![["path", "score", "verdict", "gate", "reasons"]
                .into_iter()
                .chain(names.iter().copied())
                .map(String::from)
                .collect::<Vec<_>>()];
            for (p, r) in &results {
                rows.push(match r {
                    Ok((r, v)) => [
                        p.clone(),
                        r.score.to_string(),
                        v.word().to_string(),
                        v.gate.to_string(),
                        v.reasons.join(" "),
                    ]
                    .into_iter()
                    .chain(
                        names
                            .iter()
                            .map(|n| r.measure(n).map(|v| format!("{v:.6}")).unwrap_or_default()),
                    )
                    .collect(),
                    // A file that could not be scored: its path and an empty score.
                    Err(_) => vec![p.clone(), String::new()],
                });
            }
            out = csv_text(&rows)?;
        }
        Format::Text => {
            for (p, r) in &results {
                match r {
                    Ok((r, v)) => {
                        let _ = writeln!(out, "{p}: {} / 100", r.score);
                        let _ = writeln!(
                            out,
                            "  {} / {} (gate {}, {}){}",
                            if v.accepted { "DITERIMA" } else { "DITOLAK" },
                            v.word(),
                            v.gate,
                            v.gate_source,
                            if v.reasons.is_empty() {
                                String::new()
                            } else {
                                format!(": {}", v.reasons.join(", "))
                            }
                        );
                        for m in &r.measures {
                            let _ = writeln!(out, "  {:<32} {:.4}", m.name, m.value);
                        }
                        for f in &r.feedback {
                            let _ = writeln!(out, "  ! {} — {} / {}", f.code, f.id, f.en);
                        }
                    }
                    Err(e) => {
                        let _ = writeln!(out, "{p}: cannot be scored: {e}");
                    }
                }
            }
        }
    }
    Ok((out, ok))
}

/// Rows as CSV (RFC 4180 quoting by the `csv` crate); a row of a file that could not be
/// scored is shorter than the header.
fn csv_text(rows: &[Vec<String>]) -> anyhow::Result<String> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(r)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_a_path_with_a_comma_a_quote_and_a_newline() {
        let dir = tempfile::tempdir().unwrap();
        let odd = dir.path().join("scan, \"kiri\"\nbaru.png");
        let plain = dir.path().join("plain.png");
        let (out, ok) = run(
            Modality::Finger,
            &[odd.clone(), plain.clone()],
            Format::Csv,
            &Settings::default(),
        )
        .unwrap();
        assert!(!ok, "neither file exists");
        let d = dir.path().display();
        assert_eq!(
            out,
            format!("path,score,verdict,gate,reasons\n\"{d}/scan, \"\"kiri\"\"\nbaru.png\",\n{d}/plain.png,\n")
        );
        // And it reads back as the same fields.
        let rows: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(out.as_bytes())
            .records()
            .map(Result::unwrap)
            .collect();
        assert_eq!(&rows[0][0], odd.display().to_string());
        assert_eq!(&rows[0][1], "");
    }
}
