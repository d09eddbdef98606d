//! Processes one photo through the evidence pipeline and prints a summary.
//!
//! Exists for manual testing on real photos and for `scripts/bench-photo.sh`.
//!
//! ```text
//! cargo run --release -p linkage-core --example evidence -- <input> <out-dir> [--iterations N] [--code CODE]
//! ```
//!
//! With `--iterations N` the same input is processed N times in-process (the
//! output files are removed between iterations so every run really writes and
//! fsyncs) and the median is reported, excluding process start-up.
//! Exit code 2 with the typed error on failure.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use linkage_core::photo::{ingest, PhotoConfig, PhotoError, WatermarkInfo};

fn usage() -> ExitCode {
    eprintln!("usage: evidence <input> <out-dir> [--iterations N] [--code CODE]");
    ExitCode::from(64)
}

/// Peak resident set size of this process in KiB (Linux; `None` elsewhere).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut iterations = 1usize;
    let mut code = "DEMO-0001".to_owned();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--iterations" => match args.next().and_then(|v| v.parse().ok()) {
                Some(n) if n > 0 => iterations = n,
                _ => return usage(),
            },
            "--code" => match args.next() {
                Some(c) => code = c,
                None => return usage(),
            },
            _ => positional.push(PathBuf::from(arg)),
        }
    }
    let [input, out_dir] = match <[PathBuf; 2]>::try_from(positional) {
        Ok(p) => p,
        Err(_) => return usage(),
    };

    let wm = WatermarkInfo {
        captured_at_ms: 1_795_431_912_000, // 2026-11-23 19:05:12 CST
        lat: Some(39.915),
        lon: Some(116.404),
        accuracy_m: Some(12.0),
        record_code: code,
        caption: "红旗村三组 · 入户走访 · 董梅彩".to_owned(),
    };
    let cfg = PhotoConfig::default();

    let mut times = Vec::with_capacity(iterations);
    let mut last: Option<Result<_, PhotoError>> = None;
    for i in 0..iterations {
        let start = Instant::now();
        let result = ingest(&input, &out_dir, &wm, &cfg);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        if let (Ok(ev), true) = (&result, i + 1 < iterations) {
            let _ = std::fs::remove_file(&ev.path);
            let _ = std::fs::remove_file(&ev.thumb_path);
        }
        let failed = result.is_err();
        last = Some(result);
        if failed {
            break;
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];

    match last.expect("at least one iteration") {
        Ok(ev) => {
            println!("sha256:      {}", ev.sha256);
            println!("path:        {}", ev.path.display());
            println!("thumb_path:  {}", ev.thumb_path.display());
            println!("bytes:       {}", ev.byte_size);
            println!("thumb_bytes: {}", ev.thumb_byte_size);
            println!("dimensions:  {}x{}", ev.width, ev.height);
            println!("thumb:       {}x{}", ev.thumb_width, ev.thumb_height);
            println!("watermark:   {}", ev.watermark_text);
            println!("iterations:  {}", times.len());
            println!(
                "elapsed_ms:  {median:.1}  (median; min {:.1}, max {:.1})",
                times[0],
                times[times.len() - 1]
            );
            if let Some(kib) = peak_rss_kib() {
                println!("peak_rss_kb: {kib}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("debug: {e:?}");
            ExitCode::from(2)
        }
    }
}
