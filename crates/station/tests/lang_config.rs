//! One language type for both configuration files: the station file (`[station] language`) and
//! the office file (`[office] language`) accept and refuse the same spellings, with the same
//! meaning (the office file used to take `bahasa`, which the station file refused).
#![allow(clippy::unwrap_used)]

use rekam_station::config::StationConfig;
use rekam_station::i18n::Lang;

fn office_with(lang: &str) -> Result<rekam_service::OfficeConfig, rekam_service::Error> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/offices/kedopok.toml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains("language = \"id\""));
    rekam_service::OfficeConfig::parse(&text.replacen(
        "language = \"id\"",
        &format!("language = {lang:?}"),
        1,
    ))
}

#[test]
fn station_and_office_files_accept_and_refuse_the_same_languages() {
    let cases = [
        ("id", Some(Lang::Id)),
        ("ID", Some(Lang::Id)),
        ("in", Some(Lang::Id)),
        ("id-ID", Some(Lang::Id)),
        ("indonesia", Some(Lang::Id)),
        ("bahasa", Some(Lang::Id)),
        (" Bahasa ", Some(Lang::Id)),
        ("en", Some(Lang::En)),
        ("EN", Some(Lang::En)),
        ("en-us", Some(Lang::En)),
        ("en-GB", Some(Lang::En)),
        ("english", Some(Lang::En)),
        ("fr", None),
        ("", None),
        ("bahas", None),
        ("indonesian-ish", None),
        ("jawa", None),
    ];
    for (spelling, want) in cases {
        let station = StationConfig::parse(&format!("[station]\nlanguage = {spelling:?}\n"));
        let office = office_with(spelling);
        match want {
            Some(lang) => {
                let station = station.unwrap_or_else(|e| panic!("{spelling:?}: {e:#}"));
                let office = office.unwrap_or_else(|e| panic!("{spelling:?}: {e}"));
                assert_eq!(station.lang(), lang, "{spelling:?} in the station file");
                assert_eq!(office.lang, lang, "{spelling:?} in the office file");
            }
            None => {
                let e = station.unwrap_err();
                assert!(format!("{e:#}").contains("[station] language"), "{e:#}");
                let e = office.unwrap_err();
                assert!(e.to_string().contains("office.language"), "{e}");
            }
        }
    }
}
