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
//! thumbnail → SHA-256 → atomic write. For JPEG the horizontal half of the
//! resize runs on a helper thread over chunks of decoded rows while libjpeg
//! keeps decoding (its Huffman decoding is serial and dominates); the
//! vertical half then runs as two bands on two threads, and the thumbnail is
//! resized and encoded on a second thread while the photo is encoded.
//! Measured on a 4000×3000 q90 photo (`scripts/bench-photo.sh`, 2 x86-64
//! cores): ≈ 35 ms and ≈ 18 MB peak RSS, vs ≈ 54 ms for libvips in-process.
//!
//! Inputs: JPEG (baseline or progressive, any EXIF orientation) and PNG,
//! detected by magic bytes whatever the file extension. HEIC/HEIF, WebP, GIF
//! and the rest are refused as [`PhotoError::Unsupported`], as are the JPEG
//! variants no camera writes (lossless, hierarchical, arithmetic-coded,
//! 12-bit): recent iPhones shoot HEIC, so the **iOS shell converts to JPEG
//! before handing the file over** (`UIImage.jpegData`); Android cameras
//! already write JPEG.
//!
//! Dependencies:
//! - `mozjpeg` (kornelski's wrapper; `mozjpeg-sys` builds the vendored
//!   mozjpeg 4 = libjpeg-turbo 2 sources) for JPEG decode and encode. Why: it
//!   is the fastest option that still cross-compiles: decoding at 1/2, 1/4,
//!   1/8 (any n/8) in the DCT domain, like libvips' shrink-on-load, with
//!   libjpeg-turbo's SIMD (SSE2/AVX2 on x86, NEON on ARM) and a much faster
//!   Huffman decoder than the pure-Rust `jpeg-decoder` (which took ≈ 45 ms of
//!   a 68 ms pipeline even at 1/2 scale, ratio 1.24 to libvips; libjpeg-turbo
//!   brings the pipeline to ≈ 0.65 of libvips). The encoder runs with
//!   mozjpeg's "fastest" profile, i.e. plain libjpeg-turbo output (baseline,
//!   standard tables, no trellis, no progressive scan search). What it costs:
//!   a C build. `mozjpeg-sys` compiles the C sources with the `cc` crate, so
//!   the Android NDK's clang and Xcode's clang are enough (ARM NEON code is
//!   plain `.S`/C, no extra tool); on x86/x86-64 hosts the SIMD is assembled
//!   with `nasm` (installed by `scripts/setup.sh`); without nasm the build
//!   still succeeds with a cargo warning and portable C (slower). The C code
//!   is built at `-O3` even though the release profile optimises for size.
//!   libjpeg reports fatal errors by unwinding out of the C code (`-fexceptions`,
//!   needs `panic = "unwind"`, set in the release profile): the unwind is
//!   caught in `decode`/`encode` and becomes [`PhotoError::Corrupt`]; a file
//!   cut short (which libjpeg would pad with grey) is detected and reported
//!   as [`PhotoError::Truncated`]. Bomb/limit checks do not rely on libjpeg:
//!   the marker segments are walked in Rust first and the frame header is
//!   checked before any decoder exists.
//! - `fast_image_resize`: SIMD (SSE4.1/AVX2/NEON) convolution resize, several
//!   times faster than `image::imageops` at the same filter quality.
//! - `image` with only the `png` feature for PNG (with decoder limits),
//!   `kamadak-exif` for the orientation tag, `sha2`, `tempfile`, `font8x8`.
//!
//! Evidence files are content addressed, so ingesting the same input with the
//! same watermark twice writes nothing the second time, and handing an
//! existing evidence output (`<sha256>.jpg`) back to [`ingest`] is a no-op
//! that returns it unchanged (it is not watermarked a second time).
//!
//! This module is self-contained (only `self`/`super` paths and external
//! crates) so it can live in any crate.

mod decode;
mod encode;
mod error;
mod cjk;
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
    /// The line a Chinese reader reads first, as 水印相机 apps print it: place (village and group), kind of
    /// record and the worker's name, e.g. `红旗村三组 · 入户走访 · 董梅彩`. Drawn above the other two lines from
    /// the embedded Unifont subset (GB 2312; other characters as □); empty: no such line.
    pub caption: String,
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
    /// Empty when the input already was evidence (see [`ingest`]): the text
    /// stamped then cannot be read back from the pixels.
    pub watermark_text: String,
    /// Size of the thumbnail in bytes.
    pub thumb_byte_size: u64,
}

/// The watermark text for `wm`, as one line: time, record code, position, accuracy.
///
/// Example: `2026-11-23 19:05:12 CST  #HH-0042 | N 39.91500 E 116.40400  ±12m`.
pub fn watermark_text(wm: &WatermarkInfo) -> String {
    watermark::one_line(&watermark::caption(wm), &watermark::lines(wm))
}

/// Normalises the photo at `input` into watermarked evidence under `evidence_dir`.
///
/// Writes `<evidence_dir>/<sha256>.jpg` and `<evidence_dir>/thumbs/<sha256>.jpg`
/// atomically. Ingesting the same input with the same watermark again yields
/// the same hash and leaves existing files untouched. An input that already is
/// evidence (named `<sha256>.jpg` with content matching that hash, e.g. the
/// `path` of an earlier result) is not processed again: it is returned as is
/// (copied into `evidence_dir`, and its thumbnail made, only if missing there).
/// On error, no file is left behind (directories may have been created).
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
    if let Some(sha256) = existing_evidence_hash(input)? {
        return reuse_evidence(input, sha256, evidence_dir, cfg);
    }
    let decoded = decode::decode(input, max_long_edge, cfg.max_input_pixels)?;

    // Resize in stored orientation (fewer pixels to rotate), then orient.
    let (tw, th) =
        transform::fit_within(decoded.source_width, decoded.source_height, max_long_edge);
    let mut image = transform::resize(decoded.image, tw, th)?;
    image = transform::apply_orientation(image, decoded.orientation);

    let lines = watermark::lines(wm);
    let caption = watermark::caption(wm);
    watermark::stamp(&mut image, &lines, &caption);

    let (thw, thh) = transform::fit_within(image.width, image.height, cfg.thumb_long_edge);
    let (width, height) = (image.width, image.height);
    // The thumbnail is made from the watermarked photo on a second thread
    // while the photo itself is encoded.
    let (main_jpeg, thumb_jpeg) = std::thread::scope(|s| {
        let thumb = s.spawn(|| {
            if (thw, thh) == (width, height) {
                encode::encode_jpeg(&image, cfg.jpeg_quality)
            } else {
                encode::encode_jpeg(&transform::resize_ref(&image, thw, thh)?, cfg.jpeg_quality)
            }
        });
        let main = encode::encode_jpeg(&image, cfg.jpeg_quality);
        let thumb = thumb.join().unwrap_or_else(|_| {
            Err(PhotoError::Encode {
                detail: "thumbnail worker panicked".to_owned(),
            })
        });
        Ok::<_, PhotoError>((main?, thumb?))
    })?;

    let sha256 = store::sha256_hex(&main_jpeg);
    let (path, thumb_path) = write_outputs(evidence_dir, &sha256, &main_jpeg, Some(&thumb_jpeg))?;
    Ok(ProcessedEvidence {
        sha256,
        path,
        thumb_path,
        byte_size: main_jpeg.len() as u64,
        width,
        height,
        thumb_width: thw,
        thumb_height: thh,
        watermark_text: watermark::one_line(&caption, &lines),
        thumb_byte_size: thumb_jpeg.len() as u64,
    })
}

/// Stores evidence downloaded from the server (another phone's photo) under `dir`: the bytes must hash to
/// `expected_sha256` (else [`PhotoError::HashMismatch`] and nothing is written) and be a JPEG (the pipeline's
/// own output); the file is written atomically as `<dir>/<sha256>.jpg` and its thumbnail is derived here
/// (`<dir>/thumbs/<sha256>.jpg`) from the verified bytes, as for any evidence. A file already there with other
/// content (damaged on disk) is replaced. On error nothing new is left behind.
pub fn adopt_downloaded(
    bytes: &[u8],
    expected_sha256: &str,
    dir: &Path,
    cfg: &PhotoConfig,
) -> Result<ProcessedEvidence, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() as u64 > cfg.max_input_bytes {
        return Err(PhotoError::TooLarge {
            bytes: bytes.len() as u64,
            limit: cfg.max_input_bytes,
        });
    }
    let actual = store::sha256_hex(bytes);
    if !actual.eq_ignore_ascii_case(expected_sha256.trim()) {
        return Err(PhotoError::HashMismatch {
            expected: expected_sha256.trim().to_ascii_lowercase(),
            actual,
        });
    }
    if !matches!(decode::sniff(bytes)?, decode::Format::Jpeg) {
        return Err(PhotoError::Unsupported {
            format: "evidence that is not a JPEG".to_owned(),
        });
    }
    store::ensure_dir(dir)?;
    let path = dir.join(format!("{actual}.jpg"));
    if path.is_file() && store::sha256_file(&path)? != actual {
        fs::remove_file(&path)?;
    }
    let created = match store::stage(&path, bytes)? {
        Some(staged) => {
            staged.commit()?;
            true
        }
        None => false,
    };
    reuse_evidence(&path, actual, dir, cfg).inspect_err(|_| {
        if created {
            let _ = fs::remove_file(&path);
        }
    })
}

/// The hash of `input` if it is evidence already: a `<64 lowercase hex>.jpg`
/// file whose SHA-256 is its name. Only such names are hashed up-front, so
/// ordinary camera files cost nothing extra.
fn existing_evidence_hash(input: &Path) -> Result<Option<String>, PhotoError> {
    let Some(stem) = input
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".jpg"))
    else {
        return Ok(None);
    };
    if stem.len() != 64 || !stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Ok(None);
    }
    let actual = store::sha256_file(input)?;
    Ok((actual == stem).then_some(actual))
}

/// Returns existing evidence without re-encoding it (which would stamp a
/// second watermark and change the hash).
fn reuse_evidence(
    input: &Path,
    sha256: String,
    evidence_dir: &Path,
    cfg: &PhotoConfig,
) -> Result<ProcessedEvidence, PhotoError> {
    let main_jpeg = fs::read(input)?;
    let thumb_target = evidence_dir.join("thumbs").join(format!("{sha256}.jpg"));
    // Decode only what is needed: a missing thumbnail is rebuilt, otherwise
    // the header gives the dimensions.
    let (width, height, thumb_jpeg) = if thumb_target.is_file() {
        let (w, h) = decode::jpeg_dimensions(&main_jpeg)?;
        (w, h, None)
    } else {
        let decoded = decode::decode(input, cfg.thumb_long_edge.max(1), cfg.max_input_pixels)?;
        let (w, h) = (decoded.source_width, decoded.source_height);
        let (thw, thh) = transform::fit_within(w, h, cfg.thumb_long_edge);
        let thumb = transform::resize(decoded.image, thw, thh)?;
        (w, h, Some(encode::encode_jpeg(&thumb, cfg.jpeg_quality)?))
    };
    let (path, thumb_path) =
        write_outputs(evidence_dir, &sha256, &main_jpeg, thumb_jpeg.as_deref())?;
    let (thumb_width, thumb_height) = match &thumb_jpeg {
        Some(t) => decode::jpeg_dimensions(t)?,
        None => decode::jpeg_dimensions(&fs::read(&thumb_path)?)?,
    };
    Ok(ProcessedEvidence {
        sha256,
        path,
        thumb_byte_size: fs::metadata(&thumb_path)?.len(),
        thumb_path,
        byte_size: main_jpeg.len() as u64,
        width,
        height,
        thumb_width,
        thumb_height,
        watermark_text: String::new(),
    })
}

/// Atomically writes `<dir>/<sha256>.jpg` and `<dir>/thumbs/<sha256>.jpg`
/// (the thumbnail only when given), skipping files that already exist.
fn write_outputs(
    evidence_dir: &Path,
    sha256: &str,
    main_jpeg: &[u8],
    thumb_jpeg: Option<&[u8]>,
) -> Result<(PathBuf, PathBuf), PhotoError> {
    let file_name = format!("{sha256}.jpg");
    let thumbs_dir = evidence_dir.join("thumbs");
    let path = evidence_dir.join(&file_name);
    let thumb_path = thumbs_dir.join(&file_name);

    store::ensure_dir(&thumbs_dir)?;
    // Stage both first so a failure leaves only temp files (removed on drop);
    // commit the thumbnail first so a present photo always has its thumbnail.
    let staged_thumb = match thumb_jpeg {
        Some(t) => store::stage(&thumb_path, t)?,
        None => None,
    };
    let staged_main = store::stage(&path, main_jpeg)?;
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
    Ok((path, thumb_path))
}

/// Recomputes the SHA-256 of a stored file and compares it with
/// `expected_sha256` (hex, case-insensitive). `Ok(false)` means the file was altered.
pub fn verify(path: &Path, expected_sha256: &str) -> Result<bool, PhotoError> {
    let actual = store::sha256_file(path)?;
    Ok(actual.eq_ignore_ascii_case(expected_sha256.trim()))
}
