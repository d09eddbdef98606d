//! Bitmap glyphs for the watermark.
//!
//! The watermark only needs ASCII plus `±`, so an 8×8 public-domain bitmap
//! font (`font8x8`) scaled by an integer factor is enough: no font files, no
//! rasteriser, identical output on every platform (which keeps the evidence
//! hash reproducible for a given input).

use font8x8::legacy::{BASIC_LEGACY, LATIN_LEGACY};

/// Width and height of one glyph cell, in font pixels.
pub(super) const GLYPH_SIZE: u32 = 8;

/// Returns the 8 rows of `c` (bit 0 is the leftmost pixel), or `?` for
/// characters the font does not cover.
pub(super) fn glyph(c: char) -> [u8; 8] {
    let code = c as u32;
    match code {
        0x20..=0x7E => BASIC_LEGACY[code as usize],
        0xA0..=0xFF => LATIN_LEGACY[(code - 0xA0) as usize],
        _ => BASIC_LEGACY[b'?' as usize],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_watermark_characters() {
        for c in "0123456789-: NSEW.±mCSTNOGPS#".chars() {
            if c != ' ' {
                assert!(
                    glyph(c).iter().any(|&row| row != 0),
                    "glyph for {c:?} is blank"
                );
            }
        }
        assert_eq!(glyph('\u{4E2D}'), glyph('?'));
    }
}
