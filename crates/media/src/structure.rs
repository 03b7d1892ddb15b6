//! Structural checks that run on the bytes as they stream past the hasher, so a
//! half-written or corrupt file is recognised without a second read.
//!
//! Each format has a small state machine fed arbitrary chunks (they must give the
//! same answer whatever the chunk boundaries). While walking the container they also
//! keep the few header bytes metadata needs (the JPEG/PNG EXIF block, the HEIF `meta`
//! box, the CR3 `moov` box, the head of a TIFF RAW), so metadata costs no extra read.

mod bmff;
mod jpeg;
mod png;
mod raw;
mod sniff;

use crate::{Format, RawKind, MAX_PIXELS};

pub(crate) use bmff::{find_child, BoxIter};
pub(crate) use jpeg::JpegChecker;
pub(crate) use png::PngChecker;
pub(crate) use raw::{raf_jpeg_range, tiff_jpeg_ranges};

/// Whether a file's bytes form a whole image container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completeness {
    /// The container is whole (JPEG: end-of-image marker reached; PNG: IEND chunk;
    /// HEIF: top-level boxes add up to the file length). RAWs are trusted when their
    /// header parses and the image data they point at lies inside the file.
    Complete,
    /// The file ends before the container does: it is still being written, or was
    /// cut short. The watcher holds such files back for a while before failing them.
    Truncated(String),
    /// The bytes are not the format the name claims, or are damaged beyond use
    /// (e.g. "not a JPEG image: the content starts with a PNG signature",
    /// "decompression bomb: the header claims 60000×60000 pixels (limit 400 MP)").
    Invalid(String),
}

/// A format checker's judgement, turned into a [`Completeness`] with a readable
/// reason by [`StructureChecker::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Complete,
    /// The stream ended early; the checker's format-specific reason.
    Truncated(String),
    /// The content is some other kind of file altogether.
    NotFormat,
    /// A full, readable reason.
    Corrupt(String),
    /// The header claims this many pixels (width, height).
    Bomb(u64, u64),
}

impl Verdict {
    /// `Bomb` when `width × height` exceeds [`MAX_PIXELS`].
    pub(crate) fn bomb_check(width: u32, height: u32) -> Option<Verdict> {
        let pixels = u64::from(width).saturating_mul(u64::from(height));
        (pixels > MAX_PIXELS).then_some(Verdict::Bomb(u64::from(width), u64::from(height)))
    }
}

/// The reason for a file that ends early, worded the same for every format.
pub(crate) fn truncated_reason(what: &str) -> String {
    format!("truncated: {what} (still being copied, or cut short)")
}

/// What the streaming pass learned besides completeness.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    /// Pixel size from the container header (JPEG SOF, PNG IHDR, HEIF `ispe`).
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// TIFF-structured EXIF block (JPEG APP1 / PNG eXIf), without the "Exif\0\0" prefix.
    pub exif: Option<Vec<u8>>,
    /// Body of the top-level `meta` (HEIF) or `moov` (CR3) box, when small enough.
    pub bmff_box: Option<Vec<u8>>,
    /// The first bytes of a RAW file (where TIFF IFDs and the RAF header live).
    pub head: Vec<u8>,
}

/// The result of streaming a whole file through a [`StructureChecker`].
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub completeness: Completeness,
    pub facts: Facts,
}

/// Bytes kept from the start of every file, to describe what it really is.
const SNIFF_LEN: usize = 32;

enum Inner {
    Jpeg(JpegChecker),
    Png(png::PngChecker),
    Bmff(bmff::BmffChecker),
    Raw(raw::RawChecker),
}

/// Streaming structure check for one file of a claimed format.
pub(crate) struct StructureChecker {
    format: Format,
    sniff: Vec<u8>,
    inner: Inner,
}

impl StructureChecker {
    pub(crate) fn new(format: Format) -> Self {
        let inner = match format {
            Format::Jpeg => Inner::Jpeg(JpegChecker::new()),
            Format::Png => Inner::Png(png::PngChecker::new()),
            Format::Heif => Inner::Bmff(bmff::BmffChecker::new(bmff::Flavour::Heif)),
            Format::Raw(RawKind::Cr3) => Inner::Bmff(bmff::BmffChecker::new(bmff::Flavour::Cr3)),
            Format::Raw(kind) => Inner::Raw(raw::RawChecker::new(kind)),
        };
        StructureChecker {
            format,
            sniff: Vec::with_capacity(SNIFF_LEN),
            inner,
        }
    }

    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        if self.sniff.len() < SNIFF_LEN {
            let take = (SNIFF_LEN - self.sniff.len()).min(chunk.len());
            self.sniff
                .extend_from_slice(chunk.get(..take).unwrap_or_default());
        }
        match &mut self.inner {
            Inner::Jpeg(c) => c.feed(chunk),
            Inner::Png(c) => c.feed(chunk),
            Inner::Bmff(c) => c.feed(chunk),
            Inner::Raw(c) => c.feed(chunk),
        }
    }

    /// Judge the stream, which has ended after `total` bytes.
    pub(crate) fn finish(self, total: u64) -> Checked {
        let (verdict, facts) = match self.inner {
            Inner::Jpeg(c) => c.finish(),
            Inner::Png(c) => c.finish(),
            Inner::Bmff(c) => c.finish(total),
            Inner::Raw(c) => c.finish(total),
        };
        let name = self.format.display_name();
        let completeness = match verdict {
            Verdict::Complete => Completeness::Complete,
            Verdict::Truncated(reason) => Completeness::Truncated(reason),
            Verdict::Corrupt(reason) => Completeness::Invalid(reason),
            Verdict::NotFormat => {
                let what = if self.format.is_raw() {
                    "file"
                } else {
                    "image"
                };
                Completeness::Invalid(format!(
                    "not a {name} {what}: the content starts with {}",
                    sniff::describe(&self.sniff)
                ))
            }
            Verdict::Bomb(w, h) => Completeness::Invalid(format!(
                "decompression bomb: the header claims {w}×{h} pixels (limit {} MP)",
                MAX_PIXELS / 1_000_000
            )),
        };
        Checked {
            completeness,
            facts,
        }
    }
}

#[cfg(test)]
mod tests;
