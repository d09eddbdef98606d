//! Photo evidence pipeline.
//!
//! Grid workers photograph households and hazards as evidence, on low-end
//! phones. [`ingest`] turns an untrusted camera/gallery file (JPEG or PNG)
//! into a normalised, watermarked, metadata-free JPEG plus a thumbnail, stored
//! under the SHA-256 of the final bytes so the evidence can later be checked
//! with [`verify`].
//!
//! Pipeline: size check → magic-byte sniffing → header pixel-count check →
//! decode (JPEG at reduced DCT scale) → resize (≤ [`PhotoConfig::max_long_edge`],
//! never upscaled) → EXIF orientation → watermark band → JPEG encode →
//! thumbnail → SHA-256 → atomic write.
//!
//! This module is self-contained (only `self`/`super` paths and external
//! crates) so it can live in any crate.

mod decode;
mod encode;
mod error;
mod font;
mod store;
mod transform;
mod watermark;

use std::fs;
use std::path::{Path, PathBuf};

pub use self::error::PhotoError;

/// Tunables of the pipeline. The defaults suit evidence photos on mobile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoConfig {
    /// Long edge of the stored photo in pixels (smaller inputs are not upscaled).
    pub max_long_edge: u32,
    /// Long edge of the thumbnail in pixels.
    pub thumb_long_edge: u32,
    /// JPEG quality 1–100 for photo and thumbnail.
    pub jpeg_quality: u8,
    /// Input files larger than this are rejected before being read.
    pub max_input_bytes: u64,
    /// Inputs whose header announces more pixels than this are rejected before decoding.
    pub max_input_pixels: u64,
}

impl Default for PhotoConfig {
    fn default() -> Self {
        Self {
            max_long_edge: 1600,
            thumb_long_edge: 320,
            jpeg_quality: 80,
            max_input_bytes: 40 * 1024 * 1024,
            max_input_pixels: 64_000_000,
        }
    }
}

/// Context burnt into the photo as a visible watermark.
#[derive(Debug, Clone, PartialEq)]
pub struct WatermarkInfo {
    /// Capture time, Unix epoch milliseconds (rendered in China Standard Time).
    pub captured_at_ms: i64,
    /// Latitude in degrees (WGS-84 or GCJ-02, as provided by the shell).
    pub lat: Option<f64>,
    /// Longitude in degrees.
    pub lon: Option<f64>,
    /// Horizontal accuracy of the fix in metres.
    pub accuracy_m: Option<f64>,
    /// Short ASCII record code linking the photo to its case (non-ASCII is replaced by `?`).
    pub record_code: String,
}

/// Result of a successful [`ingest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedEvidence {
    /// Lowercase hex SHA-256 of the stored JPEG (also its file stem).
    pub sha256: String,
    /// `<evidence_dir>/<sha256>.jpg`.
    pub path: PathBuf,
    /// `<evidence_dir>/thumbs/<sha256>.jpg`.
    pub thumb_path: PathBuf,
    /// Size of the stored JPEG in bytes.
    pub byte_size: u64,
    /// Width of the stored JPEG.
    pub width: u32,
    /// Height of the stored JPEG.
    pub height: u32,
    /// Width of the thumbnail.
    pub thumb_width: u32,
    /// Height of the thumbnail.
    pub thumb_height: u32,
    /// The watermark as one line of text (the image shows it on two lines).
    pub watermark_text: String,
    /// Size of the thumbnail in bytes.
    pub thumb_byte_size: u64,
}

/// The watermark text for `wm`, as one line: time, record code, position, accuracy.
///
/// Example: `2026-11-23 19:05:12 CST  #HH-0042 | N 39.91500 E 116.40400  ±12m`.
pub fn watermark_text(wm: &WatermarkInfo) -> String {
    watermark::lines(wm).join(" | ")
}

/// Normalises the photo at `input` into watermarked evidence under `evidence_dir`.
///
/// Writes `<evidence_dir>/<sha256>.jpg` and `<evidence_dir>/thumbs/<sha256>.jpg`
/// atomically. Ingesting the same input with the same watermark again yields
/// the same hash and leaves existing files untouched. On error, no file is left
/// behind (directories may have been created).
pub fn ingest(
    input: &Path,
    evidence_dir: &Path,
    wm: &WatermarkInfo,
    cfg: &PhotoConfig,
) -> Result<ProcessedEvidence, PhotoError> {
    let meta = fs::metadata(input)?;
    if !meta.is_file() {
        return Err(PhotoError::NotAnImage);
    }
    let bytes = meta.len();
    if bytes == 0 {
        return Err(PhotoError::Empty);
    }
    if bytes > cfg.max_input_bytes {
        return Err(PhotoError::TooLarge {
            bytes,
            limit: cfg.max_input_bytes,
        });
    }

    let max_long_edge = cfg.max_long_edge.clamp(1, u32::from(u16::MAX));
    let decoded = decode::decode(input, max_long_edge, cfg.max_input_pixels)?;

    // Resize in stored orientation (fewer pixels to rotate), then orient.
    let (tw, th) =
        transform::fit_within(decoded.source_width, decoded.source_height, max_long_edge);
    let mut image = transform::resize(decoded.image, tw, th)?;
    image = transform::apply_orientation(image, decoded.orientation);

    let lines = watermark::lines(wm);
    watermark::stamp(&mut image, &lines);
    let main_jpeg = encode::encode_jpeg(&image, cfg.jpeg_quality)?;

    let (thw, thh) = transform::fit_within(image.width, image.height, cfg.thumb_long_edge);
    let (width, height) = (image.width, image.height);
    let thumb = transform::resize(image, thw, thh)?;
    let thumb_jpeg = encode::encode_jpeg(&thumb, cfg.jpeg_quality)?;

    let sha256 = store::sha256_hex(&main_jpeg);
    let file_name = format!("{sha256}.jpg");
    let thumbs_dir = evidence_dir.join("thumbs");
    let path = evidence_dir.join(&file_name);
    let thumb_path = thumbs_dir.join(&file_name);

    store::ensure_dir(&thumbs_dir)?;
    // Stage both first so a failure leaves only temp files (removed on drop);
    // commit the thumbnail first so a present photo always has its thumbnail.
    let staged_thumb = store::stage(&thumb_path, &thumb_jpeg)?;
    let staged_main = store::stage(&path, &main_jpeg)?;
    let thumb_created = staged_thumb.is_some();
    if let Some(t) = staged_thumb {
        t.commit()?;
    }
    if let Some(m) = staged_main {
        if let Err(e) = m.commit() {
            if thumb_created {
                let _ = fs::remove_file(&thumb_path);
            }
            return Err(e.into());
        }
    }

    Ok(ProcessedEvidence {
        sha256,
        path,
        thumb_path,
        byte_size: main_jpeg.len() as u64,
        width,
        height,
        thumb_width: thw,
        thumb_height: thh,
        watermark_text: lines.join(" | "),
        thumb_byte_size: thumb_jpeg.len() as u64,
    })
}

/// Recomputes the SHA-256 of a stored file and compares it with
/// `expected_sha256` (hex, case-insensitive). `Ok(false)` means the file was altered.
pub fn verify(path: &Path, expected_sha256: &str) -> Result<bool, PhotoError> {
    let actual = store::sha256_file(path)?;
    Ok(actual.eq_ignore_ascii_case(expected_sha256.trim()))
}
