//! Fuzz target for the ingest entry point: arbitrary bytes written to a file
//! must produce either evidence or a typed error, never a panic, and never
//! leave temp files behind.
//!
//! Run with `cargo +nightly fuzz run ingest -- -max_len=65536`; seed the corpus
//! with `tests/corpus/` and a few small real photos.
#![no_main]

use libfuzzer_sys::fuzz_target;
use linkage_core::photo::{ingest, PhotoConfig, WatermarkInfo};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("input.jpg");
    std::fs::write(&input, data).expect("write input");
    let evidence = dir.path().join("evidence");
    let wm = WatermarkInfo {
        captured_at_ms: 0,
        lat: None,
        lon: None,
        accuracy_m: None,
        record_code: "FUZZ".to_owned(),
    };
    // Small limits keep iterations fast and memory bounded.
    let cfg = PhotoConfig {
        max_long_edge: 256,
        thumb_long_edge: 64,
        max_input_pixels: 4_000_000,
        ..PhotoConfig::default()
    };
    if ingest(&input, &evidence, &wm, &cfg).is_err() {
        let leftovers = std::fs::read_dir(&evidence)
            .map(|rd| rd.flatten().filter(|e| e.path().is_file()).count())
            .unwrap_or(0);
        assert_eq!(leftovers, 0, "files left behind after an error");
    }
});
