//! Typed errors of the photo pipeline.
//!
//! Field workers see these messages (translated by the UI layer) and they end
//! up in logs, so every message is plain English and never contains personal
//! data: no paths, no coordinates, no record codes.

/// Everything that can go wrong while ingesting or verifying an evidence photo.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The input file has zero bytes.
    #[error("the photo file is empty")]
    Empty,
    /// The input file is larger than [`super::PhotoConfig::max_input_bytes`].
    #[error("the photo file is too large ({bytes} bytes, the limit is {limit} bytes)")]
    TooLarge {
        /// Size of the input file.
        bytes: u64,
        /// Configured limit.
        limit: u64,
    },
    /// The file starts like a supported image but ends prematurely.
    #[error("the photo file is truncated (incomplete download or copy)")]
    Truncated,
    /// The file content is not an image at all (whatever its extension says).
    #[error("the file is not a recognised image")]
    NotAnImage,
    /// The file is an image, but in a format or variant this pipeline does not decode.
    #[error("unsupported image format: {format}")]
    Unsupported {
        /// Short, human readable name of the format or feature, e.g. `HEIC`.
        format: String,
    },
    /// The header announces more pixels than [`super::PhotoConfig::max_input_pixels`].
    #[error("image dimensions {width}x{height} exceed the allowed pixel count")]
    DimensionsTooLarge {
        /// Width announced by the header.
        width: u32,
        /// Height announced by the header.
        height: u32,
    },
    /// The image data is malformed.
    #[error("the image data is corrupt: {detail}")]
    Corrupt {
        /// Decoder diagnostic (never contains user data).
        detail: String,
    },
    /// Reading the input or writing the evidence files failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// Downloaded bytes do not hash to the name they were fetched by (damaged in transit, or tampered with).
    #[error("the downloaded photo does not match its SHA-256 (expected {expected}, got {actual}); discarded")]
    HashMismatch {
        /// The hash the record names.
        expected: String,
        /// The hash of the bytes received.
        actual: String,
    },
    /// The output JPEG could not be produced.
    #[error("failed to encode the output JPEG: {detail}")]
    Encode {
        /// Encoder diagnostic.
        detail: String,
    },
}

impl PhotoError {
    pub(super) fn corrupt(detail: impl Into<String>) -> Self {
        PhotoError::Corrupt {
            detail: detail.into(),
        }
    }
}
