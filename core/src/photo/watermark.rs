//! Evidence watermark: the text (a Chinese line with the place, the kind of record
//! and the worker; capture time in China Standard Time, position, accuracy, record
//! code) and its rendering as a band at the bottom of the photo.
//!
//! The band is burnt into the pixels so that the context of the evidence
//! survives screenshots, forwarding and printing, while the output files carry
//! no EXIF/GPS metadata at all.

use super::cjk::{self, CJK_SIZE};
use super::font::{glyph, GLYPH_SIZE};
use super::transform::RgbImage;
use super::WatermarkInfo;

/// China Standard Time offset (UTC+8, no daylight saving).
const CST_OFFSET_SECS: i64 = 8 * 3600;
/// Longest record code rendered; longer codes are cut.
const MAX_CODE_CHARS: usize = 24;
/// Target band height as a fraction of the image height.
const BAND_FRACTION: f64 = 0.05;
/// Vertical layout of the band, in font pixels: padding, line, gap, line, padding.
const PAD: u32 = 2;
const LINE_GAP: u32 = 2;
const BLOCK_UNITS: u32 = PAD + GLYPH_SIZE + LINE_GAP + GLYPH_SIZE + PAD;
/// Background: the photo darkened to this fraction (out of 256), i.e. ~65 % opaque black.
const SHADE: u16 = 90;

/// Longest caption rendered, in characters; longer ones are cut.
const MAX_CAPTION_CHARS: usize = 30;
/// Band height as a fraction of the image height when a caption (third, taller line) is drawn.
const CAPTION_BAND_FRACTION: f64 = 0.09;
/// Vertical layout with a caption, in font pixels: padding, caption, gap, line, gap, line, padding.
const CAPTION_BLOCK_UNITS: u32 = PAD + CJK_SIZE + LINE_GAP + GLYPH_SIZE + LINE_GAP + GLYPH_SIZE + PAD;

/// The caption line (place · kind · worker) as drawn: control characters dropped, runs of spaces folded,
/// cut to [`MAX_CAPTION_CHARS`].
pub(super) fn caption(wm: &WatermarkInfo) -> String {
    let folded = wm.caption.split_whitespace().collect::<Vec<_>>().join(" ");
    folded.chars().filter(|c| !c.is_control()).take(MAX_CAPTION_CHARS).collect()
}

/// The watermark as one line of text (stored with the photo): `caption | time + record | position`.
pub(super) fn one_line(caption: &str, lines: &[String; 2]) -> String {
    if caption.is_empty() {
        lines.join(" | ")
    } else {
        format!("{caption} | {}", lines.join(" | "))
    }
}

/// The two lines stamped on the photo: `[time + record, position + accuracy]`.
pub(super) fn lines(wm: &WatermarkInfo) -> [String; 2] {
    let code: String = wm
        .record_code
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .take(MAX_CODE_CHARS)
        .collect();
    let mut first = format_cst(wm.captured_at_ms);
    if !code.is_empty() {
        first.push_str("  #");
        first.push_str(&code);
    }
    let mut second = match (wm.lat, wm.lon) {
        (Some(lat), Some(lon))
            if lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0 =>
        {
            format!(
                "{} {:.5} {} {:.5}",
                if lat < 0.0 { 'S' } else { 'N' },
                lat.abs(),
                if lon < 0.0 { 'W' } else { 'E' },
                lon.abs()
            )
        }
        _ => "NO GPS".to_owned(),
    };
    if let Some(acc) = wm.accuracy_m.filter(|a| a.is_finite() && *a >= 0.0) {
        second.push_str(&format!("  \u{b1}{:.0}m", acc.min(99_999.0)));
    }
    [first, second]
}

/// Formats a Unix timestamp in milliseconds as `YYYY-MM-DD HH:MM:SS CST` (UTC+8).
pub(super) fn format_cst(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1000).saturating_add(CST_OFFSET_SECS);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} CST",
        tod / 3600,
        tod % 3600 / 60,
        tod % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day)
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Geometry of the band for an image of the given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BandLayout {
    /// Integer magnification of the 8×8 font.
    pub scale: u32,
    /// Height of the band in image pixels.
    pub band_height: u32,
}

/// Picks the largest integer font scale that fits both the band height
/// (~5 % of the image) and the width of the longest line.
pub(super) fn layout(width: u32, height: u32, longest_line_chars: usize) -> BandLayout {
    let target_band = ((f64::from(height) * BAND_FRACTION).round() as u32).max(1);
    let by_height = target_band / BLOCK_UNITS;
    let line_px = (longest_line_chars.max(1) as u32).saturating_mul(GLYPH_SIZE);
    // Keep a margin of one glyph on each side.
    let by_width = width / (line_px + 2 * GLYPH_SIZE);
    let scale = by_height.min(by_width).max(1);
    let band_height = target_band.max(BLOCK_UNITS * scale).min(height);
    BandLayout { scale, band_height }
}

/// Geometry of the band with a caption: the caption's 16 px glyphs and the 8 px lines share one scale.
pub(super) fn caption_layout(width: u32, height: u32, caption_px: u32, longest_line_chars: usize) -> BandLayout {
    let target_band = ((f64::from(height) * CAPTION_BAND_FRACTION).round() as u32).max(1);
    let by_height = target_band / CAPTION_BLOCK_UNITS;
    let line_px = (longest_line_chars.max(1) as u32).saturating_mul(GLYPH_SIZE).max(caption_px);
    let by_width = width / (line_px + 2 * GLYPH_SIZE);
    let scale = by_height.min(by_width).max(1);
    let band_height = target_band.max(CAPTION_BLOCK_UNITS * scale).min(height);
    BandLayout { scale, band_height }
}

/// Darkens the bottom band of `img` and writes the watermark lines in white: the caption (when not empty)
/// on top in the CJK font, then the time and position lines.
pub(super) fn stamp(img: &mut RgbImage, text_lines: &[String; 2], caption: &str) {
    if caption.is_empty() {
        return stamp_lines(img, text_lines);
    }
    let longest = text_lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let BandLayout { scale, band_height } = caption_layout(img.width, img.height, cjk::width(caption), longest);
    let band_top = img.height - band_height;
    shade(img, band_top);
    let block = CAPTION_BLOCK_UNITS * scale;
    let top = band_top + band_height.saturating_sub(block) / 2 + PAD * scale;
    let left = GLYPH_SIZE * scale;
    draw_caption(img, caption, left, top, scale);
    let mut y = top + (CJK_SIZE + LINE_GAP) * scale;
    for line in text_lines {
        draw_text(img, line, left, y, scale);
        y += (GLYPH_SIZE + LINE_GAP) * scale;
    }
}

fn shade(img: &mut RgbImage, band_top: u32) {
    let row_bytes = img.width as usize * 3;
    for v in &mut img.data[band_top as usize * row_bytes..] {
        *v = ((u16::from(*v) * SHADE) >> 8) as u8;
    }
}

fn draw_caption(img: &mut RgbImage, text: &str, x0: u32, y0: u32, scale: u32) {
    let mut gx = x0;
    for c in text.chars() {
        let g = cjk::glyph(c);
        if gx >= img.width {
            break;
        }
        for (row, bits) in g.rows.iter().enumerate() {
            for col in 0..g.width {
                if bits & (0x8000 >> col) == 0 {
                    continue;
                }
                fill(img, gx + col * scale, y0 + row as u32 * scale, scale);
            }
        }
        gx += g.width * scale;
    }
}

fn fill(img: &mut RgbImage, px: u32, py: u32, scale: u32) {
    for dy in 0..scale {
        for dx in 0..scale {
            let (x, y) = (px + dx, py + dy);
            if x < img.width && y < img.height {
                let o = img.offset(x, y);
                img.data[o..o + 3].fill(255);
            }
        }
    }
}

/// The two-line band (no caption).
fn stamp_lines(img: &mut RgbImage, text_lines: &[String; 2]) {
    let longest = text_lines
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    let BandLayout { scale, band_height } = layout(img.width, img.height, longest);
    let band_top = img.height - band_height;
    shade(img, band_top);

    let block = BLOCK_UNITS * scale;
    let top = band_top + band_height.saturating_sub(block) / 2 + PAD * scale;
    let left = GLYPH_SIZE * scale;
    for (i, line) in text_lines.iter().enumerate() {
        let y0 = top + i as u32 * (GLYPH_SIZE + LINE_GAP) * scale;
        draw_text(img, line, left, y0, scale);
    }
}

fn draw_text(img: &mut RgbImage, text: &str, x0: u32, y0: u32, scale: u32) {
    for (i, c) in text.chars().enumerate() {
        let gx = x0 + i as u32 * GLYPH_SIZE * scale;
        if gx >= img.width {
            break;
        }
        for (row, bits) in glyph(c).iter().enumerate() {
            for col in 0..GLYPH_SIZE {
                if bits & (1 << col) == 0 {
                    continue;
                }
                let px = gx + col * scale;
                let py = y0 + row as u32 * scale;
                for dy in 0..scale {
                    for dx in 0..scale {
                        let (x, y) = (px + dx, py + dy);
                        if x < img.width && y < img.height {
                            let o = img.offset(x, y);
                            img.data[o..o + 3].fill(255);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> WatermarkInfo {
        WatermarkInfo {
            // 2026-11-23 11:05:12 UTC
            captured_at_ms: 1_795_431_912_345,
            lat: Some(39.915),
            lon: Some(116.404),
            accuracy_m: Some(12.4),
            record_code: "HH-0042".to_owned(),
            caption: String::new(),
        }
    }

    #[test]
    fn formats_time_in_cst() {
        assert_eq!(format_cst(0), "1970-01-01 08:00:00 CST");
        assert_eq!(format_cst(1_795_431_912_345), "2026-11-23 19:05:12 CST");
        assert_eq!(format_cst(-1), "1970-01-01 07:59:59 CST");
        assert_eq!(format_cst(951_782_400_000), "2000-02-29 08:00:00 CST");
    }

    #[test]
    fn formats_lines() {
        let [a, b] = lines(&info());
        assert_eq!(a, "2026-11-23 19:05:12 CST  #HH-0042");
        assert_eq!(b, "N 39.91500 E 116.40400  \u{b1}12m");

        let mut wm = info();
        wm.lat = Some(-33.8688);
        wm.lon = Some(-70.1);
        wm.accuracy_m = None;
        wm.record_code = "bad code\u{4E2D}".to_owned();
        let [a, b] = lines(&wm);
        assert!(a.ends_with("#bad?code?"), "{a}");
        assert_eq!(b, "S 33.86880 W 70.10000");

        wm.lat = None;
        wm.accuracy_m = Some(5.0);
        assert_eq!(lines(&wm)[1], "NO GPS  \u{b1}5m");
        wm.lat = Some(f64::NAN);
        wm.lon = Some(1.0);
        assert!(lines(&wm)[1].starts_with("NO GPS"));
    }

    #[test]
    fn band_is_about_five_percent() {
        for (w, h) in [(1600, 1200), (1200, 1600), (1600, 900), (4000, 3000)] {
            let l = layout(w, h, 34);
            let frac = f64::from(l.band_height) / f64::from(h);
            assert!((0.035..=0.06).contains(&frac), "{w}x{h}: {l:?}");
            assert!(l.scale >= 2, "{w}x{h}: {l:?}");
        }
    }

    #[test]
    fn stamp_darkens_band_and_writes_bright_text() {
        let (w, h) = (1200u32, 1600u32);
        let original = RgbImage::new(w, h, vec![160; (w * h * 3) as usize]);
        let mut img = original.clone();
        let text = lines(&info());
        stamp(&mut img, &text, "");

        let l = layout(w, h, text.iter().map(|t| t.chars().count()).max().unwrap());
        let band_top = h - l.band_height;
        // Above the band nothing changed.
        let split = band_top as usize * w as usize * 3;
        assert_eq!(img.data[..split], original.data[..split]);
        // Inside the band: every pixel differs (darkened or text), with a
        // substantial number of pure white text pixels on a dark background.
        let band = &img.data[split..];
        assert!(band
            .iter()
            .zip(&original.data[split..])
            .all(|(a, b)| a != b));
        let white = band
            .chunks(3)
            .filter(|p| p.iter().all(|&v| v == 255))
            .count();
        let dark = band.chunks(3).filter(|p| p.iter().all(|&v| v < 80)).count();
        assert!(white > 2000, "too few text pixels: {white}");
        assert!(dark > white, "background must dominate: {dark} vs {white}");
    }

    /// The caption is drawn from the Unifont subset: every set pixel of each glyph (scaled) is white in the
    /// band, and the cells of two different characters differ.
    #[test]
    fn caption_draws_the_chinese_glyphs() {
        let (w, h) = (1600u32, 1200u32);
        let mut img = RgbImage::new(w, h, vec![120; (w * h * 3) as usize]);
        let text = lines(&info());
        let cap = "红旗村三组 · 入户走访 · 董梅彩";
        stamp(&mut img, &text, cap);
        let longest = text.iter().map(|t| t.chars().count()).max().unwrap();
        let l = caption_layout(w, h, cjk::width(cap), longest);
        assert!(l.scale >= 2, "{l:?}");
        let band_top = h - l.band_height;
        let top = band_top + l.band_height.saturating_sub(CAPTION_BLOCK_UNITS * l.scale) / 2 + PAD * l.scale;
        let mut x = GLYPH_SIZE * l.scale;
        let white = |x: u32, y: u32| img.data[img.offset(x, y)..img.offset(x, y) + 3].iter().all(|&v| v == 255);
        for c in cap.chars() {
            let g = cjk::glyph(c);
            for (row, bits) in g.rows.iter().enumerate() {
                for col in 0..g.width {
                    let (px, py) = (x + col * l.scale, top + row as u32 * l.scale);
                    assert_eq!(white(px, py), bits & (0x8000 >> col) != 0, "{c} at ({col},{row})");
                }
            }
            x += g.width * l.scale;
        }
        let frac = f64::from(l.band_height) / f64::from(h);
        assert!((0.08..=0.1).contains(&frac), "{frac}");
    }

    #[test]
    fn caption_is_cleaned_and_cut() {
        let mut wm = info();
        wm.caption = "  红旗村\n三组   入户走访 ".into();
        assert_eq!(caption(&wm), "红旗村 三组 入户走访");
        wm.caption = "村".repeat(40);
        assert_eq!(caption(&wm).chars().count(), MAX_CAPTION_CHARS);
        assert_eq!(one_line("三组", &lines(&info())), "三组 | 2026-11-23 19:05:12 CST  #HH-0042 | N 39.91500 E 116.40400  \u{b1}12m");
    }

    /// The stamped pixels are a pure function of the image and the text (embedded bitmaps, integer
    /// arithmetic): the same on every platform, so the evidence hash is too. Golden digest of one band.
    #[test]
    fn stamped_pixels_are_the_same_everywhere() {
        let (w, h) = (800u32, 600u32);
        let pixels: Vec<u8> = (0..w * h * 3).map(|i| (i % 251) as u8).collect();
        let mut a = RgbImage::new(w, h, pixels.clone());
        let mut b = RgbImage::new(w, h, pixels);
        let cap = "红旗村三组 · 诉求上报 · 董梅彩";
        stamp(&mut a, &lines(&info()), cap);
        stamp(&mut b, &lines(&info()), cap);
        assert_eq!(a.data, b.data);
        let digest = super::super::store::sha256_hex(&a.data);
        assert_eq!(digest, "5faf65057bb380ab2e4853c5eb315335f2a276853a55ff68330b81b42c1071f1");
    }
}
