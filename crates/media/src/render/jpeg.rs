//! JPEG decoding with libjpeg-turbo (the system library, TurboJPEG 2.x API): DCT
//! scaling picks the smallest of 1/8 … 8/8 that still covers the largest request, so
//! a 24 MP photo for a 320 px thumbnail decodes as 750×500 without an IDCT at full size.
//!
//! libjpeg-turbo reports damaged data either as an error or as a warning after which
//! it has filled the rest of the image with grey. A warning that the data ended early
//! ("Premature end of JPEG file") is refused as [`RenderError::Corrupt`]: a half-grey
//! thumbnail would look like a real photo. Other warnings (e.g. stray bytes between
//! markers, common in camera files) are logged and the picture is used.

use std::ffi::CStr;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use turbojpeg::raw;

use super::pixels::Rgb;
use super::{bomb_check, Decoded, RenderError, RenditionSource};
use crate::metadata::orientation_and_thumbnail;
use crate::structure::JpegChecker;

/// JPEG files larger than this are not read into memory (no camera writes them).
const MAX_JPEG_FILE: u64 = 512 << 20;
/// Bytes walked for the EXIF block (APP1 is at most 64 KB and comes first).
const EXIF_SEARCH: usize = 1 << 20;
/// An EXIF thumbnail is used only if its aspect ratio is within this fraction of the
/// photo's: many cameras pad 3:2 photos into 4:3 (160×120) thumbnails.
const THUMB_ASPECT_TOLERANCE: f64 = 0.01;

/// libjpeg's message for data that ends before the image does.
const EARLY_END: &str = "Premature end of JPEG file";

/// Renders a JPEG file: EXIF orientation and thumbnail from its header, then the
/// thumbnail if it covers `largest`, else the photo at the best DCT scale.
pub(super) fn decode_file(path: &Path, largest: u32) -> Result<Decoded, RenderError> {
    let data = read_file(path)?;
    let (orientation, thumbnail) = header_exif(&data);
    let orientation = orientation.unwrap_or(1);
    let decoder = Decoder::new()?;
    let header = decoder.header(&data)?;
    bomb_check(header.width, header.height)?;
    if let Some(thumb) = thumbnail.as_deref() {
        match decoder.header(thumb) {
            Ok(th) if thumbnail_fits(&th, &header, largest) => {
                match decode_scaled(&decoder, thumb, &th, largest) {
                    Ok((rgb, n)) => {
                        return Ok(Decoded {
                            rgb,
                            aspect: (header.width, header.height),
                            extent: extent(&th, n),
                            orientation,
                            source: RenditionSource::EmbeddedPreview,
                        });
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "EXIF thumbnail unusable; decoding the photo")
                    }
                }
            }
            _ => {}
        }
    }
    let (rgb, scale) = decode_scaled(&decoder, &data, &header, largest)?;
    let source = match scale {
        8 => RenditionSource::FullDecode,
        // n/8 in lowest terms: 2/8 is reported as 1/4.
        n => {
            let divisor = [4, 2, 1].into_iter().find(|d| n % d == 0).unwrap_or(1);
            RenditionSource::ScaledDecode {
                numerator: n / divisor,
                denominator: 8 / divisor,
            }
        }
    };
    Ok(Decoded {
        rgb,
        aspect: (header.width, header.height),
        extent: extent(&header, scale),
        orientation,
        source,
    })
}

/// Decodes an embedded JPEG (a RAW's preview) at the best scale for `largest`;
/// `orientation` is the RAW's, as previews are stored unrotated. With None, the
/// preview's own EXIF decides (RAF previews carry the RAW's EXIF).
pub(super) fn decode_embedded(
    data: &[u8],
    largest: u32,
    orientation: Option<u16>,
) -> Result<Decoded, RenderError> {
    let orientation = orientation.or_else(|| header_exif(data).0).unwrap_or(1);
    let decoder = Decoder::new()?;
    let header = decoder.header(data)?;
    bomb_check(header.width, header.height)?;
    let (rgb, n) = decode_scaled(&decoder, data, &header, largest)?;
    Ok(Decoded {
        rgb,
        aspect: (header.width, header.height),
        extent: extent(&header, n),
        orientation,
        source: RenditionSource::EmbeddedPreview,
    })
}

/// The whole file, refusing absurd sizes before allocating.
fn read_file(path: &Path) -> Result<Vec<u8>, RenderError> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    if len > MAX_JPEG_FILE {
        return Err(RenderError::TooLarge(format!(
            "the JPEG file is {} MB; FindMe renders JPEGs up to {} MB",
            len >> 20,
            MAX_JPEG_FILE >> 20
        )));
    }
    let mut data = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    file.take(MAX_JPEG_FILE + 1).read_to_end(&mut data)?;
    if data.is_empty() {
        return Err(super::empty_file());
    }
    Ok(data)
}

/// Orientation and EXIF thumbnail from the APP1 block of an in-memory JPEG, found by
/// the same header walker the structure check uses.
fn header_exif(data: &[u8]) -> (Option<u16>, Option<Vec<u8>>) {
    let mut checker = JpegChecker::new();
    for chunk in data
        .get(..EXIF_SEARCH.min(data.len()))
        .unwrap_or_default()
        .chunks(16 * 1024)
    {
        checker.feed(chunk);
        if checker.header_done() {
            break;
        }
    }
    match checker.finish().1.exif {
        Some(tiff) => orientation_and_thumbnail(tiff),
        None => (None, None),
    }
}

/// Whether an EXIF thumbnail can stand in for the photo: it covers the largest
/// request, is not larger than the photo, and has the photo's aspect ratio.
fn thumbnail_fits(thumb: &Header, photo: &Header, largest: u32) -> bool {
    let covers = thumb.width.max(thumb.height) >= largest;
    let smaller = thumb.width <= photo.width && thumb.height <= photo.height;
    let ratio = |w: u32, h: u32| f64::from(w) / f64::from(h.max(1));
    let (t, p) = (
        ratio(thumb.width, thumb.height),
        ratio(photo.width, photo.height),
    );
    covers && smaller && (t - p).abs() <= p * THUMB_ASPECT_TOLERANCE
}

/// The smallest scale n/8 (n = 1..=8) whose decoded long edge covers `largest`
/// (8 when none does: the photo is no bigger than the request).
pub(super) fn choose_scale(width: u32, height: u32, largest: u32) -> u8 {
    let long = width.max(height);
    (1..=8u8).find(|&n| scaled(long, n) >= largest).unwrap_or(8)
}

/// The exact picture area of a decode at n/8 (see [`Decoded::extent`]).
fn extent(header: &Header, n: u8) -> (f64, f64) {
    let scale = f64::from(n) / 8.0;
    (
        f64::from(header.width) * scale,
        f64::from(header.height) * scale,
    )
}

/// libjpeg's scaled size: ceil(size × n / 8).
pub(super) fn scaled(size: u32, n: u8) -> u32 {
    let n = u64::from(n);
    u32::try_from((u64::from(size) * n).div_ceil(8)).unwrap_or(u32::MAX)
}

/// Decode `data` (whose header is `header`) at the best scale for `largest`, as RGB.
/// Returns the pixels and the scale numerator (over 8).
fn decode_scaled(
    decoder: &Decoder,
    data: &[u8],
    header: &Header,
    largest: u32,
) -> Result<(Rgb, u8), RenderError> {
    let n = choose_scale(header.width, header.height, largest);
    let (w, h) = (scaled(header.width, n), scaled(header.height, n));
    let rgb = match header.colorspace {
        cs if cs == raw::TJCS_TJCS_CMYK as i32 || cs == raw::TJCS_TJCS_YCCK as i32 => {
            let cmyk = decoder.decode(data, w, h, 4, raw::TJPF_TJPF_CMYK)?;
            cmyk_to_rgb(&cmyk, w, h)
        }
        _ => {
            let data = decoder.decode(data, w, h, 3, raw::TJPF_TJPF_RGB)?;
            Rgb {
                data,
                width: w,
                height: h,
            }
        }
    };
    Ok((rgb, n))
}

/// CMYK as stored by Adobe applications (inverted: 255 = no ink) to RGB, without
/// colour management: R = C·K/255 on the stored values.
fn cmyk_to_rgb(cmyk: &[u8], width: u32, height: u32) -> Rgb {
    let mut data = Vec::with_capacity(cmyk.len() / 4 * 3);
    for px in cmyk.chunks_exact(4) {
        if let [c, m, y, k] = *px {
            let k = u16::from(k);
            let ink = |v: u8| ((u16::from(v) * k + 127) / 255) as u8;
            data.extend_from_slice(&[ink(c), ink(m), ink(y)]);
        }
    }
    Rgb {
        data,
        width,
        height,
    }
}

/// What TurboJPEG reads from a JPEG header.
pub(super) struct Header {
    pub width: u32,
    pub height: u32,
    pub colorspace: i32,
}

/// A TurboJPEG decompressor handle (one per call: creating one costs microseconds).
struct Decoder(raw::tjhandle);

impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: the handle came from tjInitDecompress and is destroyed once.
        unsafe {
            raw::tjDestroy(self.0);
        }
    }
}

impl Decoder {
    fn new() -> Result<Decoder, RenderError> {
        // SAFETY: plain constructor; a null handle is checked below.
        let handle = unsafe { raw::tjInitDecompress() };
        if handle.is_null() {
            return Err(RenderError::Io(std::io::Error::other(
                "the JPEG decoder could not be started (out of memory?)",
            )));
        }
        Ok(Decoder(handle))
    }

    fn message(&self) -> String {
        // SAFETY: tjGetErrorStr2 returns a NUL-terminated string owned by the handle
        // (or a static one), valid until the next call on it; copied at once.
        let text = unsafe { CStr::from_ptr(raw::tjGetErrorStr2(self.0)) };
        text.to_string_lossy().trim().to_string()
    }

    /// The header as TurboJPEG reads it; for a frame whose chroma sampling TurboJPEG
    /// 2.x cannot name (it refuses those headers, but decodes them), the size and
    /// colour model from the frame header itself.
    fn header(&self, data: &[u8]) -> Result<Header, RenderError> {
        self.tj_header(data).or_else(|e| {
            let f = frame(data).filter(Frame::decodable).ok_or(e)?;
            tracing::debug!("JPEG header read from its frame (unusual chroma sampling)");
            let colorspace = match f.components {
                1 => raw::TJCS_TJCS_GRAY,
                4 => raw::TJCS_TJCS_CMYK,
                _ => raw::TJCS_TJCS_YCbCr,
            };
            Ok(Header {
                width: f.width,
                height: f.height,
                colorspace: colorspace as i32,
            })
        })
    }

    fn tj_header(&self, data: &[u8]) -> Result<Header, RenderError> {
        let len = libc_ulong(data.len())?;
        let (mut width, mut height, mut subsamp, mut colorspace) = (0, 0, 0, 0);
        // SAFETY: `data` is valid for `len` bytes; the out-pointers are live locals.
        let res = unsafe {
            raw::tjDecompressHeader3(
                self.0,
                data.as_ptr(),
                len,
                &mut width,
                &mut height,
                &mut subsamp,
                &mut colorspace,
            )
        };
        if res != 0 {
            return Err(corrupt(&self.message()));
        }
        match (u32::try_from(width), u32::try_from(height)) {
            (Ok(width), Ok(height)) if width > 0 && height > 0 => Ok(Header {
                width,
                height,
                colorspace,
            }),
            _ => Err(RenderError::Corrupt(format!(
                "corrupt JPEG: the header claims an impossible size ({width}×{height})"
            ))),
        }
    }

    /// Decode into a `width`×`height` buffer of `bytes_per_pixel`; TurboJPEG picks
    /// the DCT scale that produces exactly that size (the caller computed it with
    /// libjpeg's rounding), and never writes more than `pitch × height` bytes.
    fn decode(
        &self,
        data: &[u8],
        width: u32,
        height: u32,
        bytes_per_pixel: u32,
        format: raw::TJPF,
    ) -> Result<Vec<u8>, RenderError> {
        let too_big =
            || RenderError::TooLarge("the decoded picture would not fit in memory".into());
        let pitch = width.checked_mul(bytes_per_pixel).ok_or_else(too_big)?;
        let total = usize::try_from(u64::from(pitch) * u64::from(height)).map_err(|_| too_big())?;
        let c_int = |v: u32| i32::try_from(v).map_err(|_| too_big());
        let (c_width, c_pitch, c_height) = (c_int(width)?, c_int(pitch)?, c_int(height)?);
        let mut pixels = vec![0u8; total];
        let len = libc_ulong(data.len())?;
        // SAFETY: `data` is valid for `len` bytes; `pixels` holds pitch × height bytes,
        // the most TurboJPEG writes for these arguments.
        let res = unsafe {
            raw::tjDecompress2(
                self.0,
                data.as_ptr(),
                len,
                pixels.as_mut_ptr(),
                c_width,
                c_pitch,
                c_height,
                format,
                0,
            )
        };
        if res != 0 {
            let message = self.message();
            // SAFETY: the handle is valid.
            let code = unsafe { raw::tjGetErrorCode(self.0) };
            let warning = code == raw::TJERR_TJERR_WARNING as i32;
            if !warning || message.contains(EARLY_END) {
                return Err(corrupt(&message));
            }
            tracing::debug!(warning = %message, "JPEG decoded with a warning");
        }
        Ok(pixels)
    }
}

fn libc_ulong(len: usize) -> Result<turbojpeg::libc::c_ulong, RenderError> {
    turbojpeg::libc::c_ulong::try_from(len)
        .map_err(|_| RenderError::TooLarge("the JPEG data is too large".to_string()))
}

/// A decoder message as a photographer-readable reason.
fn corrupt(message: &str) -> RenderError {
    if message.contains(EARLY_END) {
        return RenderError::Corrupt(
            "truncated: the JPEG data ends before the picture does (still being copied, or cut short)"
                .to_string(),
        );
    }
    let message = message.trim_end_matches('.');
    RenderError::Corrupt(format!("corrupt JPEG: {message}"))
}

/// What a JPEG's start-of-frame header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Frame {
    /// The SOF marker code (0xC0 baseline, 0xC2 progressive, 0xC3 lossless, ...).
    pub code: u8,
    pub width: u32,
    pub height: u32,
    pub components: u8,
}

impl Frame {
    /// Whether libjpeg-turbo decodes this frame type: baseline, extended,
    /// progressive (Huffman or arithmetic). Lossless (CR2 raw data) and hierarchical
    /// are not, nor frames whose height is given later (DNL).
    pub(super) fn decodable(&self) -> bool {
        matches!(self.code, 0xC0 | 0xC1 | 0xC2 | 0xC9 | 0xCA) && self.height > 0
    }
}

/// The frame header of the JPEG whose first bytes are `data`, found by walking its
/// marker segments; None if there is none before the first scan or the data ends.
pub(super) fn frame(data: &[u8]) -> Option<Frame> {
    if !data.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let be16 = |at: usize| -> Option<u32> {
        Some(u32::from(u16::from_be_bytes([
            *data.get(at)?,
            *data.get(at.checked_add(1)?)?,
        ])))
    };
    let mut at = 2usize;
    loop {
        if *data.get(at)? != 0xFF {
            return None;
        }
        let code = *data.get(at.checked_add(1)?)?;
        match code {
            // Fill byte: the marker code follows.
            0xFF => at = at.checked_add(1)?,
            // Stand-alone markers.
            0x01 | 0xD0..=0xD8 => at = at.checked_add(2)?,
            0xD9 | 0xDA => return None,
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Some(Frame {
                    code,
                    height: be16(at.checked_add(5)?)?,
                    width: be16(at.checked_add(7)?)?,
                    components: *data.get(at.checked_add(9)?)?,
                })
                .filter(|f| f.width > 0);
            }
            _ => {
                let len = usize::try_from(be16(at.checked_add(2)?)?).ok()?;
                at = at.checked_add(2)?.checked_add(len)?;
            }
        }
    }
}
