//! The ground truth survives what the app does to photos before upload: resize to 1/2,
//! 1/3 (and 1/4) and JPEG re-encode at quality 80. Detection must find exactly the people
//! that were drawn (none of the too-small ones), with boxes within 1% of the truth.

use findme_rekognition_mock::detect::{analyse, detect, min_face_px};
use findme_rekognition_mock::synth::{self, SynthFace, PALETTE_LEN};
use image::imageops::FilterType;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const W: u32 = 1920;
const H: u32 = 1080;

/// Up to one face per 320×270 cell, never touching; plus one 24 px face (below AWS's
/// 40 px minimum) that must never be found.
fn layout(seed: u64, min_size: u32) -> (Vec<SynthFace>, SynthFace) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut faces = Vec::new();
    let mut person = rng.random_range(0..PALETTE_LEN);
    for cy in 0..4u32 {
        for cx in 0..6u32 {
            if (cx, cy) == (0, 0) || !rng.random_bool(0.5) {
                continue;
            }
            let size = rng.random_range(min_size..=240);
            faces.push(SynthFace {
                person,
                left: cx * 320 + rng.random_range(10..=(310 - size).max(10)),
                top: cy * 270 + rng.random_range(10..=(260 - size).max(10)),
                size,
            });
            person = (person + 7) % PALETTE_LEN;
        }
    }
    let tiny = SynthFace {
        person: (person + 3) % PALETTE_LEN,
        left: 100,
        top: 100,
        size: 24,
    };
    (faces, tiny)
}

fn resized_jpeg(jpeg: &[u8], div: u32, filter: FilterType) -> Vec<u8> {
    // `DynamicImage::resize_exact` runs optimised even in test builds.
    let img = image::load_from_memory(jpeg).unwrap();
    let small = img.resize_exact(W / div, H / div, filter).to_rgb8();
    synth::encode_jpeg(&small, 80)
}

fn assert_matches_truth(bytes: &[u8], truth: &[SynthFace], what: &str) {
    let found = analyse(bytes).unwrap();
    let mut want: Vec<usize> = truth.iter().map(|f| f.person).collect();
    let mut got: Vec<usize> = found.iter().map(|d| d.person).collect();
    want.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, want, "{what}: people");
    for f in truth {
        let d = found.iter().find(|d| d.person == f.person).unwrap();
        let err = d.bounding_box.max_diff(&f.bounding_box(W, H));
        assert!(
            err < 0.01,
            "{what}: person {} box off by {err}: {:?}",
            f.person,
            d.bounding_box
        );
    }
}

#[test]
fn detection_survives_resize_and_reencode() {
    for seed in [1u64, 2, 3] {
        let (faces, tiny) = layout(seed, 60);
        assert!(faces.len() >= 4, "layout {seed} too sparse");
        let mut all = faces.clone();
        all.push(tiny);
        let original = synth::photo(W, H, &all, seed);
        assert_matches_truth(&original, &faces, &format!("seed {seed} original"));
        for (div, filter) in [
            (2, FilterType::Triangle),
            (2, FilterType::Lanczos3),
            (3, FilterType::CatmullRom),
            (3, FilterType::Lanczos3),
        ] {
            let small = resized_jpeg(&original, div, filter);
            assert_matches_truth(&small, &faces, &format!("seed {seed} 1/{div} {filter:?}"));
        }
    }
}

#[test]
fn detection_survives_quarter_size_for_big_enough_faces() {
    let (faces, tiny) = layout(4, 100);
    let mut all = faces.clone();
    all.push(tiny);
    let original = synth::photo(W, H, &all, 4);
    let small = resized_jpeg(&original, 4, FilterType::Lanczos3);
    assert_matches_truth(&small, &faces, "1/4");
}

#[test]
fn faces_under_the_aws_minimum_are_not_detected() {
    assert_eq!(min_face_px(1920, 1080), 40.0);
    assert_eq!(min_face_px(960, 540), 20.0);
    let face = |size| SynthFace {
        person: 5,
        left: 500,
        top: 500,
        size,
    };
    for (size, seen) in [(30, false), (34, false), (48, true), (60, true)] {
        let img = synth::render(W, H, &[face(size)], 9);
        assert_eq!(!detect(&img).is_empty(), seen, "{size} px face");
    }
}

#[test]
fn selfies_and_png_work_too() {
    for p in [0, 17, 31] {
        let d = analyse(&synth::selfie(p)).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].person, p);
        assert!(
            d[0].bounding_box
                .max_diff(&synth::selfie_face(p).bounding_box(480, 640))
                < 0.01
        );
    }
    let img = synth::render(
        800,
        600,
        &[SynthFace {
            person: 9,
            left: 10,
            top: 10,
            size: 100,
        }],
        1,
    );
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    assert_eq!(analyse(&png).unwrap()[0].person, 9);
}

#[test]
fn the_background_never_looks_like_a_person() {
    for seed in 0..5 {
        let original = synth::photo(W, H, &[], seed);
        assert!(analyse(&original).unwrap().is_empty());
        assert!(analyse(&resized_jpeg(&original, 3, FilterType::Lanczos3))
            .unwrap()
            .is_empty());
    }
}
