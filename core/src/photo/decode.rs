//! Format sniffing, header checks and (reduced-scale) decoding of untrusted input.
//!
//! Photos come from the phone camera, the gallery, or other apps, so the input
//! is untrusted: the format is detected from magic bytes (never the extension),
//! the pixel count is checked from the header before any pixel buffer is
//! allocated, and JPEGs are decoded by libjpeg-turbo (mozjpeg) directly at
//! n/8 scale (1/2 for a 12 MP photo to 1600 px) when the output is much
//! smaller than the sensor size, and resized horizontally chunk by chunk as
//! they are decoded, so a 12 MP photo never exists at full size in memory.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
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
        // Streamed: the compressed file is never held in memory as a whole.
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

/// What [`scan_jpeg_header`] learns from the segments before the first scan.
#[derive(Debug)]
struct JpegHeader {
    width: u32,
    height: u32,
    components: u8,
    /// Payload of the first `Exif` APP1 segment, without the `Exif\0\0` prefix.
    exif: Option<Vec<u8>>,
}

fn read_u8<R: Read>(r: &mut R) -> Result<u8, PhotoError> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b).map_err(io_or_truncated)?;
    Ok(b[0])
}

fn io_or_truncated(e: io::Error) -> PhotoError {
    if is_eof(&e) {
        PhotoError::Truncated
    } else {
        PhotoError::Io(e)
    }
}

/// Walks the JPEG marker segments up to the first scan (SOS) without
/// decoding anything: validates the frame header (SOFn), rejects variants
/// libjpeg is not built for, checks the pixel count against `max_pixels` as
/// soon as the frame header is seen (so a bomb header is refused before any
/// decoder exists), and picks up the EXIF block. Costs a few reads of small
/// segments; the decoder then starts again from the beginning.
fn scan_jpeg_header<R: Read>(r: &mut R, max_pixels: u64) -> Result<JpegHeader, PhotoError> {
    let mut soi = [0u8; 2];
    r.read_exact(&mut soi).map_err(io_or_truncated)?;
    if soi != [0xFF, 0xD8] {
        return Err(PhotoError::NotAnImage);
    }
    let mut frame: Option<(u32, u32, u8)> = None;
    let mut exif = None;
    loop {
        // Find the next marker (libjpeg tolerates stray bytes before a marker too).
        let mut b = read_u8(r)?;
        while b != 0xFF {
            b = read_u8(r)?;
        }
        let mut marker = read_u8(r)?;
        while marker == 0xFF {
            marker = read_u8(r)?; // fill bytes
        }
        match marker {
            0x00 | 0x01 | 0xD0..=0xD7 => continue, // stuffed zero, TEM, RSTn: no payload
            0xD8 => {
                return Err(PhotoError::corrupt(
                    "JPEG has a second start-of-image marker",
                ))
            }
            0xD9 => return Err(PhotoError::corrupt("JPEG has no image data")),
            0xDA => {
                let (width, height, components) = frame
                    .ok_or_else(|| PhotoError::corrupt("JPEG scan before the frame header"))?;
                return Ok(JpegHeader {
                    width,
                    height,
                    components,
                    exif,
                });
            }
            _ => {}
        }
        let mut len = [0u8; 2];
        r.read_exact(&mut len).map_err(io_or_truncated)?;
        let len = u16::from_be_bytes(len);
        if len < 2 {
            return Err(PhotoError::corrupt("JPEG segment with a bogus length"));
        }
        let payload_len = u64::from(len - 2);
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        let wants_exif = marker == 0xE1 && exif.is_none();
        if is_sof || wants_exif {
            let mut payload = vec![0u8; payload_len as usize];
            r.read_exact(&mut payload).map_err(io_or_truncated)?;
            if is_sof {
                if frame.is_some() {
                    return Err(PhotoError::corrupt("JPEG has two frame headers"));
                }
                frame = Some(parse_sof(marker, &payload, max_pixels)?);
            } else if let Some(tiff) = payload.strip_prefix(b"Exif\0\0") {
                exif = Some(tiff.to_vec());
            }
        } else {
            let skipped = io::copy(&mut r.take(payload_len), &mut io::sink())?;
            if skipped != payload_len {
                return Err(PhotoError::Truncated);
            }
        }
    }
}

/// Checks a frame header (SOFn payload) and returns width, height and
/// component count.
fn parse_sof(marker: u8, p: &[u8], max_pixels: u64) -> Result<(u32, u32, u8), PhotoError> {
    if p.len() < 6 {
        return Err(PhotoError::corrupt("JPEG frame header is too short"));
    }
    let precision = p[0];
    let height = u32::from(u16::from_be_bytes([p[1], p[2]]));
    let width = u32::from(u16::from_be_bytes([p[3], p[4]]));
    let components = p[5];
    if height == 0 {
        // Height given later in a DNL segment: allowed by the standard, never written by cameras.
        return Err(PhotoError::Unsupported {
            format: "JPEG variant (height in DNL segment)".to_owned(),
        });
    }
    check_pixels(width, height, max_pixels)?;
    let unsupported = |what: &str| PhotoError::Unsupported {
        format: format!("JPEG variant ({what})"),
    };
    match marker {
        0xC0..=0xC2 => {}
        0xC3 => return Err(unsupported("lossless")),
        0xC5..=0xC7 => return Err(unsupported("hierarchical")),
        _ => return Err(unsupported("arithmetic coding")),
    }
    if precision != 8 {
        return Err(unsupported(&format!("{precision}-bit samples")));
    }
    if !matches!(components, 1 | 3 | 4) {
        return Err(unsupported(&format!("{components} colour components")));
    }
    if p.len() < 6 + 3 * usize::from(components) {
        return Err(PhotoError::corrupt("JPEG frame header is too short"));
    }
    Ok((width, height, components))
}

/// Width and height from a JPEG's frame header (no pixel decoding).
pub(super) fn jpeg_dimensions(bytes: &[u8]) -> Result<(u32, u32), PhotoError> {
    let header = scan_jpeg_header(&mut &bytes[..], u64::MAX)?;
    Ok((header.width, header.height))
}

/// Smallest libjpeg DCT scale `n/8` (n in 1..=8) whose output, rounded up
/// like libjpeg does, is still at least `target` in both dimensions.
fn dct_scale_eighths(width: u32, height: u32, target: (u32, u32)) -> u8 {
    let scaled = |v: u32, n: u32| (u64::from(v) * u64::from(n)).div_ceil(8);
    (1..=8u8)
        .find(|&n| {
            scaled(width, u32::from(n)) >= u64::from(target.0)
                && scaled(height, u32::from(n)) >= u64::from(target.1)
        })
        .unwrap_or(8)
}

/// A `BufRead` that remembers whether the underlying file ran out. libjpeg
/// treats the end of input as a warning and pads with a fake end-of-image
/// marker (so a cut download would decode "successfully" with grey
/// rows); a complete file is never read past its end-of-image marker, so
/// hitting the end of the file means it was truncated.
struct EofWatch<'a, R> {
    inner: R,
    hit_eof: &'a Cell<bool>,
}

impl<R: Read> Read for EofWatch<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.hit_eof.set(true);
        }
        Ok(n)
    }
}

impl<R: BufRead> BufRead for EofWatch<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let buf = self.inner.fill_buf()?;
        if buf.is_empty() {
            self.hit_eof.set(true);
        }
        Ok(buf)
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
    }
}

/// Decodes with libjpeg-turbo (mozjpeg), scaled in the DCT domain towards
/// `target_long_edge`.
///
/// libjpeg reports fatal errors by unwinding out of the C code (the mozjpeg
/// crate's error manager, built with `-fexceptions`); the unwind is caught
/// here, before it can reach the caller, and becomes a typed error. Corrupt
/// entropy-coded data that libjpeg can recover from (it resynchronises at
/// the next marker) still decodes, as in every viewer.
fn decode_jpeg<R: BufRead + Seek>(
    mut reader: R,
    target_long_edge: u32,
    max_pixels: u64,
) -> Result<Decoded, PhotoError> {
    let header = scan_jpeg_header(&mut reader, max_pixels)?;
    reader.seek(SeekFrom::Start(0))?;
    let hit_eof = Cell::new(false);
    let source = EofWatch {
        inner: reader,
        hit_eof: &hit_eof,
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decompress(source, &header, target_long_edge)
    }));
    if hit_eof.get() {
        return Err(PhotoError::Truncated);
    }
    let image = match result {
        Ok(decoded) => decoded?,
        Err(payload) => return Err(libjpeg_fatal(payload)),
    };
    let orientation = header
        .exif
        .and_then(orientation_from_tiff)
        .unwrap_or_default();
    Ok(Decoded {
        image,
        source_width: header.width,
        source_height: header.height,
        orientation,
    })
}

/// The message of a libjpeg fatal error (a `String` unwind payload), as a
/// [`PhotoError::Corrupt`]. libjpeg's messages hold only numbers and marker
/// codes, never user data.
fn libjpeg_fatal(payload: Box<dyn std::any::Any + Send>) -> PhotoError {
    let msg = payload
        .downcast_ref::<String>()
        .map(|m| m.trim_start_matches("libjpeg fatal error: ").to_owned())
        .or_else(|| payload.downcast_ref::<&str>().map(|m| (*m).to_owned()))
        .unwrap_or_else(|| "decoder rejected the image data".to_owned());
    PhotoError::corrupt(msg)
}

fn libjpeg_io(e: io::Error) -> PhotoError {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => PhotoError::Truncated,
        io::ErrorKind::Other | io::ErrorKind::WouldBlock | io::ErrorKind::InvalidInput => {
            PhotoError::corrupt(e.to_string())
        }
        _ => PhotoError::Io(e),
    }
}

fn decompress<R: BufRead>(
    source: R,
    header: &JpegHeader,
    target_long_edge: u32,
) -> Result<RgbImage, PhotoError> {
    let mut decoder = mozjpeg::Decompress::builder()
        .from_reader(source)
        .map_err(libjpeg_io)?;
    if (decoder.width(), decoder.height()) != (header.width as usize, header.height as usize)
        || decoder.components().len() != usize::from(header.components)
    {
        return Err(PhotoError::corrupt("JPEG header is inconsistent"));
    }
    let target = fit_within(header.width, header.height, target_long_edge);
    let eighths = dct_scale_eighths(header.width, header.height, target);
    if eighths < 8 {
        decoder.scale(eighths);
    }
    let cmyk = header.components == 4;
    let mut started = if cmyk {
        decoder.to_colorspace(mozjpeg::ColorSpace::JCS_CMYK)
    } else {
        // Grayscale is expanded to RGB by libjpeg.
        decoder.rgb()
    }
    .map_err(libjpeg_io)?;
    let (ow, oh) = match (
        u32::try_from(started.width()),
        u32::try_from(started.height()),
    ) {
        (Ok(w), Ok(h)) if w > 0 && h > 0 && w >= target.0 => (w, h),
        _ => {
            return Err(PhotoError::corrupt(
                "JPEG decoder returned an unexpected size",
            ))
        }
    };
    let image = if ow > target.0 {
        read_resizing_rows(&mut started, ow, oh, target.0, cmyk)?
    } else {
        let pixels: Vec<u8> = started.read_scanlines().map_err(libjpeg_io)?;
        let rgb = if cmyk { cmyk_to_rgb(&pixels) } else { pixels };
        if rgb.len() != ow as usize * oh as usize * 3 {
            return Err(PhotoError::corrupt(
                "JPEG decoder returned an unexpected buffer size",
            ));
        }
        RgbImage::new(ow, oh, rgb)
    };
    // Reads up to the end-of-image marker: a file cut just before it is noticed.
    started.finish().map_err(libjpeg_io)?;
    Ok(image)
}

/// Rows decoded per chunk handed to the horizontal resize.
const CHUNK_ROWS: usize = 64;

/// Reads all scanlines while a helper thread resizes each chunk of rows
/// horizontally to `target_width` (a row-local operation, so chunking does
/// not change the result), overlapping the resize with libjpeg's serial
/// Huffman decoding. Only the vertical pass is then left to
/// [`super::transform::resize`]. Never holds the full decoded image: two or
/// three chunks plus the narrower result.
fn read_resizing_rows<R>(
    started: &mut mozjpeg::decompress::DecompressStarted<R>,
    width: u32,
    height: u32,
    target_width: u32,
    cmyk: bool,
) -> Result<RgbImage, PhotoError> {
    use std::sync::mpsc;

    let in_row = width as usize * if cmyk { 4 } else { 3 };
    let out_row = target_width as usize * 3;
    let mut out = vec![0u8; out_row * height as usize];
    std::thread::scope(|s| {
        let (to_worker, chunks) = mpsc::sync_channel::<Vec<u8>>(1);
        let (recycle, recycled) = mpsc::channel::<Vec<u8>>();
        let pieces = out.chunks_mut(CHUNK_ROWS * out_row);
        let worker = s.spawn(move || -> Result<(), PhotoError> {
            let mut resizer = super::transform::RowResizer::new();
            for (chunk, piece) in chunks.into_iter().zip(pieces) {
                let rows = (chunk.len() / in_row) as u32;
                if cmyk {
                    resizer.resize_rows(&cmyk_to_rgb(&chunk), width, rows, piece, target_width)?;
                } else {
                    resizer.resize_rows(&chunk, width, rows, piece, target_width)?;
                }
                // The main thread may be gone (decode error): nothing to hand back then.
                let _ = recycle.send(chunk);
            }
            Ok(())
        });
        let mut spare = 3;
        let mut remaining = height as usize;
        while remaining > 0 {
            let rows = remaining.min(CHUNK_ROWS);
            let mut buf = if spare > 0 {
                spare -= 1;
                Vec::new()
            } else {
                match recycled.recv() {
                    Ok(b) => b,
                    Err(_) => break, // the worker stopped: its error is reported below
                }
            };
            buf.resize(rows * in_row, 0);
            started
                .read_scanlines_into(&mut buf[..])
                .map_err(libjpeg_io)?;
            if to_worker.send(buf).is_err() {
                break;
            }
            remaining -= rows;
        }
        drop(to_worker);
        worker
            .join()
            .unwrap_or_else(|_| Err(PhotoError::corrupt("resize worker failed")))
    })?;
    Ok(RgbImage::new(target_width, height, out))
}

/// Adobe CMYK/YCCK JPEGs store inverted CMYK, which libjpeg returns as is.
fn cmyk_to_rgb(pixels: &[u8]) -> Vec<u8> {
    pixels
        .chunks_exact(4)
        .flat_map(|p| {
            let k = u16::from(p[3]);
            [0, 1, 2].map(|i| ((u16::from(p[i]) * k + 127) / 255) as u8)
        })
        .collect()
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
    fn dct_scale_never_goes_below_the_target() {
        assert_eq!(dct_scale_eighths(4000, 3000, (1600, 1200)), 4); // 2000x1500
        assert_eq!(dct_scale_eighths(3400, 2550, (1600, 1200)), 4); // 1700x1275
        assert_eq!(dct_scale_eighths(2400, 1800, (1600, 1200)), 6); // 1800x1350
        assert_eq!(dct_scale_eighths(4000, 3000, (320, 240)), 1); // 500x375
        assert_eq!(dct_scale_eighths(640, 480, (640, 480)), 8);
        assert_eq!(dct_scale_eighths(60000, 1, (1600, 1)), 1);
    }

    #[test]
    fn header_scan_finds_frame_and_exif_and_reports_truncation() {
        // SOI, APP1 Exif (orientation 6), SOF0 80x60 3 components, SOS.
        let tiff = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0";
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
        jpeg.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
        jpeg.extend_from_slice(b"Exif\0\0");
        jpeg.extend_from_slice(tiff);
        jpeg.extend_from_slice(&[0xFF, 0xC0, 0, 17, 8, 0, 60, 0, 80, 3]);
        jpeg.extend_from_slice(&[1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0, 12]);
        let h = scan_jpeg_header(&mut &jpeg[..], u64::MAX).unwrap();
        assert_eq!((h.width, h.height, h.components), (80, 60, 3));
        assert_eq!(
            h.exif.and_then(orientation_from_tiff),
            Some(Orientation::Rotate90)
        );
        assert!(matches!(
            scan_jpeg_header(&mut &jpeg[..], 80 * 60 - 1),
            Err(PhotoError::DimensionsTooLarge {
                width: 80,
                height: 60
            })
        ));
        for cut in [3, 10, jpeg.len() - 10, jpeg.len() - 3] {
            assert!(
                matches!(
                    scan_jpeg_header(&mut &jpeg[..cut], u64::MAX),
                    Err(PhotoError::Truncated)
                ),
                "cut at {cut}"
            );
        }
        let mut lossless = jpeg.clone();
        let sof = lossless.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        lossless[sof + 1] = 0xC3;
        assert!(matches!(
            scan_jpeg_header(&mut &lossless[..], u64::MAX),
            Err(PhotoError::Unsupported { .. })
        ));
    }

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
