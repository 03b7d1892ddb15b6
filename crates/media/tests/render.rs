//! Renditions of the real photos in the developer set (see tests/devset.rs for how
//! it is found). Outputs are decoded with the `image` crate, an independent decoder,
//! and compared by size and by pixels.

use std::path::{Path, PathBuf};

use findme_media::{
    classify_path, inspect_file, render, Classification, Format, RawKind, RenderError,
    RenditionRequest, RenditionSource, Renditions,
};
use image::RgbImage;

use findme_testkit::devset;

fn req(long_edge: u32) -> RenditionRequest {
    RenditionRequest {
        long_edge,
        quality: 90,
    }
}

fn format_of(path: &Path) -> Format {
    match classify_path(Path::new(path.file_name().unwrap())) {
        Classification::Photo(format) => format,
        other => panic!("{}: {other:?}", path.display()),
    }
}

fn render_ok(path: &Path, requests: &[RenditionRequest]) -> Renditions {
    render(path, format_of(path), requests).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decodes a rendition with the `image` crate and checks it is the size it claims
/// and a baseline JPEG without EXIF.
fn decode(jpeg: &[u8], width: u32, height: u32) -> RgbImage {
    assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]));
    assert!(
        !jpeg.windows(6).any(|w| w == b"Exif\0\0"),
        "renditions carry no EXIF"
    );
    let image = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .expect("rendition decodes")
        .to_rgb8();
    assert_eq!(image.dimensions(), (width, height));
    image
}

/// Mean absolute difference per channel of two same-size images.
fn mad(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

/// Every orientation renders upright: the same size and nearly the same pixels as the
/// upright original, while the stored (unrotated) pixels differ a lot from it.
#[test]
fn all_eight_orientations_render_upright() {
    let dir = devset().join("orientation");
    let size = 96;
    let upright = render_ok(&dir.join("hopper.jpg"), &[req(size)]);
    let reference = &upright.outputs[0];
    let reference_px = decode(&reference.jpeg, reference.width, reference.height);
    assert_eq!((reference.width, reference.height), (96, 96));
    for n in 2..=8 {
        let path = dir.join(format!("hopper_orientation_{n}.jpg"));
        let out = render_ok(&path, &[req(size)]);
        // 96 of 128 px: libjpeg decodes at 3/4 directly.
        assert_eq!(
            out.source,
            RenditionSource::ScaledDecode {
                numerator: 3,
                denominator: 4
            }
        );
        let r = &out.outputs[0];
        assert_eq!(
            (r.width, r.height),
            (reference.width, reference.height),
            "{n}"
        );
        let px = decode(&r.jpeg, r.width, r.height);
        let diff = mad(&px, &reference_px);
        // The files were re-encoded after turning: even a lossless rotation of each
        // (vips autorot) differs from hopper.jpg by 4.6-4.9 on average.
        assert!(diff < 7.0, "orientation {n}: mean difference {diff:.2}");
        // The stored pixels, ignoring the tag, are far from upright: the test would
        // fail if the orientation were not applied (or applied wrongly).
        let stored = image::open(&path).unwrap().to_rgb8();
        let stored = image::imageops::resize(&stored, 96, 96, image::imageops::Lanczos3);
        let wrong = mad(&stored, &reference_px);
        eprintln!("orientation {n}: upright {diff:.2}, as stored {wrong:.2}");
        assert!(
            wrong > 3.0 * diff,
            "orientation {n}: stored differs only {wrong:.2}"
        );
    }
}

/// Every camera JPEG renders at min(request, its long edge), keeping its aspect ratio.
#[test]
fn camera_jpegs_render_at_the_requested_size() {
    let dir = devset().join("camera-jpeg");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut rendered = 0;
    for path in &files {
        let format = format_of(path);
        let name = path.file_name().unwrap().to_str().unwrap();
        if name == "ultrahdr.jpg" {
            // Pillow's fixture is cut short inside its scan data (ingest marks it
            // truncated): refused rather than drawn half grey. (Its 180×320 EXIF
            // thumbnail, which is whole, would serve a 320 px request alone.)
            let err = render(path, format, &[req(320), req(2048)]).unwrap_err();
            assert!(matches!(err, RenderError::Corrupt(_)), "{name}: {err}");
            assert!(err.to_string().starts_with("truncated: "), "{err}");
            continue;
        }
        let meta = inspect_file(path, format).unwrap().metadata;
        let (w, h) = (meta.width.unwrap(), meta.height.unwrap());
        let swap = meta.orientation.is_some_and(|o| o >= 5);
        let (uw, uh) = if swap { (h, w) } else { (w, h) };
        let requests = [req(320), req(2048)];
        let out = render_ok(path, &requests);
        assert_eq!(out.outputs.len(), 2);
        for (r, request) in out.outputs.iter().zip(&requests) {
            let long = request.long_edge.min(w.max(h));
            assert_eq!(r.width.max(r.height), long, "{name}");
            // Same orientation of the long edge, aspect within 1 px.
            assert_eq!(r.width >= r.height, uw >= uh, "{name}");
            let expected_short = f64::from(long) * f64::from(uw.min(uh)) / f64::from(uw.max(uh));
            let short = f64::from(r.width.min(r.height));
            assert!(
                (short - expected_short).abs() <= 1.0,
                "{name}: {short} vs {expected_short}"
            );
            decode(&r.jpeg, r.width, r.height);
        }
        rendered += 1;
    }
    assert!(rendered >= 18, "only {rendered} camera JPEGs rendered");
}

/// The rendition looks like the photo: compared with the `image` crate's own decode
/// and resize of the same file.
#[test]
fn rendition_matches_an_independent_decode() {
    let path = devset().join("camera-jpeg/mate_Elephants_5640x3172_SonyRX100M4.jpg");
    let out = render_ok(&path, &[req(320)]);
    assert_eq!(
        out.source,
        RenditionSource::ScaledDecode {
            numerator: 1,
            denominator: 8
        }
    );
    let r = &out.outputs[0];
    assert_eq!((r.width, r.height), (320, 180));
    let ours = decode(&r.jpeg, r.width, r.height);
    let theirs = image::open(&path).unwrap().to_rgb8();
    let theirs = image::imageops::resize(&theirs, 320, 180, image::imageops::Lanczos3);
    let diff = mad(&ours, &theirs);
    assert!(diff < 4.0, "mean difference {diff:.2}");
}

/// The CR2 renders from its embedded 1728×1152 JPEG (exiftool: PreviewImageStart
/// 83355, PreviewImageLength 373174), never upscaled, and looks like it.
#[test]
fn cr2_renders_from_its_embedded_preview() {
    let path = devset().join("raw/CanonEOS30D_IMG_5952.CR2");
    let out = render_ok(&path, &[req(320), req(2048)]);
    assert_eq!(out.source, RenditionSource::EmbeddedPreview);
    let (small, large) = (&out.outputs[0], &out.outputs[1]);
    assert_eq!((small.width, small.height), (320, 213));
    assert_eq!((large.width, large.height), (1728, 1152));
    let bytes = std::fs::read(&path).unwrap();
    let preview = &bytes[83_355..83_355 + 373_174];
    let theirs = image::load_from_memory(preview).unwrap().to_rgb8();
    assert_eq!(theirs.dimensions(), (1728, 1152));
    let ours = decode(&large.jpeg, large.width, large.height);
    let diff = mad(&ours, &theirs);
    assert!(diff < 3.0, "mean difference {diff:.2}");
    let theirs = image::imageops::resize(&theirs, 320, 213, image::imageops::Lanczos3);
    let diff = mad(&decode(&small.jpeg, 320, 213), &theirs);
    assert!(diff < 4.0, "mean difference {diff:.2}");
}

/// The RAW's own orientation is applied to its (unrotated) preview: the CR2 with its
/// IFD0 Orientation patched to 6 (rotate 90° clockwise) renders as a portrait.
#[test]
fn cr2_orientation_applies_to_its_preview() {
    let mut bytes = std::fs::read(devset().join("raw/CanonEOS30D_IMG_5952.CR2")).unwrap();
    assert_eq!(&bytes[..4], b"II*\0");
    let ifd0 = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let count = u16::from_le_bytes([bytes[ifd0], bytes[ifd0 + 1]]) as usize;
    let entry = (0..count)
        .map(|i| ifd0 + 2 + 12 * i)
        .find(|&at| u16::from_le_bytes([bytes[at], bytes[at + 1]]) == 0x0112)
        .expect("IFD0 has an Orientation entry");
    bytes[entry + 8..entry + 10].copy_from_slice(&6u16.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rotated.cr2");
    std::fs::write(&path, &bytes).unwrap();
    let out = render_ok(&path, &[req(320)]);
    let r = &out.outputs[0];
    assert_eq!((r.width, r.height), (213, 320));
    // Rotating the upright rendition 90° clockwise gives the same picture.
    let upright = render_ok(&devset().join("raw/CanonEOS30D_IMG_5952.CR2"), &[req(320)]);
    let upright = decode(&upright.outputs[0].jpeg, 320, 213);
    let rotated = image::imageops::rotate90(&upright);
    let diff = mad(&decode(&r.jpeg, 213, 320), &rotated);
    assert!(diff < 3.0, "mean difference {diff:.2}");
}

#[test]
fn heic_has_no_preview_yet() {
    let dir = devset().join("heic");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let err = render(&path, Format::Heif, &[req(320)]).unwrap_err();
        match err {
            RenderError::NoPreview(reason) => {
                assert_eq!(reason, "HEIC previews are not supported yet")
            }
            other => panic!("{}: {other:?}", path.display()),
        }
    }
}

/// Every hostile file gives a rendition that decodes, or an error with a reason.
#[test]
fn hostile_files_give_a_reason_or_a_valid_rendition() {
    let dir = devset().join("hostile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut outcomes = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let Classification::Photo(format) = classify_path(Path::new(&name)) else {
            continue;
        };
        match render(path, format, &[req(320), req(2048)]) {
            Ok(out) => {
                for r in &out.outputs {
                    decode(&r.jpeg, r.width, r.height);
                }
                outcomes.push((name, "ok".to_string()));
            }
            Err(e) => {
                let reason = e.to_string();
                assert!(reason.len() > 15, "{name}: terse reason {reason:?}");
                let kind = match e {
                    RenderError::NoPreview(_) => "no-preview",
                    RenderError::Corrupt(_) => "corrupt",
                    RenderError::TooLarge(_) => "too-large",
                    RenderError::Io(_) => "io",
                };
                outcomes.push((name, kind.to_string()));
            }
        }
    }
    let outcome = |name: &str| {
        outcomes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, o)| o.as_str())
            .unwrap_or_else(|| panic!("{name} not rendered"))
    };
    assert_eq!(outcome("truncated_jpeg.jpg"), "corrupt");
    assert_eq!(outcome("zero_bytes.jpg"), "corrupt");
    assert_eq!(outcome("broken.png"), "corrupt");
    assert_eq!(outcome("truncated_image.png"), "corrupt");
    assert_eq!(outcome("200MP.heic"), "no-preview");
    // Whole images with broken EXIF still render.
    for name in [
        "empty_gps_ifd.jpg",
        "exif-dpi-zerodivision.jpg",
        "exif-ifd-offset.jpg",
        "hopper_bad_exif.jpg",
        "invalid-exif-without-x-resolution.jpg",
        "invalid-exif.jpg",
        "sugarshack_bad_mpo_header.jpg",
        "png_decompression_dos.png",
    ] {
        assert_eq!(outcome(name), "ok", "{name}");
    }
    assert!(outcomes.len() >= 17, "{outcomes:?}");
}

/// A JPEG cut short is refused as corrupt (never a half-grey picture, never a panic).
#[test]
fn truncated_jpeg_is_corrupt() {
    let bytes =
        std::fs::read(devset().join("camera-jpeg/plasma_ColorfulCups_SonyNEX3N.jpg")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.jpg");
    for cut in [3, 100, 20_000, bytes.len() / 2, bytes.len() - 2] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        match render(&path, Format::Jpeg, &[req(320)]) {
            Err(RenderError::Corrupt(reason)) => assert!(reason.len() > 20, "{reason}"),
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
}

/// A PNG header claiming 60000×60000 is refused before any decoding.
#[test]
fn png_bomb_is_too_large() {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(b"IHDR");
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&[0; 4]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.png");
    std::fs::write(&path, &png).unwrap();
    match render(&path, Format::Png, &[req(320)]) {
        Err(RenderError::TooLarge(reason)) => assert_eq!(
            reason,
            "decompression bomb: the header claims 60000×60000 pixels (limit 400 MP)"
        ),
        other => panic!("{other:?}"),
    }
}

/// A real PNG (RGBA) renders, composited onto white.
#[test]
fn png_renders() {
    let path = devset().join("faces/face_recognition/32bit.png");
    let out = render_ok(&path, &[req(320)]);
    assert_eq!(out.source, RenditionSource::FullDecode);
    let r = &out.outputs[0];
    decode(&r.jpeg, r.width, r.height);
    assert_eq!(r.width.max(r.height), 320);
}

#[test]
fn missing_file_is_an_io_error_saying_so() {
    let err = render(
        Path::new("/nonexistent/IMG_0001.JPG"),
        Format::Jpeg,
        &[req(320)],
    )
    .unwrap_err();
    assert!(matches!(err, RenderError::Io(_)));
    assert_eq!(
        err.to_string(),
        "the file disappeared before its preview could be made"
    );
    let err = render(
        Path::new("/nonexistent/IMG_0001.CR2"),
        Format::Raw(RawKind::Cr2),
        &[req(320)],
    )
    .unwrap_err();
    assert!(matches!(err, RenderError::Io(_)));
}
