//! Arbitrary bytes into the ANSI/NIST-ITL traditional-encoding reader: no panic, and every
//! transaction it accepts is written back by `Transaction::encode` to bytes it reads the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rekam_export::nist;

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = nist::parse(data) {
        let _ = tx.missing_mandatory();
        let again = nist::parse(&tx.encode()).expect("a re-encoded transaction reads again");
        assert_eq!(again.records.len(), tx.records.len());
    }
});
