//! PNG renditions: decoded at full size with the `image` crate under explicit limits
//! (PNG has no shrink-on-load). The header is checked first with the structure
//! walker, so bombs are refused before any inflating. 16-bit samples are reduced to
//! 8 bits; transparency is composited onto white (how a browser shows a transparent
//! export on a plain page, and what JPEG, which has no alpha, can carry).

use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};

use super::pixels::Rgb;
use super::{bomb_check, Decoded, RenderError, RenditionSource};
use crate::metadata::orientation_and_thumbnail;
use crate::structure::{PngChecker, Verdict};

/// PNG files larger than this are not read (no photo export is this large).
const MAX_PNG_FILE: u64 = 512 << 20;
/// Most memory the PNG decoder may allocate (pixels at full size, 16-bit RGBA included).
const MAX_ALLOC: u64 = 1 << 30;

pub(super) fn decode_file(path: &Path) -> Result<Decoded, RenderError> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    if len > MAX_PNG_FILE {
        return Err(RenderError::TooLarge(format!(
            "the PNG file is {} MB; FindMe renders PNGs up to {} MB",
            len >> 20,
            MAX_PNG_FILE >> 20
        )));
    }
    let mut data = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(MAX_PNG_FILE).read_to_end(&mut data)?;
    if data.is_empty() {
        return Err(super::empty_file());
    }

    let mut checker = PngChecker::new();
    checker.feed(&data);
    let (verdict, facts) = checker.finish();
    match verdict {
        Verdict::Complete => {}
        Verdict::Bomb(w, h) => {
            bomb_check(
                u32::try_from(w).unwrap_or(u32::MAX),
                u32::try_from(h).unwrap_or(u32::MAX),
            )?;
        }
        Verdict::Truncated(reason) | Verdict::Corrupt(reason) => {
            return Err(RenderError::Corrupt(reason))
        }
        Verdict::NotFormat => {
            return Err(RenderError::Corrupt(
                "not a PNG image: the PNG signature is missing".to_string(),
            ))
        }
    }
    let (width, height) = facts.width.zip(facts.height).ok_or_else(|| {
        RenderError::Corrupt("corrupt PNG: the header gives no image size".to_string())
    })?;
    bomb_check(width, height)?;
    let orientation = facts
        .exif
        .and_then(|tiff| orientation_and_thumbnail(tiff).0)
        .unwrap_or(1);

    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(&data), ImageFormat::Png);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => RenderError::TooLarge(format!(
            "the PNG ({width}×{height}) needs more than {} MB to decode",
            MAX_ALLOC >> 20
        )),
        image::ImageError::IoError(e) => RenderError::Corrupt(format!("corrupt PNG: {e}")),
        other => RenderError::Corrupt(format!("corrupt PNG: {other}")),
    })?;
    drop(data);
    let rgb = to_rgb_on_white(image);
    Ok(Decoded {
        aspect: (rgb.width, rgb.height),
        extent: (f64::from(rgb.width), f64::from(rgb.height)),
        rgb,
        orientation,
        source: RenditionSource::FullDecode,
    })
}

/// 8-bit RGB; alpha composited onto white.
fn to_rgb_on_white(image: DynamicImage) -> Rgb {
    let (width, height) = (image.width(), image.height());
    if !image.color().has_alpha() {
        return Rgb {
            data: image.into_rgb8().into_raw(),
            width,
            height,
        };
    }
    let rgba = image.into_rgba8().into_raw();
    let mut data = Vec::with_capacity(rgba.len() / 4 * 3);
    for px in rgba.chunks_exact(4) {
        if let [r, g, b, a] = *px {
            let a = u16::from(a);
            let over = |v: u8| ((u16::from(v) * a + 255 * (255 - a) + 127) / 255) as u8;
            data.extend_from_slice(&[over(r), over(g), over(b)]);
        }
    }
    Rgb {
        data,
        width,
        height,
    }
}
