//! What a guest's selfie must be, checked before anything is stored, with the
//! refusal worded for the guest (not for a developer).

/// Largest selfie upload. The page downscales to ≤ 1600 px first (≈ 0.5 MB); this
/// leaves room for a phone's original HEIC/JPEG when the page's script cannot run.
pub const MAX_SELFIE_BYTES: usize = 15 * 1024 * 1024;
/// The shorter side must have this many pixels for a face to be found in it.
pub const MIN_SIDE: usize = 200;
/// More pixels than this is not a selfie (and would cost the matcher a lot).
pub const MAX_PIXELS: usize = 50_000_000;

/// A selfie the server refuses, with the guest's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelfieRefusal {
    #[error("This file is not a photo we can use. Please choose a JPEG, PNG or HEIC picture of your face.")]
    NotAnImage,
    #[error(
        "This photo is too large (over 15 MB). Please choose a smaller one or take a new selfie."
    )]
    TooLarge,
    #[error("This photo is too small to find your face in. Please use a photo at least 200 pixels wide and high.")]
    TooSmall,
    #[error(
        "This photo has too many pixels. Please take a normal selfie with your phone's camera."
    )]
    TooManyPixels,
    #[error("Please choose or take a selfie.")]
    Missing,
}

/// The content type of an acceptable selfie, or why it is refused.
pub fn check_selfie(bytes: &[u8]) -> Result<&'static str, SelfieRefusal> {
    if bytes.is_empty() {
        return Err(SelfieRefusal::Missing);
    }
    if bytes.len() > MAX_SELFIE_BYTES {
        return Err(SelfieRefusal::TooLarge);
    }
    let ctype = sniff(bytes).ok_or(SelfieRefusal::NotAnImage)?;
    if !complete(ctype, bytes) {
        return Err(SelfieRefusal::NotAnImage);
    }
    // The header must parse: a renamed text file or a cut-off upload is refused.
    let size = imagesize::blob_size(bytes).map_err(|_| SelfieRefusal::NotAnImage)?;
    if size.width.min(size.height) < MIN_SIDE {
        return Err(SelfieRefusal::TooSmall);
    }
    if size.width.saturating_mul(size.height) > MAX_PIXELS {
        return Err(SelfieRefusal::TooManyPixels);
    }
    Ok(ctype)
}

/// Whether a JPEG or PNG reaches its end marker: an upload cut short is refused
/// here rather than failing later in the photographer's app. (Some cameras append
/// data after a JPEG's end, so the marker is looked for near the end, not at it.
/// HEIC has no end marker; its header was parsed.)
fn complete(ctype: &str, bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(64 * 1024)..];
    match ctype {
        "image/jpeg" => tail.windows(2).any(|w| w == [0xFF, 0xD9]),
        "image/png" => tail.windows(4).any(|w| w == b"IEND"),
        _ => true,
    }
}

/// JPEG, PNG or HEIC/HEIF by magic bytes (never by file name or declared type).
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if let Some(t) = crate::files::sniff_image(bytes) {
        return Some(t);
    }
    let brand = bytes.get(4..12)?;
    let heic: [&[u8]; 6] = [
        b"ftypheic",
        b"ftypheix",
        b"ftyphevc",
        b"ftypheim",
        b"ftypmif1",
        b"ftypmsf1",
    ];
    heic.contains(&brand).then_some("image/heic")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        // A PNG header is enough for the size check (IHDR is read, not the pixels).
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(b"\0\0\0\0IEND\xaeB`\x82");
        b
    }

    #[test]
    fn each_refusal_has_its_reason() {
        assert_eq!(check_selfie(b""), Err(SelfieRefusal::Missing));
        assert_eq!(
            check_selfie(b"hello, not a photo"),
            Err(SelfieRefusal::NotAnImage)
        );
        assert_eq!(check_selfie(&png(100, 800)), Err(SelfieRefusal::TooSmall));
        assert_eq!(
            check_selfie(&png(10_000, 10_000)),
            Err(SelfieRefusal::TooManyPixels)
        );
        assert_eq!(check_selfie(&png(480, 640)), Ok("image/png"));
        let big = vec![0u8; MAX_SELFIE_BYTES + 1];
        assert_eq!(check_selfie(&big), Err(SelfieRefusal::TooLarge));
        // A JPEG's magic bytes with nothing after them is not a photo.
        assert_eq!(
            check_selfie(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Err(SelfieRefusal::NotAnImage)
        );
    }
}
