//! What a photo file *is*: its format, its content hash, whether it is complete,
//! and the metadata a photographer sorts and searches by.
//!
//! Everything here is synchronous and works on one file at a time; callers run it
//! on blocking threads. Reading is streaming: a file is never held in memory whole,
//! so a 60 MB RAW costs a fixed-size buffer (plus at most 1 MB of its head, where
//! TIFF directories live, and small header blocks kept for metadata).
//!
//! What callers must know:
//! - [`classify_path`] judges names only; pass the path *relative to the scan root*,
//!   because any component starting with '.' makes a path [`Classification::Ignore`].
//! - [`inspect_file`] reads the file once: SHA-256, structure check and header
//!   blocks in one pass. I/O problems are [`MediaError`]s (a 0-byte file is
//!   [`MediaError::Empty`]); content problems are [`Completeness::Truncated`] or
//!   [`Completeness::Invalid`] with a reason written for photographers.
//! - Metadata is read only for complete files and is best-effort: broken EXIF
//!   leaves fields `None`, never an error.
//! - [`render`] makes JPEG thumbnails and previews (decoded once, at the smallest
//!   size that covers the largest request); see its module for memory and errors.
//!   [`render_rgb`] gives the upright RGB pixels instead (for face analysis).

mod format;
#[cfg(test)]
mod hostile_tests;
mod inspect;
mod metadata;
mod render;
mod structure;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;

pub use format::{classify_path, Classification, Format, RawKind};
pub use inspect::{
    hash_file, inspect_file, inspect_open, Inspection, MediaError, Sha256, StreamHasher,
};
pub use metadata::{CaptureTime, Metadata};
pub use render::{
    render, render_crop, render_rgb, CropBox, RenderError, Rendition, RenditionRequest,
    RenditionSource, Renditions, UprightRgb,
};
pub use structure::Completeness;

/// Images whose header claims more pixels than this are refused as decompression
/// bombs: no camera makes them, and decoding one would exhaust memory.
pub const MAX_PIXELS: u64 = 400_000_000;
