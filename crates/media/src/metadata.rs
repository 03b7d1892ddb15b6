//! EXIF metadata extraction for every catalogued format.

/// When the shutter fired, as the camera recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureTime {
    /// Camera wall-clock time (DateTimeOriginal, with SubSecTimeOriginal when present).
    pub local: jiff::civil::DateTime,
    /// OffsetTimeOriginal (or OffsetTime) when the camera recorded one.
    pub offset: Option<jiff::tz::Offset>,
}

/// The metadata a photographer sorts, filters and checks by. Every field is optional:
/// real files lack any of them, and broken EXIF must never fail an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub captured_at: Option<CaptureTime>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub camera_serial: Option<String>,
    pub lens: Option<String>,
    /// EXIF orientation 1-8 (1 = upright); None when absent or out of range.
    pub orientation: Option<u16>,
    /// Pixel size of the full image as stored (before orientation is applied).
    pub width: Option<u32>,
    pub height: Option<u32>,
}

mod sources;
mod tags;
mod time;

use std::fs::File;

pub(crate) use sources::orientation_and_thumbnail;

use crate::structure::Facts;
use crate::{Format, RawKind};

/// Metadata of a complete file. `facts` is what the structure pass kept (EXIF block,
/// `meta`/`moov` box, RAW head); `file` is the open handle, used only by HEIF (its
/// EXIF item may live anywhere in the file) and RAF (its preview JPEG).
pub(crate) fn extract(format: Format, facts: Facts, file: &File) -> Metadata {
    let container = facts.width.zip(facts.height);
    let tags = sources::read_tags(format, facts, file);
    let mut meta = tags.to_metadata();
    // The container's own header is authoritative for the stored pixel size; for
    // RAWs the EXIF size is the developed image's, and the directories' the sensor's.
    let exif = tags.pixel_size();
    let size = match format {
        Format::Raw(RawKind::Cr3) => exif.or_else(|| tags.ifd0_size()),
        Format::Raw(_) => exif.or(container),
        _ => container.or(exif),
    };
    meta.width = size.map(|s| s.0);
    meta.height = size.map(|s| s.1);
    meta
}
