//! Upright RGB pixels of a photo, for code that analyses pictures rather than shows
//! them (on-device face detection). The same decode, resampling and orientation as
//! the JPEG renditions of [`super::render`], stopping before the JPEG encode: a
//! detector fed a re-encoded JPEG would see compression artefacts for nothing.

use std::path::Path;

use super::{decode, pixels, RenderError};
use crate::Format;

/// A photo's pixels turned upright (EXIF orientation applied): packed 8-bit RGB,
/// row-major, no row padding, so `pixels.len() == width * height * 3`.
#[derive(Clone, PartialEq, Eq)]
pub struct UprightRgb {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl UprightRgb {
    /// Pixels of `width`×`height`; None when `pixels` is not exactly `width * height * 3`
    /// bytes (so code holding an `UprightRgb` built here can index it without checks).
    pub fn new(width: u32, height: u32, pixels: Vec<u8>) -> Option<UprightRgb> {
        let expected = usize::try_from(width)
            .ok()?
            .checked_mul(usize::try_from(height).ok()?)?
            .checked_mul(3)?;
        (pixels.len() == expected).then_some(UprightRgb {
            width,
            height,
            pixels,
        })
    }
}

impl std::fmt::Debug for UprightRgb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UprightRgb")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.pixels.len())
            .finish()
    }
}

/// The photo at `path` as upright RGB pixels whose long edge is at most `long_edge`
/// (never upscaled; 0 is treated as 1). Decoded once at the smallest size that
/// covers `long_edge`, exactly as [`super::render`] does for a rendition of that
/// size; same errors, same memory bound (plus the returned pixels).
pub fn render_rgb(path: &Path, format: Format, long_edge: u32) -> Result<UprightRgb, RenderError> {
    let long_edge = long_edge.max(1);
    let decoded = decode(path, format, long_edge)?;
    let rgb = match pixels::upright(&decoded, long_edge)? {
        Some(rgb) => rgb,
        None => decoded.rgb,
    };
    UprightRgb::new(rgb.width, rgb.height, rgb.data).ok_or_else(|| {
        RenderError::Corrupt("internal error: the picture buffer has the wrong size".to_string())
    })
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::testutil::{jpeg_with_exif, png, tiff, Val};

    /// Four solid quadrants (red, green / blue, white): any flip or turn moves a colour.
    fn quadrants(w: u32, h: u32) -> image::RgbImage {
        image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb(match (x < w / 2, y < h / 2) {
                (true, true) => [220, 30, 30],
                (false, true) => [30, 200, 30],
                (true, false) => [30, 30, 220],
                (false, false) => [240, 240, 240],
            })
        })
    }

    fn jpeg_bytes(img: &image::RgbImage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
            .encode_image(img)
            .unwrap();
        out.into_inner()
    }

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// The stored pixels that orientation `o` turns into `upright` (the inverse
    /// transform: 6 and 8 undo each other, the others undo themselves).
    fn stored_for(upright: &image::RgbImage, o: u16) -> image::RgbImage {
        use image::imageops::{flip_horizontal, flip_vertical, rotate180, rotate270, rotate90};
        match o {
            2 => flip_horizontal(upright),
            3 => rotate180(upright),
            4 => flip_vertical(upright),
            5 => flip_horizontal(&rotate90(upright)),
            6 => rotate270(upright),
            7 => flip_horizontal(&rotate270(upright)),
            8 => rotate90(upright),
            _ => upright.clone(),
        }
    }

    fn close(got: &[u8], want: [u8; 3]) -> bool {
        got.iter().zip(want).all(|(&g, w)| g.abs_diff(w) <= 12)
    }

    /// Every EXIF orientation of the same scene comes out as the same upright picture,
    /// at the requested size.
    #[test]
    fn all_orientations_give_the_same_upright_picture() {
        let dir = tempfile::tempdir().unwrap();
        let upright = quadrants(64, 48);
        for o in 1..=8u16 {
            let stored = jpeg_bytes(&stored_for(&upright, o));
            let exif = tiff(&[(0x0112, Val::Short(o))], &[]);
            let path = write(&dir, &format!("o{o}.jpg"), &jpeg_with_exif(&stored, &exif));
            for long_edge in [64, 32] {
                let got = render_rgb(&path, Format::Jpeg, long_edge).unwrap();
                let (w, h) = (long_edge, long_edge * 3 / 4);
                assert_eq!((got.width, got.height), (w, h), "orientation {o}");
                assert_eq!(got.pixels.len(), (w * h * 3) as usize);
                // Centre of each quadrant.
                for (qx, qy) in [(1, 1), (3, 1), (1, 3), (3, 3)] {
                    let (x, y) = (w * qx / 4, h * qy / 4);
                    let i = ((y * w + x) * 3) as usize;
                    let want = upright.get_pixel(64 * qx / 4, 48 * qy / 4).0;
                    assert!(
                        close(&got.pixels[i..i + 3], want),
                        "orientation {o}, {long_edge} px, quadrant ({qx},{qy}): {:?} != {want:?}",
                        &got.pixels[i..i + 3]
                    );
                }
            }
        }
    }

    /// Never upscaled; PNG takes the same path; HEIC is refused with a reason.
    #[test]
    fn not_upscaled_and_other_formats() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "small.png", &png(40, 30));
        let got = render_rgb(&path, Format::Png, 4000).unwrap();
        assert_eq!(
            (got.width, got.height, got.pixels.len()),
            (40, 30, 40 * 30 * 3)
        );
        let got = render_rgb(&path, Format::Png, 0).unwrap();
        assert_eq!((got.width, got.height), (1, 1));
        assert!(matches!(
            render_rgb(&path, Format::Heif, 100),
            Err(RenderError::NoPreview(_))
        ));
        assert!(UprightRgb::new(2, 2, vec![0; 11]).is_none());
        assert!(UprightRgb::new(2, 2, vec![0; 12]).is_some());
    }
}
