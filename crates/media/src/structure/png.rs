//! Streaming PNG walker: signature, then chunks by their lengths; the IHDR header
//! gives the size, IEND ends the image. CRCs are not verified (decoders do that).

use super::{truncated_reason, Facts, Verdict};

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
/// Chunk lengths above 2^31-1 are forbidden by the PNG specification.
const MAX_CHUNK: u32 = 0x7FFF_FFFF;
/// Largest eXIf chunk kept for metadata; real ones are a few KB.
const MAX_EXIF: u32 = 1 << 20;

#[derive(Debug, Clone, Copy)]
enum State {
    Signature {
        got: u8,
    },
    /// Reading a chunk's length and type.
    Header {
        have: u8,
    },
    /// Inside a chunk's data plus its 4-byte CRC.
    Body {
        kind: [u8; 4],
        data_left: u32,
        crc_left: u8,
    },
    Done,
}

/// Incremental PNG structure check; see the module docs.
#[derive(Debug)]
pub(crate) struct PngChecker {
    state: State,
    pos: u64,
    header: [u8; 8],
    verdict: Option<Verdict>,
    size: Option<(u32, u32)>,
    seen_idat: bool,
    exif: Option<Vec<u8>>,
    keep: Option<Vec<u8>>,
}

impl PngChecker {
    pub(crate) fn new() -> Self {
        PngChecker {
            state: State::Signature { got: 0 },
            pos: 0,
            header: [0; 8],
            verdict: None,
            size: None,
            seen_idat: false,
            exif: None,
            keep: None,
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
            State::Signature { got } => {
                if SIGNATURE.get(usize::from(got)) != Some(&byte) {
                    self.decide(Verdict::NotFormat);
                } else if usize::from(got) + 1 == SIGNATURE.len() {
                    self.state = State::Header { have: 0 };
                } else {
                    self.state = State::Signature { got: got + 1 };
                }
                1
            }
            State::Header { have } => {
                if let Some(slot) = self.header.get_mut(usize::from(have)) {
                    *slot = byte;
                }
                if have < 7 {
                    self.state = State::Header { have: have + 1 };
                } else {
                    self.start_chunk();
                }
                1
            }
            State::Body {
                kind,
                data_left,
                crc_left,
            } if data_left > 0 => {
                let take = usize::try_from(data_left)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                if let Some(keep) = self.keep.as_mut() {
                    keep.extend_from_slice(data.get(..take).unwrap_or_default());
                }
                let data_left = data_left.saturating_sub(u32::try_from(take).unwrap_or(u32::MAX));
                self.state = State::Body {
                    kind,
                    data_left,
                    crc_left,
                };
                if data_left == 0 {
                    self.end_data(kind);
                }
                take
            }
            State::Body { kind, crc_left, .. } => {
                let take = usize::from(crc_left).min(data.len());
                let crc_left = crc_left.saturating_sub(u8::try_from(take).unwrap_or(u8::MAX));
                if crc_left > 0 {
                    self.state = State::Body {
                        kind,
                        data_left: 0,
                        crc_left,
                    };
                } else if &kind == b"IEND" {
                    self.decide(self.end_verdict());
                } else {
                    self.state = State::Header { have: 0 };
                }
                take
            }
        }
    }

    fn decide(&mut self, verdict: Verdict) {
        self.verdict = Some(verdict);
        self.state = State::Done;
        self.keep = None;
    }

    fn start_chunk(&mut self) {
        let [l0, l1, l2, l3, t0, t1, t2, t3] = self.header;
        let length = u32::from_be_bytes([l0, l1, l2, l3]);
        let kind = [t0, t1, t2, t3];
        // `pos` is the offset of the last header byte.
        let at = self.pos.saturating_sub(7);
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            let reason = format!(
                "corrupt PNG: unreadable chunk type at byte {}",
                at.saturating_add(4)
            );
            return self.decide(Verdict::Corrupt(reason));
        }
        let name = String::from_utf8_lossy(&kind).into_owned();
        if length > MAX_CHUNK {
            let reason =
                format!("corrupt PNG: the '{name}' chunk at byte {at} claims {length} bytes");
            return self.decide(Verdict::Corrupt(reason));
        }
        let first = self.size.is_none();
        if first && (&kind != b"IHDR" || length != 13) {
            let reason =
                format!("corrupt PNG: the first chunk is '{name}', not a valid IHDR header");
            return self.decide(Verdict::Corrupt(reason));
        }
        if &kind == b"IDAT" {
            self.seen_idat = true;
        }
        let keep_exif = &kind == b"eXIf" && self.exif.is_none() && length <= MAX_EXIF;
        self.keep = (first || keep_exif).then(|| Vec::with_capacity(length as usize));
        self.state = State::Body {
            kind,
            data_left: length,
            crc_left: 4,
        };
        if length == 0 {
            self.end_data(kind);
        }
    }

    fn end_data(&mut self, kind: [u8; 4]) {
        let Some(kept) = self.keep.take() else { return };
        if &kind == b"eXIf" {
            self.exif = Some(kept);
            return;
        }
        // The IHDR chunk (the first, 13 bytes long).
        let (Some(&[w0, w1, w2, w3]), Some(&[h0, h1, h2, h3])) = (kept.get(0..4), kept.get(4..8))
        else {
            return;
        };
        let width = u32::from_be_bytes([w0, w1, w2, w3]);
        let height = u32::from_be_bytes([h0, h1, h2, h3]);
        if width == 0 || height == 0 || width > MAX_CHUNK || height > MAX_CHUNK {
            let reason =
                format!("corrupt PNG: the header claims an impossible size ({width}×{height})");
            return self.decide(Verdict::Corrupt(reason));
        }
        self.size = Some((width, height));
        if let Some(bomb) = Verdict::bomb_check(width, height) {
            self.decide(bomb);
        }
    }

    fn end_verdict(&self) -> Verdict {
        if self.seen_idat {
            Verdict::Complete
        } else {
            Verdict::Corrupt("corrupt PNG: the image ends without any image data".to_string())
        }
    }

    pub(crate) fn finish(mut self) -> (Verdict, Facts) {
        let verdict = self.verdict.take().unwrap_or_else(|| {
            Verdict::Truncated(truncated_reason("the PNG ends before its IEND chunk"))
        });
        let facts = Facts {
            width: self.size.map(|s| s.0),
            height: self.size.map(|s| s.1),
            exif: self.exif,
            ..Facts::default()
        };
        (verdict, facts)
    }
}
