//! Where each format keeps its EXIF, and how it is read with `kamadak-exif`:
//! - JPEG (incl. MPO) and PNG: the APP1 / eXIf block kept by the structure pass.
//! - HEIF: the `Exif` item the `meta` box points at, read through the open handle.
//! - CR2, NEF, ARW, DNG, ORF: the file is itself a TIFF block; its head was kept.
//! - RAF: the EXIF of the embedded preview JPEG (offset at byte 84 of the header).
//! - CR3: the `CMT1` (IFD0) and `CMT2` (EXIF IFD) boxes in `moov/uuid`.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

use exif::{Exif, Reader};

use super::tags::{Block, Tags};
use crate::structure::{find_child, raf_jpeg_range, BoxIter, Facts, JpegChecker};
use crate::{Format, RawKind};

/// Canon's metadata container inside a CR3 `moov` box.
const CANON_UUID: [u8; 16] = [
    0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48,
];
/// How much of a RAF preview is read to find its EXIF segment (at most 64 KB, early).
const RAF_HEADER_READ: u64 = 256 * 1024;

/// The primary image's tags, or empty tags when the format holds none we can read.
pub(crate) fn read_tags(format: Format, facts: Facts, file: &File) -> Tags {
    let mut tags = Tags::default();
    match format {
        Format::Jpeg | Format::Png => {
            if let Some(exif) = facts.exif.and_then(parse_tiff) {
                tags.add(&exif, Block::Tiff);
            }
        }
        Format::Heif => {
            if let Some(exif) = facts.bmff_box.as_ref().and_then(|_| read_heif(file)) {
                tags.add(&exif, Block::Tiff);
            }
        }
        Format::Raw(RawKind::Cr3) => {
            let moov = facts.bmff_box.as_deref().unwrap_or_default();
            for (name, block) in [(b"CMT1", Block::Tiff), (b"CMT2", Block::ExifOnly)] {
                if let Some(exif) = cr3_block(moov, name).and_then(|b| parse_tiff(b.to_vec())) {
                    tags.add(&exif, block);
                }
            }
        }
        Format::Raw(RawKind::Raf) => {
            if let Some(exif) = read_raf(&facts.head, file).and_then(parse_tiff) {
                tags.add(&exif, Block::Tiff);
            }
        }
        Format::Raw(_) => {
            if let Some(exif) = parse_tiff(facts.head) {
                tags.add(&exif, Block::Tiff);
            }
        }
    }
    tags
}

/// What a rendition needs from a JPEG's or PNG's EXIF block: the orientation (1-8)
/// and the bytes of the IFD1 thumbnail JPEG, when there is one.
pub(crate) fn orientation_and_thumbnail(tiff: Vec<u8>) -> (Option<u16>, Option<Vec<u8>>) {
    let Some(exif) = parse_tiff(tiff) else {
        return (None, None);
    };
    let mut tags = Tags::default();
    tags.add(&exif, Block::Tiff);
    let orientation = tags.to_metadata().orientation;
    let field = |tag| {
        exif.get_field(tag, exif::In::THUMBNAIL)
            .and_then(|f| f.value.get_uint(0))
            .and_then(|v| usize::try_from(v).ok())
    };
    let thumbnail = field(exif::Tag::JPEGInterchangeFormat)
        .zip(field(exif::Tag::JPEGInterchangeFormatLength))
        .and_then(|(at, len)| exif.buf().get(at..at.checked_add(len)?))
        .filter(|bytes| bytes.starts_with(&[0xFF, 0xD8]))
        .map(<[u8]>::to_vec);
    (orientation, thumbnail)
}

/// Parse a TIFF-structured EXIF block, keeping whatever parsed before any error.
fn parse_tiff(data: Vec<u8>) -> Option<Exif> {
    let mut reader = Reader::new();
    reader.continue_on_error(true);
    let result = reader.read_raw(data).or_else(|e| {
        e.distill_partial_result(|errors| {
            tracing::debug!(?errors, "EXIF partly unreadable; using what parsed");
        })
    });
    result
        .map_err(|e| tracing::debug!(error = %e, "EXIF unreadable"))
        .ok()
}

/// HEIF EXIF via kamadak's container reader (ftyp, meta, then the `Exif` item).
fn read_heif(file: &File) -> Option<Exif> {
    let mut handle = file;
    handle
        .seek(SeekFrom::Start(0))
        .map_err(|e| tracing::debug!(error = %e, "seek failed"))
        .ok()?;
    let mut reader = Reader::new();
    reader.continue_on_error(true);
    let result = reader
        .read_from_container(&mut BufReader::new(handle))
        .or_else(|e| {
            e.distill_partial_result(|errors| {
                tracing::debug!(?errors, "HEIF EXIF partly unreadable; using what parsed");
            })
        });
    result
        .map_err(|e| tracing::debug!(error = %e, "HEIF EXIF unreadable"))
        .ok()
}

/// The body of `name` inside `moov/uuid(Canon)`.
fn cr3_block<'a>(moov: &'a [u8], name: &[u8; 4]) -> Option<&'a [u8]> {
    let canon = BoxIter::new(moov)
        .filter(|(kind, _)| kind == b"uuid")
        .find_map(|(_, body)| body.strip_prefix(&CANON_UUID[..]))?;
    find_child(canon, name)
}

/// The EXIF block of a RAF's embedded preview JPEG, whose header is walked with the
/// same checker as any JPEG.
fn read_raf(head: &[u8], file: &File) -> Option<Vec<u8>> {
    let (offset, length) = raf_jpeg_range(head)?;
    let mut handle = file;
    handle.seek(SeekFrom::Start(offset)).ok()?;
    let mut preview = Vec::new();
    handle
        .take(length.min(RAF_HEADER_READ))
        .read_to_end(&mut preview)
        .ok()?;
    let mut checker = JpegChecker::new();
    for chunk in preview.chunks(4096) {
        checker.feed(chunk);
        if checker.header_done() {
            break;
        }
    }
    checker.finish().1.exif
}
