//! Command-line WSQ for checks against other implementations:
//! `wsq encode IN.raw WIDTH HEIGHT OUT.wsq [BITRATE]` and `wsq decode IN.wsq OUT.raw`
//! (raw: 8-bit grey, row by row).
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let run = || -> Result<(), String> {
        match args.first().map(String::as_str) {
            Some("encode") if args.len() >= 5 => {
                let raw = std::fs::read(&args[1]).map_err(|e| e.to_string())?;
                let w: u32 = args[2].parse().map_err(|_| "width")?;
                let h: u32 = args[3].parse().map_err(|_| "height")?;
                let bitrate = args
                    .get(5)
                    .map_or(Ok(0.75), |b| b.parse())
                    .map_err(|_| "bitrate")?;
                let opts = rekam_wsq::EncodeOptions {
                    bitrate,
                    ppi: Some(500),
                };
                let out = rekam_wsq::encode(&raw, w, h, &opts).map_err(|e| e.to_string())?;
                std::fs::write(&args[4], out).map_err(|e| e.to_string())
            }
            Some("decode") if args.len() >= 3 => {
                let data = std::fs::read(&args[1]).map_err(|e| e.to_string())?;
                let img = rekam_wsq::decode(&data).map_err(|e| e.to_string())?;
                println!("{} {}", img.width, img.height);
                std::fs::write(&args[2], img.pixels).map_err(|e| e.to_string())
            }
            _ => Err(
                "usage: wsq encode IN.raw W H OUT.wsq [BITRATE] | wsq decode IN.wsq OUT.raw".into(),
            ),
        }
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wsq: {e}");
            ExitCode::FAILURE
        }
    }
}
