//! Format sniffing, header checks and (reduced-scale) decoding of untrusted input.
//!
//! Photos come from the phone camera, the gallery, or other apps, so the input
//! is untrusted: the format is detected from magic bytes (never the extension),
//! the pixel count is checked from the header before any pixel buffer is
//! allocated, and JPEGs are decoded directly at 1/2, 1/4 or 1/8 scale when the
//! output is much smaller than the sensor size, which keeps a 12 MP photo well
//! under the memory budget of low-end phones.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use image::ImageDecoder;

use super::transform::{fit_within, Orientation, RgbImage};
use super::PhotoError;

/// Number of bytes read up-front to identify the format and read PNG's IHDR.
const SNIFF_LEN: usize = 64;
const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Image container formats the pipeline decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Jpeg,
    Png,
}

/// A decoded image, already reduced towards the target size, with the EXIF
/// orientation still to be applied.
pub(super) struct Decoded {
    /// Pixels in stored (sensor) orientation.
    pub image: RgbImage,
    /// Width announced by the file header.
    pub source_width: u32,
    /// Height announced by the file header.
    pub source_height: u32,
    /// EXIF orientation to apply for display.
    pub orientation: Orientation,
}

/// Identifies the container format from the first bytes of a file.
pub(super) fn sniff(head: &[u8]) -> Result<Format, PhotoError> {
    if head.is_empty() {
        return Err(PhotoError::Empty);
    }
    if head.starts_with(JPEG_MAGIC) {
        return Ok(Format::Jpeg);
    }
    if head.starts_with(PNG_MAGIC) {
        return Ok(Format::Png);
    }
    // A file that is a strict prefix of a magic number was cut short.
    if head.len() < PNG_MAGIC.len() && (JPEG_MAGIC.starts_with(head) || PNG_MAGIC.starts_with(head))
    {
        return Err(PhotoError::Truncated);
    }
    if let Some(format) = known_unsupported(head) {
        return Err(PhotoError::Unsupported {
            format: format.to_owned(),
        });
    }
    Err(PhotoError::NotAnImage)
}

/// Recognises common image formats that we deliberately do not decode.
fn known_unsupported(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Some("GIF");
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some("WebP");
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Some("TIFF/RAW");
    }
    if head.len() >= 18 && head.starts_with(b"BM") {
        // The DIB header size disambiguates BMP from text that starts with "BM".
        let dib = u32::from_le_bytes([head[14], head[15], head[16], head[17]]);
        if matches!(dib, 12 | 40 | 52 | 56 | 64 | 108 | 124) {
            return Some("BMP");
        }
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        // ISO base media file: HEIF/HEIC/AVIF photos (or video, which is not an image).
        return match &head[8..12] {
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"hevm" | b"hevs" => {
                Some("HEIC")
            }
            b"mif1" | b"msf1" => Some("HEIF"),
            b"avif" | b"avis" => Some("AVIF"),
            _ => None,
        };
    }
    None
}

/// Opens, sniffs, checks and decodes `path`, reducing the image so that its
/// long edge is close to (but not below) `target_long_edge` where the format
/// allows it cheaply.
pub(super) fn decode(
    path: &Path,
    target_long_edge: u32,
    max_pixels: u64,
) -> Result<Decoded, PhotoError> {
    let mut file = File::open(path)?;
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut file).take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    let format = sniff(&head)?;
    file.seek(SeekFrom::Start(0))?;

    // Decoders are fuzzed upstream, but a panic on hostile input must not take
    // the app down: turn it into a typed error.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match format {
        // Streamed: holding the whole file in memory would be a few % faster
        // (jpeg-decoder reads byte by byte) but costs its size in peak memory.
        Format::Jpeg => decode_jpeg(
            BufReader::with_capacity(64 * 1024, file),
            target_long_edge,
            max_pixels,
        ),
        Format::Png => {
            let (w, h) = png_header_dimensions(&head)?;
            check_pixels(w, h, max_pixels)?;
            decode_png(BufReader::with_capacity(64 * 1024, file), w, h, max_pixels)
        }
    }));
    result.unwrap_or_else(|_| Err(PhotoError::corrupt("decoder rejected the image data")))
}

fn check_pixels(width: u32, height: u32, max_pixels: u64) -> Result<(), PhotoError> {
    if width == 0 || height == 0 {
        return Err(PhotoError::corrupt("image has a zero dimension"));
    }
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(PhotoError::DimensionsTooLarge { width, height });
    }
    Ok(())
}

/// Reads width and height from PNG's mandatory first chunk (IHDR) without
/// involving a decoder, so a hostile header is rejected before any allocation.
fn png_header_dimensions(head: &[u8]) -> Result<(u32, u32), PhotoError> {
    if head.len() < 24 {
        return Err(PhotoError::Truncated);
    }
    if &head[12..16] != b"IHDR" {
        return Err(PhotoError::corrupt("PNG does not start with an IHDR chunk"));
    }
    let be = |i: usize| u32::from_be_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    Ok((be(16), be(20)))
}

fn is_eof(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::UnexpectedEof
}

fn map_jpeg_error(err: jpeg_decoder::Error) -> PhotoError {
    match err {
        jpeg_decoder::Error::Io(e) if is_eof(&e) => PhotoError::Truncated,
        jpeg_decoder::Error::Io(e) => PhotoError::Io(e),
        jpeg_decoder::Error::Format(detail) => PhotoError::Corrupt { detail },
        jpeg_decoder::Error::Unsupported(feature) => PhotoError::Unsupported {
            format: format!("JPEG variant ({feature:?})"),
        },
        other => PhotoError::corrupt(other.to_string()),
    }
}

fn decode_jpeg<R: Read>(
    reader: R,
    target_long_edge: u32,
    max_pixels: u64,
) -> Result<Decoded, PhotoError> {
    use jpeg_decoder::{Decoder, PixelFormat};

    let mut decoder = Decoder::new(reader);
    // Stops right after the frame header: cheap and allocation-free.
    decoder.read_info().map_err(map_jpeg_error)?;
    let info = decoder
        .info()
        .ok_or_else(|| PhotoError::corrupt("JPEG has no frame header"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_pixels(width, height, max_pixels)?;
    // Defence in depth: the decoder itself refuses larger buffers.
    decoder.set_max_decoding_buffer_size(
        usize::try_from(max_pixels.saturating_mul(4)).unwrap_or(usize::MAX),
    );

    let unsupported_16bit = || PhotoError::Unsupported {
        format: "JPEG variant (16-bit grayscale)".to_owned(),
    };
    if info.pixel_format == PixelFormat::L16 {
        return Err(unsupported_16bit());
    }
    let (tw, th) = fit_within(width, height, target_long_edge);
    let lossless = info.coding_process == jpeg_decoder::CodingProcess::Lossless;
    if (tw, th) != (width, height) && !lossless {
        // DCT-domain downscaling by 1/2, 1/4 or 1/8, never below the target.
        decoder
            .scale(tw as u16, th as u16)
            .map_err(map_jpeg_error)?;
    }
    let pixels = decoder.decode().map_err(map_jpeg_error)?;
    let info = decoder
        .info()
        .ok_or_else(|| PhotoError::corrupt("JPEG has no frame header"))?;
    let (ow, oh) = (u32::from(info.width), u32::from(info.height));
    let n = ow as usize * oh as usize;
    let rgb = match info.pixel_format {
        PixelFormat::RGB24 => pixels,
        PixelFormat::L8 => gray_to_rgb(pixels.iter().copied()),
        PixelFormat::L16 => return Err(unsupported_16bit()),
        // jpeg-decoder returns Adobe-style inverted CMYK.
        PixelFormat::CMYK32 => pixels
            .chunks_exact(4)
            .flat_map(|p| {
                let k = u16::from(p[3]);
                [0, 1, 2].map(|i| ((u16::from(p[i]) * k + 127) / 255) as u8)
            })
            .collect(),
    };
    if rgb.len() != n * 3 {
        return Err(PhotoError::corrupt(
            "JPEG decoder returned an unexpected buffer size",
        ));
    }
    let orientation = decoder
        .exif_data()
        .and_then(|tiff| orientation_from_tiff(tiff.to_vec()))
        .unwrap_or_default();
    Ok(Decoded {
        image: RgbImage::new(ow, oh, rgb),
        source_width: width,
        source_height: height,
        orientation,
    })
}

/// Width and height from a JPEG's frame header (no pixel decoding).
pub(super) fn jpeg_dimensions(bytes: &[u8]) -> Result<(u32, u32), PhotoError> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(map_jpeg_error)?;
    let info = decoder
        .info()
        .ok_or_else(|| PhotoError::corrupt("JPEG has no frame header"))?;
    Ok((u32::from(info.width), u32::from(info.height)))
}

fn gray_to_rgb(gray: impl Iterator<Item = u8>) -> Vec<u8> {
    gray.flat_map(|v| [v, v, v]).collect()
}

/// Parses the EXIF orientation tag from a raw TIFF structure (the payload of
/// JPEG's APP1 after `Exif\0\0`, or PNG's eXIf chunk). Malformed EXIF is
/// ignored: it must never make an otherwise good photo unusable.
pub(super) fn orientation_from_tiff(tiff: Vec<u8>) -> Option<Orientation> {
    let exif = exif::Reader::new().read_raw(tiff).ok()?;
    let field = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?;
    let value = field.value.get_uint(0)?;
    Orientation::from_exif(u8::try_from(value).ok()?)
}

fn map_image_error(err: image::ImageError) -> PhotoError {
    use image::ImageError as E;
    // The png crate wraps read errors; look for an EOF anywhere in the chain.
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(e) = source {
        if let Some(io_err) = e.downcast_ref::<io::Error>() {
            if is_eof(io_err) {
                return PhotoError::Truncated;
            }
        }
        source = e.source();
    }
    match err {
        E::IoError(e) if is_eof(&e) => PhotoError::Truncated,
        E::IoError(e) => PhotoError::Io(e),
        E::Limits(_) => PhotoError::corrupt("PNG exceeds decoder memory limits"),
        E::Unsupported(e) => PhotoError::Unsupported {
            format: format!("PNG variant ({e})"),
        },
        other => PhotoError::corrupt(other.to_string()),
    }
}

fn decode_png<R: io::BufRead + Seek>(
    reader: R,
    width: u32,
    height: u32,
    max_pixels: u64,
) -> Result<Decoded, PhotoError> {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    // RGBA with 16 bits per channel is the widest PNG layout.
    limits.max_alloc = Some(max_pixels.saturating_mul(8));
    let mut decoder =
        image::codecs::png::PngDecoder::with_limits(reader, limits).map_err(map_image_error)?;
    if decoder.dimensions() != (width, height) {
        return Err(PhotoError::corrupt("PNG header is inconsistent"));
    }
    let orientation = decoder
        .exif_metadata()
        .ok()
        .flatten()
        .and_then(orientation_from_tiff)
        .unwrap_or_default();
    let img = image::DynamicImage::from_decoder(decoder).map_err(map_image_error)?;
    let rgb = if img.color().has_alpha() {
        // Composite transparent areas over white, as a viewer would show them.
        let rgba = img.into_rgba8();
        rgba.as_raw()
            .chunks_exact(4)
            .flat_map(|p| {
                let a = u16::from(p[3]);
                [0, 1, 2].map(|i| ((u16::from(p[i]) * a + 255 * (255 - a) + 127) / 255) as u8)
            })
            .collect()
    } else {
        img.into_rgb8().into_raw()
    };
    Ok(Decoded {
        image: RgbImage::new(width, height, rgb),
        source_width: width,
        source_height: height,
        orientation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_by_magic() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest").unwrap(), Format::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....").unwrap(), Format::Png);
        assert!(matches!(sniff(b"\xFF\xD8"), Err(PhotoError::Truncated)));
        assert!(matches!(sniff(b"\x89PN"), Err(PhotoError::Truncated)));
        assert!(matches!(sniff(b"hello world"), Err(PhotoError::NotAnImage)));
        assert!(matches!(
            sniff(b"BMW service report"),
            Err(PhotoError::NotAnImage)
        ));
        assert!(matches!(
            sniff(b"GIF89a\x01\x00"),
            Err(PhotoError::Unsupported { .. })
        ));
        assert!(matches!(
            sniff(b"\0\0\0\x18ftypheic\0\0\0\0"),
            Err(PhotoError::Unsupported { format }) if format == "HEIC"
        ));
        assert!(matches!(
            sniff(b"\0\0\0\x18ftypisom\0\0\0\0"),
            Err(PhotoError::NotAnImage)
        ));
    }
}
