//! Integration tests of the photo evidence pipeline, plus the regression
//! corpus of malformed files in `tests/corpus/`.
//!
//! All inputs are generated deterministically here; the corpus files are
//! committed and checked against their generators (`corpus_is_up_to_date`),
//! run with `REGENERATE_CORPUS=1` to rewrite them.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jpeg_encoder::{ColorType, Encoder};
use linkage_core::photo::{adopt_downloaded, ingest, verify, watermark_text, PhotoConfig, PhotoError, WatermarkInfo};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------- helpers

fn wm() -> WatermarkInfo {
    WatermarkInfo {
        captured_at_ms: 1_795_431_912_000,
        lat: Some(39.915),
        lon: Some(116.404),
        accuracy_m: Some(12.0),
        record_code: "HH-0042".to_owned(),
        caption: "红旗村三组 · 入户走访 · 董梅彩".to_owned(),
    }
}

/// Camera-like RGB content: gradients plus a deterministic texture. When
/// `red_left_quarter` is set, the left quarter is pure red (orientation marker).
fn camera_pixels(w: u32, h: u32, red_left_quarter: bool) -> Vec<u8> {
    let mut data = Vec::with_capacity((w * h * 3) as usize);
    let mut seed = 0x2545_F491u32;
    for y in 0..h {
        for x in 0..w {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (seed >> 28) as u8;
            if red_left_quarter && x < w / 4 {
                data.extend_from_slice(&[230, 10, 10]);
            } else {
                data.extend_from_slice(&[
                    (40 + x * 100 / w) as u8 + noise,
                    (60 + y * 120 / h) as u8 + noise,
                    (180 - (x + y) * 60 / (w + h)) as u8 + noise,
                ]);
            }
        }
    }
    data
}

/// Minimal big-endian TIFF structure with a single Orientation tag, prefixed
/// for a JPEG APP1 segment.
fn exif_app1_orientation(value: u16) -> Vec<u8> {
    let mut v = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
    v.extend_from_slice(&1u16.to_be_bytes()); // one IFD entry
    v.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    v.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    v.extend_from_slice(&1u32.to_be_bytes()); // count
    v.extend_from_slice(&value.to_be_bytes());
    v.extend_from_slice(&[0, 0]); // padding of the 4-byte value field
    v.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    v
}

fn jpeg(
    w: u32,
    h: u32,
    quality: u8,
    progressive: bool,
    orientation: Option<u16>,
    red: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, quality);
    enc.set_progressive(progressive);
    if let Some(o) = orientation {
        enc.add_app_segment(1, &exif_app1_orientation(o)).unwrap();
    }
    enc.encode(
        &camera_pixels(w, h, red),
        w as u16,
        h as u16,
        ColorType::Rgb,
    )
    .unwrap();
    out
}

fn png_rgba(w: u32, h: u32) -> Vec<u8> {
    let rgb = camera_pixels(w, h, false);
    let rgba: Vec<u8> = rgb
        .chunks(3)
        .enumerate()
        .flat_map(|(i, p)| [p[0], p[1], p[2], if i % 7 == 0 { 128 } else { 255 }])
        .collect();
    let img = image::RgbaImage::from_raw(w, h, rgba).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn input(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        fs::write(&p, bytes).unwrap();
        p
    }
    fn evidence(&self) -> PathBuf {
        self.dir.path().join("evidence")
    }
}

/// Marker codes of all segments before the first SOS.
fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
    assert_eq!(&bytes[..2], &[0xFF, 0xD8], "not a JPEG");
    let mut markers = Vec::new();
    let mut i = 2;
    while i + 4 <= bytes.len() {
        assert_eq!(bytes[i], 0xFF);
        let m = bytes[i + 1];
        markers.push(m);
        if m == 0xDA {
            break;
        }
        let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
        i += 2 + len;
    }
    markers
}

/// Offset of the first segment with `marker` before the first SOS (or the SOS itself).
fn segment_offset(bytes: &[u8], marker: u8) -> usize {
    let mut i = 2;
    loop {
        assert_eq!(bytes[i], 0xFF, "marker expected at {i}");
        if bytes[i + 1] == marker {
            return i;
        }
        assert_ne!(
            bytes[i + 1],
            0xDA,
            "no segment 0x{marker:02X} before the scan"
        );
        i += 2 + u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
    }
}

fn assert_no_metadata(path: &Path) {
    let markers = jpeg_markers(&fs::read(path).unwrap());
    for m in &markers {
        assert!(
            !(0xE1..=0xEF).contains(m) && *m != 0xFE,
            "metadata segment 0x{m:02X} found in {}",
            path.display()
        );
    }
    assert!(markers.contains(&0xDA));
}

/// Decodes an output JPEG (full size) to RGB.
fn decode_rgb(path: &Path) -> (u32, u32, Vec<u8>) {
    let mut d = jpeg_decoder::Decoder::new(fs::File::open(path).unwrap());
    let px = d.decode().unwrap();
    let info = d.info().unwrap();
    (u32::from(info.width), u32::from(info.height), px)
}

fn sha256_file(path: &Path) -> String {
    Sha256::digest(fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// All files under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

// ---------------------------------------------------------------- pipeline

#[test]
fn landscape_jpeg_is_resized_watermarked_and_hashed() {
    let env = Env::new();
    let input = env.input("landscape.jpg", &jpeg(2400, 1800, 90, false, None, false));
    let ev = ingest(&input, &env.evidence(), &wm(), &PhotoConfig::default()).unwrap();

    assert_eq!((ev.width, ev.height), (1600, 1200));
    assert_eq!((ev.thumb_width, ev.thumb_height), (320, 240));
    assert_eq!(ev.path, env.evidence().join(format!("{}.jpg", ev.sha256)));
    assert_eq!(
        ev.thumb_path,
        env.evidence()
            .join("thumbs")
            .join(format!("{}.jpg", ev.sha256))
    );
    assert_eq!(ev.sha256, sha256_file(&ev.path));
    assert_eq!(ev.sha256.len(), 64);
    assert!(ev
        .sha256
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(ev.byte_size, fs::metadata(&ev.path).unwrap().len());
    assert_eq!(ev.watermark_text, watermark_text(&wm()));
    assert!(ev.watermark_text.contains("2026-11-23 19:05:12 CST"));
    assert!(ev.watermark_text.contains("N 39.91500 E 116.40400"));
    assert!(ev.watermark_text.contains("\u{b1}12m"));
    assert!(ev.watermark_text.contains("HH-0042"));

    let (w, h, _) = decode_rgb(&ev.path);
    assert_eq!((w, h), (1600, 1200));
    let (tw, th, _) = decode_rgb(&ev.thumb_path);
    assert_eq!((tw, th), (320, 240));
    assert_no_metadata(&ev.path);
    assert_no_metadata(&ev.thumb_path);
    // Exactly the two outputs, no temp files.
    assert_eq!(files_under(&env.evidence()).len(), 2);
}

#[test]
fn exif_orientation_6_turns_sensor_landscape_into_portrait() {
    let env = Env::new();
    // Stored 2000x1500 with a red left quarter; EXIF says "rotate 90° clockwise".
    let input = env.input("portrait.jpg", &jpeg(2000, 1500, 90, false, Some(6), true));
    let ev = ingest(&input, &env.evidence(), &wm(), &PhotoConfig::default()).unwrap();
    assert_eq!(
        (ev.width, ev.height),
        (1200, 1600),
        "portrait stays portrait"
    );
    assert_eq!((ev.thumb_width, ev.thumb_height), (240, 320));
    assert_no_metadata(&ev.path); // the input's APP1 is gone

    // After a clockwise rotation the stored left edge is the displayed top.
    let (w, _, px) = decode_rgb(&ev.path);
    let at = |x: u32, y: u32| {
        let o = ((y * w + x) * 3) as usize;
        (px[o], px[o + 1], px[o + 2])
    };
    let (r, g, b) = at(600, 100);
    assert!(
        r > 180 && g < 60 && b < 60,
        "top should be red, got {:?}",
        (r, g, b)
    );
    let (r, _, b) = at(600, 1000);
    assert!(
        r < 180 && b > 100,
        "middle should not be red, got {:?}",
        at(600, 1000)
    );
}

#[test]
fn exif_orientation_3_and_8() {
    let env = Env::new();
    for (o, dims) in [(3u16, (1600, 1200)), (8, (1200, 1600))] {
        let input = env.input(
            &format!("o{o}.jpg"),
            &jpeg(2000, 1500, 85, false, Some(o), true),
        );
        let ev = ingest(&input, &env.evidence(), &wm(), &PhotoConfig::default()).unwrap();
        assert_eq!((ev.width, ev.height), dims, "orientation {o}");
        let (w, h, px) = decode_rgb(&ev.path);
        let red_at = |x: u32, y: u32| {
            let o = ((y * w + x) * 3) as usize;
            px[o] > 180 && px[o + 1] < 60
        };
        match o {
            // 180°: red quarter ends up on the right.
            3 => assert!(red_at(w - 50, h / 2) && !red_at(50, h / 2)),
            // 90° counter-clockwise: stored left edge becomes the bottom (above the band).
            _ => assert!(red_at(w / 2, h - 200) && !red_at(w / 2, 100)),
        }
    }
}

#[test]
fn progressive_jpeg_is_supported() {
    let env = Env::new();
    let input = env.input("progressive.jpg", &jpeg(1800, 1200, 85, true, None, false));
    assert!(
        jpeg_markers(&fs::read(&input).unwrap()).contains(&0xC2),
        "fixture must be progressive"
    );
    let ev = ingest(&input, &env.evidence(), &wm(), &PhotoConfig::default()).unwrap();
    assert_eq!((ev.width, ev.height), (1600, 1067));
    assert_eq!((ev.thumb_width, ev.thumb_height), (320, 213));
    // Outputs are baseline.
    assert!(jpeg_markers(&fs::read(&ev.path).unwrap()).contains(&0xC0));
}

/// All eight EXIF orientations, end to end: where the stored left quarter
/// (red) ends up, and whether the axes are swapped.
#[test]
fn every_exif_orientation_is_applied() {
    let env = Env::new();
    let cfg = PhotoConfig::default();
    // (orientation, displayed dims, side the stored left edge ends up on)
    let cases = [
        (1u16, (400, 300), "left"),
        (2, (400, 300), "right"),
        (3, (400, 300), "right"),
        (4, (400, 300), "left"),
        (5, (300, 400), "top"),
        (6, (300, 400), "top"),
        (7, (300, 400), "bottom"),
        (8, (300, 400), "bottom"),
    ];
    for (o, dims, side) in cases {
        let input = env.input(
            &format!("o{o}.jpg"),
            &jpeg(400, 300, 90, false, Some(o), true),
        );
        let ev = ingest(&input, &env.evidence(), &wm(), &cfg).unwrap();
        assert_eq!((ev.width, ev.height), dims, "orientation {o}");
        assert_no_metadata(&ev.path);
        let (w, h, px) = decode_rgb(&ev.path);
        let red_at = |x: u32, y: u32| {
            let i = ((y * w + x) * 3) as usize;
            px[i] > 180 && px[i + 1] < 60 && px[i + 2] < 60
        };
        // Probe points stay above the watermark band at the bottom.
        let (l, r, t, b) = (
            red_at(20, h / 3),
            red_at(w - 20, h / 3),
            red_at(w / 2, 20),
            red_at(w / 2, h * 4 / 5),
        );
        let got = match (l, r, t, b) {
            (true, false, false, false) => "left",
            (false, true, false, false) => "right",
            (false, false, true, false) => "top",
            (false, false, false, true) => "bottom",
            other => panic!("orientation {o}: ambiguous red position {other:?}"),
        };
        assert_eq!(got, side, "orientation {o}");
    }
}

#[test]
fn large_progressive_portrait_uses_dct_scaling_and_orientation() {
    let env = Env::new();
    // 3400x2550 progressive, EXIF 6: decoded at 1/2 (1700x1275), resized to
    // 1600x1200, rotated to 1200x1600.
    let input = env.input(
        "progressive-portrait.jpg",
        &jpeg(3400, 2550, 85, true, Some(6), true),
    );
    let ev = ingest(&input, &env.evidence(), &wm(), &PhotoConfig::default()).unwrap();
    assert_eq!((ev.width, ev.height), (1200, 1600));
    assert_eq!((ev.thumb_width, ev.thumb_height), (240, 320));
    assert_no_metadata(&ev.path);
    assert_no_metadata(&ev.thumb_path);
    let (w, _, px) = decode_rgb(&ev.path);
    let i = ((100 * w + 600) * 3) as usize;
    assert!(px[i] > 180 && px[i + 1] < 60, "top should be red");
}

#[test]
fn jpeg_with_png_or_no_extension_is_detected_by_magic() {
    let env = Env::new();
    let bytes = jpeg(640, 480, 90, false, None, false);
    let a = ingest(
        &env.input("photo.png", &bytes),
        &env.evidence(),
        &wm(),
        &PhotoConfig::default(),
    )
    .unwrap();
    let b = ingest(
        &env.input("IMG_0001", &bytes),
        &env.evidence(),
        &wm(),
        &PhotoConfig::default(),
    )
    .unwrap();
    assert_eq!((a.width, a.height), (640, 480));
    assert_eq!(a.sha256, b.sha256, "the name plays no part");
}

#[test]
fn reingesting_an_output_is_a_no_op() {
    let env = Env::new();
    let cfg = PhotoConfig::default();
    let input = env.input("cam.jpg", &jpeg(2400, 1800, 90, false, Some(6), false));
    let first = ingest(&input, &env.evidence(), &wm(), &cfg).unwrap();
    let mtime = |p: &Path| fs::metadata(p).unwrap().modified().unwrap();
    let (m0, t0) = (mtime(&first.path), mtime(&first.thumb_path));
    std::thread::sleep(Duration::from_millis(20));

    // The stored file handed back (any watermark): not re-encoded, nothing written.
    let mut other = wm();
    other.record_code = "OTHER".to_owned();
    let again = ingest(&first.path, &env.evidence(), &other, &cfg).unwrap();
    assert_eq!(again.sha256, first.sha256);
    assert_eq!(again.path, first.path);
    assert_eq!(again.thumb_path, first.thumb_path);
    assert_eq!((again.width, again.height), (first.width, first.height));
    assert_eq!(
        (again.thumb_width, again.thumb_height, again.thumb_byte_size),
        (first.thumb_width, first.thumb_height, first.thumb_byte_size)
    );
    assert_eq!(again.byte_size, first.byte_size);
    assert_eq!(again.watermark_text, "");
    assert_eq!((mtime(&first.path), mtime(&first.thumb_path)), (m0, t0));
    assert_eq!(files_under(&env.evidence()).len(), 2);

    // A copy of the output into another evidence dir: copied, thumbnail rebuilt.
    let other_dir = env.dir.path().join("other-evidence");
    let copied = ingest(&first.path, &other_dir, &wm(), &cfg).unwrap();
    assert_eq!(copied.sha256, first.sha256);
    assert_eq!(sha256_file(&copied.path), first.sha256);
    assert_eq!(
        (copied.thumb_width, copied.thumb_height),
        (first.thumb_width, first.thumb_height)
    );
    assert_no_metadata(&copied.thumb_path);
    assert_eq!(files_under(&other_dir).len(), 2);

    // A hash-like name whose content does not match is an ordinary input.
    let fake = env.input(
        &format!("{}.jpg", "0".repeat(64)),
        &fs::read(&input).unwrap(),
    );
    let processed = ingest(&fake, &env.evidence(), &wm(), &cfg).unwrap();
    assert_eq!(
        processed.sha256, first.sha256,
        "processed like the original"
    );
    assert_eq!(processed.watermark_text, first.watermark_text);
}

fn temp_files_under(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
        .collect()
}

#[test]
fn failed_commit_removes_temp_files_and_the_new_thumbnail() {
    let env = Env::new();
    let cfg = PhotoConfig::default();
    let input = env.input("cam.jpg", &jpeg(1000, 750, 90, false, None, false));
    let ev = ingest(&input, &env.evidence(), &wm(), &cfg).unwrap();
    fs::remove_file(&ev.path).unwrap();
    fs::remove_file(&ev.thumb_path).unwrap();
    // Something in the way of the photo's final name: the rename fails after
    // the thumbnail was committed.
    fs::create_dir(&ev.path).unwrap();
    fs::write(ev.path.join("blocker"), b"x").unwrap();
    let err = ingest(&input, &env.evidence(), &wm(), &cfg).unwrap_err();
    assert!(matches!(err, PhotoError::Io(_)), "{err:?}");
    assert_eq!(temp_files_under(&env.evidence()), Vec::<PathBuf>::new());
    assert!(!ev.thumb_path.exists(), "thumbnail rolled back");
    assert_eq!(files_under(&env.evidence()), vec![ev.path.join("blocker")]);

    // Evidence dir cannot be created (a file is in the way): nothing written.
    let blocked = env.dir.path().join("blocked");
    fs::write(&blocked, b"not a dir").unwrap();
    let err = ingest(&input, &blocked, &wm(), &cfg).unwrap_err();
    assert!(matches!(err, PhotoError::Io(_)), "{err:?}");
    assert_eq!(fs::read(&blocked).unwrap(), b"not a dir");
}

#[test]
fn png_named_jpg_is_detected_by_magic_and_not_upscaled() {
    let env = Env::new();
    let input = env.input("actually-a-png.jpg", &png_rgba(800, 600));
    let ev = ingest(&input, &env.evidence(), &wm(), &PhotoConfig::default()).unwrap();
    assert_eq!((ev.width, ev.height), (800, 600));
    assert_eq!((ev.thumb_width, ev.thumb_height), (320, 240));
    assert_no_metadata(&ev.path);
}

#[test]
fn small_jpeg_is_not_upscaled() {
    let env = Env::new();
    let input = env.input("small.jpeg", &jpeg(300, 200, 90, false, None, false));
    let ev = ingest(&input, &env.evidence(), &wm(), &PhotoConfig::default()).unwrap();
    assert_eq!((ev.width, ev.height), (300, 200));
    assert_eq!((ev.thumb_width, ev.thumb_height), (300, 200));
}

#[test]
fn reingest_is_idempotent_and_verify_detects_tampering() {
    let env = Env::new();
    let input = env.input("a.jpg", &jpeg(1000, 750, 90, false, None, false));
    let cfg = PhotoConfig::default();
    let first = ingest(&input, &env.evidence(), &wm(), &cfg).unwrap();
    let mtime = fs::metadata(&first.path).unwrap().modified().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let second = ingest(&input, &env.evidence(), &wm(), &cfg).unwrap();
    assert_eq!(first, second);
    assert_eq!(
        fs::metadata(&second.path).unwrap().modified().unwrap(),
        mtime,
        "no rewrite"
    );
    assert_eq!(files_under(&env.evidence()).len(), 2);

    // A different watermark is different evidence.
    let mut other = wm();
    other.record_code = "HH-0043".to_owned();
    assert_ne!(
        ingest(&input, &env.evidence(), &other, &cfg)
            .unwrap()
            .sha256,
        first.sha256
    );

    assert!(verify(&first.path, &first.sha256).unwrap());
    assert!(verify(&first.path, &first.sha256.to_uppercase()).unwrap());
    let mut bytes = fs::read(&first.path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    fs::write(&first.path, &bytes).unwrap();
    assert!(!verify(&first.path, &first.sha256).unwrap());
    assert!(matches!(
        verify(&env.dir.path().join("missing.jpg"), &first.sha256),
        Err(PhotoError::Io(_))
    ));
}

#[test]
fn too_large_file_is_rejected_before_reading() {
    let env = Env::new();
    let input = env.input("big.jpg", &jpeg(640, 480, 90, false, None, false));
    let cfg = PhotoConfig {
        max_input_bytes: 1000,
        ..PhotoConfig::default()
    };
    let err = ingest(&input, &env.evidence(), &wm(), &cfg).unwrap_err();
    assert!(
        matches!(err, PhotoError::TooLarge { limit: 1000, .. }),
        "{err:?}"
    );
    assert!(files_under(&env.evidence()).is_empty());
}

#[test]
fn error_messages_are_plain_and_free_of_personal_data() {
    let env = Env::new();
    let input = env.input("Zhang San household 13800138000.jpg", b"hello");
    let err = ingest(&input, &env.evidence(), &wm(), &PhotoConfig::default()).unwrap_err();
    let msg = err.to_string();
    assert_eq!(msg, "the file is not a recognised image");
    assert!(!msg.contains("Zhang") && !msg.contains("1380"));
}

// ---------------------------------------------------------------- corpus

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `(file name, content, expected error variant name)` of every corpus file.
fn corpus() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let good_jpeg = jpeg(64, 48, 90, false, None, false);
    let good_png = png_rgba(64, 48);

    let mut huge_jpeg = vec![0xFF, 0xD8];
    // SOF0: length 17, precision 8, height 60000, width 60000, 3 components.
    huge_jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
    huge_jpeg.extend_from_slice(&60000u16.to_be_bytes());
    huge_jpeg.extend_from_slice(&60000u16.to_be_bytes());
    huge_jpeg.extend_from_slice(&[0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
    huge_jpeg.extend_from_slice(&[0xFF, 0xD9]);

    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&60000u32.to_be_bytes());
    ihdr.extend_from_slice(&60000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    let mut huge_png = b"\x89PNG\r\n\x1a\n".to_vec();
    huge_png.extend(png_chunk(b"IHDR", &ihdr));
    huge_png.extend(png_chunk(b"IEND", &[]));

    let huge_png_named = huge_png.clone();
    let mut bad_crc_png = good_png.clone();
    bad_crc_png[29] ^= 0xFF; // inside the IHDR CRC

    let mut seed = 0x1234_5678u32;
    let garbage: Vec<u8> = (0..4096)
        .map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (seed >> 16) as u8
        })
        .collect();

    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&[0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00]);
    let mut webp = b"RIFF\x1a\0\0\0WEBPVP8 ".to_vec();
    webp.extend_from_slice(&[0; 14]);
    let mut heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    heic.extend_from_slice(b"\0\0\0\x08meta");

    // Progressive (SOF2) with a bomb header, and a progressive photo cut in
    // its scans (large enough that the DCT-scaled decode path is taken).
    let mut huge_progressive = huge_jpeg.clone();
    huge_progressive[3] = 0xC2;
    let progressive = jpeg(480, 360, 85, true, Some(6), false);
    assert!(jpeg_markers(&progressive).contains(&0xC2));
    let truncated_progressive = progressive[..progressive.len() / 2].to_vec();

    // Tables and scan headers are left to libjpeg, whose fatal errors unwind
    // out of the C code: these must come back as typed errors too.
    let mut bad_dqt = good_jpeg.clone();
    bad_dqt[segment_offset(&good_jpeg, 0xDB) + 4] = 0x07; // quantisation table id 7 (max 3)
    let mut bad_dht = good_jpeg.clone();
    bad_dht[segment_offset(&good_jpeg, 0xC4) + 4] = 0x07; // Huffman table id 7 (max 3)
    let mut bad_progression = progressive.clone();
    let sos = segment_offset(&progressive, 0xDA);
    let ns = usize::from(progressive[sos + 4]);
    bad_progression[sos + 5 + 2 * ns + 1] = 0x50; // spectral selection end 80 (max 63)

    vec![
        ("empty.jpg", Vec::new(), "Empty"),
        ("bad-dqt.jpg", bad_dqt, "Corrupt"),
        ("bad-dht.jpg", bad_dht, "Corrupt"),
        ("bad-progression.jpg", bad_progression, "Corrupt"),
        (
            "truncated.jpg",
            good_jpeg[..good_jpeg.len() * 6 / 10].to_vec(),
            "Truncated",
        ),
        (
            "truncated-header.jpg",
            good_jpeg[..40].to_vec(),
            "Truncated",
        ),
        (
            "truncated.png",
            good_png[..good_png.len() * 6 / 10].to_vec(),
            "Truncated",
        ),
        ("two-bytes.jpg", vec![0xFF, 0xD8], "Truncated"),
        (
            "text.jpg",
            b"This is a text file, not a photo.\n".to_vec(),
            "NotAnImage",
        ),
        ("garbage.jpg", garbage, "NotAnImage"),
        ("image.gif", gif, "Unsupported"),
        ("image.webp", webp, "Unsupported"),
        ("photo.heic.jpg", heic, "Unsupported"),
        ("huge-60000x60000.jpg", huge_jpeg, "DimensionsTooLarge"),
        ("huge-60000x60000.png", huge_png, "DimensionsTooLarge"),
        ("soi-eoi.jpg", vec![0xFF, 0xD8, 0xFF, 0xD9], "Corrupt"),
        ("bad-crc.png", bad_crc_png, "Corrupt"),
        (
            "huge-progressive-60000x60000.jpg",
            huge_progressive,
            "DimensionsTooLarge",
        ),
        (
            "truncated-progressive.jpg",
            truncated_progressive.clone(),
            "Truncated",
        ),
        // Wrong extensions: the content decides, never the name.
        (
            "truncated-jpeg-named.png",
            truncated_progressive,
            "Truncated",
        ),
        (
            "truncated-png-named.jpg",
            good_png[..good_png.len() / 3].to_vec(),
            "Truncated",
        ),
        ("huge-png-named.jpeg", huge_png_named, "DimensionsTooLarge"),
        (
            "text-no-extension",
            b"MZ\x90\0 not a photo".to_vec(),
            "NotAnImage",
        ),
    ]
}

fn variant(err: &PhotoError) -> &'static str {
    match err {
        PhotoError::Empty => "Empty",
        PhotoError::TooLarge { .. } => "TooLarge",
        PhotoError::Truncated => "Truncated",
        PhotoError::NotAnImage => "NotAnImage",
        PhotoError::Unsupported { .. } => "Unsupported",
        PhotoError::DimensionsTooLarge { .. } => "DimensionsTooLarge",
        PhotoError::Corrupt { .. } => "Corrupt",
        PhotoError::Io(_) => "Io",
        PhotoError::Encode { .. } => "Encode",
        PhotoError::HashMismatch { .. } => "HashMismatch",
    }
}

#[test]
fn a_downloaded_photo_is_checked_against_its_hash_and_thumbnailed_here() {
    let env = Env::new();
    let cfg = PhotoConfig::default();
    // A colleague's evidence, made on another phone.
    let input = env.input("cam.jpg", &jpeg(1200, 900, 90, false, None, false));
    let theirs = ingest(&input, &env.dir.path().join("their-phone"), &wm(), &cfg).unwrap();
    let bytes = fs::read(&theirs.path).unwrap();
    let cache = env.dir.path().join("cache");

    // Damaged in transit: refused, nothing written.
    let mut damaged = bytes.clone();
    damaged[bytes.len() / 3] ^= 0x20;
    assert!(matches!(adopt_downloaded(&damaged, &theirs.sha256, &cache, &cfg), Err(PhotoError::HashMismatch { .. })));
    assert!(!cache.exists() || files_under(&cache).is_empty());
    // A PNG with a matching name is not evidence.
    let png = png_rgba(40, 30);
    let png_hash = format!("{:x}", Sha256::digest(&png));
    assert!(matches!(adopt_downloaded(&png, &png_hash, &cache, &cfg), Err(PhotoError::Unsupported { .. })));
    assert!(!cache.exists() || files_under(&cache).is_empty());

    let mine = adopt_downloaded(&bytes, &theirs.sha256, &cache, &cfg).unwrap();
    assert_eq!(fs::read(&mine.path).unwrap(), bytes);
    assert_eq!((mine.width, mine.height, mine.thumb_width, mine.thumb_height), (1200, 900, 320, 240));
    assert_eq!(decode_rgb(&mine.thumb_path).0, 320);
    // A copy damaged on disk is replaced by the verified bytes.
    fs::write(&mine.path, &damaged).unwrap();
    adopt_downloaded(&bytes, &theirs.sha256, &cache, &cfg).unwrap();
    assert!(verify(&mine.path, &theirs.sha256).unwrap());
}

#[test]
fn corpus_is_up_to_date() {
    let dir = corpus_dir();
    let regenerate = std::env::var_os("REGENERATE_CORPUS").is_some();
    fs::create_dir_all(&dir).unwrap();
    let mut total = 0;
    for (name, bytes, _) in corpus() {
        let path = dir.join(name);
        if regenerate || !path.exists() {
            fs::write(&path, &bytes).unwrap();
        }
        assert_eq!(
            fs::read(&path).unwrap(),
            bytes,
            "{name} is stale: run with REGENERATE_CORPUS=1"
        );
        total += bytes.len();
    }
    assert!(total < 200 * 1024, "corpus too large: {total} bytes");
}

/// Every file in `tests/corpus/` (committed generator outputs and anything
/// dropped there by hand, e.g. a fuzzer finding) must fail quickly with a
/// typed error and leave nothing in the evidence directory. Files with a
/// generator must fail with the expected variant.
#[test]
fn corpus_files_fail_fast_with_typed_errors_and_leave_nothing() {
    let expected: std::collections::HashMap<_, _> =
        corpus().into_iter().map(|(n, _, e)| (n, e)).collect();
    let mut files: Vec<PathBuf> = fs::read_dir(corpus_dir())
        .expect("tests/corpus exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(
        files.len() >= expected.len(),
        "corpus files missing: run corpus_is_up_to_date"
    );
    let mut checked = 0;
    for input in &files {
        let name = input.file_name().unwrap().to_str().unwrap();
        let env = Env::new();
        let start = Instant::now();
        let err = ingest(input, &env.evidence(), &wm(), &PhotoConfig::default()).expect_err(name);
        let elapsed = start.elapsed();
        if let Some(expected) = expected.get(name) {
            assert_eq!(variant(&err), *expected, "{name}: {err:?}");
            checked += 1;
        }
        assert!(
            elapsed < Duration::from_millis(500),
            "{name} took {elapsed:?}"
        );
        assert!(
            files_under(&env.evidence()).is_empty(),
            "{name} left files behind"
        );
        assert!(!err.to_string().is_empty());
    }
    assert_eq!(
        checked,
        expected.len(),
        "every generated corpus file was checked"
    );
}

/// Damaged copies of a small baseline and a small progressive JPEG (bytes
/// overwritten or cut anywhere, headers included): each must give a result or
/// a typed error, never take the process down, and never leave files behind
/// when it fails.
#[test]
fn damaged_jpegs_never_crash() {
    let sources = [
        jpeg(96, 64, 90, false, Some(6), false),
        jpeg(96, 64, 85, true, None, false),
    ];
    let env = Env::new();
    let cfg = PhotoConfig::default();
    let mut seed = 0x9E37_79B9u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let (mut ok, mut failed) = (0, 0);
    for (n, source) in sources.iter().enumerate() {
        for i in 0..150 {
            let mut bytes = source.clone();
            // Keep SOI so that the JPEG decoder, not the sniffer, sees the damage.
            for _ in 0..1 + next() % 4 {
                let at = 2 + next() as usize % (bytes.len() - 2);
                bytes[at] = next() as u8;
            }
            if i % 5 == 0 {
                bytes.truncate(2 + next() as usize % (bytes.len() - 2));
            }
            let input = env.input(&format!("damaged-{n}-{i}.jpg"), &bytes);
            let out = env.dir.path().join(format!("out-{n}-{i}"));
            match ingest(&input, &out, &wm(), &cfg) {
                Ok(ev) => {
                    ok += 1;
                    assert_eq!(ev.sha256, sha256_file(&ev.path));
                }
                Err(e) => {
                    failed += 1;
                    assert!(!e.to_string().is_empty());
                    assert!(
                        files_under(&out).is_empty(),
                        "damaged-{n}-{i} left files behind"
                    );
                }
            }
        }
    }
    assert!(failed > 0 && ok + failed == 300, "ok {ok}, failed {failed}");
}

#[test]
fn huge_header_reports_its_dimensions() {
    let (_, bytes, _) = corpus()
        .into_iter()
        .find(|c| c.0 == "huge-60000x60000.png")
        .unwrap();
    let env = Env::new();
    let input = env.input("huge.png", &bytes);
    match ingest(&input, &env.evidence(), &wm(), &PhotoConfig::default()) {
        Err(PhotoError::DimensionsTooLarge {
            width: 60000,
            height: 60000,
        }) => {}
        other => panic!("unexpected {other:?}"),
    }
}
