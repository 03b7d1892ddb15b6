//! Structure checkers on synthetic files: every chunking gives the same answer,
//! every cut is Truncated, hostile headers are Invalid with a readable reason.

use super::*;
use crate::testutil::{bmff_box, heif, jpeg, jpeg_with_exif, png, tiff, Val};

/// Feed `bytes` in `chunk`-sized pieces.
fn check_chunked(format: Format, bytes: &[u8], chunk: usize) -> Checked {
    let mut checker = StructureChecker::new(format);
    for piece in bytes.chunks(chunk.max(1)) {
        checker.feed(piece);
    }
    checker.finish(bytes.len() as u64)
}

/// Check with many chunkings; all must agree. Returns the one-chunk result.
fn check(format: Format, bytes: &[u8]) -> Checked {
    let whole = check_chunked(format, bytes, bytes.len());
    for chunk in [1, 2, 3, 7, 13, 64, 1000, 4097] {
        let other = check_chunked(format, bytes, chunk);
        assert_eq!(other.completeness, whole.completeness, "chunk size {chunk}");
        assert_eq!(
            (other.facts.width, other.facts.height),
            (whole.facts.width, whole.facts.height)
        );
        assert_eq!(other.facts.exif, whole.facts.exif, "chunk size {chunk}");
        assert_eq!(
            other.facts.bmff_box, whole.facts.bmff_box,
            "chunk size {chunk}"
        );
    }
    whole
}

fn invalid_reason(checked: &Checked) -> &str {
    match &checked.completeness {
        Completeness::Invalid(reason) => reason,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// Every proper prefix (1..len) is Truncated with a readable reason.
fn assert_every_cut_truncated(format: Format, bytes: &[u8]) {
    for len in 1..bytes.len() {
        let prefix = &bytes[..len];
        let checked = check_chunked(format, prefix, prefix.len());
        match &checked.completeness {
            Completeness::Truncated(reason) => {
                assert!(reason.starts_with("truncated: "), "{reason}")
            }
            other => panic!("{format:?} cut at {len} of {}: {other:?}", bytes.len()),
        }
    }
    // Odd chunk sizes over a few cuts too.
    for len in [1, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
        let checked = check_chunked(format, &bytes[..len], 5);
        assert!(
            matches!(checked.completeness, Completeness::Truncated(_)),
            "cut at {len}"
        );
    }
}

#[test]
fn jpeg_complete_with_size_in_any_chunking() {
    let bytes = jpeg(64, 48);
    let checked = check(Format::Jpeg, &bytes);
    assert_eq!(checked.completeness, Completeness::Complete);
    assert_eq!(
        (checked.facts.width, checked.facts.height),
        (Some(64), Some(48))
    );
    assert_eq!(checked.facts.exif, None);
}

#[test]
fn jpeg_cut_anywhere_is_truncated() {
    let bytes = jpeg(40, 30);
    assert_every_cut_truncated(Format::Jpeg, &bytes);
    let Completeness::Truncated(reason) =
        check(Format::Jpeg, &bytes[..bytes.len() / 2]).completeness
    else {
        panic!("not truncated");
    };
    assert_eq!(
        reason,
        "truncated: the JPEG ends before its end-of-image marker (still being copied, or cut short)"
    );
}

#[test]
fn jpeg_bytes_after_end_of_image_are_allowed() {
    // MPO second image, motion-photo trailer, padding.
    let mut bytes = jpeg(32, 32);
    bytes.extend_from_slice(&jpeg(16, 16));
    bytes.extend_from_slice(b"ftypmp42 trailer \xFF\x00\xFF\xD8 and zeros");
    bytes.extend_from_slice(&[0; 100]);
    let checked = check(Format::Jpeg, &bytes);
    assert_eq!(checked.completeness, Completeness::Complete);
    assert_eq!(checked.facts.width, Some(32));
}

#[test]
fn jpeg_exif_block_is_kept() {
    let block = tiff(&[(0x010F, Val::Ascii("Canon"))], &[]);
    let bytes = jpeg_with_exif(&jpeg(16, 16), &block);
    let checked = check(Format::Jpeg, &bytes);
    assert_eq!(checked.completeness, Completeness::Complete);
    assert_eq!(checked.facts.exif.as_deref(), Some(block.as_slice()));
}

#[test]
fn jpeg_hostile_headers_are_invalid() {
    let reason = |bytes: &[u8]| invalid_reason(&check(Format::Jpeg, bytes)).to_string();
    assert_eq!(
        reason(&png(4, 4)),
        "not a JPEG image: the content starts with a PNG signature"
    );
    assert!(
        reason(&[0; 64]).starts_with("not a JPEG image: the content starts with only zero bytes")
    );
    assert!(reason(b"hello world")
        .starts_with("not a JPEG image: the content starts with the bytes 68 65"));
    assert!(
        reason(b"\xFF\xD8\x00\x01\x02").starts_with("corrupt JPEG: expected a marker at byte 2")
    );
    assert!(reason(b"\xFF\xD8\xFF\xE0\x00\x01rest").starts_with("corrupt JPEG: the segment"));
    assert!(reason(b"\xFF\xD8\xFF\xD8").starts_with("corrupt JPEG: a second start-of-image"));
    assert!(reason(b"\xFF\xD8\xFF\xD9")
        .starts_with("corrupt JPEG: the image ends before any image data"));
    assert!(reason(b"\xFF\xD8\xFF\xDA\x00\x02\x00")
        .starts_with("corrupt JPEG: image data starts before"));
}

#[test]
fn jpeg_decompression_bomb_is_invalid() {
    let mut bytes = jpeg(8, 8);
    // Patch the frame header (FF C0 len(2) precision(1) height(2) width(2)).
    let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    bytes[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]); // 60000×60000
    assert_eq!(
        invalid_reason(&check(Format::Jpeg, &bytes)),
        "decompression bomb: the header claims 60000×60000 pixels (limit 400 MP)"
    );
    // 20000×20000 = exactly 400 MP is allowed.
    bytes[sof + 5..sof + 9].copy_from_slice(&[0x4E, 0x20, 0x4E, 0x20]);
    assert_eq!(check(Format::Jpeg, &bytes).facts.width, Some(20000));
}

#[test]
fn png_complete_with_size_in_any_chunking() {
    let bytes = png(30, 20);
    let checked = check(Format::Png, &bytes);
    assert_eq!(checked.completeness, Completeness::Complete);
    assert_eq!(
        (checked.facts.width, checked.facts.height),
        (Some(30), Some(20))
    );
}

#[test]
fn png_cut_anywhere_is_truncated() {
    assert_every_cut_truncated(Format::Png, &png(12, 9));
}

/// A PNG whose IHDR claims `w`×`h` (CRCs are not checked).
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut bytes = png(2, 2);
    bytes[16..20].copy_from_slice(&w.to_be_bytes());
    bytes[20..24].copy_from_slice(&h.to_be_bytes());
    bytes
}

#[test]
fn png_hostile_headers_are_invalid() {
    assert_eq!(
        invalid_reason(&check(Format::Png, &png_claiming(60000, 60000))),
        "decompression bomb: the header claims 60000×60000 pixels (limit 400 MP)"
    );
    assert!(invalid_reason(&check(Format::Png, &png_claiming(0, 5)))
        .starts_with("corrupt PNG: the header claims"));
    assert_eq!(
        invalid_reason(&check(Format::Png, &jpeg(4, 4))),
        "not a PNG image: the content starts with a JPEG signature"
    );
    let mut garbage = png(2, 2)[..8].to_vec();
    garbage.extend_from_slice(&[0x2F, 0xC5, 0x7D, 0x50, 0xF4, 0xA8, 0x81, 0xE1, 1, 2, 3]);
    assert!(invalid_reason(&check(Format::Png, &garbage))
        .starts_with("corrupt PNG: unreadable chunk type"));
    let mut no_ihdr = png(2, 2)[..8].to_vec();
    no_ihdr.extend_from_slice(b"\0\0\0\0IEND\xAE\x42\x60\x82");
    assert!(invalid_reason(&check(Format::Png, &no_ihdr))
        .starts_with("corrupt PNG: the first chunk is 'IEND'"));
}

#[test]
fn png_exif_chunk_is_kept() {
    let block = tiff(&[(0x0112, Val::Short(6))], &[]);
    let mut bytes = png(3, 3);
    let iend = bytes.len() - 12;
    let mut chunk = (block.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(b"eXIf");
    chunk.extend_from_slice(&block);
    chunk.extend_from_slice(&[0; 4]);
    bytes.splice(iend..iend, chunk);
    let checked = check(Format::Png, &bytes);
    assert_eq!(checked.completeness, Completeness::Complete);
    assert_eq!(checked.facts.exif.as_deref(), Some(block.as_slice()));
}

#[test]
fn heif_complete_with_size_in_any_chunking() {
    let bytes = heif(&[b"heic", b"mif1"], 4032, 3024);
    let checked = check(Format::Heif, &bytes);
    assert_eq!(checked.completeness, Completeness::Complete);
    assert_eq!(
        (checked.facts.width, checked.facts.height),
        (Some(4032), Some(3024))
    );
    assert!(checked.facts.bmff_box.is_some());
    // mif1 alone is HEIF too; a last box of size 0 runs to the end of the file.
    let mut open_ended = heif(&[b"mif1"], 10, 10);
    let mdat = open_ended.len() - 308;
    open_ended[mdat..mdat + 4].copy_from_slice(&[0; 4]);
    assert_eq!(
        check(Format::Heif, &open_ended).completeness,
        Completeness::Complete
    );
}

#[test]
fn heif_cut_anywhere_is_truncated() {
    assert_every_cut_truncated(Format::Heif, &heif(&[b"heic"], 64, 64));
    let mut long = heif(&[b"heic"], 64, 64);
    long.extend_from_slice(&bmff_box(b"free", &[0; 10]));
    assert_eq!(
        check(Format::Heif, &long).completeness,
        Completeness::Complete
    );
}

#[test]
fn heif_hostile_headers_are_invalid() {
    let reason = |bytes: &[u8]| invalid_reason(&check(Format::Heif, bytes)).to_string();
    assert_eq!(
        reason(&heif(&[b"avif", b"mif1"], 8, 8)),
        "not a HEIF image: this is an AVIF image, which FindMe does not catalogue"
    );
    assert!(reason(&heif(&[b"isom", b"mp42"], 8, 8)).contains("'isom'"));
    assert_eq!(
        reason(&heif(&[b"heic"], 30000, 30000)),
        "decompression bomb: the header claims 30000×30000 pixels (limit 400 MP)"
    );
    assert_eq!(
        reason(&jpeg(4, 4)),
        "not a HEIF image: the content starts with a JPEG signature"
    );
    let mut bad_size = heif(&[b"heic"], 8, 8);
    let meta = bad_size.windows(4).position(|w| w == b"meta").unwrap() - 4;
    bad_size[meta..meta + 4].copy_from_slice(&[0, 0, 0, 3]);
    assert!(reason(&bad_size).starts_with("corrupt HEIF: the 'meta' box at byte"));
    let mut garbage = bmff_box(b"ftyp", b"heic\0\0\0\0mif1");
    garbage.extend_from_slice(&[0x00, 0x00, 0x10, 0x00, 0x01, 0x02, 0x03, 0x04]);
    assert!(reason(&garbage).starts_with("corrupt HEIF: unreadable box type"));
}

#[test]
fn raw_magic_is_checked() {
    let tiff_raw = tiff(&[(0x010F, Val::Ascii("NIKON"))], &[]);
    let nef = Format::Raw(RawKind::Nef);
    assert_eq!(check(nef, &tiff_raw).completeness, Completeness::Complete);
    assert_eq!(
        invalid_reason(&check(nef, &jpeg(4, 4))),
        "not a NEF file: the content starts with a JPEG signature"
    );
    let orf = Format::Raw(RawKind::Orf);
    assert_eq!(
        check(orf, b"IIRO\x08\0\0\0\0\0").completeness,
        Completeness::Complete
    );
    assert!(matches!(
        check(orf, b"II").completeness,
        Completeness::Truncated(_)
    ));
    let raf = Format::Raw(RawKind::Raf);
    assert_eq!(
        invalid_reason(&check(raf, &tiff_raw)),
        "not a RAF file: the content starts with a TIFF header (TIFF image or TIFF-based RAW)"
    );
    let cr3 = Format::Raw(RawKind::Cr3);
    assert_eq!(
        invalid_reason(&check(cr3, &heif(&[b"heic"], 8, 8))),
        "not a CR3 file: the content starts with a HEIF/HEIC header"
    );
}

#[test]
fn tiff_raw_with_data_past_the_end_is_truncated() {
    let entries = |at: u32| {
        vec![
            (0x0100, Val::Short(40)),
            (0x0101, Val::Short(30)),
            (0x0111, Val::Long(vec![at, at + 100])),
            (0x0117, Val::Long(vec![100, 1000])),
        ]
    };
    let len = tiff(&entries(0), &[]).len() as u32;
    let mut bytes = tiff(&entries(len), &[]);
    bytes.extend_from_slice(&[7; 1100]);
    let dng = Format::Raw(RawKind::Dng);
    let checked = check(dng, &bytes);
    assert_eq!(checked.completeness, Completeness::Complete);
    assert_eq!(
        (checked.facts.width, checked.facts.height),
        (Some(40), Some(30))
    );
    let Completeness::Truncated(reason) = check(dng, &bytes[..bytes.len() - 1]).completeness else {
        panic!("not truncated");
    };
    assert_eq!(
        reason,
        "truncated: the DNG file ends before its image data (still being copied, or cut short)"
    );
}

#[test]
fn real_files_give_the_same_answer_in_any_chunking() {
    let root = crate::testutil::devset();
    let cases = [
        (
            "camera-jpeg/r_canon.jpg",
            Format::Jpeg,
            Completeness::Complete,
        ),
        (
            "camera-jpeg/sugarshack.mpo",
            Format::Jpeg,
            Completeness::Complete,
        ),
        (
            "camera-jpeg/xmp_test.jpg",
            Format::Jpeg,
            Completeness::Complete,
        ),
        (
            "faces/solvay_1927_29faces.png",
            Format::Png,
            Completeness::Complete,
        ),
        ("heic/pug.heic", Format::Heif, Completeness::Complete),
        (
            "raw/CanonEOS30D_IMG_5952.CR2",
            Format::Raw(RawKind::Cr2),
            Completeness::Complete,
        ),
    ];
    for (rel, format, want) in cases {
        let bytes = std::fs::read(root.join(rel)).unwrap();
        let whole = check_chunked(format, &bytes, bytes.len());
        assert_eq!(whole.completeness, want, "{rel}");
        for chunk in [1, 3, 4099, 262_144] {
            let other = check_chunked(format, &bytes, chunk);
            assert_eq!(
                other.completeness, whole.completeness,
                "{rel} in {chunk}-byte chunks"
            );
            assert_eq!(
                (other.facts.width, other.facts.height),
                (whole.facts.width, whole.facts.height)
            );
            assert_eq!(other.facts.exif, whole.facts.exif, "{rel}");
            assert_eq!(other.facts.bmff_box, whole.facts.bmff_box, "{rel}");
            assert_eq!(other.facts.head, whole.facts.head, "{rel}");
        }
    }
}
