//! A part of a photo as a JPEG. A face service indexes every face it is sent
//! (or the largest), so the one face a photographer picked in a group selfie is
//! sent alone: cut out of the upright picture with some margin around it.

use std::path::Path;

use super::{pixels, render_rgb, RenderError, Rendition};
use crate::Format;

/// A region of the upright picture, as fractions (0..1) of its width and height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CropBox {
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
}

/// The region `crop` of the photo at `path`, decoded upright with its long edge
/// at most `long_edge` (as [`render_rgb`]), cut out and encoded at `quality`.
/// The region is clamped to the picture; one that misses it entirely, or is
/// not a number, is `Corrupt` (a caller's box from another picture).
pub fn render_crop(
    path: &Path,
    format: Format,
    crop: CropBox,
    long_edge: u32,
    quality: u8,
) -> Result<Rendition, RenderError> {
    let rgb = render_rgb(path, format, long_edge)?;
    let (w, h) = (rgb.width as f32, rgb.height as f32);
    let clamp = |v: f32, max: f32| (v * max).round().clamp(0.0, max) as u32;
    let (x0, x1) = (clamp(crop.left, w), clamp(crop.left + crop.width, w));
    let (y0, y1) = (clamp(crop.top, h), clamp(crop.top + crop.height, h));
    if x1 <= x0 || y1 <= y0 {
        return Err(RenderError::Corrupt(
            "the region to cut out is outside the picture".to_string(),
        ));
    }
    let (cw, ch) = (x1 - x0, y1 - y0);
    let row = rgb.width as usize * 3;
    let mut data = Vec::with_capacity(cw as usize * ch as usize * 3);
    for y in y0..y1 {
        let start = y as usize * row + x0 as usize * 3;
        let end = start + cw as usize * 3;
        let Some(line) = rgb.pixels.get(start..end) else {
            return Err(RenderError::Corrupt(
                "internal error: the picture buffer has the wrong size".to_string(),
            ));
        };
        data.extend_from_slice(line);
    }
    let cut = pixels::Rgb {
        width: cw,
        height: ch,
        data,
    };
    Ok(Rendition {
        jpeg: pixels::encode(&cut, quality)?,
        width: cw,
        height: ch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::png;

    /// The region comes out at its size; regions outside the picture are refused.
    #[test]
    fn cuts_the_region_out_and_refuses_one_outside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.png");
        std::fs::write(&path, png(200, 100)).unwrap();
        let half = CropBox {
            left: 0.5,
            top: 0.25,
            width: 0.25,
            height: 0.5,
        };
        let got = render_crop(&path, Format::Png, half, 200, 90).unwrap();
        assert_eq!((got.width, got.height), (50, 50));
        assert!(got.jpeg.starts_with(&[0xFF, 0xD8]));
        // Past the edge: clamped.
        let wide = CropBox {
            left: 0.9,
            top: -1.0,
            width: 1.0,
            height: 3.0,
        };
        let got = render_crop(&path, Format::Png, wide, 200, 90).unwrap();
        assert_eq!((got.width, got.height), (20, 100));
        let outside = CropBox { left: 1.5, ..half };
        assert!(matches!(
            render_crop(&path, Format::Png, outside, 200, 90),
            Err(RenderError::Corrupt(_))
        ));
    }
}
