//! Inspection of the pinned developer set of real photos and hostile files.
//!
//! Expected values come from independent oracles: `exiftool` for metadata and
//! `sha256sum` (the set's SHA256SUMS, plus a few hard-coded digests) for hashes.
//! The set is found through `FINDME_DEVSET`, else `<workspace>/.cache/devset`;
//! build it with `scripts/devset.sh`. A missing set fails the tests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use findme_media::{
    classify_path, hash_file, inspect_file, Classification, Completeness, Format, Inspection,
    MediaError, Metadata, RawKind,
};

use findme_testkit::devset;

fn inspect(rel: &str) -> Inspection {
    let path = devset().join(rel);
    let Classification::Photo(format) = classify_path(Path::new(rel)) else {
        panic!("{rel} is not classified as a photo");
    };
    inspect_file(&path, format).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn metadata(rel: &str) -> Metadata {
    let inspection = inspect(rel);
    assert_eq!(inspection.completeness, Completeness::Complete, "{rel}");
    inspection.metadata
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Complete,
    Truncated,
    /// Invalid, with the start of the reason.
    Invalid(&'static str),
    Empty,
    Skip(&'static str),
}

/// What every hostile file (and the odd real one) must give.
fn expected_outcomes() -> HashMap<&'static str, Outcome> {
    use Outcome::*;
    HashMap::from([
        // Valid images that are hostile only to decoders with lower limits than ours.
        ("hostile/200MP.heic", Complete),
        // We never inflate text chunks, so the zTXt bomb is harmless here.
        ("hostile/png_decompression_dos.png", Complete),
        (
            "hostile/broken.png",
            Invalid("corrupt PNG: unreadable chunk type at byte 12"),
        ),
        (
            "hostile/corrupted.heic",
            Invalid("corrupt HEIF: unreadable box type at byte 36"),
        ),
        (
            "hostile/decompression_bomb.gif",
            Skip("GIF images are not catalogued"),
        ),
        (
            "hostile/decompression_bomb.ico",
            Skip("icon images are not catalogued"),
        ),
        ("hostile/empty.heic", Empty),
        ("hostile/zero_bytes.jpg", Empty),
        // Whole images whose EXIF is broken: catalogued, metadata partial.
        ("hostile/empty_gps_ifd.jpg", Complete),
        ("hostile/exif-dpi-zerodivision.jpg", Complete),
        ("hostile/exif-ifd-offset.jpg", Complete),
        ("hostile/hopper_bad_exif.jpg", Complete),
        ("hostile/invalid-exif-without-x-resolution.jpg", Complete),
        ("hostile/invalid-exif.jpg", Complete),
        ("hostile/sugarshack_bad_mpo_header.jpg", Complete),
        ("hostile/truncated.heic", Truncated),
        ("hostile/truncated_image.png", Truncated),
        ("hostile/truncated_iphone7_park.heic", Truncated),
        ("hostile/truncated_iphone7_rotate.heic", Truncated),
        ("hostile/truncated_jpeg.jpg", Truncated),
        // Pillow's fixture keeps the metadata but cuts the scan data short.
        ("camera-jpeg/ultrahdr.jpg", Truncated),
        (
            "SHA256SUMS",
            Skip("files without an extension are not catalogued"),
        ),
    ])
}

/// Inspect every file of the set: nothing panics, every hostile file gets its
/// expected outcome, every other photo is complete, and every hash equals sha256sum's.
#[test]
fn every_devset_file_has_its_expected_outcome_and_hash() {
    let root = devset();
    let sums = std::fs::read_to_string(root.join("SHA256SUMS")).unwrap();
    let sums: HashMap<&str, &str> = sums
        .lines()
        .filter_map(|line| line.split_once("  "))
        .map(|(hash, path)| (path.trim_start_matches("./"), hash))
        .collect();
    let expected = expected_outcomes();
    let mut files = Vec::new();
    all_files(&root, &mut files);
    let (mut seen, mut hashed) = (0, 0);
    for path in &files {
        // Relative to the set, as a scan classifies paths relative to its root.
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_str()
            .unwrap()
            .replace('\\', "/");
        let outcome = match classify_path(Path::new(&rel)) {
            Classification::Ignore => panic!("{rel} ignored"),
            Classification::Skip(reason) => {
                if let Some(Outcome::Skip(want)) = expected.get(rel.as_str()) {
                    assert_eq!(reason, *want, "{rel}");
                }
                continue;
            }
            Classification::Photo(format) => match inspect_file(path, format) {
                Err(MediaError::Empty) => Outcome::Empty,
                Err(e) => panic!("{rel}: unexpected error {e}"),
                Ok(inspection) => {
                    if let Some(want) = sums.get(rel.as_str()) {
                        assert_eq!(inspection.sha256.to_hex(), *want, "{rel}");
                        assert_eq!(inspection.size, std::fs::metadata(path).unwrap().len());
                        hashed += 1;
                    }
                    match inspection.completeness {
                        Completeness::Complete => Outcome::Complete,
                        Completeness::Truncated(reason) => {
                            assert!(reason.starts_with("truncated: "), "{rel}: {reason}");
                            Outcome::Truncated
                        }
                        Completeness::Invalid(reason) => match expected.get(rel.as_str()) {
                            Some(Outcome::Invalid(want)) if reason.starts_with(want) => {
                                Outcome::Invalid(want)
                            }
                            _ => panic!("{rel}: unexpected Invalid({reason})"),
                        },
                    }
                }
            },
        };
        let want = expected.get(rel.as_str()).unwrap_or(&Outcome::Complete);
        assert_eq!(&outcome, want, "{rel}");
        seen += 1;
    }
    assert!(seen >= 70, "only {seen} photos inspected");
    assert!(hashed >= 65, "only {hashed} hashes compared");
    for rel in expected.keys() {
        assert!(root.join(rel).exists(), "{rel} missing from the set");
    }
}

#[test]
fn hashes_equal_sha256sum() {
    let root = devset();
    for (rel, want) in [
        (
            "camera-jpeg/r_canon.jpg",
            "a34396c60d3d4031dba43d362fbdc4bc00fdcba9d790404ec0b8142c23f46cec",
        ),
        (
            "camera-jpeg/mate_Elephants_5640x3172_SonyRX100M4.jpg",
            "7ab602cd55aedd107743973353e58771860d1a74a0cd0701e8351096535edde8",
        ),
        (
            "heic/pug.heic",
            "1ddce96766efbfa0f6bdf634bdab26bdeff831393df8d67f4cdc7b7a7afebc67",
        ),
        (
            "hostile/truncated_jpeg.jpg",
            "9a83b18bfa4b7fbe1f89f4bec096a5782f2d649c707c5693fcce995d13141b39",
        ),
        (
            "raw/CanonEOS30D_IMG_5952.CR2",
            "9f4958fb43824fdc1defb6b262f8bacedb1879041b2d5f60dc5225ee1049d554",
        ),
    ] {
        assert_eq!(inspect(rel).sha256.to_hex(), want, "{rel}");
        let (sha, size) = hash_file(&root.join(rel)).unwrap();
        assert_eq!(sha.to_hex(), want, "{rel}");
        assert_eq!(size, std::fs::metadata(root.join(rel)).unwrap().len());
    }
    assert_eq!(inspect("raw/CanonEOS30D_IMG_5952.CR2").size, 7_523_286);
}

/// One photo's expected metadata, as exiftool reports it.
struct Want {
    file: &'static str,
    make: &'static str,
    model: &'static str,
    /// DateTimeOriginal with SubSecTimeOriginal, jiff's display.
    taken: &'static str,
    /// OffsetTimeOriginal in seconds.
    offset: Option<i32>,
    serial: Option<&'static str>,
    lens: Option<&'static str>,
    orientation: Option<u16>,
    size: (u32, u32),
}

fn assert_metadata(want: &Want) {
    let meta = metadata(want.file);
    let file = want.file;
    assert_eq!(meta.camera_make.as_deref(), Some(want.make), "{file}");
    assert_eq!(meta.camera_model.as_deref(), Some(want.model), "{file}");
    let taken = meta
        .captured_at
        .as_ref()
        .unwrap_or_else(|| panic!("{file}: no capture time"));
    assert_eq!(taken.local.to_string(), want.taken, "{file}");
    assert_eq!(taken.offset.map(|o| o.seconds()), want.offset, "{file}");
    assert_eq!(meta.camera_serial.as_deref(), want.serial, "{file}");
    assert_eq!(meta.lens.as_deref(), want.lens, "{file}");
    assert_eq!(meta.orientation, want.orientation, "{file}");
    assert_eq!(
        (meta.width, meta.height),
        (Some(want.size.0), Some(want.size.1)),
        "{file}"
    );
}

#[rustfmt::skip]
#[test]
fn camera_jpeg_metadata_matches_exiftool() {
    let wants = [
        Want { file: "camera-jpeg/r_canon.jpg", make: "Canon", model: "Canon PowerShot G1 X Mark II", taken: "2013-12-17T14:04:24", offset: None, serial: None, lens: None, orientation: Some(1), size: (80, 80) },
        Want { file: "camera-jpeg/xmp_test.jpg", make: "Canon", model: "Canon EOS Rebel T6", taken: "2018-10-27T13:27:23.53", offset: None, serial: Some("022070029137"), lens: Some("EF-S18-55mm f/3.5-5.6 III"), orientation: None, size: (2000, 1072) },
        // Serial from the Canon maker note, zero-padded as exiftool prints it.
        Want { file: "camera-jpeg/mate_Dune_CanonDigitalRebel.jpg", make: "Canon", model: "Canon EOS DIGITAL REBEL", taken: "2007-08-06T10:29:13", offset: None, serial: Some("0360020553"), lens: None, orientation: Some(1), size: (1680, 1050) },
        Want { file: "camera-jpeg/mate_Elephants_5640x3172_SonyRX100M4.jpg", make: "SONY", model: "DSC-RX100M4", taken: "2020-02-19T16:35:05", offset: None, serial: None, lens: None, orientation: Some(1), size: (5640, 3172) },
        Want { file: "camera-jpeg/mate_Wood_KonicaMinoltaZ5.jpg", make: "KONICA MINOLTA", model: "DiMAGE Z5", taken: "2008-04-19T13:43:16", offset: None, serial: None, lens: None, orientation: Some(1), size: (2560, 1920) },
        Want { file: "camera-jpeg/plasma_Path_OlympusEM1.jpg", make: "OLYMPUS IMAGING CORP.", model: "E-M1", taken: "2015-09-06T18:46:57", offset: None, serial: None, lens: None, orientation: None, size: (2560, 1600) },
        Want { file: "camera-jpeg/plasma_ColorfulCups_SonyNEX3N.jpg", make: "SONY", model: "NEX-3N", taken: "2014-04-29T14:25:26", offset: None, serial: None, lens: None, orientation: Some(1), size: (2560, 1600) },
        // Lens from LensSpecification (exiftool's LensInfo "35mm f/2").
        Want { file: "camera-jpeg/r_sony.jpg", make: "SONY", model: "DSC-RX1R", taken: "2013-04-13T10:22:18", offset: None, serial: None, lens: Some("35mm f/2"), orientation: Some(1), size: (80, 80) },
        Want { file: "camera-jpeg/r_ricoh.jpg", make: "PENTAX RICOH IMAGING", model: "GR", taken: "2013-03-29T10:06:41", offset: None, serial: None, lens: Some("GR LENS"), orientation: Some(1), size: (80, 80) },
        // BodySerialNumber is binary junk: dropped.
        Want { file: "camera-jpeg/r_casio.jpg", make: "CASIO COMPUTER CO.,LTD.", model: "EX-100", taken: "2014-03-24T17:18:28", offset: None, serial: None, lens: None, orientation: Some(1), size: (80, 80) },
        Want { file: "camera-jpeg/fujifilm.mpo", make: "FUJIFILM", model: "FinePix REAL 3D W3", taken: "2013-05-25T16:38:10", offset: None, serial: None, lens: None, orientation: Some(1), size: (3648, 2736) },
        Want { file: "camera-jpeg/sugarshack.mpo", make: "Nintendo", model: "Nintendo 3DS", taken: "2014-03-02T14:17:39", offset: None, serial: None, lens: None, orientation: None, size: (640, 480) },
        Want { file: "faces/face_recognition/obama.jpg", make: "Canon", model: "Canon EOS 5D Mark III", taken: "2012-12-06T15:46:01", offset: None, serial: Some("042033006980"), lens: Some("EF85mm f/1.2L USM"), orientation: Some(1), size: (910, 1137) },
        Want { file: "hostile/empty_gps_ifd.jpg", make: "Xiaomi", model: "Redmi Note 9S", taken: "2020-07-27T14:46:48.780685", offset: None, serial: None, lens: None, orientation: Some(6), size: (10, 10) },
    ];
    for want in &wants {
        assert_metadata(want);
    }
}

#[rustfmt::skip]
#[test]
fn heic_metadata_matches_exiftool() {
    let wants = [
        Want { file: "heic/pug.heic", make: "Apple", model: "iPhone 13 Pro", taken: "2023-02-21T14:33:08.302", offset: Some(3 * 3600), serial: None, lens: Some("iPhone 13 Pro back dual wide camera 5.7mm f/1.5"), orientation: Some(1), size: (4032, 3024) },
        Want { file: "heic/arrow.heic", make: "Apple", model: "iPhone 8 Plus", taken: "2018-07-31T14:52:07.557", offset: None, serial: None, lens: Some("iPhone 8 Plus back dual camera 3.99mm f/1.8"), orientation: Some(6), size: (4032, 3024) },
        Want { file: "heic/L_exif_xmp_iptc.heic", make: "SONY", model: "ILCE-7SM3", taken: "2020-09-14T11:09:34.641", offset: Some(-5 * 3600), serial: None, lens: Some("FE 24-70mm F2.8 GM"), orientation: None, size: (64, 64) },
        Want { file: "hostile/200MP.heic", make: "samsung", model: "Galaxy S24 Ultra", taken: "2025-01-19T14:53:27.031", offset: Some(3 * 3600), serial: None, lens: None, orientation: Some(6), size: (16320, 12240) },
    ];
    for want in &wants {
        assert_metadata(want);
    }
}

#[rustfmt::skip]
#[test]
fn cr2_metadata_matches_exiftool() {
    // Serial and lens come from the Canon maker note; the size from EXIF (the
    // first directory describes a 1728×1152 preview).
    assert_metadata(&Want { file: "raw/CanonEOS30D_IMG_5952.CR2", make: "Canon", model: "Canon EOS 30D", taken: "2009-07-21T13:03:20", offset: None, serial: Some("1530910263"), lens: Some("EF-S18-55mm f/3.5-5.6"), orientation: Some(1), size: (3504, 2336) });
    let inspection = inspect("raw/CanonEOS30D_IMG_5952.CR2");
    assert_eq!(inspection.format, Format::Raw(RawKind::Cr2));
}

#[test]
fn orientation_tags_are_read() {
    assert_eq!(metadata("orientation/hopper.jpg").orientation, None);
    for n in 2..=8u16 {
        let meta = metadata(&format!("orientation/hopper_orientation_{n}.jpg"));
        assert_eq!(meta.orientation, Some(n));
        assert_eq!((meta.width, meta.height), (Some(128), Some(128)));
    }
}

#[test]
fn broken_exif_gives_partial_metadata() {
    // Only IFD0 DateTime survives: it is the capture-time fallback.
    let meta = metadata("hostile/exif-dpi-zerodivision.jpg");
    assert_eq!(
        meta.captured_at.unwrap().local.to_string(),
        "2017-03-13T23:03:09"
    );
    assert_eq!((meta.camera_make, meta.orientation), (None, Some(1)));
    let meta = metadata("hostile/invalid-exif-without-x-resolution.jpg");
    assert_eq!(
        meta.captured_at.unwrap().local.to_string(),
        "2016-12-03T11:17:43"
    );
    assert_eq!(metadata("hostile/invalid-exif.jpg").captured_at, None);
    assert_eq!(
        metadata("hostile/sugarshack_bad_mpo_header.jpg")
            .camera_model
            .as_deref(),
        Some("Nintendo 3DS")
    );
}

#[test]
fn real_files_cut_short_are_truncated() {
    let root = devset();
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Format, &[usize]); 5] = [
        (
            "raw/CanonEOS30D_IMG_5952.CR2",
            Format::Raw(RawKind::Cr2),
            &[100_000, 5_000_000, 7_523_285],
        ),
        (
            "heic/pug.heic",
            Format::Heif,
            &[1, 2000, 600_000, 1_299_080],
        ),
        (
            "camera-jpeg/r_canon.jpg",
            Format::Jpeg,
            &[1, 2, 500, 21_701, 21_702],
        ),
        ("camera-jpeg/fujifilm.mpo", Format::Jpeg, &[4_000_000]),
        (
            "faces/face_recognition/32bit.png",
            Format::Png,
            &[8, 50_000, 887_445],
        ),
    ];
    for (rel, format, cuts) in cases {
        let bytes = std::fs::read(root.join(rel)).unwrap();
        for &cut in cuts {
            let path = dir.path().join("cut");
            std::fs::write(&path, &bytes[..cut]).unwrap();
            let inspection = inspect_file(&path, format).unwrap();
            assert!(
                matches!(inspection.completeness, Completeness::Truncated(_)),
                "{rel} cut at {cut}: {:?}",
                inspection.completeness
            );
            assert_eq!(inspection.metadata, Metadata::default());
        }
    }
}

#[test]
fn content_of_another_format_is_invalid() {
    let root = devset();
    let cases = [
        ("heic/pug.heic", Format::Jpeg, "not a JPEG image: the content starts with a HEIF/HEIC header"),
        ("camera-jpeg/r_canon.jpg", Format::Png, "not a PNG image: the content starts with a JPEG signature"),
        (
            "raw/CanonEOS30D_IMG_5952.CR2",
            Format::Heif,
            "not a HEIF image: the content starts with a TIFF header (TIFF image or TIFF-based RAW)",
        ),
        ("camera-jpeg/r_canon.jpg", Format::Raw(RawKind::Cr2), "not a CR2 file: the content starts with a JPEG signature"),
    ];
    for (rel, format, reason) in cases {
        let inspection = inspect_file(&root.join(rel), format).unwrap();
        assert_eq!(
            inspection.completeness,
            Completeness::Invalid(reason.to_string()),
            "{rel}"
        );
    }
}
