//! Metadata-free baseline JPEG encoding of the final pixels.
//!
//! The encoder is told to write nothing but the image: no EXIF (and thus no
//! GPS from the original), no ICC profile, no comments. Only the mandatory
//! JFIF APP0 header precedes the frame.

use jpeg_encoder::{ColorType, Encoder};

use super::transform::RgbImage;
use super::PhotoError;

/// Encodes `img` as a baseline JPEG at `quality` (clamped to 1–100).
pub(super) fn encode_jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let (w, h) = match (u16::try_from(img.width), u16::try_from(img.height)) {
        (Ok(w), Ok(h)) => (w, h),
        _ => {
            return Err(PhotoError::Encode {
                detail: "output dimensions exceed the JPEG limit of 65535".to_owned(),
            })
        }
    };
    // Compressed output is usually well under 1 byte per pixel at q80.
    let mut out = Vec::with_capacity(img.data.len() / 8);
    Encoder::new(&mut out, quality.clamp(1, 100))
        .encode(&img.data, w, h, ColorType::Rgb)
        .map_err(|e| PhotoError::Encode {
            detail: e.to_string(),
        })?;
    Ok(out)
}
