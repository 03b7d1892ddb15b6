//! Whole-crate tests on synthetic files: classification, error mapping, and
//! inspection of formats the dev set has no sample of (CR3, RAF, TIFF RAWs).

use std::path::Path;

use crate::testutil::{cr3, jpeg, jpeg_with_exif, png, raf, tiff, Val};
use crate::*;

#[test]
fn format_names_round_trip() {
    let all = [
        Format::Jpeg,
        Format::Png,
        Format::Heif,
        Format::Raw(RawKind::Cr2),
        Format::Raw(RawKind::Cr3),
        Format::Raw(RawKind::Nef),
        Format::Raw(RawKind::Arw),
        Format::Raw(RawKind::Dng),
        Format::Raw(RawKind::Raf),
        Format::Raw(RawKind::Orf),
    ];
    let names: Vec<&str> = all.iter().map(|f| f.as_str()).collect();
    assert_eq!(
        names,
        ["jpeg", "png", "heif", "cr2", "cr3", "nef", "arw", "dng", "raf", "orf"]
    );
    for format in all {
        assert_eq!(Format::from_name(format.as_str()), Some(format));
    }
    assert_eq!(Format::from_name("JPEG"), None);
    assert_eq!(Format::from_name("gif"), None);
    assert!(Format::Raw(RawKind::Cr3).is_raw() && !Format::Heif.is_raw());
}

#[test]
fn classifies_by_extension_case_insensitively() {
    let photo = |name: &str| match classify_path(Path::new(name)) {
        Classification::Photo(format) => format,
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(photo("DCIM/100CANON/IMG_0001.JPG"), Format::Jpeg);
    for name in ["a.jpeg", "a.Jpe", "a.MPO", "b.jpg"] {
        assert_eq!(photo(name), Format::Jpeg);
    }
    assert_eq!(photo("x.png"), Format::Png);
    for name in ["x.HEIC", "x.heif", "x.HIF"] {
        assert_eq!(photo(name), Format::Heif);
    }
    let raws = [
        ("IMG_1.CR2", RawKind::Cr2),
        ("IMG_1.cr3", RawKind::Cr3),
        ("DSC_1.NEF", RawKind::Nef),
        ("DSC_1.ARW", RawKind::Arw),
        ("a.dng", RawKind::Dng),
        ("DSCF1.RAF", RawKind::Raf),
        ("P1.ORF", RawKind::Orf),
    ];
    for (name, kind) in raws {
        assert_eq!(photo(name), Format::Raw(kind));
    }
}

#[test]
fn ignores_hidden_files_and_card_clutter() {
    for name in [
        ".DS_Store",
        "._IMG_0001.JPG",
        "DCIM/._IMG_0001.JPG",
        ".Trashes/501/IMG_1.JPG",
        "card/.Spotlight-V100/Store-V2/x.jpg",
        "Thumbs.db",
        "sub/THUMBS.DB",
        "desktop.ini",
        ".hidden.jpg",
    ] {
        assert_eq!(
            classify_path(Path::new(name)),
            Classification::Ignore,
            "{name}"
        );
    }
    // "." and ".." components are not hidden names.
    assert_eq!(
        classify_path(Path::new("./a/../b.jpg")),
        Classification::Photo(Format::Jpeg)
    );
}

#[test]
fn skip_reasons_are_readable() {
    let skip = |name: &str| match classify_path(Path::new(name)) {
        Classification::Skip(reason) => reason,
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(skip("clip.MOV"), "video files (.mov) are not catalogued");
    assert_eq!(skip("a.mp4"), "video files (.mp4) are not catalogued");
    assert_eq!(skip("IMG_1.xmp"), "sidecar files (.xmp) are not catalogued");
    assert_eq!(skip("anim.GIF"), "GIF images are not catalogued");
    assert_eq!(
        skip("README"),
        "files without an extension are not catalogued"
    );
    assert_eq!(skip("notes.txt"), "unsupported file type (.txt)");
    assert_eq!(
        skip("P1.RW2"),
        "this RAW format (.rw2) is not supported yet"
    );
    assert_eq!(
        skip("trailing."),
        "files without an extension are not catalogued"
    );
}

#[cfg(unix)]
#[test]
fn non_utf8_names_are_classified() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let photo = Path::new(OsStr::from_bytes(b"Caf\xE9/\xFF\xFEimg.JPG"));
    assert_eq!(classify_path(photo), Classification::Photo(Format::Jpeg));
    let hidden = Path::new(OsStr::from_bytes(b"._\xFF.jpg"));
    assert_eq!(classify_path(hidden), Classification::Ignore);
    let odd_ext = Path::new(OsStr::from_bytes(b"x.j\xFFg"));
    assert_eq!(
        classify_path(odd_ext),
        Classification::Skip("unsupported file type (.j\u{FFFD}g)".into())
    );
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn hashes_match_known_digests() {
    assert_eq!(
        StreamHasher::new().finish().to_hex(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let mut hasher = StreamHasher::new();
    hasher.update(b"a");
    hasher.update(b"bc");
    let digest = hasher.finish();
    assert_eq!(
        digest.to_hex(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        format!("{digest:?}"),
        format!("Sha256({})", digest.to_hex())
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "abc.bin", b"abc");
    let (sha, size) = hash_file(&path).unwrap();
    assert_eq!((sha, size), (digest, 3));
    let empty = write(dir.path(), "empty.bin", b"");
    assert_eq!(hash_file(&empty).unwrap().1, 0);
}

#[test]
fn io_problems_are_readable_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone.jpg");
    assert!(matches!(
        inspect_file(&missing, Format::Jpeg),
        Err(MediaError::Vanished)
    ));
    assert!(matches!(hash_file(&missing), Err(MediaError::Vanished)));
    assert!(matches!(
        inspect_file(dir.path(), Format::Jpeg),
        Err(MediaError::NotAFile)
    ));
    let empty = write(dir.path(), "empty.jpg", b"");
    let err = inspect_file(&empty, Format::Jpeg).unwrap_err();
    assert!(matches!(err, MediaError::Empty));
    assert_eq!(err.to_string(), "the file is empty (0 bytes)");
    #[cfg(unix)]
    {
        // A FIFO must be refused, never opened (opening would block the scan).
        let fifo = dir.path().join("pipe.jpg");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: plain libc call with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
        assert!(matches!(
            inspect_file(&fifo, Format::Jpeg),
            Err(MediaError::NotAFile)
        ));
    }
}

#[test]
fn jpeg_inspection_reads_exif() {
    let block = tiff(
        &[
            (0x010F, Val::Ascii("  NIKON CORPORATION \0\0")),
            (0x0110, Val::Ascii("NIKON Z 6")),
            (0x0112, Val::Short(6)),
            (0x0132, Val::Ascii("2024:01:02 03:04:05")),
        ],
        &[
            (0x9003, Val::Ascii("2024:05:06 07:08:09")),
            (0x9010, Val::Ascii("+02:00")),
            (0x9291, Val::Ascii("5")),
            (0xA002, Val::Long(vec![6048])),
            (0xA003, Val::Long(vec![4024])),
            (0xA431, Val::Ascii("\0")),
            (
                0xA432,
                Val::Rational(vec![(24, 1), (70, 1), (4, 1), (4, 1)]),
            ),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "x.jpg", &jpeg_with_exif(&jpeg(24, 16), &block));
    let inspection = inspect_file(&path, Format::Jpeg).unwrap();
    assert_eq!(inspection.completeness, Completeness::Complete);
    let meta = inspection.metadata;
    let captured = meta.captured_at.unwrap();
    assert_eq!(captured.local.to_string(), "2024-05-06T07:08:09.5");
    assert_eq!(captured.offset.map(|o| o.seconds()), Some(7200));
    assert_eq!(meta.camera_make.as_deref(), Some("NIKON CORPORATION"));
    assert_eq!(meta.camera_model.as_deref(), Some("NIKON Z 6"));
    assert_eq!(meta.camera_serial, None);
    assert_eq!(meta.lens.as_deref(), Some("24-70mm f/4"));
    assert_eq!(meta.orientation, Some(6));
    // The stored pixels (frame header), not the EXIF claim.
    assert_eq!((meta.width, meta.height), (Some(24), Some(16)));
}

#[test]
fn incomplete_files_have_empty_metadata() {
    let block = tiff(&[(0x010F, Val::Ascii("Canon"))], &[]);
    let bytes = jpeg_with_exif(&jpeg(24, 16), &block);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "cut.jpg", &bytes[..bytes.len() - 10]);
    let inspection = inspect_file(&path, Format::Jpeg).unwrap();
    assert!(matches!(
        inspection.completeness,
        Completeness::Truncated(_)
    ));
    assert_eq!(inspection.metadata, Metadata::default());
    assert_eq!(inspection.size, bytes.len() as u64 - 10);
    let png_path = write(dir.path(), "p.png", &png(5, 4));
    let inspection = inspect_file(&png_path, Format::Png).unwrap();
    assert_eq!(
        (inspection.metadata.width, inspection.metadata.height),
        (Some(5), Some(4))
    );
}

type Entries = Vec<(u16, Val)>;

/// IFD0 + EXIF entries a camera would write.
fn camera_tags(make: &'static str, model: &'static str) -> (Entries, Entries) {
    (
        vec![
            (0x010F, Val::Ascii(make)),
            (0x0110, Val::Ascii(model)),
            (0x0112, Val::Short(8)),
        ],
        vec![
            (0x9003, Val::Ascii("2023:11:12 13:14:15")),
            (0x9011, Val::Ascii("-05:00")),
            (0xA431, Val::Ascii("123456")),
            (0xA434, Val::Ascii("RF24-105mm F4 L IS USM")),
        ],
    )
}

#[test]
fn cr3_metadata_comes_from_cmt_boxes() {
    let (ifd0, exif) = camera_tags("Canon", "Canon EOS R5");
    let mut ifd0 = ifd0;
    ifd0.insert(0, (0x0100, Val::Long(vec![8192])));
    ifd0.insert(1, (0x0101, Val::Long(vec![5464])));
    let bytes = cr3(&tiff(&ifd0, &[]), &tiff(&exif, &[]));
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "a.CR3", &bytes);
    let cr3 = Format::Raw(RawKind::Cr3);
    let inspection = inspect_file(&path, cr3).unwrap();
    assert_eq!(inspection.completeness, Completeness::Complete);
    let meta = inspection.metadata;
    assert_eq!(meta.camera_model.as_deref(), Some("Canon EOS R5"));
    assert_eq!(meta.camera_serial.as_deref(), Some("123456"));
    assert_eq!(meta.lens.as_deref(), Some("RF24-105mm F4 L IS USM"));
    assert_eq!(meta.orientation, Some(8));
    let captured = meta.captured_at.unwrap();
    assert_eq!(captured.local.to_string(), "2023-11-12T13:14:15");
    assert_eq!(captured.offset.map(|o| o.seconds()), Some(-5 * 3600));
    assert_eq!((meta.width, meta.height), (Some(8192), Some(5464)));
    // Cut before the image data: truncated, however neatly the boxes end.
    let cut = write(dir.path(), "cut.CR3", &bytes[..bytes.len() - 508]);
    assert!(matches!(
        inspect_file(&cut, cr3).unwrap().completeness,
        Completeness::Truncated(_)
    ));
}

#[test]
fn raf_metadata_comes_from_the_preview_jpeg() {
    let (ifd0, exif) = camera_tags("FUJIFILM", "X-T4");
    let preview = jpeg_with_exif(&jpeg(16, 16), &tiff(&ifd0, &exif));
    let bytes = raf(&preview);
    let dir = tempfile::tempdir().unwrap();
    let raf = Format::Raw(RawKind::Raf);
    let inspection = inspect_file(&write(dir.path(), "a.RAF", &bytes), raf).unwrap();
    assert_eq!(inspection.completeness, Completeness::Complete);
    assert_eq!(inspection.metadata.camera_make.as_deref(), Some("FUJIFILM"));
    assert_eq!(inspection.metadata.camera_model.as_deref(), Some("X-T4"));
    assert!(inspection.metadata.captured_at.is_some());
    let cut = write(dir.path(), "cut.RAF", &bytes[..bytes.len() - 1]);
    assert!(matches!(
        inspect_file(&cut, raf).unwrap().completeness,
        Completeness::Truncated(_)
    ));
}

#[test]
fn tiff_raw_metadata_and_sensor_size() {
    let (mut ifd0, exif) = camera_tags("SONY", "ILCE-7M3");
    // IFD0 is a reduced-size preview; the full image size is not in EXIF here.
    ifd0.insert(0, (0x00FE, Val::Long(vec![1])));
    ifd0.insert(1, (0x0100, Val::Short(160)));
    ifd0.insert(2, (0x0101, Val::Short(120)));
    let bytes = tiff(&ifd0, &exif);
    let dir = tempfile::tempdir().unwrap();
    let inspection = inspect_file(
        &write(dir.path(), "a.ARW", &bytes),
        Format::Raw(RawKind::Arw),
    )
    .unwrap();
    assert_eq!(inspection.completeness, Completeness::Complete);
    let meta = inspection.metadata;
    assert_eq!(meta.camera_make.as_deref(), Some("SONY"));
    assert_eq!(meta.orientation, Some(8));
    assert_eq!((meta.width, meta.height), (None, None));
}
