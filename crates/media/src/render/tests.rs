//! Rendition tests on synthetic files: scale choice, orientation transforms, EXIF
//! thumbnails, colour models, PNG alpha. RAW containers are in `tests_raw.rs`; real
//! photos in `tests/render.rs`.

use std::path::{Path, PathBuf};

use super::jpeg::{choose_scale, frame, scaled, Frame};
use super::pixels::{orient, Rgb};
use super::*;
use crate::testutil::{jpeg, jpeg_with_exif};

pub(super) fn req(long_edge: u32) -> RenditionRequest {
    RenditionRequest {
        long_edge,
        quality: 90,
    }
}

/// A baseline 4:4:4 JPEG whose left half is `left` and right half `right`.
pub(super) fn halves(w: u32, h: u32, left: [u8; 3], right: [u8; 3]) -> Vec<u8> {
    let mut pixels = Vec::with_capacity((w * h * 3) as usize);
    for _ in 0..h {
        for x in 0..w {
            pixels.extend_from_slice(if x < w / 2 { &left } else { &right });
        }
    }
    encode(&pixels, w, h, turbojpeg::PixelFormat::RGB)
}

pub(super) fn solid(w: u32, h: u32, color: [u8; 3]) -> Vec<u8> {
    halves(w, h, color, color)
}

fn encode(pixels: &[u8], w: u32, h: u32, format: turbojpeg::PixelFormat) -> Vec<u8> {
    let mut c = turbojpeg::Compressor::new().unwrap();
    c.set_quality(95);
    c.set_subsamp(turbojpeg::Subsamp::None);
    c.compress_to_vec(turbojpeg::Image {
        pixels,
        width: w as usize,
        pitch: w as usize * format.size(),
        height: h as usize,
        format,
    })
    .unwrap()
}

/// Writes `bytes` to a fresh file in `dir`.
pub(super) fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The decoded pixels of an output, with its claimed size checked.
pub(super) fn pixels(r: &Rendition) -> image::RgbImage {
    let img = image::load_from_memory_with_format(&r.jpeg, image::ImageFormat::Jpeg)
        .unwrap()
        .to_rgb8();
    assert_eq!(img.dimensions(), (r.width, r.height));
    img
}

pub(super) fn near(actual: &image::Rgb<u8>, want: [u8; 3]) -> bool {
    actual.0.iter().zip(want).all(|(a, w)| a.abs_diff(w) <= 12)
}

/// A little-endian EXIF block: IFD0 with Orientation, IFD1 pointing at `thumb`.
pub(super) fn exif_with_thumbnail(orientation: u16, thumb: &[u8]) -> Vec<u8> {
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    t.extend_from_slice(&1u16.to_le_bytes());
    t.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0]);
    t.extend_from_slice(&u32::from(orientation).to_le_bytes());
    t.extend_from_slice(&26u32.to_le_bytes()); // IFD1
    t.extend_from_slice(&2u16.to_le_bytes());
    t.extend_from_slice(&[0x01, 0x02, 4, 0, 1, 0, 0, 0]);
    t.extend_from_slice(&56u32.to_le_bytes());
    t.extend_from_slice(&[0x02, 0x02, 4, 0, 1, 0, 0, 0]);
    t.extend_from_slice(&(thumb.len() as u32).to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(t.len(), 56);
    t.extend_from_slice(thumb);
    t
}

fn render_bytes(
    name: &str,
    format: Format,
    bytes: &[u8],
    requests: &[RenditionRequest],
) -> Renditions {
    let dir = tempfile::tempdir().unwrap();
    render(&file(&dir, name, bytes), format, requests).unwrap()
}

#[test]
fn scale_is_the_smallest_that_covers_the_largest_request() {
    let cases = [
        ((6000, 4000, 320), 1),
        ((4000, 6000, 320), 1),
        ((6000, 4000, 750), 1),
        ((6000, 4000, 751), 2),
        // 3/8 of 6000 is 2250: enough for 2048.
        ((6000, 4000, 2048), 3),
        ((6000, 4000, 2560), 4),
        ((6000, 4000, 6000), 8),
        ((6000, 4000, 9000), 8),
        ((128, 128, 96), 6),
        ((10, 10, 320), 8),
    ];
    for ((w, h, largest), n) in cases {
        assert_eq!(choose_scale(w, h, largest), n, "{w}×{h} for {largest}");
    }
    assert_eq!(scaled(3172, 1), 397);
    assert_eq!(scaled(5640, 1), 705);
}

/// The decode is chosen once for all requests: 1/8 of a 6000×4000 JPEG for a
/// thumbnail alone, 3/8 when a 2048 px preview is also wanted, full size beyond.
#[test]
fn one_decode_serves_every_request() {
    let big = jpeg(6000, 4000);
    let out = render_bytes("a.jpg", Format::Jpeg, &big, &[req(320)]);
    let eighth = RenditionSource::ScaledDecode {
        numerator: 1,
        denominator: 8,
    };
    assert_eq!(out.source, eighth);
    assert_eq!((out.outputs[0].width, out.outputs[0].height), (320, 213));

    let out = render_bytes("a.jpg", Format::Jpeg, &big, &[req(320), req(2048)]);
    assert_eq!(
        out.source,
        RenditionSource::ScaledDecode {
            numerator: 3,
            denominator: 8
        }
    );
    let sizes: Vec<_> = out.outputs.iter().map(|r| (r.width, r.height)).collect();
    assert_eq!(sizes, [(320, 213), (2048, 1365)]);
    for r in &out.outputs {
        pixels(r);
    }

    let out = render_bytes(
        "a.jpg",
        Format::Jpeg,
        &big,
        &[req(8000), req(320), req(2560)],
    );
    assert_eq!(out.source, RenditionSource::FullDecode);
    let sizes: Vec<_> = out.outputs.iter().map(|r| (r.width, r.height)).collect();
    assert_eq!(sizes, [(6000, 4000), (320, 213), (2560, 1707)]);
}

#[test]
fn no_requests_no_outputs() {
    let out = render(Path::new("/nonexistent"), Format::Jpeg, &[]).unwrap();
    assert!(out.outputs.is_empty());
}

#[test]
fn quality_is_clamped() {
    let j = jpeg(64, 48);
    for quality in [0, 1, 100, 255] {
        let request = RenditionRequest {
            long_edge: 32,
            quality,
        };
        let out = render_bytes("q.jpg", Format::Jpeg, &j, &[request]);
        assert_eq!((out.outputs[0].width, out.outputs[0].height), (32, 24));
        pixels(&out.outputs[0]);
    }
}

/// Each orientation equals the `image` crate's own transforms.
#[test]
fn orientation_transforms_match_the_exif_definitions() {
    use image::imageops::{flip_horizontal, flip_vertical, rotate180, rotate270, rotate90};
    let (w, h) = (5u32, 3u32);
    let src = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7]));
    let rgb = Rgb {
        data: src.as_raw().clone(),
        width: w,
        height: h,
    };
    let expected = [
        (2, flip_horizontal(&src)),
        (3, rotate180(&src)),
        (4, flip_vertical(&src)),
        (5, flip_horizontal(&rotate90(&src))),
        (6, rotate90(&src)),
        (7, flip_horizontal(&rotate270(&src))),
        (8, rotate270(&src)),
    ];
    for (o, want) in expected {
        let got = orient(&rgb, o).unwrap();
        assert_eq!((got.width, got.height), want.dimensions(), "{o}");
        assert_eq!(&got.data, want.as_raw(), "orientation {o}");
    }
    assert!(orient(&rgb, 1).is_none() && orient(&rgb, 9).is_none());
}

#[test]
fn frame_headers_are_found() {
    let want = Frame {
        code: 0xC0,
        width: 20,
        height: 12,
        components: 3,
    };
    assert_eq!(frame(&jpeg(20, 12)), Some(want));
    let mut filled = jpeg(20, 12);
    filled.splice(2..2, [0xFF, 0xFF]);
    assert_eq!(frame(&filled), Some(want));
    assert!(want.decodable());
    let lossless = Frame { code: 0xC3, ..want };
    assert!(!lossless.decodable());
    assert_eq!(frame(b"\xFF\xD8\xFF\xDA\x00\x02"), None);
    assert_eq!(frame(b"\xFF\xD8\xFF\xE1\xFF\xFF"), None);
    assert_eq!(frame(b"not a jpeg"), None);
    assert_eq!(frame(&[]), None);
}

/// A large enough EXIF thumbnail of the right shape is decoded instead of the photo;
/// a letterboxed or too small one is not.
#[test]
fn exif_thumbnail_serves_small_requests() {
    let photo = solid(1200, 800, [0, 0, 255]);
    let thumb = solid(480, 320, [255, 0, 0]);
    let with_thumb = jpeg_with_exif(&photo, &exif_with_thumbnail(6, &thumb));
    let out = render_bytes("t.jpg", Format::Jpeg, &with_thumb, &[req(320)]);
    assert_eq!(out.source, RenditionSource::EmbeddedPreview);
    // Orientation 6 turns the 320×213 thumbnail upright.
    assert_eq!((out.outputs[0].width, out.outputs[0].height), (213, 320));
    assert!(near(
        pixels(&out.outputs[0]).get_pixel(100, 160),
        [255, 0, 0]
    ));

    let out = render_bytes("t.jpg", Format::Jpeg, &with_thumb, &[req(320), req(640)]);
    assert_eq!(
        out.source,
        RenditionSource::ScaledDecode {
            numerator: 5,
            denominator: 8
        }
    );
    assert_eq!((out.outputs[1].width, out.outputs[1].height), (427, 640));
    assert!(near(
        pixels(&out.outputs[1]).get_pixel(200, 300),
        [0, 0, 255]
    ));

    // 4:3 thumbnail of a 3:2 photo (padded with bars by the camera): not used.
    let padded = jpeg_with_exif(
        &photo,
        &exif_with_thumbnail(1, &solid(480, 360, [255, 0, 0])),
    );
    let out = render_bytes("p.jpg", Format::Jpeg, &padded, &[req(320)]);
    assert_ne!(out.source, RenditionSource::EmbeddedPreview);
    // A broken thumbnail falls back to the photo.
    let broken = jpeg_with_exif(&photo, &exif_with_thumbnail(1, &thumb[..thumb.len() / 3]));
    let out = render_bytes("b.jpg", Format::Jpeg, &broken, &[req(320)]);
    assert_ne!(out.source, RenditionSource::EmbeddedPreview);
    assert!(near(
        pixels(&out.outputs[0]).get_pixel(100, 100),
        [0, 0, 255]
    ));
}

/// Chroma sampled 2×1, 1×1, 2×1 (made with `cjpeg -sample 2x1,1x1,2x1`): TurboJPEG
/// 2.x cannot name this sampling and refuses the header, but decodes the image.
#[test]
fn unusual_chroma_sampling_renders() {
    let bytes = include_bytes!("../../tests/fixtures/odd_sampling_2x1_1x1_2x1.jpg");
    let out = render_bytes("odd.jpg", Format::Jpeg, bytes, &[req(32)]);
    let px = pixels(&out.outputs[0]);
    assert_eq!(px.dimensions(), (32, 24));
    assert!(
        near(px.get_pixel(4, 10), [220, 30, 30]),
        "{:?}",
        px.get_pixel(4, 10)
    );
    assert!(
        near(px.get_pixel(28, 10), [30, 30, 220]),
        "{:?}",
        px.get_pixel(28, 10)
    );
}

#[test]
fn grayscale_jpeg_renders_as_rgb() {
    let gray = image::GrayImage::from_fn(300, 200, |x, _| image::Luma([(x % 256) as u8]));
    let mut bytes = Vec::new();
    image::DynamicImage::ImageLuma8(gray)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let out = render_bytes("g.jpg", Format::Jpeg, &bytes, &[req(150)]);
    let px = pixels(&out.outputs[0]);
    assert_eq!(px.dimensions(), (150, 100));
    let p = px.get_pixel(75, 50);
    assert!(
        p[0].abs_diff(p[1]) <= 2 && p[1].abs_diff(p[2]) <= 2,
        "{p:?}"
    );
}

/// CMYK (Adobe's inverted convention, YCCK-coded by libjpeg-turbo) becomes RGB.
#[test]
fn cmyk_jpeg_renders_as_rgb() {
    let (w, h) = (64u32, 32u32);
    let mut cmyk = Vec::new();
    for _ in 0..h {
        for x in 0..w {
            // Stored values: 255 = no ink. Left red (no cyan ink), right black (all K).
            cmyk.extend_from_slice(if x < w / 2 {
                &[255, 0, 0, 255]
            } else {
                &[255, 255, 255, 0]
            });
        }
    }
    let bytes = encode(&cmyk, w, h, turbojpeg::PixelFormat::CMYK);
    let out = render_bytes("c.jpg", Format::Jpeg, &bytes, &[req(64)]);
    assert_eq!(out.source, RenditionSource::FullDecode);
    let px = pixels(&out.outputs[0]);
    assert!(
        near(px.get_pixel(8, 16), [255, 0, 0]),
        "{:?}",
        px.get_pixel(8, 16)
    );
    assert!(
        near(px.get_pixel(56, 16), [0, 0, 0]),
        "{:?}",
        px.get_pixel(56, 16)
    );
}

/// 16-bit RGBA: half-transparent black over white is mid grey; EXIF orientation in
/// an eXIf chunk is applied.
#[test]
fn png_alpha_is_composited_on_white_and_orientation_applied() {
    let img = image::ImageBuffer::<image::Rgba<u16>, _>::from_fn(40, 20, |x, _| {
        if x < 20 {
            image::Rgba([0, 0, 0, 32768])
        } else {
            image::Rgba([65535, 0, 0, 65535])
        }
    });
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgba16(img)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    let out = render_bytes("a.png", Format::Png, &bytes, &[req(40)]);
    assert_eq!(out.source, RenditionSource::FullDecode);
    let px = pixels(&out.outputs[0]);
    assert!(
        near(px.get_pixel(5, 10), [128, 128, 128]),
        "{:?}",
        px.get_pixel(5, 10)
    );
    assert!(near(px.get_pixel(35, 10), [255, 0, 0]));

    // The same PNG with an eXIf chunk saying "rotate 90° clockwise" (6).
    let exif = crate::testutil::tiff(&[(0x0112, crate::testutil::Val::Short(6))], &[]);
    let mut chunk = (exif.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(b"eXIf");
    chunk.extend_from_slice(&exif);
    chunk.extend_from_slice(&[0; 4]);
    let iend = bytes.len() - 12;
    bytes.splice(iend..iend, chunk);
    let out = render_bytes("r.png", Format::Png, &bytes, &[req(40)]);
    let px = pixels(&out.outputs[0]);
    assert_eq!(px.dimensions(), (20, 40));
    // The left (grey) half is now on top.
    assert!(near(px.get_pixel(10, 5), [128, 128, 128]));
    assert!(near(px.get_pixel(10, 35), [255, 0, 0]));
}

#[test]
fn jpeg_header_bomb_is_refused_before_decoding() {
    // A frame header claiming 65000×65000 (4.2 GP) and no data worth decoding.
    let mut bytes = jpeg(16, 16);
    let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    bytes[sof + 5..sof + 9].copy_from_slice(&[0xFD, 0xE8, 0xFD, 0xE8]);
    let dir = tempfile::tempdir().unwrap();
    match render(&file(&dir, "bomb.jpg", &bytes), Format::Jpeg, &[req(320)]) {
        Err(RenderError::TooLarge(reason)) => assert_eq!(
            reason,
            "decompression bomb: the header claims 65000×65000 pixels (limit 400 MP)"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn content_of_another_format_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let png = file(&dir, "x.jpg", &crate::testutil::png(8, 8));
    assert!(matches!(
        render(&png, Format::Jpeg, &[req(320)]),
        Err(RenderError::Corrupt(_))
    ));
    let jpg = file(&dir, "x.png", &jpeg(8, 8));
    match render(&jpg, Format::Png, &[req(320)]) {
        Err(RenderError::Corrupt(reason)) => {
            assert_eq!(reason, "not a PNG image: the PNG signature is missing")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_read_well() {
    let gone = RenderError::Io(std::io::Error::from(std::io::ErrorKind::NotFound));
    assert_eq!(
        gone.to_string(),
        "the file disappeared before its preview could be made"
    );
    let denied = RenderError::Io(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
    assert_eq!(
        denied.to_string(),
        "permission denied: FindMe cannot read this file"
    );
}
