//! Small synthetic files for the unit tests.

use findme_media::StreamHasher;

/// A small valid JPEG (complete: it ends with its EOI marker); `seed` varies it.
pub(crate) fn jpeg(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(48, 32, |x, y| {
        image::Rgb([(x * 5) as u8 ^ seed, (y * 7) as u8, seed])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

/// The SHA-256 of `bytes` in the catalog's hex spelling.
pub(crate) fn sha_hex(bytes: &[u8]) -> String {
    let mut hasher = StreamHasher::new();
    hasher.update(bytes);
    hasher.finish().to_hex()
}
