//! Mutation tests: thousands of damaged variants of real and synthetic files go
//! through the structure checkers and the metadata readers. Nothing may panic, and
//! every verdict must carry a reason. Metadata is read even for damaged files here,
//! to exercise the EXIF paths on hostile bytes.

use std::io::Write;

use crate::structure::StructureChecker;
use crate::testutil::{cr3, devset, heif, jpeg, jpeg_with_exif, png, raf, tiff, Val};
use crate::{metadata, Completeness, Format, RawKind};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A damaged copy of `bytes`: flipped bytes, overwritten length-like fields,
/// a cut, or an insertion, mostly in the first `hot` bytes where headers live.
fn mutate(bytes: &[u8], hot: usize, rng: &mut Rng) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for _ in 0..1 + rng.below(6) {
        let hot = hot.min(out.len()).max(1);
        match rng.below(5) {
            0 | 1 => {
                let at = rng.below(hot);
                out[at] = rng.next() as u8;
            }
            2 => {
                let at = rng.below(hot.saturating_sub(4));
                let value = [
                    0u32,
                    1,
                    8,
                    0xFFFF,
                    0x7FFF_FFFF,
                    0xFFFF_FFFF,
                    rng.next() as u32,
                ];
                let v = value[rng.below(value.len())].to_be_bytes();
                let end = (at + 4).min(out.len());
                out[at..end].copy_from_slice(&v[..end - at]);
            }
            3 => out.truncate(1 + rng.below(out.len())),
            _ => {
                let at = rng.below(hot);
                out.splice(
                    at..at,
                    std::iter::repeat_n(rng.next() as u8, 1 + rng.below(9)),
                );
            }
        }
    }
    out
}

fn camera_exif() -> Vec<u8> {
    tiff(
        &[
            (0x010F, Val::Ascii("Canon")),
            (0x0110, Val::Ascii("Canon EOS R6")),
            (0x0112, Val::Short(3)),
        ],
        &[
            (0x9003, Val::Ascii("2022:02:02 02:02:02")),
            (0x9011, Val::Ascii("+01:00")),
            (0x9291, Val::Ascii("123")),
            (
                0xA432,
                Val::Rational(vec![(24, 1), (105, 1), (4, 1), (4, 1)]),
            ),
        ],
    )
}

#[test]
fn damaged_files_never_panic() {
    let root = devset();
    let real = |rel: &str, limit: usize| {
        let mut bytes = std::fs::read(root.join(rel)).unwrap();
        bytes.truncate(limit);
        bytes
    };
    let exif = camera_exif();
    let mut png_exif = png(6, 5);
    let iend = png_exif.len() - 12;
    let chunk = [
        &(exif.len() as u32).to_be_bytes()[..],
        b"eXIf",
        &exif,
        &[0; 4],
    ]
    .concat();
    png_exif.splice(iend..iend, chunk);
    let cases: Vec<(Format, Vec<u8>, usize)> = vec![
        (
            Format::Jpeg,
            real("camera-jpeg/r_canon.jpg", usize::MAX),
            4096,
        ),
        (
            Format::Jpeg,
            real("hostile/empty_gps_ifd.jpg", usize::MAX),
            1087,
        ),
        (Format::Jpeg, jpeg_with_exif(&jpeg(20, 12), &exif), 600),
        (Format::Png, png_exif, 400),
        (
            Format::Heif,
            real("heic/L_exif_xmp_iptc.heic", usize::MAX),
            4096,
        ),
        (Format::Heif, heif(&[b"heic", b"mif1"], 640, 480), 400),
        (
            Format::Raw(RawKind::Cr2),
            real("raw/CanonEOS30D_IMG_5952.CR2", 120_000),
            70_000,
        ),
        (Format::Raw(RawKind::Cr3), cr3(&exif, &exif), 700),
        (
            Format::Raw(RawKind::Raf),
            raf(&jpeg_with_exif(&jpeg(8, 8), &exif)),
            900,
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // FINDME_FUZZ_ROUNDS raises the count for a longer local run.
    let rounds: usize = std::env::var("FINDME_FUZZ_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(300);
    let mut verdicts = [0usize; 3];
    for (format, bytes, hot) in &cases {
        for round in 0..rounds {
            let damaged = mutate(bytes, *hot, &mut rng);
            let mut checker = StructureChecker::new(*format);
            for piece in damaged.chunks(1 + round % 5000) {
                checker.feed(piece);
            }
            let checked = checker.finish(damaged.len() as u64);
            match &checked.completeness {
                Completeness::Complete => verdicts[0] += 1,
                Completeness::Truncated(reason) | Completeness::Invalid(reason) => {
                    assert!(reason.len() > 20, "{format:?}: terse reason {reason:?}");
                    verdicts[1 + usize::from(matches!(
                        checked.completeness,
                        Completeness::Invalid(_)
                    ))] += 1;
                }
            }
            let mut file = std::fs::File::create(&path).unwrap();
            file.write_all(&damaged).unwrap();
            let file = std::fs::File::open(&path).unwrap();
            let meta = metadata::extract(*format, checked.facts, &file);
            if let Some(o) = meta.orientation {
                assert!((1..=8).contains(&o));
            }
            for text in [
                &meta.camera_make,
                &meta.camera_model,
                &meta.camera_serial,
                &meta.lens,
            ]
            .into_iter()
            .flatten()
            {
                assert!(
                    !text.is_empty() && !text.chars().any(char::is_control),
                    "{text:?}"
                );
            }
        }
    }
    // The mutations reach all three verdicts, so every path was exercised.
    assert!(verdicts.iter().all(|&n| n > 50), "{verdicts:?}");
}
