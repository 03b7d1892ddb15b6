//! The EXIF tags FindMe uses, gathered from one or more parsed TIFF blocks, and
//! turned into [`Metadata`]. Every value is checked: broken EXIF leaves fields empty.

use exif::{Context, Exif, In, Value};

use super::time::{parse_datetime, parse_offset};
use super::{CaptureTime, Metadata};

// IFD0 (TIFF) tags.
const IMAGE_WIDTH: u16 = 0x0100;
const IMAGE_LENGTH: u16 = 0x0101;
const MAKE: u16 = 0x010F;
const MODEL: u16 = 0x0110;
const ORIENTATION: u16 = 0x0112;
const DATE_TIME: u16 = 0x0132;
// EXIF IFD tags.
const DATE_TIME_ORIGINAL: u16 = 0x9003;
const DATE_TIME_DIGITIZED: u16 = 0x9004;
const OFFSET_TIME: u16 = 0x9010;
const OFFSET_TIME_ORIGINAL: u16 = 0x9011;
const OFFSET_TIME_DIGITIZED: u16 = 0x9012;
const SUB_SEC_TIME: u16 = 0x9290;
const SUB_SEC_TIME_ORIGINAL: u16 = 0x9291;
const SUB_SEC_TIME_DIGITIZED: u16 = 0x9292;
const MAKER_NOTE: u16 = 0x927C;
const PIXEL_X_DIMENSION: u16 = 0xA002;
const PIXEL_Y_DIMENSION: u16 = 0xA003;
const BODY_SERIAL_NUMBER: u16 = 0xA431;
const LENS_SPECIFICATION: u16 = 0xA432;
const LENS_MODEL: u16 = 0xA434;
// Canon maker-note tags.
const CANON_SERIAL_NUMBER: u16 = 0x000C;
const CANON_LENS_MODEL: u16 = 0x0095;
/// Bound on maker-note entries read.
const MAX_MAKER_ENTRIES: u16 = 512;

/// Tags of the primary image: IFD0 and its EXIF sub-IFD, plus the Canon maker-note
/// fallbacks for serial number and lens.
#[derive(Debug, Default)]
pub(crate) struct Tags {
    ifd0: Vec<(u16, Value)>,
    exif: Vec<(u16, Value)>,
    canon_serial: Option<u32>,
    canon_lens: Option<String>,
}

/// Which of [`Tags`]' lists a parsed block fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Block {
    /// An ordinary TIFF/EXIF block: IFD0 with its EXIF sub-IFD.
    Tiff,
    /// A block whose IFD0 holds EXIF-IFD tags (Canon CR3's `CMT2` box).
    ExifOnly,
}

impl Tags {
    /// Collect the primary image's tags of a parsed block.
    pub(crate) fn add(&mut self, exif: &Exif, block: Block) {
        let mut maker_note = None;
        for field in exif.fields().filter(|f| f.ifd_num == In::PRIMARY) {
            let number = field.tag.number();
            match (block, field.tag.context()) {
                (Block::ExifOnly, _) | (Block::Tiff, Context::Exif) => {
                    if number == MAKER_NOTE {
                        if let Value::Undefined(_, offset) = &field.value {
                            maker_note = Some(*offset);
                        }
                    }
                    self.exif.push((number, field.value.clone()));
                }
                (Block::Tiff, Context::Tiff) => self.ifd0.push((number, field.value.clone())),
                _ => {}
            }
        }
        let canon = self
            .string(MAKE)
            .is_some_and(|m| m.to_ascii_lowercase().starts_with("canon"));
        if let (true, Some(offset)) = (canon, maker_note) {
            self.read_canon_maker_note(exif.buf(), exif.little_endian(), offset);
        }
    }

    fn ifd0(&self, tag: u16) -> Option<&Value> {
        self.ifd0.iter().find(|(t, _)| *t == tag).map(|(_, v)| v)
    }

    fn exif(&self, tag: u16) -> Option<&Value> {
        self.exif.iter().find(|(t, _)| *t == tag).map(|(_, v)| v)
    }

    /// A string tag from IFD0 or, failing that, the EXIF IFD.
    fn string(&self, tag: u16) -> Option<String> {
        self.ifd0(tag)
            .and_then(clean_string)
            .or_else(|| self.exif(tag).and_then(clean_string))
    }

    fn exif_string(&self, tag: u16) -> Option<String> {
        self.exif(tag).and_then(clean_string)
    }

    /// PixelXDimension × PixelYDimension from the EXIF IFD.
    pub(crate) fn pixel_size(&self) -> Option<(u32, u32)> {
        let w = self.exif(PIXEL_X_DIMENSION)?.get_uint(0)?;
        let h = self.exif(PIXEL_Y_DIMENSION)?.get_uint(0)?;
        (w > 0 && h > 0).then_some((w, h))
    }

    /// IFD0 ImageWidth × ImageLength (the CR3 `CMT1` block's full image size).
    pub(crate) fn ifd0_size(&self) -> Option<(u32, u32)> {
        let w = self.ifd0(IMAGE_WIDTH)?.get_uint(0)?;
        let h = self.ifd0(IMAGE_LENGTH)?.get_uint(0)?;
        (w > 0 && h > 0).then_some((w, h))
    }

    pub(crate) fn to_metadata(&self) -> Metadata {
        let serial = self
            .exif_string(BODY_SERIAL_NUMBER)
            .or_else(|| self.canon_serial_text());
        let lens = self
            .exif_string(LENS_MODEL)
            .or_else(|| self.canon_lens.clone())
            .or_else(|| self.exif(LENS_SPECIFICATION).and_then(lens_specification));
        let orientation = self
            .ifd0(ORIENTATION)
            .and_then(|v| v.get_uint(0))
            .filter(|o| (1..=8).contains(o))
            .and_then(|o| u16::try_from(o).ok());
        Metadata {
            captured_at: self.capture_time(),
            camera_make: self.string(MAKE),
            camera_model: self.string(MODEL),
            camera_serial: serial,
            lens,
            orientation,
            width: None,
            height: None,
        }
    }

    /// DateTimeOriginal, else DateTimeDigitized, else DateTime (IFD0), each with its
    /// own sub-second and offset tags (the plain OffsetTime as the offset fallback).
    fn capture_time(&self) -> Option<CaptureTime> {
        let candidates = [
            (
                self.exif(DATE_TIME_ORIGINAL),
                SUB_SEC_TIME_ORIGINAL,
                OFFSET_TIME_ORIGINAL,
            ),
            (
                self.exif(DATE_TIME_DIGITIZED),
                SUB_SEC_TIME_DIGITIZED,
                OFFSET_TIME_DIGITIZED,
            ),
            (self.ifd0(DATE_TIME), SUB_SEC_TIME, OFFSET_TIME),
        ];
        candidates
            .into_iter()
            .find_map(|(value, subsec_tag, offset_tag)| {
                let text = clean_string(value?)?;
                let subsec = self.exif_string(subsec_tag);
                let local = parse_datetime(&text, subsec.as_deref())?;
                let offset = [offset_tag, OFFSET_TIME]
                    .into_iter()
                    .find_map(|tag| self.exif_string(tag).as_deref().and_then(parse_offset));
                Some(CaptureTime { local, offset })
            })
    }

    /// Canon prints its 32-bit serial zero-padded (as exiftool and Canon's software do).
    fn canon_serial_text(&self) -> Option<String> {
        let serial = self.canon_serial.filter(|s| *s != 0)?;
        let model = self.string(MODEL).unwrap_or_default();
        Some(if model.contains("EOS D30") {
            format!("{:04x}{:05}", serial >> 16, serial & 0xFFFF)
        } else if model.contains("EOS-1D") {
            format!("{serial:06}")
        } else {
            format!("{serial:010}")
        })
    }

    /// A Canon maker note is a plain IFD whose value offsets are relative to the
    /// start of the TIFF block (`buf`).
    fn read_canon_maker_note(&mut self, buf: &[u8], little: bool, offset: u32) {
        let Ok(start) = usize::try_from(offset) else {
            return;
        };
        let u16_at = |at: usize| -> Option<u16> {
            let b: [u8; 2] = buf.get(at..at.checked_add(2)?)?.try_into().ok()?;
            Some(if little {
                u16::from_le_bytes(b)
            } else {
                u16::from_be_bytes(b)
            })
        };
        let u32_at = |at: usize| -> Option<u32> {
            let b: [u8; 4] = buf.get(at..at.checked_add(4)?)?.try_into().ok()?;
            Some(if little {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            })
        };
        let Some(count) = u16_at(start) else { return };
        for i in 0..count.min(MAX_MAKER_ENTRIES) {
            let Some(at) = start.checked_add(2 + 12 * usize::from(i)) else {
                return;
            };
            let (Some(tag), Some(typ), Some(n)) = (u16_at(at), u16_at(at + 2), u32_at(at + 4))
            else {
                return;
            };
            match (tag, typ) {
                (CANON_SERIAL_NUMBER, 4) if n == 1 => self.canon_serial = u32_at(at + 8),
                (CANON_LENS_MODEL, 2) if n > 4 && n <= 256 => {
                    let text = u32_at(at + 8)
                        .and_then(|o| usize::try_from(o).ok())
                        .and_then(|o| buf.get(o..o.checked_add(usize::try_from(n).ok()?)?));
                    self.canon_lens = text.and_then(|t| clean_bytes(t.split(|b| *b == 0).next()?));
                }
                _ => {}
            }
        }
    }
}

/// The text of an ASCII (or byte/undefined) value, trimmed of NULs and whitespace;
/// None when empty or when it holds control characters (junk serials are common).
fn clean_string(value: &Value) -> Option<String> {
    match value {
        // Only the first string counts: what follows a NUL is padding or junk.
        Value::Ascii(parts) => parts
            .iter()
            .find(|p| !p.is_empty())
            .and_then(|p| clean_bytes(p)),
        Value::Byte(bytes) | Value::Undefined(bytes, _) => {
            clean_bytes(bytes.split(|b| *b == 0).next()?)
        }
        _ => None,
    }
}

fn clean_bytes(bytes: &[u8]) -> Option<String> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        // Old cameras write Latin-1.
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    };
    let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    if text.is_empty() || text.chars().any(char::is_control) {
        return None;
    }
    Some(text.to_string())
}

/// LensSpecification (min/max focal length, min/max f-number) as "18-55mm f/3.5-5.6";
/// None when the focal lengths are unknown (0 or 0/0).
fn lens_specification(value: &Value) -> Option<String> {
    let Value::Rational(parts) = value else {
        return None;
    };
    let num = |i: usize| -> Option<f64> {
        let r = parts.get(i)?;
        (r.denom != 0 && r.num != 0).then(|| r.to_f64())
    };
    let short = |x: f64| {
        let text = format!("{x:.1}");
        text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
    };
    let (min_f, max_f) = (num(0)?, num(1).unwrap_or(num(0)?));
    let focal = if (max_f - min_f).abs() < 0.05 {
        format!("{}mm", short(min_f))
    } else {
        format!("{}-{}mm", short(min_f), short(max_f))
    };
    Some(match (num(2), num(3)) {
        (Some(a), Some(b)) if (b - a).abs() >= 0.05 => {
            format!("{focal} f/{}-{}", short(a), short(b))
        }
        (Some(a), _) => format!("{focal} f/{}", short(a)),
        _ => focal,
    })
}
