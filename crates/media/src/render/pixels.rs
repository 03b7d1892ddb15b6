//! From decoded pixels to one rendition: SIMD resampling (Lanczos3, as libvips'
//! thumbnailer), orientation, baseline JPEG encoding. [`upright`] (resize + orient)
//! is shared with `render_rgb`, which stops before the encoding.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::{Decoded, RenderError, Rendition, RenditionRequest};

/// Packed 8-bit RGB pixels, rows without padding.
pub(crate) struct Rgb {
    pub data: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The size (stored orientation) a request gets from `decoded`: the long edge is the
/// request, capped at the decoded size (never upscaled); the short edge keeps the
/// aspect ratio of `decoded.aspect`.
pub(crate) fn target_size(decoded: &Decoded, long_edge: u32) -> (u32, u32) {
    let (w, h) = (decoded.rgb.width, decoded.rgb.height);
    let (aw, ah) = decoded.aspect;
    let long = long_edge.max(1).min(w.max(h));
    let (ref_long, ref_short) = (u64::from(aw.max(ah).max(1)), u64::from(aw.min(ah)));
    let short = (u64::from(long) * ref_short + ref_long / 2) / ref_long;
    let short = u32::try_from(short)
        .unwrap_or(u32::MAX)
        .clamp(1, w.min(h).max(1));
    if w >= h {
        (long, short)
    } else {
        (short, long)
    }
}

/// One rendition of `decoded`: resize, turn upright, encode.
pub(crate) fn produce(
    decoded: &Decoded,
    request: RenditionRequest,
) -> Result<Rendition, RenderError> {
    let upright = upright(decoded, request.long_edge)?;
    let image = upright.as_ref().unwrap_or(&decoded.rgb);
    let jpeg = encode(image, request.quality)?;
    Ok(Rendition {
        jpeg,
        width: image.width,
        height: image.height,
    })
}

/// `decoded` resized to `long_edge` (never upscaled) and turned upright; None when
/// `decoded.rgb` already is exactly that (right size, orientation 1), so callers use
/// it as is without a copy.
pub(crate) fn upright(decoded: &Decoded, long_edge: u32) -> Result<Option<Rgb>, RenderError> {
    let (w, h) = target_size(decoded, long_edge);
    if (w, h) == (decoded.rgb.width, decoded.rgb.height) {
        return Ok(orient(&decoded.rgb, decoded.orientation));
    }
    let resized = resize(&decoded.rgb, decoded.extent, w, h)?;
    Ok(Some(
        orient(&resized, decoded.orientation).unwrap_or(resized),
    ))
}

/// Lanczos3 resampling of the top-left `extent` of `src` to `width`×`height`.
fn resize(src: &Rgb, extent: (f64, f64), width: u32, height: u32) -> Result<Rgb, RenderError> {
    let failed = |e: &dyn std::fmt::Display| {
        RenderError::Corrupt(format!("the picture could not be resized: {e}"))
    };
    let src_image =
        ImageRef::new(src.width, src.height, &src.data, PixelType::U8x3).map_err(|e| failed(&e))?;
    let mut dst = Image::new(width, height, PixelType::U8x3);
    let (crop_w, crop_h) = (
        extent.0.clamp(1.0, f64::from(src.width)),
        extent.1.clamp(1.0, f64::from(src.height)),
    );
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(0.0, 0.0, crop_w, crop_h);
    Resizer::new()
        .resize(&src_image, &mut dst, &options)
        .map_err(|e| failed(&e))?;
    Ok(Rgb {
        data: dst.into_vec(),
        width,
        height,
    })
}

/// Baseline JPEG of `image`; quality clamped to 1-100. Chroma is subsampled 4:2:0
/// below quality 90 and kept whole (4:4:4) from 90 up, as libvips does: at high
/// quality, subsampling would be the largest loss left.
pub(crate) fn encode(image: &Rgb, quality: u8) -> Result<Vec<u8>, RenderError> {
    let failed =
        |e: turbojpeg::Error| RenderError::Corrupt(format!("the JPEG could not be encoded: {e}"));
    let width = usize::try_from(image.width).unwrap_or(usize::MAX);
    let height = usize::try_from(image.height).unwrap_or(usize::MAX);
    if width.checked_mul(height).and_then(|p| p.checked_mul(3)) != Some(image.data.len()) {
        return Err(RenderError::Corrupt(
            "internal error: the picture buffer has the wrong size".to_string(),
        ));
    }
    let mut compressor = turbojpeg::Compressor::new().map_err(failed)?;
    let quality = quality.clamp(1, 100);
    compressor.set_quality(i32::from(quality));
    compressor.set_subsamp(if quality >= 90 {
        turbojpeg::Subsamp::None
    } else {
        turbojpeg::Subsamp::Sub2x2
    });
    compressor
        .compress_to_vec(turbojpeg::Image {
            pixels: image.data.as_slice(),
            width,
            pitch: width * 3,
            height,
            format: turbojpeg::PixelFormat::RGB,
        })
        .map_err(failed)
}

/// `src` turned upright for EXIF `orientation`; None when it already is (1, or an
/// unknown value).
pub(crate) fn orient(src: &Rgb, orientation: u16) -> Option<Rgb> {
    let (w, h) = (src.width, src.height);
    match orientation {
        2 => Some(map_rows(src, true, false)),
        3 => Some(map_rows(src, true, true)),
        4 => Some(map_rows(src, false, true)),
        // (x, y) of the source pixel for output pixel (i, j), output size h×w.
        5 => Some(transpose(src, |i, j| (j, i))),
        6 => Some(transpose(src, |i, j| (j, h - 1 - i))),
        7 => Some(transpose(src, |i, j| (w - 1 - j, h - 1 - i))),
        8 => Some(transpose(src, |i, j| (w - 1 - j, i))),
        _ => None,
    }
}

/// Mirror horizontally and/or vertically (orientations 2, 3, 4): whole rows at a time.
fn map_rows(src: &Rgb, mirror_x: bool, mirror_y: bool) -> Rgb {
    let row_len = usize::try_from(src.width).unwrap_or(0) * 3;
    let mut data = Vec::with_capacity(src.data.len());
    let rows = src.data.chunks_exact(row_len.max(1));
    let mut push = |row: &[u8]| {
        if mirror_x {
            for pixel in row.chunks_exact(3).rev() {
                data.extend_from_slice(pixel);
            }
        } else {
            data.extend_from_slice(row);
        }
    };
    if mirror_y {
        rows.rev().for_each(&mut push);
    } else {
        rows.for_each(&mut push);
    }
    Rgb {
        data,
        width: src.width,
        height: src.height,
    }
}

/// Orientations 5-8, which swap the axes: output is `src.height`×`src.width`, and
/// `source(i, j)` names the source pixel of output column i, row j. Walked in tiles
/// so both buffers stay in cache.
fn transpose(src: &Rgb, source: impl Fn(u32, u32) -> (u32, u32)) -> Rgb {
    const TILE: u32 = 32;
    let (out_w, out_h) = (src.height, src.width);
    let mut out = Rgb {
        data: vec![0; src.data.len()],
        width: out_w,
        height: out_h,
    };
    let src_w = src.width as usize;
    for tile_j in (0..out_h).step_by(TILE as usize) {
        for tile_i in (0..out_w).step_by(TILE as usize) {
            for j in tile_j..(tile_j + TILE).min(out_h) {
                for i in tile_i..(tile_i + TILE).min(out_w) {
                    let (x, y) = source(i, j);
                    let from = (y as usize * src_w + x as usize) * 3;
                    let to = (j as usize * out_w as usize + i as usize) * 3;
                    if let (Some(d), Some(s)) =
                        (out.data.get_mut(to..to + 3), src.data.get(from..from + 3))
                    {
                        d.copy_from_slice(s);
                    }
                }
            }
        }
    }
    out
}
