//! RAW renditions on synthetic containers (the dev set has only a CR2): TIFF RAWs
//! with previews in IFD0, SubIFDs and strips, CR3 `PRVW`/`THMB`, RAF; and damaged
//! variants of every container, which must never panic.

use super::tests::{exif_with_thumbnail, file, halves, near, pixels, req, solid};
use super::*;
use crate::testutil::{bmff_box, jpeg_with_exif, png, raf, tiff, Val};
use crate::RawKind;

/// A value in a synthetic TIFF directory.
#[derive(Clone, Copy)]
enum V {
    N(u32),
    /// Offset of blob i.
    Blob(usize),
    /// Length of blob i.
    Len(usize),
    /// Offset of directory i.
    Ifd(usize),
}

/// A synthetic directory: its entries, and the directory its next-IFD pointer names.
type Dir = (Vec<(u16, V)>, Option<usize>);

/// A little-endian TIFF RAW: directories laid out after the header (directory 0
/// first, `next` chaining them), then the blobs. Every entry is one LONG (or SHORT
/// for tags below 0x0111 other than offsets), so values are inline.
fn tiff_raw(ifds: &[Dir], blobs: &[&[u8]]) -> Vec<u8> {
    let mut ifd_at = Vec::new();
    let mut at = 8usize;
    for (entries, _) in ifds {
        ifd_at.push(at);
        at += 2 + 12 * entries.len() + 4;
    }
    let mut blob_at = Vec::new();
    for blob in blobs {
        blob_at.push(at);
        at += blob.len();
    }
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    for (entries, next) in ifds {
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, value) in entries {
            let v = match *value {
                V::N(n) => n,
                V::Blob(i) => blob_at[i] as u32,
                V::Len(i) => blobs[i].len() as u32,
                V::Ifd(i) => ifd_at[i] as u32,
            };
            let short = matches!(tag, 0x0103 | 0x0106 | 0x0112);
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&(if short { 3u16 } else { 4 }).to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&v.to_le_bytes());
        }
        let next = next.map_or(0, |i| ifd_at[i] as u32);
        out.extend_from_slice(&next.to_le_bytes());
    }
    for blob in blobs {
        out.extend_from_slice(blob);
    }
    out
}

const RED: [u8; 3] = [255, 0, 0];
const BLUE: [u8; 3] = [0, 0, 255];
const GREEN: [u8; 3] = [0, 200, 0];

/// A fake lossless JPEG (SOF3), as CR2 and DNG store raw data: never a preview.
fn lossless_jpeg() -> Vec<u8> {
    let mut j = vec![
        0xFF, 0xD8, 0xFF, 0xC3, 0, 11, 14, 0x0F, 0xA0, 0x17, 0x70, 1, 1, 0x11, 0,
    ];
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

/// NEF-like: IFD0 (orientation 8) with a small JPEGInterchangeFormat thumbnail, a
/// SubIFD with a large one, and a lossless raw strip that must be skipped.
fn nef_like() -> Vec<u8> {
    let thumb = solid(160, 120, RED);
    let preview = solid(1200, 800, BLUE);
    let raw_data = lossless_jpeg();
    tiff_raw(
        &[
            (
                vec![
                    (0x0112, V::N(8)),
                    (0x014A, V::Ifd(1)),
                    (0x0201, V::Blob(0)),
                    (0x0202, V::Len(0)),
                ],
                None,
            ),
            (vec![(0x0201, V::Blob(1)), (0x0202, V::Len(1))], Some(2)),
            (
                vec![(0x0103, V::N(7)), (0x0111, V::Blob(2)), (0x0117, V::Len(2))],
                None,
            ),
        ],
        &[&thumb, &preview, &raw_data],
    )
}

#[test]
fn tiff_raw_uses_the_smallest_preview_that_covers_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "DSC_0001.NEF", &nef_like());
    let format = Format::Raw(RawKind::Nef);
    // 320 px: only the 1200×800 preview covers it; orientation 8 turns it upright.
    let out = render(&path, format, &[req(320)]).unwrap();
    assert_eq!(out.source, RenditionSource::EmbeddedPreview);
    let r = &out.outputs[0];
    assert_eq!((r.width, r.height), (213, 320));
    assert!(near(pixels(r).get_pixel(100, 160), BLUE));
    // 100 px: the 160×120 thumbnail is enough.
    let out = render(&path, format, &[req(100)]).unwrap();
    let r = &out.outputs[0];
    assert_eq!((r.width, r.height), (75, 100));
    assert!(near(pixels(r).get_pixel(37, 50), RED));
    // 4000 px: the largest there is, never upscaled.
    let out = render(&path, format, &[req(4000)]).unwrap();
    assert_eq!((out.outputs[0].width, out.outputs[0].height), (800, 1200));
}

/// CR2/DNG-like: the preview is a JPEG-compressed strip of IFD0; the raw data, a
/// lossless JPEG strip, is skipped.
#[test]
fn jpeg_strips_are_previews() {
    let preview = halves(600, 400, RED, BLUE);
    let bytes = tiff_raw(
        &[
            (
                vec![
                    (0x0103, V::N(6)),
                    (0x0111, V::Blob(0)),
                    (0x0112, V::N(3)),
                    (0x0117, V::Len(0)),
                ],
                Some(1),
            ),
            (
                vec![(0x0103, V::N(6)), (0x0111, V::Blob(1)), (0x0117, V::Len(1))],
                Some(2),
            ),
            // DNG lossy raw data (LinearRaw), baseline-JPEG coded: not a picture.
            (
                vec![
                    (0x0103, V::N(34892)),
                    (0x0106, V::N(34892)),
                    (0x0111, V::Blob(2)),
                    (0x0117, V::Len(2)),
                ],
                None,
            ),
        ],
        &[&preview, &lossless_jpeg(), &solid(900, 600, GREEN)],
    );
    let dir = tempfile::tempdir().unwrap();
    for kind in [RawKind::Cr2, RawKind::Dng, RawKind::Arw, RawKind::Orf] {
        let out = render(&file(&dir, "x.raw", &bytes), Format::Raw(kind), &[req(300)]).unwrap();
        let px = pixels(&out.outputs[0]);
        assert_eq!(px.dimensions(), (300, 200));
        // Orientation 3 (180°): blue is now on the left.
        assert!(near(px.get_pixel(50, 100), BLUE), "{kind:?}");
        assert!(near(px.get_pixel(250, 100), RED), "{kind:?}");
        // 700 px: the larger green JPEG is sensor data, so the preview is the largest.
        let out = render(&file(&dir, "x.raw", &bytes), Format::Raw(kind), &[req(700)]).unwrap();
        let px = pixels(&out.outputs[0]);
        assert_eq!(px.dimensions(), (600, 400));
        assert!(near(px.get_pixel(100, 100), BLUE), "{kind:?}");
    }
}

#[test]
fn raw_without_a_preview_says_so() {
    let only_raw = tiff_raw(
        &[(
            vec![(0x0103, V::N(6)), (0x0111, V::Blob(0)), (0x0117, V::Len(0))],
            None,
        )],
        &[&lossless_jpeg()],
    );
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "x.cr2", &only_raw);
    match render(&path, Format::Raw(RawKind::Cr2), &[req(320)]) {
        Err(RenderError::NoPreview(reason)) => {
            assert_eq!(reason, "this RAW file has no embedded preview")
        }
        other => panic!("{other:?}"),
    }
    for (name, format) in [
        ("empty.cr2", Format::Raw(RawKind::Cr2)),
        ("empty.cr3", Format::Raw(RawKind::Cr3)),
        ("empty.png", Format::Png),
        ("empty.jpg", Format::Jpeg),
    ] {
        match render(&file(&dir, name, &[]), format, &[req(320)]) {
            Err(RenderError::Corrupt(reason)) => assert_eq!(reason, "the file is empty (0 bytes)"),
            other => panic!("{name}: {other:?}"),
        }
    }
    // A preview that lies beyond the end of the file: the RAW is cut short.
    let mut cut = nef_like();
    cut.truncate(cut.len() - 5000);
    let path = file(&dir, "cut.nef", &cut);
    match render(&path, Format::Raw(RawKind::Nef), &[req(320)]) {
        Err(RenderError::Corrupt(reason)) => assert!(reason.starts_with("truncated: "), "{reason}"),
        other => panic!("{other:?}"),
    }
}

/// A CR3: ftyp, moov (Canon uuid with CMT1 and THMB), the preview uuid with PRVW, mdat.
fn cr3_like(orientation: u16) -> Vec<u8> {
    let cmt1 = tiff(&[(0x0112, Val::Short(orientation))], &[]);
    let thumb = solid(160, 120, RED);
    let mut thmb = vec![0, 0, 0, 0, 0, 160, 0, 120];
    thmb.extend_from_slice(&(thumb.len() as u32).to_be_bytes());
    thmb.extend_from_slice(&[0, 1, 0, 0]);
    thmb.extend_from_slice(&thumb);
    let canon_uuid = [
        0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a,
        0x48,
    ];
    let canon = [
        &canon_uuid[..],
        &bmff_box(b"CMT1", &cmt1),
        &bmff_box(b"THMB", &thmb),
    ]
    .concat();
    let moov = bmff_box(
        b"moov",
        &[bmff_box(b"mvhd", &[0; 20]), bmff_box(b"uuid", &canon)].concat(),
    );
    let preview = solid(900, 600, BLUE);
    let mut prvw = vec![0, 0, 0, 0, 0, 1, 0x03, 0x84, 0x02, 0x58, 0, 1];
    prvw.extend_from_slice(&(preview.len() as u32).to_be_bytes());
    prvw.extend_from_slice(&preview);
    let preview_uuid = [
        0xea, 0xf4, 0x2b, 0x5e, 0x1c, 0x98, 0x4b, 0x88, 0xb9, 0xfb, 0xb7, 0xdc, 0x40, 0x6e, 0x4d,
        0x16,
    ];
    let uuid = [
        &preview_uuid[..],
        &[0, 0, 0, 0, 0, 0, 0, 1],
        &bmff_box(b"PRVW", &prvw),
    ]
    .concat();
    let ftyp = bmff_box(b"ftyp", b"crx \0\0\0\x01crx isom");
    [
        ftyp,
        moov,
        bmff_box(b"uuid", &uuid),
        bmff_box(b"mdat", &[9; 500]),
    ]
    .concat()
}

#[test]
fn cr3_uses_prvw_or_thmb() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "IMG_0001.CR3", &cr3_like(6));
    let format = Format::Raw(RawKind::Cr3);
    let out = render(&path, format, &[req(320)]).unwrap();
    assert_eq!(out.source, RenditionSource::EmbeddedPreview);
    let r = &out.outputs[0];
    assert_eq!((r.width, r.height), (213, 320));
    assert!(near(pixels(r).get_pixel(100, 160), BLUE));
    let out = render(&path, format, &[req(120)]).unwrap();
    let r = &out.outputs[0];
    assert_eq!((r.width, r.height), (90, 120));
    assert!(near(pixels(r).get_pixel(45, 60), RED));
    // Not a CR3 at all.
    let path = file(&dir, "fake.cr3", &solid(16, 16, RED));
    assert!(matches!(
        render(&path, format, &[req(120)]),
        Err(RenderError::Corrupt(_))
    ));
}

/// RAF: the preview at the offset in the header carries the EXIF (orientation 3).
#[test]
fn raf_uses_its_preview_and_its_orientation() {
    let exif = tiff(&[(0x0112, Val::Short(3))], &[]);
    let bytes = raf(&jpeg_with_exif(&halves(600, 400, RED, GREEN), &exif));
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "DSCF0001.RAF", &bytes);
    let out = render(&path, Format::Raw(RawKind::Raf), &[req(300)]).unwrap();
    assert_eq!(out.source, RenditionSource::EmbeddedPreview);
    let px = pixels(&out.outputs[0]);
    assert_eq!(px.dimensions(), (300, 200));
    assert!(near(px.get_pixel(50, 100), GREEN));
    assert!(near(px.get_pixel(250, 100), RED));
}

/// Damaged copies of every container: any outcome but a panic, and errors have
/// reasons. (FINDME_FUZZ_ROUNDS raises the count for a longer local run.)
#[test]
fn damaged_files_never_panic() {
    let photo = jpeg_with_exif(
        &halves(96, 64, RED, BLUE),
        &exif_with_thumbnail(6, &solid(48, 32, GREEN)),
    );
    let cases: Vec<(Format, Vec<u8>, usize)> = vec![
        (Format::Jpeg, photo.clone(), 400),
        (Format::Png, png(24, 16), 100),
        (Format::Raw(RawKind::Nef), nef_like(), 200),
        (Format::Raw(RawKind::Cr3), cr3_like(6), 700),
        (Format::Raw(RawKind::Raf), raf(&photo), 600),
    ];
    let rounds: usize = std::env::var("FINDME_FUZZ_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(150);
    let dir = tempfile::tempdir().unwrap();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut ok, mut failed) = (0, 0);
    for (format, bytes, hot) in &cases {
        for _ in 0..rounds {
            let mut damaged = bytes.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % (*hot).min(damaged.len()).max(1);
                match next() % 3 {
                    0 => damaged[at] = next() as u8,
                    1 => damaged.truncate(at.max(1)),
                    _ => {
                        let end = (at + 4).min(damaged.len());
                        let v = [0u8, 0xFF, 0x7F, next() as u8];
                        damaged[at..end].copy_from_slice(&v[..end - at]);
                    }
                }
            }
            let path = file(&dir, "damaged", &damaged);
            match render(&path, *format, &[req(40), req(64)]) {
                Ok(out) => {
                    for r in &out.outputs {
                        pixels(r);
                    }
                    ok += 1;
                }
                Err(e) => {
                    assert!(e.to_string().len() > 15, "{format:?}: terse {e:?}");
                    failed += 1;
                }
            }
        }
    }
    assert!(ok > 50 && failed > 50, "ok {ok}, failed {failed}");
}
