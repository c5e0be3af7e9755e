//! Finds the SeetaFace frontal detection model that the `rustface` crate ships
//! (`model/seeta_fd_frontal_v1.0.bin` in its package) and hands its path to the compiler, which
//! embeds it in the library (`face::detect`). Nothing is downloaded: the file is in the crate
//! Cargo already fetched (or vendored) for the build.

use std::path::PathBuf;
use std::process::Command;

const MODEL: &str = "model/seeta_fd_frontal_v1.0.bin";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=REKAM_SEETAFACE_MODEL");
    let path = match std::env::var_os("REKAM_SEETAFACE_MODEL") {
        Some(p) => PathBuf::from(p),
        None => match rustface_dir() {
            Ok(dir) => dir.join(MODEL),
            Err(e) => panic!(
                "cannot find the rustface crate's directory to embed its face model ({e}); \
                 set REKAM_SEETAFACE_MODEL to the path of seeta_fd_frontal_v1.0.bin"
            ),
        },
    };
    if !path.is_file() {
        panic!(
            "the SeetaFace model is not at {}; set REKAM_SEETAFACE_MODEL to the path of \
             seeta_fd_frontal_v1.0.bin (it ships in the rustface crate's `model/` folder)",
            path.display()
        );
    }
    println!("cargo::rerun-if-changed={}", path.display());
    println!("cargo::rustc-env=REKAM_SEETAFACE_MODEL={}", path.display());
}

/// The directory of the `rustface` package this build resolved, from `cargo metadata`.
fn rustface_dir() -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").map_err(|e| format!("CARGO: {e}"))?;
    let manifest = std::env::var("CARGO_MANIFEST_DIR").map_err(|e| format!("{e}"))?;
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .arg("--manifest-path")
        .arg(PathBuf::from(manifest).join("Cargo.toml"))
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    let packages = meta["packages"].as_array().ok_or("no packages")?;
    packages
        .iter()
        .filter(|p| p["name"] == "rustface")
        .filter_map(|p| p["manifest_path"].as_str())
        .map(|m| PathBuf::from(m).parent().map(PathBuf::from))
        .find_map(|d| d.filter(|d| d.join(MODEL).is_file()))
        .ok_or_else(|| "rustface is not among the resolved packages".to_string())
}
