//! ISO base media files (HEIF/HEIC and Canon CR3): the top-level boxes must add up
//! to exactly the file length, and the first box must be `ftyp` with the right brand.
//! The small top-level box metadata needs (`meta` for HEIF, `moov` for CR3) is kept.

use super::{truncated_reason, Facts, Verdict};

/// Brands that mark a HEIF still image (HEVC-coded or generic image file).
const HEIF_BRANDS: &[&[u8; 4]] = &[
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2",
];
/// Largest `ftyp` body accepted; real ones list a handful of brands.
const MAX_FTYP: u64 = 4096;
/// Largest `meta`/`moov` body kept for metadata (real ones are well under 1 MB).
const MAX_KEPT_BOX: u64 = 16 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavour {
    Heif,
    Cr3,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// Reading a box header: 8 bytes, or 16 with a 64-bit size.
    Header {
        have: u8,
    },
    /// Inside a box body; `left` None when the box runs to the end of the file.
    Body {
        kind: [u8; 4],
        left: Option<u64>,
    },
    Done,
}

/// Incremental ISO-BMFF structure check; see the module docs.
#[derive(Debug)]
pub(crate) struct BmffChecker {
    flavour: Flavour,
    state: State,
    pos: u64,
    header: [u8; 16],
    boxes: u32,
    verdict: Option<Verdict>,
    keep: Option<Vec<u8>>,
    kept: Option<Vec<u8>>,
    /// Whether the box metadata lives in (`meta` / `moov`) was seen at all.
    seen_main: bool,
    seen_mdat: bool,
}

impl BmffChecker {
    pub(crate) fn new(flavour: Flavour) -> Self {
        BmffChecker {
            flavour,
            state: State::Header { have: 0 },
            pos: 0,
            header: [0; 16],
            boxes: 0,
            verdict: None,
            keep: None,
            kept: None,
            seen_main: false,
            seen_mdat: false,
        }
    }

    fn main_box(&self) -> &'static [u8; 4] {
        match self.flavour {
            Flavour::Heif => b"meta",
            Flavour::Cr3 => b"moov",
        }
    }

    pub(crate) fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() && !matches!(self.state, State::Done) {
            let used = self.step(data).max(1);
            self.pos = self.pos.saturating_add(used as u64);
            data = data.get(used..).unwrap_or_default();
        }
    }

    fn step(&mut self, data: &[u8]) -> usize {
        let Some(&byte) = data.first() else { return 0 };
        match self.state {
            State::Done => data.len(),
            State::Header { have } => {
                if let Some(slot) = self.header.get_mut(usize::from(have)) {
                    *slot = byte;
                }
                let have = have.saturating_add(1);
                let large = self.header.get(..4) == Some(&[0, 0, 0, 1]);
                if have == 8 && !large || have == 16 {
                    self.start_box(usize::from(have));
                } else {
                    self.state = State::Header { have };
                }
                1
            }
            State::Body { kind, left: None } => {
                self.keep_bytes(data);
                self.state = State::Body { kind, left: None };
                data.len()
            }
            State::Body {
                kind,
                left: Some(left),
            } => {
                let take = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
                self.keep_bytes(data.get(..take).unwrap_or_default());
                let left = left.saturating_sub(take as u64);
                if left == 0 {
                    self.end_box(kind);
                } else {
                    self.state = State::Body {
                        kind,
                        left: Some(left),
                    };
                }
                take
            }
        }
    }

    fn keep_bytes(&mut self, bytes: &[u8]) {
        if let Some(keep) = self.keep.as_mut() {
            keep.extend_from_slice(bytes);
        }
    }

    fn decide(&mut self, verdict: Verdict) {
        self.verdict = Some(verdict);
        self.state = State::Done;
        self.keep = None;
    }

    fn start_box(&mut self, header_len: usize) {
        let [s0, s1, s2, s3, k0, k1, k2, k3, l0, l1, l2, l3, l4, l5, l6, l7] = self.header;
        let kind = [k0, k1, k2, k3];
        let size32 = u32::from_be_bytes([s0, s1, s2, s3]);
        let at = self.pos.saturating_add(1).saturating_sub(header_len as u64);
        let size = match size32 {
            0 => None,
            1 => Some(u64::from_be_bytes([l0, l1, l2, l3, l4, l5, l6, l7])),
            n => Some(u64::from(n)),
        };
        let first = self.boxes == 0;
        self.boxes = self.boxes.saturating_add(1);
        if first && &kind != b"ftyp" {
            return self.decide(Verdict::NotFormat);
        }
        if !kind.iter().all(|b| (0x20..=0x7E).contains(b)) {
            let reason = format!("corrupt {}: unreadable box type at byte {at}", self.name());
            return self.decide(Verdict::Corrupt(reason));
        }
        let left = match size.map(|s| s.checked_sub(header_len as u64)) {
            None => None,
            Some(Some(left)) => Some(left),
            Some(None) => {
                let reason = format!(
                    "corrupt {}: the '{}' box at byte {at} has an impossible size",
                    self.name(),
                    String::from_utf8_lossy(&kind)
                );
                return self.decide(Verdict::Corrupt(reason));
            }
        };
        let limit = if first { MAX_FTYP } else { MAX_KEPT_BOX };
        if first && left.is_none_or(|l| l > MAX_FTYP) {
            let reason = format!("corrupt {}: the file type box is too large", self.name());
            return self.decide(Verdict::Corrupt(reason));
        }
        if &kind == b"mdat" {
            self.seen_mdat = true;
        }
        let main = &kind == self.main_box();
        if main {
            self.seen_main = true;
        }
        let keep = first || (main && self.kept.is_none() && left.is_some_and(|l| l <= limit));
        self.keep = keep.then(|| Vec::with_capacity(left.unwrap_or(0).min(limit) as usize));
        self.state = State::Body { kind, left };
        if left == Some(0) {
            self.end_box(kind);
        }
    }

    fn end_box(&mut self, kind: [u8; 4]) {
        self.state = State::Header { have: 0 };
        let Some(kept) = self.keep.take() else { return };
        if &kind == b"ftyp" {
            if let Some(verdict) = self.check_brands(&kept) {
                self.decide(verdict);
            }
        } else {
            self.kept = Some(kept);
        }
    }

    /// A verdict when the `ftyp` brands are not this flavour's.
    fn check_brands(&self, ftyp: &[u8]) -> Option<Verdict> {
        let major = ftyp.get(..4).unwrap_or_default();
        let compatible = ftyp.get(8..).unwrap_or_default().chunks_exact(4);
        let mut brands = std::iter::once(major).chain(compatible);
        let shown = String::from_utf8_lossy(major).trim().to_string();
        match self.flavour {
            Flavour::Cr3 if major == b"crx " => None,
            Flavour::Cr3 => Some(Verdict::NotFormat),
            Flavour::Heif if major == b"avif" || major == b"avis" => Some(Verdict::Corrupt(
                "not a HEIF image: this is an AVIF image, which FindMe does not catalogue".to_string(),
            )),
            Flavour::Heif if brands.any(|b| HEIF_BRANDS.iter().any(|h| h.as_slice() == b)) => None,
            Flavour::Heif => Some(Verdict::Corrupt(format!(
                "not a HEIF image: the file declares itself as '{shown}' (a video or other media file)"
            ))),
        }
    }

    fn name(&self) -> &'static str {
        match self.flavour {
            Flavour::Heif => "HEIF",
            Flavour::Cr3 => "CR3",
        }
    }

    pub(crate) fn finish(mut self, total: u64) -> (Verdict, Facts) {
        let mut verdict = match (self.verdict.take(), self.state) {
            (Some(verdict), _) => verdict,
            (None, State::Header { have: 0 } | State::Body { left: None, .. }) => Verdict::Complete,
            (None, State::Body { kind, .. }) => Verdict::Truncated(truncated_reason(&format!(
                "the {} file ends inside its '{}' box",
                self.name(),
                String::from_utf8_lossy(&kind)
            ))),
            (None, _) => Verdict::Truncated(truncated_reason(&format!(
                "the {} file ends in the middle of a box header",
                self.name()
            ))),
        };
        // Boxes that add up are not enough: a copy cut exactly between two boxes
        // looks whole. The image description must be there, and its data inside.
        if verdict == Verdict::Complete {
            let data_end = match self.flavour {
                Flavour::Heif => self.kept.as_deref().and_then(item_data_end),
                Flavour::Cr3 => None,
            };
            let missing = if !self.seen_main {
                Some(format!(
                    "its image description ('{}' box)",
                    String::from_utf8_lossy(self.main_box())
                ))
            } else if self.flavour == Flavour::Cr3 && !self.seen_mdat {
                Some("its image data ('mdat' box)".to_string())
            } else if data_end.is_some_and(|end| end > total) {
                Some("the end of its image data".to_string())
            } else {
                None
            };
            if let Some(what) = missing {
                let reason = format!("the {} file ends before {what}", self.name());
                verdict = Verdict::Truncated(truncated_reason(&reason));
            }
        }
        let mut facts = Facts {
            bmff_box: self.kept,
            ..Facts::default()
        };
        if self.flavour == Flavour::Heif {
            if let Some((w, h)) = facts.bmff_box.as_deref().and_then(primary_size) {
                facts.width = Some(w);
                facts.height = Some(h);
                if verdict == Verdict::Complete {
                    if let Some(bomb) = Verdict::bomb_check(w, h) {
                        return (bomb, facts);
                    }
                }
            }
        }
        (verdict, facts)
    }
}

/// Iterates the boxes laid end to end in `data`, yielding (type, body). Stops at the
/// first malformed box.
pub(crate) struct BoxIter<'a> {
    data: &'a [u8],
}

impl<'a> BoxIter<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        BoxIter { data }
    }
}

impl<'a> Iterator for BoxIter<'a> {
    type Item = ([u8; 4], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let data = self.data;
        let size = u32::from_be_bytes(data.get(0..4)?.try_into().ok()?);
        let kind: [u8; 4] = data.get(4..8)?.try_into().ok()?;
        let (header, total) = match size {
            0 => (8, data.len()),
            1 => {
                let large = u64::from_be_bytes(data.get(8..16)?.try_into().ok()?);
                (16, usize::try_from(large).ok()?)
            }
            n => (8, usize::try_from(n).ok()?),
        };
        let body = data.get(header..total)?;
        self.data = data.get(total..).unwrap_or_default();
        Some((kind, body))
    }
}

/// The body of the first child box of type `kind` among the boxes in `data`.
pub(crate) fn find_child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    BoxIter::new(data)
        .find(|(k, _)| k == kind)
        .map(|(_, body)| body)
}

/// Width and height of the primary item, from the `ispe` property associated with
/// it. `meta` is the body of the top-level `meta` box (a full box).
fn primary_size(meta: &[u8]) -> Option<(u32, u32)> {
    let children = meta.get(4..)?;
    let pitm = find_child(children, b"pitm")?;
    let primary = match pitm.first()? {
        0 => u32::from(u16::from_be_bytes(pitm.get(4..6)?.try_into().ok()?)),
        _ => u32::from_be_bytes(pitm.get(4..8)?.try_into().ok()?),
    };
    let iprp = find_child(children, b"iprp")?;
    let ipco = find_child(iprp, b"ipco")?;
    let ipma = find_child(iprp, b"ipma")?;
    let version = *ipma.first()?;
    let wide_index = ipma.get(3)? & 1 == 1;
    let count = u32::from_be_bytes(ipma.get(4..8)?.try_into().ok()?);
    let mut at = 8usize;
    for _ in 0..count {
        let item = if version < 1 {
            let id = u32::from(u16::from_be_bytes(ipma.get(at..at + 2)?.try_into().ok()?));
            at = at.checked_add(2)?;
            id
        } else {
            let id = u32::from_be_bytes(ipma.get(at..at + 4)?.try_into().ok()?);
            at = at.checked_add(4)?;
            id
        };
        let associations = usize::from(*ipma.get(at)?);
        at = at.checked_add(1)?;
        let width = if wide_index { 2 } else { 1 };
        let list = ipma.get(at..at.checked_add(associations.checked_mul(width)?)?)?;
        at = at.checked_add(list.len())?;
        if item != primary {
            continue;
        }
        for entry in list.chunks_exact(width) {
            let index = match entry {
                [a, b] => usize::from(u16::from_be_bytes([*a, *b]) & 0x7FFF),
                [a] => usize::from(a & 0x7F),
                _ => continue,
            };
            // Property indices are 1-based; 0 means "none".
            let Some((kind, body)) = index.checked_sub(1).and_then(|i| BoxIter::new(ipco).nth(i))
            else {
                continue;
            };
            if &kind == b"ispe" {
                let w = u32::from_be_bytes(body.get(4..8)?.try_into().ok()?);
                let h = u32::from_be_bytes(body.get(8..12)?.try_into().ok()?);
                return (w > 0 && h > 0).then_some((w, h));
            }
        }
        return None;
    }
    None
}

/// End of the furthest item extent stored in the file (iloc construction method 0),
/// from the body of the `meta` box. None when there is no readable `iloc`.
fn item_data_end(meta: &[u8]) -> Option<u64> {
    let iloc = find_child(meta.get(4..)?, b"iloc")?;
    let mut r = Cursor { data: iloc, at: 0 };
    let version = r.uint(1)?;
    r.uint(3)?; // flags
    let sizes = r.uint(2)?;
    let (offset_size, length_size, base_size) =
        (sizes >> 12, (sizes >> 8) & 0xF, (sizes >> 4) & 0xF);
    let index_size = if version == 1 || version == 2 {
        sizes & 0xF
    } else {
        0
    };
    let items = r.uint(if version < 2 { 2 } else { 4 })?;
    let mut end = 0u64;
    for _ in 0..items {
        r.uint(if version < 2 { 2 } else { 4 })?; // item id
        let method = if version == 1 || version == 2 {
            r.uint(2)? & 0xF
        } else {
            0
        };
        r.uint(2)?; // data reference index
        let base = r.uint(usize::try_from(base_size).ok()?)?;
        let extents = r.uint(2)?;
        for _ in 0..extents {
            r.uint(usize::try_from(index_size).ok()?)?;
            let offset = r.uint(usize::try_from(offset_size).ok()?)?;
            let length = r.uint(usize::try_from(length_size).ok()?)?;
            if method == 0 {
                end = end.max(base.saturating_add(offset).saturating_add(length));
            }
        }
    }
    Some(end)
}

/// Big-endian reader over a box body.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    /// An unsigned big-endian integer of `size` bytes (0, 1, 2, 3, 4 or 8).
    fn uint(&mut self, size: usize) -> Option<u64> {
        if size > 8 {
            return None;
        }
        let bytes = self.data.get(self.at..self.at.checked_add(size)?)?;
        self.at = self.at.checked_add(size)?;
        Some(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }
}
