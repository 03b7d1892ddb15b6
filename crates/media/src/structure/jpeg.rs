//! Streaming JPEG walker: marker segments by their lengths, entropy-coded scan data
//! searched with memchr (this runs at hashing speed over multi-GB imports), complete
//! at the primary image's end-of-image marker. Bytes after it are allowed: MPO second
//! images, motion-photo MP4 trailers and padding all live there.

use super::{truncated_reason, Facts, Verdict};

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP1: u8 = 0xE1;
/// The EXIF APP1 payload starts with this identifier; the TIFF block follows.
const EXIF_ID: &[u8] = b"Exif\0\0";

#[derive(Debug, Clone, Copy)]
enum State {
    /// Expecting the start-of-image marker; `got` bytes of it seen.
    Soi { got: u8 },
    /// Expecting the 0xFF that starts the next marker.
    Marker,
    /// Seen 0xFF; expecting a marker code (more 0xFF are fill bytes).
    Code,
    /// Reading a segment's 2-byte big-endian length.
    Length { code: u8, high: Option<u8> },
    /// Inside a segment's payload.
    Segment { code: u8, remaining: u16 },
    /// Entropy-coded data after SOS; `ff` when the last byte was 0xFF.
    Scan { ff: bool },
    /// Judged (complete, or corrupt): later bytes are not looked at.
    Done,
}

/// Incremental JPEG structure check; see the module docs.
#[derive(Debug)]
pub(crate) struct JpegChecker {
    state: State,
    /// Offset of the next byte to be consumed, for error messages.
    pos: u64,
    verdict: Option<Verdict>,
    seen_sos: bool,
    /// Width and height from the first frame header.
    sof: Option<(u32, u32)>,
    exif: Option<Vec<u8>>,
    /// Payload of the segment being kept (frame header or APP1), if any.
    keep: Option<Vec<u8>>,
}

impl Default for JpegChecker {
    fn default() -> Self {
        Self::new()
    }
}

impl JpegChecker {
    pub(crate) fn new() -> Self {
        JpegChecker {
            state: State::Soi { got: 0 },
            pos: 0,
            verdict: None,
            seen_sos: false,
            sof: None,
            exif: None,
            keep: None,
        }
    }

    /// True once nothing later in the stream can change what metadata needs: the
    /// EXIF block has been found or the first scan has started. Used to read only
    /// the header of an embedded JPEG (RAF previews).
    pub(crate) fn header_done(&self) -> bool {
        self.exif.is_some() || self.seen_sos || matches!(self.state, State::Done)
    }

    pub(crate) fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let used = self.step(data);
            self.pos = self.pos.saturating_add(used as u64);
            data = data.get(used..).unwrap_or_default();
            if matches!(self.state, State::Done) {
                return;
            }
        }
    }

    /// Consume a prefix of `data` (at least one byte) and return its length.
    fn step(&mut self, data: &[u8]) -> usize {
        let Some(&byte) = data.first() else { return 0 };
        match self.state {
            State::Done => data.len(),
            State::Soi { got } => {
                let expected = if got == 0 { 0xFF } else { SOI };
                if byte != expected {
                    self.decide(Verdict::NotFormat);
                } else if got == 0 {
                    self.state = State::Soi { got: 1 };
                } else {
                    self.state = State::Marker;
                }
                1
            }
            State::Marker => {
                if byte == 0xFF {
                    self.state = State::Code;
                } else {
                    let reason = format!(
                        "corrupt JPEG: expected a marker at byte {}, found 0x{byte:02X}",
                        self.pos
                    );
                    self.decide(Verdict::Corrupt(reason));
                }
                1
            }
            State::Code => {
                if byte != 0xFF {
                    self.on_marker(byte, self.pos);
                }
                1
            }
            State::Length { code, high: None } => {
                self.state = State::Length {
                    code,
                    high: Some(byte),
                };
                1
            }
            State::Length {
                code,
                high: Some(high),
            } => {
                let length = u16::from_be_bytes([high, byte]);
                match length.checked_sub(2) {
                    Some(remaining) => self.start_segment(code, remaining),
                    None => {
                        let reason = format!(
                            "corrupt JPEG: the segment before byte {} has an impossible length ({length})",
                            self.pos
                        );
                        self.decide(Verdict::Corrupt(reason));
                    }
                }
                1
            }
            State::Segment { code, remaining } => {
                let take = usize::from(remaining).min(data.len());
                if let Some(keep) = self.keep.as_mut() {
                    keep.extend_from_slice(data.get(..take).unwrap_or_default());
                }
                // `take` <= `remaining`, a u16.
                let left = remaining.saturating_sub(u16::try_from(take).unwrap_or(u16::MAX));
                if left == 0 {
                    self.end_segment(code);
                } else {
                    self.state = State::Segment {
                        code,
                        remaining: left,
                    };
                }
                take
            }
            State::Scan { ff: true } => {
                match byte {
                    // Stuffed zero, restart markers: still scan data. 0xFF: fill.
                    0x00 | 0xD0..=0xD7 => self.state = State::Scan { ff: false },
                    0xFF => {}
                    code => self.on_marker(code, self.pos),
                }
                1
            }
            State::Scan { ff: false } => self.scan(data),
        }
    }

    /// Skip entropy-coded data up to the next real marker (0xFF followed by neither a
    /// stuffed zero nor a restart code), which is handled; returns the bytes consumed.
    /// Loops here rather than per byte: this runs over every byte of every photo.
    fn scan(&mut self, data: &[u8]) -> usize {
        let mut from = 0;
        loop {
            let Some(at) = data
                .get(from..)
                .and_then(|rest| memchr::memchr(0xFF, rest))
                .map(|i| from.saturating_add(i))
            else {
                return data.len();
            };
            let next = at.saturating_add(1);
            match data.get(next) {
                None => {
                    self.state = State::Scan { ff: true };
                    return data.len();
                }
                Some(0x00 | 0xD0..=0xD7) => from = next.saturating_add(1),
                Some(0xFF) => from = next,
                Some(&code) => {
                    self.on_marker(code, self.pos.saturating_add(next as u64));
                    return next.saturating_add(1);
                }
            }
        }
    }

    fn decide(&mut self, verdict: Verdict) {
        self.verdict = Some(verdict);
        self.state = State::Done;
        self.keep = None;
    }

    /// A marker code has been read at offset `at` (the 0xFF before it was consumed).
    fn on_marker(&mut self, code: u8, at: u64) {
        match code {
            EOI if self.seen_sos => self.decide(Verdict::Complete),
            EOI => self.decide(Verdict::Corrupt(
                "corrupt JPEG: the image ends before any image data".to_string(),
            )),
            SOI => {
                let reason = format!("corrupt JPEG: a second start-of-image marker at byte {at}");
                self.decide(Verdict::Corrupt(reason));
            }
            // Stand-alone markers without a length.
            0x01 | 0xD0..=0xD7 => self.state = State::Marker,
            0x00 => {
                let reason = format!("corrupt JPEG: an invalid marker at byte {at}");
                self.decide(Verdict::Corrupt(reason));
            }
            _ => self.state = State::Length { code, high: None },
        }
    }

    fn start_segment(&mut self, code: u8, remaining: u16) {
        let keep_sof = is_sof(code) && self.sof.is_none();
        let keep_exif = code == APP1 && self.exif.is_none() && !self.seen_sos;
        self.keep = (keep_sof || keep_exif).then(|| Vec::with_capacity(usize::from(remaining)));
        if remaining == 0 {
            self.end_segment(code);
        } else {
            self.state = State::Segment { code, remaining };
        }
    }

    fn end_segment(&mut self, code: u8) {
        self.state = State::Marker;
        let kept = self.keep.take();
        if is_sof(code) {
            if let Some(payload) = kept {
                if let Some(verdict) = self.frame_header(&payload) {
                    self.decide(verdict);
                }
            }
        } else if code == APP1 {
            if let Some(tiff) = kept.as_deref().and_then(|p| p.strip_prefix(EXIF_ID)) {
                self.exif = Some(tiff.to_vec());
            }
        } else if code == SOS {
            if self.sof.is_none() {
                self.decide(Verdict::Corrupt(
                    "corrupt JPEG: image data starts before the frame header".to_string(),
                ));
                return;
            }
            self.seen_sos = true;
            self.state = State::Scan { ff: false };
        }
    }

    /// Record the frame size; a verdict when the header is unusable or a bomb.
    fn frame_header(&mut self, payload: &[u8]) -> Option<Verdict> {
        let (Some(&[h1, h2]), Some(&[w1, w2])) = (payload.get(1..3), payload.get(3..5)) else {
            return Some(Verdict::Corrupt(
                "corrupt JPEG: the frame header is too short".to_string(),
            ));
        };
        let height = u32::from(u16::from_be_bytes([h1, h2]));
        let width = u32::from(u16::from_be_bytes([w1, w2]));
        if width == 0 {
            return Some(Verdict::Corrupt(
                "corrupt JPEG: the frame header says the image is 0 pixels wide".to_string(),
            ));
        }
        self.sof = Some((width, height));
        Verdict::bomb_check(width, height)
    }

    pub(crate) fn finish(mut self) -> (Verdict, Facts) {
        let verdict = self.verdict.take().unwrap_or_else(|| {
            Verdict::Truncated(truncated_reason(
                "the JPEG ends before its end-of-image marker",
            ))
        });
        let (width, height) = match self.sof {
            // Height 0 means "defined later by a DNL marker": unknown here.
            Some((w, h)) if h > 0 => (Some(w), Some(h)),
            _ => (None, None),
        };
        let facts = Facts {
            width,
            height,
            exif: self.exif,
            ..Facts::default()
        };
        (verdict, facts)
    }
}

/// Start-of-frame markers (all coding processes), which carry the image size.
fn is_sof(code: u8) -> bool {
    matches!(code, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF)
}
