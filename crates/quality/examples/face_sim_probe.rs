//! Scores simulated portraits (the 3:4 photo cut from each frame) and prints the codes and
//! the main measures: `cargo run --release -j1 -p rekam-quality --example face_sim_probe`.
#![allow(clippy::unwrap_used, clippy::print_stdout)]
use rekam_quality::face::{assess_frame, background_for_birth_year};
use rekam_synth::face::{render, Lighting, Portrait, Subjects};

fn main() {
    let d = Portrait::default;
    let mut cases: Vec<(String, Portrait)> = Vec::new();
    for person in 1..=40u64 {
        cases.push((
            format!("good p{person}"),
            Portrait {
                person,
                birth_year: 1989 + person as i32,
                ..d()
            },
        ));
    }
    let defects = [
        (
            "dark",
            Portrait {
                lighting: Lighting::Dark,
                ..d()
            },
        ),
        (
            "over",
            Portrait {
                lighting: Lighting::Overexposed,
                ..d()
            },
        ),
        (
            "shadowL",
            Portrait {
                lighting: Lighting::ShadowLeft,
                ..d()
            },
        ),
        (
            "shadowR",
            Portrait {
                lighting: Lighting::ShadowRight,
                ..d()
            },
        ),
        ("blur", Portrait { blur: 6.0, ..d() }),
        (
            "nobody",
            Portrait {
                subjects: Subjects::Nobody,
                ..d()
            },
        ),
        (
            "two",
            Portrait {
                subjects: Subjects::Two,
                ..d()
            },
        ),
        (
            "offx",
            Portrait {
                offset: (0.15, 0.0),
                ..d()
            },
        ),
        (
            "offy",
            Portrait {
                offset: (0.0, 0.15),
                ..d()
            },
        ),
        (
            "yaw",
            Portrait {
                yaw_deg: 35.0,
                ..d()
            },
        ),
        (
            "far",
            Portrait {
                distance: 1.5,
                ..d()
            },
        ),
        (
            "close",
            Portrait {
                distance: 0.8,
                ..d()
            },
        ),
        (
            "closed",
            Portrait {
                eyes_closed: true,
                ..d()
            },
        ),
    ];
    cases.extend(defects.into_iter().map(|(n, p)| (n.to_string(), p)));
    for (w, h) in [(640u32, 480u32), (1280, 720), (1920, 1080)] {
        for (name, p) in &cases {
            let img = render(p, w, h);
            let t = std::time::Instant::now();
            let r = assess_frame(&img, Some(background_for_birth_year(p.birth_year))).unwrap();
            let el = t.elapsed();
            let codes: Vec<&str> = r.feedback.iter().map(|f| f.code).collect();
            print!("{w}x{h} {name:9} score {:3} {codes:?} {el:.1?}", r.score);
            for m in &r.measures {
                if [
                    "face_height_ratio",
                    "centre_offset_x",
                    "centre_offset_y",
                    "dynamic_range",
                    "contrast_ratio",
                ]
                .contains(&m.name)
                {
                    print!(" {}={:.3}", m.name, m.value);
                }
            }
            println!();
        }
    }
}
