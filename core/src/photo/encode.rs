//! Metadata-free baseline JPEG encoding of the final pixels.
//!
//! libjpeg-turbo's encoder (mozjpeg built with its "fastest" profile, i.e.
//! plain libjpeg-turbo behaviour: baseline, standard Huffman and
//! quantisation tables, 4:2:0, no trellis quantisation, no progressive
//! scan search). Nothing but the image is written: no EXIF (and thus no GPS
//! from the original), no ICC profile, no comments. Only the mandatory JFIF
//! APP0 header precedes the frame.

use mozjpeg::{ColorSpace, Compress};

use super::transform::RgbImage;
use super::PhotoError;

/// libjpeg's `JPEG_MAX_DIMENSION`.
const MAX_DIMENSION: u32 = 65_500;

/// Encodes `img` as a baseline JPEG at `quality` (clamped to 1–100).
pub(super) fn encode_jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let err = |detail: String| PhotoError::Encode { detail };
    if img.width == 0 || img.height == 0 || img.width > MAX_DIMENSION || img.height > MAX_DIMENSION
    {
        return Err(err(format!(
            "output dimensions must be 1 to {MAX_DIMENSION} pixels"
        )));
    }
    let quality = quality.clamp(1, 100);
    // libjpeg reports errors by unwinding (see decode.rs); none are expected
    // for a well-formed RGB buffer, but never let one escape.
    let result = std::panic::catch_unwind(|| {
        let mut c = Compress::new(ColorSpace::JCS_RGB);
        c.set_fastest_defaults();
        c.set_size(img.width as usize, img.height as usize);
        c.set_quality(f32::from(quality));
        // Compressed output is usually well under 1 byte per pixel at q80.
        let mut started = c.start_compress(Vec::with_capacity(img.data.len() / 8))?;
        started.write_scanlines(&img.data)?;
        started.finish()
    });
    match result {
        Ok(Ok(jpeg)) => Ok(jpeg),
        Ok(Err(e)) => Err(err(e.to_string())),
        Err(payload) => Err(err(payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_else(|| "encoder failed".to_owned()))),
    }
}
