//! Iris quality over a folder of images, for comparison with other tools (iris-iqm).
//!
//! ```sh
//! # a varied set of simulated eyes (people x sides x conditions) and their ground truth
//! cargo run --release -p rekam-quality --example iris_agreement -- generate /work/scratch/qiris 20
//! # every measure of every PNG in a folder, one CSV row per image, on stdout
//! cargo run --release -p rekam-quality --example iris_agreement -- score /work/scratch/qiris > ours.csv
//! ```
//!
//! `generate DIR N [FIRST]` writes `N` people (person numbers `FIRST..FIRST+N`, model seed
//! `1000 + person`, capture seed `person * 16 + condition index`) x 2 eyes x 8 conditions,
//! 640 x 480, as `p{person}_{side}_{condition}.png`, and `truth.csv` with the simulator's
//! ground truth.
//! `score DIR` prints `file,score,` then every measure of [`rekam_quality::iris::assess`] and
//! the segmentation (`pupil_x,pupil_y,pupil_r,iris_x,iris_y,iris_r`), and the feedback codes.
use std::path::{Path, PathBuf};

use rekam_synth::eye::{render, EyeCondition, EyeModel, Side};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate") if args.len() >= 2 => {
            let n: u64 = args.get(2).map_or(Ok(20), |s| s.parse())?;
            let first: u64 = args.get(3).map_or(Ok(0), |s| s.parse())?;
            generate(Path::new(&args[1]), first, n)
        }
        Some("score") if args.len() == 2 => score(Path::new(&args[1])),
        _ => Err(
            "usage: iris_agreement generate DIR [PEOPLE [FIRST]] | iris_agreement score DIR".into(),
        ),
    }
}

fn generate(dir: &Path, first: u64, people: u64) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let mut truth = String::from(
        "file,condition,pupil_x,pupil_y,pupil_r,iris_x,iris_y,iris_r,upper_lid_y,lower_lid_y,visible_iris_fraction\n",
    );
    for person in first..first + people {
        for side in [Side::Left, Side::Right] {
            let model = EyeModel::new(1000 + person, side);
            for (k, cond) in EyeCondition::ALL.iter().enumerate() {
                let (img, gt) = render(&model, person * 16 + k as u64, *cond, 640, 480);
                let name = format!("p{person:03}_{side:?}_{cond:?}.png");
                img.save(dir.join(&name))?;
                truth.push_str(&format!(
                    "{name},{cond:?},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{:.4}\n",
                    gt.pupil_x,
                    gt.pupil_y,
                    gt.pupil_r,
                    gt.iris_x,
                    gt.iris_y,
                    gt.iris_r,
                    gt.upper_lid_y,
                    gt.lower_lid_y,
                    gt.visible_iris_fraction
                ));
            }
        }
    }
    std::fs::write(dir.join("truth.csv"), truth)?;
    Ok(())
}

fn pngs(dir: &Path) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("png")))
        .collect();
    files.sort();
    Ok(files)
}

fn score(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use rekam_quality::iris::{assess, segment};
    let mut header = false;
    for path in pngs(dir)? {
        let img = image::open(&path)?.to_luma8();
        let t = std::time::Instant::now();
        let report = assess(&img)?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if !header {
            let names: Vec<&str> = report.measures.iter().map(|m| m.name).collect();
            println!(
                "file,score,{},pupil_x,pupil_y,pupil_r,iris_x,iris_y,iris_r,upper_lid_y,lower_lid_y,ms,feedback",
                names.join(",")
            );
            header = true;
        }
        let values: Vec<String> = report
            .measures
            .iter()
            .map(|m| m.value.to_string())
            .collect();
        let geo = match segment(&img) {
            Some(s) => format!(
                "{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2}",
                s.pupil.x,
                s.pupil.y,
                s.pupil.r,
                s.iris.x,
                s.iris.y,
                s.iris.r,
                s.upper_lid_y(),
                s.lower_lid_y()
            ),
            None => ",,,,,,,".to_string(),
        };
        let codes: Vec<&str> = report.feedback.iter().map(|f| f.code).collect();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        println!(
            "{name},{},{},{geo},{ms:.2},{}",
            report.score,
            values.join(","),
            codes.join(" ")
        );
    }
    Ok(())
}
