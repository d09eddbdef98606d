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
        caption: "三组 · 入户走访".to_owned(),
    };
    // Small limits keep iterations fast and memory bounded.
    let cfg = PhotoConfig {
        max_long_edge: 256,
        thumb_long_edge: 64,
        max_input_pixels: 4_000_000,
        ..PhotoConfig::default()
    };
    match ingest(&input, &evidence, &wm, &cfg) {
        Err(_) => assert_eq!(files(&evidence), 0, "files left behind after an error"),
        // Exactly the photo and its thumbnail, no temp files.
        Ok(ev) => {
            assert_eq!(files(&evidence), 2, "unexpected files after success");
            assert!(ev.width.max(ev.height) <= 256 && ev.thumb_width.max(ev.thumb_height) <= 64);
        }
    }
});

/// Files under `dir` (the evidence dir and its `thumbs/`), recursively.
fn files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        files(&p)
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
