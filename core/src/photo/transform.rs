//! Pixel buffer type, size fitting, high-quality resizing and EXIF orientation.
//!
//! Kept separate from decoding so that the geometric steps can be unit tested
//! on tiny synthetic buffers. Resizing happens before rotation, so rotation
//! only ever touches the small (≤ 1600 px) image.

use fast_image_resize as fr;

use super::PhotoError;

/// A tightly packed 8-bit RGB image (3 bytes per pixel, row-major, no padding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RgbImage {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl RgbImage {
    pub fn new(width: u32, height: u32, data: Vec<u8>) -> Self {
        debug_assert_eq!(data.len(), width as usize * height as usize * 3);
        Self {
            width,
            height,
            data,
        }
    }

    /// Byte offset of pixel (x, y).
    #[inline]
    pub fn offset(&self, x: u32, y: u32) -> usize {
        (y as usize * self.width as usize + x as usize) * 3
    }
}

/// Largest size with the same aspect ratio whose long edge is at most
/// `max_long_edge`. Never upscales; never returns a zero dimension.
pub(super) fn fit_within(width: u32, height: u32, max_long_edge: u32) -> (u32, u32) {
    let max_long_edge = max_long_edge.max(1);
    let long = width.max(height);
    if long <= max_long_edge {
        return (width, height);
    }
    let scale = |v: u32| {
        let scaled =
            (u64::from(v) * u64::from(max_long_edge) + u64::from(long) / 2) / u64::from(long);
        (scaled as u32).clamp(1, max_long_edge)
    };
    if width >= height {
        (max_long_edge, scale(height))
    } else {
        (scale(width), max_long_edge)
    }
}

/// Outputs with at least this many pixels are resized in two bands on two threads.
const PARALLEL_RESIZE_PIXELS: u64 = 512 * 1024;

/// Resizes to exactly `width`×`height` with a Catmull-Rom (bicubic) convolution
/// (returns the input untouched when the size already matches).
pub(super) fn resize(src: RgbImage, width: u32, height: u32) -> Result<RgbImage, PhotoError> {
    if (src.width, src.height) == (width, height) {
        return Ok(src);
    }
    resize_ref(&src, width, height)
}

/// Like [`resize`], borrowing the source. Large outputs are computed as a top
/// and a bottom band in parallel: both bands see the whole source (the crop
/// box only selects which output rows are computed, the filter still reads
/// across the split), so the result does not depend on the split and there is
/// no seam. The split is fixed, not derived from the core count, so the output
/// (and its hash) is the same on every device.
pub(super) fn resize_ref(src: &RgbImage, width: u32, height: u32) -> Result<RgbImage, PhotoError> {
    let err = |e: &dyn std::fmt::Display| PhotoError::Encode {
        detail: format!("resize failed: {e}"),
    };
    let src_view = fr::images::ImageRef::new(src.width, src.height, &src.data, fr::PixelType::U8x3)
        .map_err(|e| err(&e))?;
    let options =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom));
    let mut data = vec![0u8; width as usize * height as usize * 3];
    let row_bytes = width as usize * 3;

    let band = |dst: &mut [u8], top: u32, rows: u32| -> Result<(), PhotoError> {
        let mut dst = fr::images::Image::from_slice_u8(width, rows, dst, fr::PixelType::U8x3)
            .map_err(|e| err(&e))?;
        // Source rows that map onto output rows [top, top + rows).
        let scale = f64::from(src.height) / f64::from(height);
        let crop = options.crop(
            0.0,
            f64::from(top) * scale,
            f64::from(src.width),
            f64::from(rows) * scale,
        );
        fr::Resizer::new()
            .resize(&src_view, &mut dst, &crop)
            .map_err(|e| err(&e))
    };

    if u64::from(width) * u64::from(height) < PARALLEL_RESIZE_PIXELS || height < 2 {
        band(&mut data, 0, height)?;
    } else {
        let top_rows = height / 2;
        let (top, bottom) = data.split_at_mut(top_rows as usize * row_bytes);
        std::thread::scope(|s| {
            let lower = s.spawn(|| band(bottom, top_rows, height - top_rows));
            let upper = band(top, 0, top_rows);
            let lower = lower.join().unwrap_or_else(|_| {
                Err(PhotoError::Encode {
                    detail: "resize failed: worker panicked".to_owned(),
                })
            });
            upper.and(lower)
        })?;
    }
    Ok(RgbImage::new(width, height, data))
}

/// Horizontal-only resize of consecutive row chunks (same filter as
/// [`resize`]); keeps its scratch buffers between chunks.
pub(super) struct RowResizer {
    resizer: fr::Resizer,
    options: fr::ResizeOptions,
}

impl RowResizer {
    pub fn new() -> Self {
        Self {
            resizer: fr::Resizer::new(),
            options: fr::ResizeOptions::new()
                .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom)),
        }
    }

    /// Resizes `rows` rows of `src` (RGB, `src_width` wide) to `dst_width`
    /// into `dst`. The height is unchanged, so only the horizontal pass runs.
    pub fn resize_rows(
        &mut self,
        src: &[u8],
        src_width: u32,
        rows: u32,
        dst: &mut [u8],
        dst_width: u32,
    ) -> Result<(), PhotoError> {
        let err = |e: &dyn std::fmt::Display| PhotoError::Encode {
            detail: format!("resize failed: {e}"),
        };
        let src = fr::images::ImageRef::new(src_width, rows, src, fr::PixelType::U8x3)
            .map_err(|e| err(&e))?;
        let mut dst = fr::images::Image::from_slice_u8(dst_width, rows, dst, fr::PixelType::U8x3)
            .map_err(|e| err(&e))?;
        self.resizer
            .resize(&src, &mut dst, &self.options)
            .map_err(|e| err(&e))
    }
}

/// EXIF orientation (tag 0x0112), values 1–8.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Orientation {
    /// 1: stored as displayed.
    #[default]
    Normal,
    /// 2: mirrored left-right.
    FlipH,
    /// 3: upside down.
    Rotate180,
    /// 4: mirrored top-bottom.
    FlipV,
    /// 5: mirrored across the main diagonal.
    Transpose,
    /// 6: needs a 90° clockwise rotation (phone held upright, camera sensor landscape).
    Rotate90,
    /// 7: mirrored across the anti-diagonal.
    Transverse,
    /// 8: needs a 90° counter-clockwise rotation.
    Rotate270,
}

impl Orientation {
    /// Maps the EXIF value; `None` for out-of-range values.
    pub fn from_exif(value: u8) -> Option<Self> {
        Some(match value {
            1 => Self::Normal,
            2 => Self::FlipH,
            3 => Self::Rotate180,
            4 => Self::FlipV,
            5 => Self::Transpose,
            6 => Self::Rotate90,
            7 => Self::Transverse,
            8 => Self::Rotate270,
            _ => return None,
        })
    }

    /// Whether applying this orientation swaps width and height.
    pub fn swaps_axes(self) -> bool {
        matches!(
            self,
            Self::Transpose | Self::Rotate90 | Self::Transverse | Self::Rotate270
        )
    }
}

/// Returns the image as it should be displayed, given its EXIF orientation.
pub(super) fn apply_orientation(src: RgbImage, orientation: Orientation) -> RgbImage {
    if orientation == Orientation::Normal {
        return src;
    }
    let (w, h) = (src.width, src.height);
    let (ow, oh) = if orientation.swaps_axes() {
        (h, w)
    } else {
        (w, h)
    };
    let mut out = vec![0u8; src.data.len()];
    let mut i = 0;
    for y in 0..oh {
        for x in 0..ow {
            // Source coordinates of output pixel (x, y).
            let (sx, sy) = match orientation {
                Orientation::Normal => (x, y),
                Orientation::FlipH => (w - 1 - x, y),
                Orientation::Rotate180 => (w - 1 - x, h - 1 - y),
                Orientation::FlipV => (x, h - 1 - y),
                Orientation::Transpose => (y, x),
                Orientation::Rotate90 => (y, h - 1 - x),
                Orientation::Transverse => (w - 1 - y, h - 1 - x),
                Orientation::Rotate270 => (w - 1 - y, x),
            };
            let s = src.offset(sx, sy);
            out[i..i + 3].copy_from_slice(&src.data[s..s + 3]);
            i += 3;
        }
    }
    RgbImage::new(ow, oh, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_never_upscales_and_keeps_aspect() {
        assert_eq!(fit_within(4000, 3000, 1600), (1600, 1200));
        assert_eq!(fit_within(3000, 4000, 1600), (1200, 1600));
        assert_eq!(fit_within(640, 480, 1600), (640, 480));
        assert_eq!(fit_within(60000, 1, 1600), (1600, 1));
        assert_eq!(fit_within(1600, 1600, 320), (320, 320));
    }

    /// 2×3 image whose pixels are numbered 0..6 in the red channel.
    fn numbered() -> RgbImage {
        let data = (0..6u8).flat_map(|v| [v, 0, 0]).collect();
        RgbImage::new(2, 3, data)
    }

    fn reds(img: &RgbImage) -> Vec<u8> {
        img.data.chunks(3).map(|p| p[0]).collect()
    }

    #[test]
    fn orientations_match_exif_semantics() {
        // Source (2 wide, 3 tall):  0 1 / 2 3 / 4 5
        let cases: [(u8, (u32, u32), [u8; 6]); 8] = [
            (1, (2, 3), [0, 1, 2, 3, 4, 5]),
            (2, (2, 3), [1, 0, 3, 2, 5, 4]),
            (3, (2, 3), [5, 4, 3, 2, 1, 0]),
            (4, (2, 3), [4, 5, 2, 3, 0, 1]),
            (5, (3, 2), [0, 2, 4, 1, 3, 5]),
            (6, (3, 2), [4, 2, 0, 5, 3, 1]),
            (7, (3, 2), [5, 3, 1, 4, 2, 0]),
            (8, (3, 2), [1, 3, 5, 0, 2, 4]),
        ];
        for (value, dims, expected) in cases {
            let out = apply_orientation(numbered(), Orientation::from_exif(value).unwrap());
            assert_eq!((out.width, out.height), dims, "orientation {value}");
            assert_eq!(reds(&out), expected, "orientation {value}");
        }
        assert_eq!(Orientation::from_exif(0), None);
        assert_eq!(Orientation::from_exif(9), None);
    }

    #[test]
    fn banded_resize_matches_a_single_pass() {
        let (w, h) = (1400u32, 1000u32);
        let data: Vec<u8> = (0..w * h * 3)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let src = RgbImage::new(w, h, data);
        let banded = resize_ref(&src, 1000, 714).unwrap();
        let single = {
            let view = fr::images::ImageRef::new(w, h, &src.data, fr::PixelType::U8x3).unwrap();
            let mut dst = fr::images::Image::new(1000, 714, fr::PixelType::U8x3);
            let options = fr::ResizeOptions::new()
                .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom));
            fr::Resizer::new()
                .resize(&view, &mut dst, &options)
                .unwrap();
            dst.into_vec()
        };
        let max_diff = banded
            .data
            .iter()
            .zip(&single)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(max_diff <= 1, "banded resize differs by {max_diff}");
    }

    /// The JPEG path resizes chunks of rows horizontally while decoding, then
    /// vertically: same result as one 2-D resize up to rounding.
    #[test]
    fn chunked_horizontal_then_vertical_matches_a_single_pass() {
        let (w, h, tw, th) = (1000u32, 700u32, 800u32, 560u32);
        let data: Vec<u8> = (0..h)
            .flat_map(|y| {
                (0..w).flat_map(move |x| [(x / 4) as u8, (y / 3) as u8, ((x + y) / 7) as u8])
            })
            .collect();
        let src = RgbImage::new(w, h, data);
        let mut narrow = vec![0u8; (tw * h * 3) as usize];
        let mut rows = RowResizer::new();
        for (i, piece) in narrow.chunks_mut((64 * tw * 3) as usize).enumerate() {
            let n = (piece.len() / (tw as usize * 3)) as u32;
            let start = i * 64 * w as usize * 3;
            let chunk = &src.data[start..start + (n * w * 3) as usize];
            rows.resize_rows(chunk, w, n, piece, tw).unwrap();
        }
        let two_step = resize(RgbImage::new(tw, h, narrow), tw, th).unwrap();
        let single = resize_ref(&src, tw, th).unwrap();
        let max_diff = two_step
            .data
            .iter()
            .zip(&single.data)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(max_diff <= 2, "two-step resize differs by {max_diff}");
    }

    #[test]
    fn resize_to_target() {
        let img = RgbImage::new(40, 30, vec![128; 40 * 30 * 3]);
        let out = resize(img, 16, 12).unwrap();
        assert_eq!((out.width, out.height), (16, 12));
        assert!(out.data.iter().all(|&v| v == 128));
    }
}
