//! Renditions: the JPEG thumbnails and previews the app, the event server and face
//! matching show or analyse, made from any catalogued photo.
//!
//! One call decodes the photo once, at the smallest size that covers the largest
//! request (JPEG DCT scaling, or a RAW's embedded preview), then resamples down to
//! every request, turns the pixels upright and encodes baseline JPEGs without any
//! metadata (no EXIF: nothing to rotate twice, no GPS or serial numbers leaked).
//!
//! What callers must know:
//! - Synchronous and CPU-bound: run it on blocking threads. Calls are independent
//!   (no shared state, no locks): one call per worker thread scales with cores.
//! - Memory per call: the file's bytes for JPEG and PNG (RAWs: only their preview's
//!   byte range and 1 MB of header), plus the decoded pixels at the chosen scale
//!   (24 MP JPEG for a 320 px thumbnail: 750×500×3 bytes; for 2048 px: 3000×2000×3).
//!   A PNG is decoded at full size (at most 1 GiB of pixels, else [`RenderError::TooLarge`]).
//! - Errors: [`RenderError::NoPreview`] when FindMe cannot make a picture of this kind
//!   of file (HEIC, RAW without a preview), [`RenderError::Corrupt`] for damaged or
//!   cut-short data (a truncated JPEG is refused, not drawn half grey),
//!   [`RenderError::TooLarge`] before any decoding for decompression bombs, and
//!   [`RenderError::Io`] when the file cannot be read.
//! - [`render_rgb`] is the same decode, resize and orientation without the JPEG
//!   encode, for code that analyses pixels (on-device face detection);
//!   [`render_crop`] a JPEG of one region (a face picked in a group selfie).

mod crop;
mod jpeg;
mod pixels;
mod png;
mod raw;
mod rgb;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_raw;

use std::path::Path;

use crate::{Format, MAX_PIXELS};

pub use crop::{render_crop, CropBox};
use pixels::Rgb;
pub use rgb::{render_rgb, UprightRgb};

/// One wanted output: the long edge in pixels (never upscaled; 0 is treated as 1)
/// and the JPEG quality (1-100; 0 is treated as 1, larger values as 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenditionRequest {
    pub long_edge: u32,
    pub quality: u8,
}

/// One finished rendition: a baseline JPEG of the upright picture, without metadata
/// (chroma 4:2:0 below quality 90, 4:4:4 from 90 up).
#[derive(Clone, PartialEq, Eq)]
pub struct Rendition {
    pub jpeg: Vec<u8>,
    /// Size of the upright picture (after orientation).
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Debug for Rendition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendition")
            .field("jpeg_bytes", &self.jpeg.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// Which pixels the renditions were made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenditionSource {
    /// A JPEG stored inside the file: a RAW's preview, or a JPEG's EXIF thumbnail
    /// when it was large enough.
    EmbeddedPreview,
    /// The JPEG decoded at numerator/denominator of its size (DCT scaling).
    ScaledDecode { numerator: u8, denominator: u8 },
    /// The image decoded at full size.
    FullDecode,
}

/// The outputs of one [`render`] call, in the order of the requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renditions {
    pub outputs: Vec<Rendition>,
    pub source: RenditionSource,
}

/// Why no rendition could be made. Every reason is readable by a photographer.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No picture can be made (HEIC without a decoder, RAW without an embedded preview).
    #[error("{0}")]
    NoPreview(String),
    /// The image data is damaged or cut short.
    #[error("{0}")]
    Corrupt(String),
    /// Refused before decoding (decompression bomb, over [`MAX_PIXELS`]).
    #[error("{0}")]
    TooLarge(String),
    /// The file could not be read.
    #[error("{}", io_reason(.0))]
    Io(std::io::Error),
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            "the file disappeared before its preview could be made".to_string()
        }
        std::io::ErrorKind::PermissionDenied => {
            "permission denied: FindMe cannot read this file".to_string()
        }
        _ => format!("read error: {e}"),
    }
}

impl From<std::io::Error> for RenderError {
    fn from(e: std::io::Error) -> Self {
        // A file that shrank under us reads as an early end: the data is incomplete.
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            return RenderError::Corrupt(
                "truncated: the file ends before the image data it points at".to_string(),
            );
        }
        RenderError::Io(e)
    }
}

/// Render `requests` from the photo at `path` (of the format [`crate::classify_path`]
/// or [`crate::inspect_file`] decided). Decodes once, at the smallest size that covers
/// the largest request; see the module docs for memory and errors. No requests: no
/// output and nothing read.
pub fn render(
    path: &Path,
    format: Format,
    requests: &[RenditionRequest],
) -> Result<Renditions, RenderError> {
    let Some(largest) = requests.iter().map(|r| r.long_edge.max(1)).max() else {
        return Ok(Renditions {
            outputs: Vec::new(),
            source: RenditionSource::FullDecode,
        });
    };
    let decoded = decode(path, format, largest)?;
    let outputs = requests
        .iter()
        .map(|request| pixels::produce(&decoded, *request))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Renditions {
        outputs,
        source: decoded.source,
    })
}

/// Decodes the photo once at the smallest size that covers `largest` (long edge), with
/// the decoder its format needs; shared by [`render`] and [`render_rgb`].
fn decode(path: &Path, format: Format, largest: u32) -> Result<Decoded, RenderError> {
    let decoded = match format {
        Format::Jpeg => jpeg::decode_file(path, largest)?,
        Format::Png => png::decode_file(path)?,
        Format::Raw(kind) => raw::decode_preview(path, kind, largest)?,
        Format::Heif => {
            return Err(RenderError::NoPreview(
                "HEIC previews are not supported yet".to_string(),
            ))
        }
    };
    tracing::debug!(
        path = %path.display(),
        source = ?decoded.source,
        decoded = ?(decoded.rgb.width, decoded.rgb.height),
        orientation = decoded.orientation,
        "decoded"
    );
    Ok(decoded)
}

/// Pixels ready to be resized into renditions.
pub(crate) struct Decoded {
    /// RGB pixels, as stored (not yet turned upright).
    pub rgb: Rgb,
    /// The size the pixels stand for (the full image, or the preview), whose aspect
    /// ratio the outputs keep.
    pub aspect: (u32, u32),
    /// The part of `rgb` that holds the picture, in (fractional) pixels: DCT scaling
    /// rounds the decoded size up, so a 3172-row photo at 1/8 is 396.5 rows of
    /// picture in 397 decoded rows. Resampling reads exactly this region.
    pub extent: (f64, f64),
    /// EXIF orientation 1-8, applied after resizing.
    pub orientation: u16,
    pub source: RenditionSource,
}

pub(crate) fn empty_file() -> RenderError {
    RenderError::Corrupt("the file is empty (0 bytes)".to_string())
}

/// `TooLarge` when a header claims more than [`MAX_PIXELS`].
pub(crate) fn bomb_check(width: u32, height: u32) -> Result<(), RenderError> {
    let pixels = u64::from(width).saturating_mul(u64::from(height));
    if pixels > MAX_PIXELS {
        return Err(RenderError::TooLarge(format!(
            "decompression bomb: the header claims {width}×{height} pixels (limit {} MP)",
            MAX_PIXELS / 1_000_000
        )));
    }
    Ok(())
}
