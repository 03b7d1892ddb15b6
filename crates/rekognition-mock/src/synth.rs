//! Synthetic event photos with a ground truth.
//!
//! A "face" is a flat square of one palette colour; the colour *is* the person. The
//! palette's colours are saturated and ≥ 85 apart in RGB, the background is grey noise
//! (chroma ≤ ~20), so a face is still recognisable after the app's resize and JPEG
//! re-encode, and the background never looks like anyone. The same module defines how
//! similar two people are, so tests and the server agree on the expected matches.

use image::RgbImage;

/// Number of distinct people the palette can tell apart; person ids wrap modulo this.
pub const PALETTE_LEN: usize = 32;

/// Two people who "look alike": their similarity is ~75 (74.0–76.0), so a
/// `FaceMatchThreshold` of 80 (AWS's default) keeps them apart and 70 matches them.
pub const LOOKALIKES: (usize, usize) = (16, 17);

/// The palette: 18 full hues, 7 dark hues, 7 pastel hues (min pairwise distance 85).
const PALETTE: [[u8; 3]; PALETTE_LEN] = [
    [255, 0, 0],
    [255, 85, 0],
    [255, 170, 0],
    [255, 255, 0],
    [170, 255, 0],
    [85, 255, 0],
    [0, 255, 0],
    [0, 255, 85],
    [0, 255, 170],
    [0, 255, 255],
    [0, 170, 255],
    [0, 85, 255],
    [0, 0, 255],
    [85, 0, 255],
    [170, 0, 255],
    [255, 0, 255],
    [255, 0, 170],
    [255, 0, 85],
    [153, 0, 0],
    [153, 131, 0],
    [44, 153, 0],
    [0, 153, 87],
    [0, 87, 153],
    [44, 0, 153],
    [153, 0, 131],
    [255, 145, 115],
    [245, 255, 115],
    [125, 255, 115],
    [115, 255, 225],
    [115, 165, 255],
    [185, 115, 255],
    [255, 115, 205],
];

/// The colour of person `i` (modulo [`PALETTE_LEN`]).
pub fn palette(i: usize) -> [u8; 3] {
    PALETTE[i % PALETTE_LEN]
}

/// One face in a synthetic photo: a `size`×`size` square at (`left`, `top`) in pixels.
/// Faces must not touch each other (a gap of a few pixels is enough).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthFace {
    pub person: usize,
    pub left: u32,
    pub top: u32,
    pub size: u32,
}

impl SynthFace {
    /// The face's box as ratios of a `width`×`height` image (what AWS would answer).
    pub fn bounding_box(&self, width: u32, height: u32) -> crate::BoundingBox {
        let right = (self.left + self.size).min(width);
        let bottom = (self.top + self.size).min(height);
        crate::BoundingBox {
            width: (right.saturating_sub(self.left)) as f32 / width as f32,
            height: (bottom.saturating_sub(self.top)) as f32 / height as f32,
            left: self.left as f32 / width as f32,
            top: self.top as f32 / height as f32,
        }
    }
}

/// A cheap deterministic hash (splitmix64 finaliser) for noise and jitter.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A value in [0, 1) from a hash.
pub(crate) fn unit(h: u64) -> f32 {
    (h >> 40) as f32 / (1u64 << 24) as f32
}

/// Side of the background tiles.
const TILE: usize = 96;
/// Brightness/tint variants of the background tile.
const VARIANTS: usize = 12;

/// Renders a photo (background + faces) without encoding it.
///
/// The background is a grain tile (per-pixel grey noise) in a dozen brightness/tint
/// variants laid out at random: textured, colourless, and built from row copies so it
/// stays fast in unoptimised test builds (the app's tests render hundreds of photos).
pub fn render(width: u32, height: u32, faces: &[SynthFace], seed: u64) -> RgbImage {
    let (w, h) = (width as usize, height as usize);
    let grain: Vec<f32> = (0..TILE * TILE)
        .map(|i| (unit(mix(seed ^ ((i as u64) << 20))) - 0.5) * 28.0)
        .collect();
    let variants: Vec<Vec<u8>> = (0..VARIANTS)
        .map(|v| {
            let lum = 100.0 + 90.0 * unit(mix(seed ^ 0xB1 ^ v as u64));
            let tint = (unit(mix(seed ^ 0x71 ^ v as u64)) - 0.5) * 14.0;
            grain
                .iter()
                .flat_map(|g| [lum + g + tint, lum + g, lum + g - tint])
                .map(|c| c.clamp(0.0, 255.0) as u8)
                .collect()
        })
        .collect();
    let mut buf = vec![0u8; w * h * 3];
    let tiles_x = w.div_ceil(TILE);
    for (y, row) in buf.chunks_exact_mut(w * 3).enumerate() {
        let (ty, ry) = (y / TILE, y % TILE);
        for tx in 0..tiles_x {
            let v = (mix(seed ^ (((ty as u64) << 32) | tx as u64)) % VARIANTS as u64) as usize;
            let x0 = tx * TILE;
            let n = TILE.min(w - x0);
            let src = &variants[v][ry * TILE * 3..(ry * TILE + n) * 3];
            row[x0 * 3..(x0 + n) * 3].copy_from_slice(src);
        }
    }
    for f in faces {
        let (x0, y0) = (f.left as usize, f.top as usize);
        let x1 = (x0 + f.size as usize).min(w);
        let y1 = (y0 + f.size as usize).min(h);
        if x0 >= x1 || y0 >= y1 {
            continue;
        }
        let colour: Vec<u8> = palette(f.person).repeat(x1 - x0);
        for row in buf.chunks_exact_mut(w * 3).take(y1).skip(y0) {
            row[x0 * 3..x1 * 3].copy_from_slice(&colour);
        }
    }
    // The buffer has exactly w*h*3 bytes, so this cannot fail.
    RgbImage::from_raw(width, height, buf).expect("buffer sized for the image")
}

/// Encodes an image as baseline JPEG (4:2:0, like cameras) at `quality` (1-100).
pub fn encode_jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality.clamp(1, 100));
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    let (w, h) = (
        img.width().min(65_535) as u16,
        img.height().min(65_535) as u16,
    );
    if let Err(e) = enc.encode(img.as_raw(), w, h, jpeg_encoder::ColorType::Rgb) {
        // Only reachable for images wider or taller than JPEG allows.
        panic!("JPEG encoding failed: {e}");
    }
    out
}

/// A synthetic event photo as JPEG (quality 90).
pub fn photo(width: u32, height: u32, faces: &[SynthFace], seed: u64) -> Vec<u8> {
    encode_jpeg(&render(width, height, faces, seed), 90)
}

/// The face used in [`selfie`]: 300 px, centred in a 480×640 portrait.
pub fn selfie_face(person: usize) -> SynthFace {
    SynthFace {
        person,
        left: 90,
        top: 170,
        size: 300,
    }
}

/// A selfie of `person`: one big centred face in a 480×640 JPEG.
pub fn selfie(person: usize) -> Vec<u8> {
    photo(
        480,
        640,
        &[selfie_face(person)],
        0x5E1F_1E00 + person as u64,
    )
}

/// The nominal similarity of two people before jitter: 99 for the same person, 74 for
/// the [`LOOKALIKES`], 10–40 for anyone else.
pub fn base_similarity(a: usize, b: usize) -> f32 {
    let (a, b) = (a % PALETTE_LEN, b % PALETTE_LEN);
    let (lo, hi) = (a.min(b), a.max(b));
    if lo == hi {
        99.0
    } else if (lo, hi)
        == (
            LOOKALIKES.0.min(LOOKALIKES.1),
            LOOKALIKES.0.max(LOOKALIKES.1),
        )
    {
        74.0
    } else {
        10.0 + 30.0 * unit(mix(((lo as u64) << 8) | hi as u64))
    }
}

/// The similarity the server reports: [`base_similarity`] plus a deterministic jitter
/// from `salt` (same person: 99.0–99.9; look-alikes: 74.0–76.0; others: < 45).
pub fn similarity(a: usize, b: usize, salt: u64) -> f32 {
    let base = base_similarity(a, b);
    let j = unit(mix(salt));
    let spread = if base >= 99.0 {
        0.9
    } else if base >= 74.0 {
        2.0
    } else {
        5.0
    };
    base + spread * j
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_is_well_separated_and_saturated() {
        let mut min = f32::MAX;
        for i in 0..PALETTE_LEN {
            let c = palette(i);
            let chroma =
                *c.iter().max().unwrap_or(&0) as i32 - *c.iter().min().unwrap_or(&0) as i32;
            assert!(chroma >= 120, "colour {i} is not saturated");
            for j in i + 1..PALETTE_LEN {
                min = min.min(crate::detect::colour_dist(palette(i), palette(j)));
            }
        }
        assert!(min >= 84.0, "closest pair only {min} apart");
    }

    #[test]
    fn similarity_bands() {
        for a in 0..PALETTE_LEN {
            for b in 0..PALETTE_LEN {
                for salt in 0..20 {
                    let s = similarity(a, b, salt);
                    assert_eq!(s, similarity(b, a, salt), "symmetric");
                    if a == b {
                        assert!((99.0..=99.9).contains(&s));
                    } else if (a.min(b), a.max(b)) == LOOKALIKES {
                        assert!((74.0..=76.0).contains(&s));
                    } else {
                        assert!((10.0..45.0).contains(&s), "{a} vs {b}: {s}");
                    }
                }
            }
        }
    }
}
