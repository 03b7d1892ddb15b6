//! Camera RAWs: the magic bytes must match, and the image data the header points at
//! must lie inside the file (a RAW cut short by an interrupted copy is caught here).
//! The head of the file is kept: TIFF directories and the RAF header live there.

use std::collections::HashSet;

use super::{truncated_reason, Facts, Verdict};
use crate::{Format, RawKind};

/// Bytes of a RAW kept for the layout check and metadata. TIFF-based RAWs keep their
/// directories, EXIF and maker notes in the first few hundred KB; RAF's header is
/// 160 bytes. (A RAW whose directories lie further in gets no metadata.)
const HEAD_CAP: usize = 1 << 20;
/// Bound on TIFF directories followed, against loops and hostile files.
const MAX_IFDS: usize = 64;
/// Bound on the entries read from one directory.
const MAX_ENTRIES: u16 = 1024;
const RAF_MAGIC: &[u8] = b"FUJIFILMCCD-RAW";

/// Incremental RAW check: keeps the head; everything is judged at the end.
#[derive(Debug)]
pub(crate) struct RawChecker {
    kind: RawKind,
    head: Vec<u8>,
}

impl RawChecker {
    pub(crate) fn new(kind: RawKind) -> Self {
        RawChecker {
            kind,
            head: Vec::new(),
        }
    }

    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        if self.head.capacity() == 0 {
            self.head.reserve_exact(HEAD_CAP);
        }
        let room = HEAD_CAP.saturating_sub(self.head.len());
        self.head
            .extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
    }

    pub(crate) fn finish(self, total: u64) -> (Verdict, Facts) {
        let name = Format::Raw(self.kind).display_name();
        let truncated = || {
            Verdict::Truncated(truncated_reason(&format!(
                "the {name} file ends before its image data"
            )))
        };
        let magics: &[&[u8]] = match self.kind {
            RawKind::Raf => &[RAF_MAGIC],
            RawKind::Orf => &[b"II*\0", b"MM\0*", b"IIRO", b"IIRS", b"MMOR"],
            _ => &[b"II*\0", b"MM\0*"],
        };
        let mut facts = Facts::default();
        let head = &self.head;
        if !magics.iter().any(|m| head.starts_with(m)) {
            let prefix = magics.iter().any(|m| m.starts_with(head));
            let verdict = if prefix {
                truncated()
            } else {
                Verdict::NotFormat
            };
            return (verdict, facts);
        }
        let data_end = if self.kind == RawKind::Raf {
            raf_data_end(head)
        } else {
            let layout = tiff_layout(head);
            facts.width = layout.full_size.map(|s| s.0);
            facts.height = layout.full_size.map(|s| s.1);
            layout.data_end
        };
        facts.head = self.head;
        match data_end {
            Some(end) if end > total => (truncated(), facts),
            _ => (Verdict::Complete, facts),
        }
    }
}

/// Where a RAF's embedded JPEG preview is: (offset, length), from the big-endian
/// header fields at bytes 84 and 88. The preview carries the EXIF.
pub(crate) fn raf_jpeg_range(head: &[u8]) -> Option<(u64, u64)> {
    Some((u64::from(be_u32(head, 84)?), u64::from(be_u32(head, 88)?)))
}

/// End of the furthest data block a RAF header points at (preview JPEG, CFA data).
fn raf_data_end(head: &[u8]) -> Option<u64> {
    let (jpeg_at, jpeg_len) = raf_jpeg_range(head)?;
    let cfa_at = u64::from(be_u32(head, 100)?);
    let cfa_len = u64::from(be_u32(head, 104)?);
    Some((jpeg_at.saturating_add(jpeg_len)).max(cfa_at.saturating_add(cfa_len)))
}

fn be_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        data.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// What the TIFF directories of a RAW say about its data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TiffLayout {
    /// End of the furthest strip, tile or embedded JPEG any directory points at.
    pub data_end: Option<u64>,
    /// Largest full-resolution (not reduced-size) image the directories describe.
    pub full_size: Option<(u32, u32)>,
}

/// Byte order of a TIFF block.
#[derive(Clone, Copy)]
struct Endian {
    little: bool,
}

impl Endian {
    fn u16(self, data: &[u8], at: usize) -> Option<u16> {
        let bytes: [u8; 2] = data.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.little {
            u16::from_le_bytes(bytes)
        } else {
            u16::from_be_bytes(bytes)
        })
    }
    fn u32(self, data: &[u8], at: usize) -> Option<u32> {
        let bytes: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.little {
            u32::from_le_bytes(bytes)
        } else {
            u32::from_be_bytes(bytes)
        })
    }
}

/// One directory entry's integer values (SHORT, LONG or IFD type), read lazily.
struct Entry<'a> {
    data: &'a [u8],
    endian: Endian,
    typ: u16,
    count: u32,
    /// Offset of the first value in `data`.
    at: usize,
}

impl Entry<'_> {
    fn get(&self, index: u32) -> Option<u32> {
        if index >= self.count {
            return None;
        }
        let index = usize::try_from(index).ok()?;
        match self.typ {
            3 => self
                .endian
                .u16(self.data, self.at.checked_add(index.checked_mul(2)?)?)
                .map(u32::from),
            4 | 13 => self
                .endian
                .u32(self.data, self.at.checked_add(index.checked_mul(4)?)?),
            _ => None,
        }
    }
    fn first(&self) -> Option<u32> {
        self.get(0)
    }
}

/// Walks the IFD chain and SubIFDs in `head` (the first bytes of a TIFF-based RAW).
/// Values outside `head` are skipped, so the result is what could be verified.
pub(crate) fn tiff_layout(head: &[u8]) -> TiffLayout {
    let mut layout = TiffLayout::default();
    walk_ifds(head, |ifd| {
        for (offsets, lengths) in [(0x0111, 0x0117), (0x0144, 0x0145), (0x0201, 0x0202)] {
            if let (Some(o), Some(l)) = (ifd.find(offsets), ifd.find(lengths)) {
                for i in 0..o.count.min(l.count).min(1 << 20) {
                    let (Some(start), Some(len)) = (o.get(i), l.get(i)) else {
                        break;
                    };
                    let end = u64::from(start).saturating_add(u64::from(len));
                    layout.data_end = Some(layout.data_end.map_or(end, |e| e.max(end)));
                }
            }
        }
        let reduced = ifd
            .find(0x00FE)
            .and_then(Entry::first)
            .is_some_and(|t| t & 1 == 1);
        let size = ifd
            .find(0x0100)
            .and_then(Entry::first)
            .zip(ifd.find(0x0101).and_then(Entry::first));
        if let (false, Some((w, h))) = (reduced, size) {
            let area = |(w, h): (u32, u32)| u64::from(w) * u64::from(h);
            if layout
                .full_size
                .is_none_or(|best| area((w, h)) > area(best))
                && w > 0
                && h > 0
            {
                layout.full_size = Some((w, h));
            }
        }
    });
    layout
}

/// Byte ranges (offset, length) of the JPEG streams the directories of a TIFF-based
/// RAW point at: JPEGInterchangeFormat pairs, and single-strip images whose
/// Compression says JPEG (CR2's IFD0 preview, DNG preview IFDs) and whose
/// PhotometricInterpretation is not sensor data (CFA, LinearRaw). Some are not
/// decodable previews (CR2's raw data is a lossless JPEG): callers check the frame type.
pub(crate) fn tiff_jpeg_ranges(head: &[u8]) -> Vec<(u64, u64)> {
    let mut ranges = Vec::new();
    walk_ifds(head, |ifd| {
        let pair = |offset: u16, length: u16| {
            let offset = ifd.find(offset)?.first()?;
            let length = ifd.find(length)?.first()?;
            (length > 0).then_some((u64::from(offset), u64::from(length)))
        };
        ranges.extend(pair(0x0201, 0x0202));
        // 6: old-style JPEG (CR2), 7: JPEG, 34892: lossy JPEG (DNG 1.4).
        let jpeg = ifd
            .find(0x0103)
            .and_then(Entry::first)
            .is_some_and(|c| matches!(c, 6 | 7 | 34892));
        let single_strip = ifd.find(0x0111).is_some_and(|e| e.count == 1);
        // CFA or linear sensor data (DNG lossy raw) is JPEG-coded too, but no picture.
        let sensor_data = ifd
            .find(0x0106)
            .and_then(Entry::first)
            .is_some_and(|p| matches!(p, 32803 | 34892));
        if jpeg && single_strip && !sensor_data {
            ranges.extend(pair(0x0111, 0x0117));
        }
    });
    ranges.sort_unstable();
    ranges.dedup();
    ranges
}

/// One directory's entries, looked up by tag.
struct Ifd<'a> {
    entries: Vec<(u16, Entry<'a>)>,
}

impl<'a> Ifd<'a> {
    fn find(&self, tag: u16) -> Option<&Entry<'a>> {
        self.entries.iter().find(|(t, _)| *t == tag).map(|(_, e)| e)
    }
}

/// Calls `visit` for every directory reachable in `head` through the IFD chain and
/// SubIFDs (bounded, loop-safe).
fn walk_ifds<'a>(head: &'a [u8], mut visit: impl FnMut(&Ifd<'a>)) {
    let little = match head.get(..2) {
        Some(b"II") => true,
        Some(b"MM") => false,
        _ => return,
    };
    let endian = Endian { little };
    let mut queue: Vec<u32> = endian.u32(head, 4).into_iter().collect();
    let mut seen = HashSet::new();
    while let Some(offset) = queue.pop() {
        if offset == 0 || seen.len() >= MAX_IFDS || !seen.insert(offset) {
            continue;
        }
        let Ok(offset) = usize::try_from(offset) else {
            continue;
        };
        let Some(count) = endian.u16(head, offset) else {
            continue;
        };
        let mut entries = Vec::new();
        for i in 0..count.min(MAX_ENTRIES) {
            let Some(at) = offset.checked_add(2 + 12 * usize::from(i)) else {
                break;
            };
            let (Some(tag), Some(typ), Some(n)) = (
                endian.u16(head, at),
                endian.u16(head, at + 2),
                endian.u32(head, at + 4),
            ) else {
                break;
            };
            let unit: u64 = if typ == 3 { 2 } else { 4 };
            let inline = u64::from(n).saturating_mul(unit) <= 4;
            let value_at = if inline {
                Some(at + 8)
            } else {
                endian
                    .u32(head, at + 8)
                    .and_then(|o| usize::try_from(o).ok())
            };
            if let Some(value_at) = value_at {
                entries.push((
                    tag,
                    Entry {
                        data: head,
                        endian,
                        typ,
                        count: n,
                        at: value_at,
                    },
                ));
            }
        }
        let ifd = Ifd { entries };
        visit(&ifd);
        if let Some(sub) = ifd.find(0x014A) {
            queue.extend((0..sub.count.min(16)).filter_map(|i| sub.get(i)));
        }
        let next_at = offset.checked_add(2 + 12 * usize::from(count));
        if let Some(next) = next_at.and_then(|at| endian.u32(head, at)) {
            queue.push(next);
        }
    }
}
