//! The mock's "face detector": finds the palette-coloured squares of [`crate::synth`].
//!
//! Decode → area-average down to ≤ 640 px on the long side (kills JPEG noise and makes the
//! cost independent of the input size) → classify each pixel to the nearest palette colour
//! if it is saturated and close enough → connected components per colour → keep roughly
//! square, well-filled regions at least as big as AWS's minimum face (40×40 px in a
//! 1920×1080 image, scaled with the long side).

use crate::error::{ApiError, ErrorKind};
use crate::model::BoundingBox;
use crate::synth::{palette, PALETTE_LEN};
use image::{DynamicImage, GenericImageView, ImageFormat, RgbImage};

/// Working resolution (long side) for classification.
const WORK_SIDE: u32 = 640;
/// A pixel belongs to a palette colour if it is within this RGB distance (the palette's
/// closest pair is 85 apart, so there is no ambiguity).
const MATCH_DIST: f32 = 38.0;
/// Pixels less colourful than this (max−min channel) are background.
const MIN_CHROMA: i32 = 60;
/// AWS's smallest detectable face: 40 px in a 1920-wide frame.
const MIN_FACE_AT_1920: f32 = 40.0;
/// AWS's minimum image side.
pub const MIN_IMAGE_SIDE: u32 = 80;

/// A face found in an image.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Palette index: who this is.
    pub person: usize,
    pub bounding_box: BoundingBox,
    pub confidence: f32,
    /// Size of the box in source pixels.
    pub width_px: u32,
    pub height_px: u32,
    /// Longer side over the minimum detectable face side (≥ 0.9): the "quality" that
    /// `QualityFilter` MEDIUM (≥ 1.5) and HIGH (≥ 2) look at.
    pub size_ratio: f32,
}

/// Euclidean RGB distance.
pub fn colour_dist(a: [u8; 3], b: [u8; 3]) -> f32 {
    let d = |i: usize| a[i] as f32 - b[i] as f32;
    (d(0) * d(0) + d(1) * d(1) + d(2) * d(2)).sqrt()
}

/// The smallest face side (px) detected in a `width`×`height` image.
pub fn min_face_px(width: u32, height: u32) -> f32 {
    MIN_FACE_AT_1920 * width.max(height) as f32 / 1920.0
}

/// Checks format and size like AWS and decodes.
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, ApiError> {
    let format = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        ImageFormat::Jpeg
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        ImageFormat::Png
    } else {
        return Err(ApiError::new(
            ErrorKind::InvalidImageFormat,
            "Request has invalid image format",
        ));
    };
    let img = image::load_from_memory_with_format(bytes, format).map_err(|e| {
        tracing::debug!(error = %e, "image decode failed");
        ApiError::new(
            ErrorKind::InvalidImageFormat,
            "Request has invalid image format",
        )
    })?;
    if img.width() < MIN_IMAGE_SIDE || img.height() < MIN_IMAGE_SIDE {
        return Err(ApiError::invalid_parameter());
    }
    Ok(img)
}

/// Nearest palette colour of a pixel, if it is one.
fn classify(px: [u8; 3]) -> Option<u8> {
    let max = *px.iter().max()? as i32;
    let min = *px.iter().min()? as i32;
    if max - min < MIN_CHROMA {
        return None;
    }
    let mut best = (f32::MAX, 0usize);
    for i in 0..PALETTE_LEN {
        let d = colour_dist(px, palette(i));
        if d < best.0 {
            best = (d, i);
        }
    }
    (best.0 <= MATCH_DIST).then_some(best.1 as u8)
}

/// Finds the faces in an RGB image, largest first.
pub fn detect(img: &RgbImage) -> Vec<Detection> {
    detect_image(&DynamicImage::ImageRgb8(img.clone()))
}

/// Finds the faces in a decoded image, largest first.
pub fn detect_image(img: &DynamicImage) -> Vec<Detection> {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return Vec::new();
    }
    // `DynamicImage` methods run the image crate's own (optimised) code even in
    // unoptimised test builds, unlike the generic `imageops` functions.
    let work = if w.max(h) > WORK_SIDE {
        img.thumbnail(WORK_SIDE, WORK_SIDE).to_rgb8()
    } else {
        img.to_rgb8()
    };
    let (ww, wh) = work.dimensions();
    let sx = w as f32 / ww as f32;
    let sy = h as f32 / wh as f32;

    let n = (ww * wh) as usize;
    let mut class = vec![u8::MAX; n];
    for (i, px) in work.as_raw().chunks_exact(3).enumerate() {
        if let Some(c) = classify([px[0], px[1], px[2]]) {
            class[i] = c;
        }
    }

    let min_side = min_face_px(w, h) * 0.9;
    let mut seen = vec![false; n];
    let mut stack = Vec::new();
    let mut found = Vec::new();
    for start in 0..n {
        if seen[start] || class[start] == u8::MAX {
            continue;
        }
        let colour = class[start];
        let (mut x0, mut y0, mut x1, mut y1, mut count) = (u32::MAX, u32::MAX, 0u32, 0u32, 0u32);
        seen[start] = true;
        stack.push(start);
        while let Some(i) = stack.pop() {
            let (x, y) = ((i as u32) % ww, (i as u32) / ww);
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            count += 1;
            let mut visit = |j: usize| {
                if !seen[j] && class[j] == colour {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < ww {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - ww as usize);
            }
            if y + 1 < wh {
                visit(i + ww as usize);
            }
        }
        let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
        let fill = count as f32 / (bw * bh) as f32;
        let aspect = bw as f32 / bh as f32;
        if count < 4 || fill < 0.55 || !(0.6..=1.0 / 0.6).contains(&aspect) {
            continue;
        }
        let (left, top) = (x0 as f32 * sx, y0 as f32 * sy);
        let right = ((x1 + 1) as f32 * sx).min(w as f32);
        let bottom = ((y1 + 1) as f32 * sy).min(h as f32);
        let (pw, ph) = (right - left, bottom - top);
        if pw.max(ph) < min_side {
            continue;
        }
        found.push(Detection {
            person: colour as usize,
            bounding_box: BoundingBox {
                width: pw / w as f32,
                height: ph / h as f32,
                left: left / w as f32,
                top: top / h as f32,
            },
            confidence: 99.0 + 0.99 * fill.min(1.0),
            width_px: pw.round() as u32,
            height_px: ph.round() as u32,
            size_ratio: pw.max(ph) / min_face_px(w, h),
        });
    }
    found.sort_by(|a, b| {
        b.bounding_box
            .area()
            .total_cmp(&a.bounding_box.area())
            .then(a.bounding_box.top.total_cmp(&b.bounding_box.top))
            .then(a.bounding_box.left.total_cmp(&b.bounding_box.left))
    });
    found
}

/// Decodes and detects in one go (for blocking threads).
pub fn analyse(bytes: &[u8]) -> Result<Vec<Detection>, ApiError> {
    Ok(detect_image(&decode(bytes)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{photo, render, SynthFace};

    #[test]
    fn background_has_no_faces() {
        let img = render(800, 600, &[], 7);
        assert!(detect(&img).is_empty());
    }

    #[test]
    fn finds_every_person_in_a_clean_render() {
        let faces: Vec<SynthFace> = (0..PALETTE_LEN)
            .map(|p| SynthFace {
                person: p,
                left: 20 + (p as u32 % 8) * 110,
                top: 20 + (p as u32 / 8) * 110,
                size: 90,
            })
            .collect();
        let bytes = photo(920, 480, &faces, 3);
        let mut got: Vec<usize> = analyse(&bytes).unwrap().iter().map(|d| d.person).collect();
        got.sort_unstable();
        assert_eq!(got, (0..PALETTE_LEN).collect::<Vec<_>>());
    }

    #[test]
    fn rejects_non_images_and_tiny_images() {
        assert_eq!(
            decode(b"GIF89a....").unwrap_err().kind,
            ErrorKind::InvalidImageFormat
        );
        assert_eq!(
            decode(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).unwrap_err().kind,
            ErrorKind::InvalidImageFormat
        );
        let tiny = photo(79, 200, &[], 1);
        assert_eq!(decode(&tiny).unwrap_err().kind, ErrorKind::InvalidParameter);
    }
}
