//! RAW renditions come from the JPEG previews cameras embed (developing the sensor
//! data is out of scope). Only the header and the chosen preview's byte range are
//! read, never the whole RAW:
//! - CR2, NEF, ARW, DNG, ORF: the TIFF directories (IFD chain and SubIFDs) point at
//!   them (JPEGInterchangeFormat, or a JPEG-compressed strip).
//! - CR3: the `PRVW` box inside the preview `uuid` box, and the `THMB` box in `moov`.
//! - RAF: the JPEG whose offset and length sit at byte 84 of the header.
//!
//! Of the decodable previews (baseline or progressive; CR2's lossless raw data also
//! looks like a JPEG and is skipped) the smallest one that covers the largest request
//! is used, else the largest. Orientation is the RAW's (previews are stored unrotated).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::jpeg::{self, frame};
use super::{Decoded, RenderError};
use crate::structure::{find_child, raf_jpeg_range, tiff_jpeg_ranges, Checked, Facts};
use crate::structure::{BoxIter, StructureChecker};
use crate::{metadata, Completeness, Format, RawKind};

/// Bytes of a TIFF RAW or RAF read for its directories (as the structure check keeps).
const HEAD: u64 = 1 << 20;
/// Largest preview read; real ones are under 10 MB (full-size NEF JpgFromRaw included).
const MAX_PREVIEW: u64 = 64 << 20;
/// First bytes of a candidate preview read to learn its frame type and size: most
/// frame headers are in the first 64 KB, but an EXIF block and maker notes can
/// push it further.
const PROBES: [u64; 2] = [64 * 1024, 1 << 20];
/// Largest CR3 box body read (`moov` and the preview `uuid` box are well under this).
const MAX_CR3_BOX: u64 = 16 << 20;
/// Bound on the top-level CR3 boxes walked.
const MAX_CR3_BOXES: usize = 64;
/// Canon's metadata box inside `moov` (holds `CMT1`… and `THMB`).
const CANON_UUID: [u8; 16] = [
    0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48,
];
/// The top-level box that holds the CR3 `PRVW` preview.
const PREVIEW_UUID: [u8; 16] = [
    0xea, 0xf4, 0x2b, 0x5e, 0x1c, 0x98, 0x4b, 0x88, 0xb9, 0xfb, 0xb7, 0xdc, 0x40, 0x6e, 0x4d, 0x16,
];

fn no_preview() -> RenderError {
    RenderError::NoPreview("this RAW file has no embedded preview".to_string())
}

/// Decode the best embedded preview of the RAW at `path` for `largest`.
pub(super) fn decode_preview(
    path: &Path,
    kind: RawKind,
    largest: u32,
) -> Result<Decoded, RenderError> {
    let mut file = File::open(path)?;
    let file_len = file.metadata()?.len();
    if file_len == 0 {
        return Err(super::empty_file());
    }
    if kind == RawKind::Cr3 {
        return cr3(&mut file, file_len, largest);
    }
    let head = read_at(&mut file, 0, file_len.min(HEAD))?;
    let mut checker = StructureChecker::new(Format::Raw(kind));
    checker.feed(&head);
    let Checked {
        completeness,
        facts,
    } = checker.finish(file_len);
    match completeness {
        Completeness::Complete => {}
        Completeness::Truncated(reason) | Completeness::Invalid(reason) => {
            return Err(RenderError::Corrupt(reason))
        }
    }
    if kind == RawKind::Raf {
        let (offset, len) = raf_jpeg_range(&facts.head).ok_or_else(no_preview)?;
        let preview = Candidate { offset, len };
        let data = preview.read(&mut file, file_len)?.ok_or_else(no_preview)?;
        return jpeg::decode_embedded(&data, largest, None);
    }
    let candidates: Vec<Candidate> = tiff_jpeg_ranges(&facts.head)
        .into_iter()
        .map(|(offset, len)| Candidate { offset, len })
        .collect();
    let orientation = metadata::extract(Format::Raw(kind), facts, &file).orientation;
    let data = best_preview(&mut file, file_len, &candidates, largest)?;
    jpeg::decode_embedded(&data, largest, Some(orientation.unwrap_or(1)))
}

/// A byte range of the file that may hold a JPEG.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    offset: u64,
    len: u64,
}

impl Candidate {
    /// The range's bytes; None when it does not lie inside the file or is implausible.
    fn read(&self, file: &mut File, file_len: u64) -> Result<Option<Vec<u8>>, RenderError> {
        let inside = self
            .offset
            .checked_add(self.len)
            .is_some_and(|end| end <= file_len);
        if !inside || self.len < 4 || self.len > MAX_PREVIEW {
            return Ok(None);
        }
        read_at(file, self.offset, self.len).map(Some)
    }
}

/// The bytes of the preview to decode: of the decodable candidates, the smallest
/// that covers `largest`, else the largest.
fn best_preview(
    file: &mut File,
    file_len: u64,
    candidates: &[Candidate],
    largest: u32,
) -> Result<Vec<u8>, RenderError> {
    let mut usable = Vec::new();
    for candidate in candidates {
        let mut found = None;
        for probe_len in PROBES {
            let probe = Candidate {
                offset: candidate.offset,
                len: candidate.len.min(probe_len),
            };
            let Some(head) = probe.read(file, file_len)? else {
                break;
            };
            found = frame(&head);
            if found.is_some() || probe.len == candidate.len {
                break;
            }
        }
        match found {
            Some(f) if f.decodable() && candidate.len <= MAX_PREVIEW => {
                usable.push((f.width.max(f.height), *candidate));
            }
            other => tracing::debug!(?candidate, frame = ?other, "embedded JPEG skipped"),
        }
    }
    usable.sort_by_key(|(long, _)| *long);
    let chosen = usable
        .iter()
        .find(|(long, _)| *long >= largest)
        .or(usable.last())
        .map(|(_, c)| *c)
        .ok_or_else(no_preview)?;
    chosen.read(file, file_len)?.ok_or_else(no_preview)
}

/// CR3: walk the top-level boxes (bodies skipped with seeks), keep `moov` (metadata
/// and `THMB`) and the preview `uuid` box (`PRVW`).
fn cr3(file: &mut File, file_len: u64, largest: u32) -> Result<Decoded, RenderError> {
    let mut moov = None;
    let mut previews: Vec<Vec<u8>> = Vec::new();
    let mut pos = 0u64;
    for index in 0..MAX_CR3_BOXES {
        if pos >= file_len {
            break;
        }
        let header = read_at(file, pos, file_len.saturating_sub(pos).min(16))?;
        let Some((kind, header_len, size)) = box_header(&header, file_len.saturating_sub(pos))
        else {
            return Err(RenderError::Corrupt(format!(
                "corrupt CR3: unreadable box header at byte {pos}"
            )));
        };
        if index == 0 && (&kind != b"ftyp" || header.get(8..12) != Some(b"crx ")) {
            return Err(RenderError::Corrupt(
                "not a CR3 file: it does not start with a Canon CR3 header".to_string(),
            ));
        }
        let body_at = pos.saturating_add(header_len);
        let body_len = size.saturating_sub(header_len);
        if pos.saturating_add(size) > file_len {
            return Err(RenderError::Corrupt(
                "truncated: the CR3 file ends inside a box (still being copied, or cut short)"
                    .to_string(),
            ));
        }
        if body_len <= MAX_CR3_BOX {
            if &kind == b"moov" && moov.is_none() {
                moov = Some(read_at(file, body_at, body_len)?);
            } else if &kind == b"uuid" && body_len > 16 {
                let id = read_at(file, body_at, 16)?;
                if id == PREVIEW_UUID {
                    let body = read_at(file, body_at, body_len)?;
                    if let Some(jpeg) = cr3_prvw(&body) {
                        previews.push(jpeg.to_vec());
                    }
                }
            }
        }
        pos = pos.saturating_add(size);
    }
    let moov = moov.unwrap_or_default();
    if let Some(thumb) = cr3_thmb(&moov) {
        previews.push(thumb.to_vec());
    }
    let facts = Facts {
        bmff_box: Some(moov),
        ..Facts::default()
    };
    let orientation = metadata::extract(Format::Raw(RawKind::Cr3), facts, file).orientation;
    let mut usable: Vec<(u32, Vec<u8>)> = previews
        .into_iter()
        .filter_map(|p| match frame(&p) {
            Some(f) if f.decodable() => Some((f.width.max(f.height), p)),
            _ => None,
        })
        .collect();
    usable.sort_by_key(|(long, _)| *long);
    let index = usable
        .iter()
        .position(|(long, _)| *long >= largest)
        .unwrap_or(usable.len().saturating_sub(1));
    let (_, data) = usable.get(index).ok_or_else(no_preview)?;
    jpeg::decode_embedded(data, largest, Some(orientation.unwrap_or(1)))
}

/// (type, header length, box size) of the box whose first bytes are `header`, with
/// `left` bytes from its start to the end of the file.
fn box_header(header: &[u8], left: u64) -> Option<([u8; 4], u64, u64)> {
    let size32 = u32::from_be_bytes(header.get(0..4)?.try_into().ok()?);
    let kind: [u8; 4] = header.get(4..8)?.try_into().ok()?;
    let (header_len, size) = match size32 {
        0 => (8, left),
        1 => (16, u64::from_be_bytes(header.get(8..16)?.try_into().ok()?)),
        n => (8, u64::from(n)),
    };
    (size >= header_len).then_some((kind, header_len, size))
}

/// The JPEG in the `PRVW` box of the preview `uuid` box body.
fn cr3_prvw(body: &[u8]) -> Option<&[u8]> {
    // The uuid, 8 bytes of Canon's own, then the PRVW box.
    let at = memchr::memmem::find(body.get(..body.len().min(64))?, b"PRVW")?;
    let prvw = BoxIter::new(body.get(at.checked_sub(4)?..)?)
        .find(|(kind, _)| kind == b"PRVW")?
        .1;
    jpeg_in(prvw)
}

/// The JPEG in `moov/uuid(Canon)/THMB`.
fn cr3_thmb(moov: &[u8]) -> Option<&[u8]> {
    let canon = BoxIter::new(moov)
        .filter(|(kind, _)| kind == b"uuid")
        .find_map(|(_, body)| body.strip_prefix(&CANON_UUID[..]))?;
    jpeg_in(find_child(canon, b"THMB")?)
}

/// The JPEG stream that starts within the first bytes of a Canon preview box body
/// (after its small version/size fields) and runs to the end of the box.
fn jpeg_in(body: &[u8]) -> Option<&[u8]> {
    let at = memchr::memmem::find(body.get(..body.len().min(32))?, &[0xFF, 0xD8, 0xFF])?;
    body.get(at..)
}

/// `len` bytes at `offset`.
fn read_at(file: &mut File, offset: u64, len: u64) -> Result<Vec<u8>, RenderError> {
    let len_usize = usize::try_from(len)
        .map_err(|_| RenderError::TooLarge("the embedded preview is too large".to_string()))?;
    file.seek(SeekFrom::Start(offset))?;
    let mut data = vec![0u8; len_usize];
    file.read_exact(&mut data)?;
    Ok(data)
}
