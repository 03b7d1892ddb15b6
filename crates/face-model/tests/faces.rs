//! Accuracy on real faces from the developer set: identity matching, a 29-face
//! group photo, recall of hand-labelled boxes, a photo without people, EXIF
//! orientation, and the threshold evaluation behind DEFAULT_MATCH_THRESHOLD.
//! Figures measured on 2026-11-30 are in the comments and docs/face-model.md.

mod common;

use common::{analyze, decode, decode_at, faces_dir, largest, model};
use findme_face_model::{eval, AnalyzeOptions, Embedding, DEFAULT_MATCH_THRESHOLD};

/// Detector options for the recall tests: no size floor, so the detector itself is
/// measured (the default 40 px floor is a matching policy, tested separately).
fn any_size() -> AnalyzeOptions {
    AnalyzeOptions {
        min_face_px: 0,
        ..AnalyzeOptions::default()
    }
}

fn portrait(name: &str) -> Embedding {
    let path = faces_dir().join("face_recognition").join(name);
    let faces = analyze(&path);
    largest(&faces)
        .unwrap_or_else(|| panic!("no face found in {name}"))
        .embedding
}

/// Measured: obama2 0.751, obama3 0.801, partial 0.904 / 0.922, biden 0.089.
#[test]
fn each_obama_photo_matches_obama_and_biden_does_not() {
    let reference = portrait("obama.jpg");
    for name in [
        "obama2.jpg",
        "obama3.jpg",
        "obama_partial_face.jpg",
        "obama_partial_face2.jpg",
        "32bit.png",
    ] {
        let score = reference.cosine(&portrait(name));
        eprintln!("obama.jpg vs {name}: {score:.3}");
        assert!(
            score >= DEFAULT_MATCH_THRESHOLD + 0.2,
            "{name} should match obama.jpg with margin: {score:.3}"
        );
    }
    let score = reference.cosine(&portrait("biden.jpg"));
    eprintln!("obama.jpg vs biden.jpg: {score:.3}");
    assert!(
        score < DEFAULT_MATCH_THRESHOLD - 0.15,
        "biden.jpg must not match obama.jpg: {score:.3}"
    );
}

/// Measured: 29 of 29 with no size floor (faces are 25-40 px in this 1280 px scan).
#[test]
fn group_photo_yields_at_least_25_faces() {
    let image = decode(&faces_dir().join("solvay_1927_29faces.png"));
    let faces = model().analyze(&image, &any_size()).expect("analyze");
    eprintln!("solvay 1927: {} faces", faces.len());
    assert!(faces.len() >= 25, "found {} of 29 faces", faces.len());
    assert!(
        faces.len() <= 31,
        "found {} faces in a 29-face photo",
        faces.len()
    );
}

/// One hand-labelled face box: left, top, width, height in pixels.
type Box4 = (f32, f32, f32, f32);

/// `(file, boxes)` of a dlib imglab XML file (only the attributes used here).
fn imglab(xml: &str) -> Vec<(String, Vec<Box4>)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!(" {name}='"))? + name.len() + 3;
        let end = tag[at..].find('\'')?;
        Some(tag[at..at + end].to_string())
    };
    let num = |tag: &str, name: &str| -> f32 {
        attr(tag, name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("box without {name}: {tag}"))
    };
    let mut out: Vec<(String, Vec<Box4>)> = Vec::new();
    for tag in xml.split('<').skip(1) {
        if tag.starts_with("image ") {
            out.push((attr(tag, "file").expect("image file"), Vec::new()));
        } else if tag.starts_with("box ") && attr(tag, "ignore").as_deref() != Some("1") {
            let b = (
                num(tag, "left"),
                num(tag, "top"),
                num(tag, "width"),
                num(tag, "height"),
            );
            out.last_mut().expect("box inside an image").1.push(b);
        }
    }
    out
}

fn iou(a: Box4, b: Box4) -> f32 {
    let ix = ((a.0 + a.2).min(b.0 + b.2) - a.0.max(b.0)).max(0.0);
    let iy = ((a.1 + a.3).min(b.1 + b.3) - a.1.max(b.1)).max(0.0);
    let inter = ix * iy;
    inter / (a.2 * a.3 + b.2 * b.3 - inter)
}

/// Recall of the 43 hand-labelled boxes of dlib's testing.xml + training.xml at
/// IoU ≥ 0.3 (each detection matches at most one box), with no size floor: most
/// boxes are 37-44 px, so the default 40 px floor would drop many by design.
#[test]
fn hand_labelled_faces_are_found() {
    let dir = faces_dir().join("dlib");
    let (mut labelled, mut found, mut extra) = (0usize, 0usize, 0usize);
    for xml in ["testing.xml", "training.xml"] {
        let text = std::fs::read_to_string(dir.join(xml)).expect("read the dlib XML");
        for (file, boxes) in imglab(&text) {
            // Labels are in pixels of the original, so decode at full size.
            let image = decode_at(&dir.join(&file), 100_000);
            let (w, h) = (image.width as f32, image.height as f32);
            let detected: Vec<Box4> = model()
                .detect(&image, &any_size())
                .expect("detect")
                .iter()
                .map(|f| (f.left * w, f.top * h, f.width * w, f.height * h))
                .collect();
            let mut used = vec![false; detected.len()];
            for b in &boxes {
                let best = (0..detected.len())
                    .filter(|&i| !used[i])
                    .max_by(|&i, &j| iou(*b, detected[i]).total_cmp(&iou(*b, detected[j])));
                if let Some(i) = best.filter(|&i| iou(*b, detected[i]) >= 0.3) {
                    used[i] = true;
                    found += 1;
                }
            }
            labelled += boxes.len();
            extra += used.iter().filter(|u| !**u).count();
            eprintln!(
                "{file}: {} labelled, {} detected",
                boxes.len(),
                detected.len()
            );
        }
    }
    let recall = found as f64 / labelled as f64;
    eprintln!("dlib recall: {found}/{labelled} = {recall:.3}; {extra} unlabelled detections");
    assert_eq!(labelled, 43, "the dlib XML files changed");
    // Measured 43/43 (1.000) with 1 unlabelled detection (a real, unlabelled face).
    assert!(recall >= 0.9, "recall {recall:.3} < 0.9");
}

/// YuNet fires on dog faces: measured 2 "faces" (scores 0.77 and 0.65) on dogs.jpg.
/// What matters for matching is that they match nobody: asserted here.
#[test]
fn dogs_match_no_person() {
    let dogs = analyze(&faces_dir().join("dlib").join("dogs.jpg"));
    eprintln!("dogs.jpg: {} detections", dogs.len());
    assert!(
        dogs.len() <= 2,
        "more dog detections than measured: {}",
        dogs.len()
    );
    let people = [portrait("obama.jpg"), portrait("biden.jpg")];
    for dog in &dogs {
        for person in &people {
            let score = dog.embedding.cosine(person);
            assert!(
                score < DEFAULT_MATCH_THRESHOLD,
                "a dog matches a person: {score:.3}"
            );
        }
    }
}

/// A minimal little-endian TIFF block holding only Orientation = `o`.
fn exif_orientation(o: u16) -> Vec<u8> {
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    t.extend_from_slice(&1u16.to_le_bytes());
    t.extend_from_slice(&0x0112u16.to_le_bytes());
    t.extend_from_slice(&3u16.to_le_bytes());
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(&u32::from(o).to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    t
}

/// A photo stored sideways with EXIF orientation 6 (as phones write portraits) is
/// turned upright by render_rgb: same size, face at the same place, same person.
#[test]
fn face_in_an_orientation_6_photo_is_found() {
    let path = faces_dir().join("face_recognition").join("obama.jpg");
    let upright = decode_at(&path, 1280);
    let reference = model()
        .analyze(&upright, &AnalyzeOptions::default())
        .unwrap();
    let reference = largest(&reference).expect("a face in obama.jpg");

    let img = image::RgbImage::from_raw(upright.width, upright.height, upright.pixels.clone())
        .expect("buffer");
    // Stored turned a quarter left: orientation 6 turns it a quarter right to display.
    let stored = image::imageops::rotate270(&img);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92)
        .encode_image(&stored)
        .unwrap();
    let tiff = exif_orientation(6);
    let mut file = jpeg[..2].to_vec();
    file.extend_from_slice(&[0xFF, 0xE1]);
    file.extend_from_slice(&u16::try_from(tiff.len() + 8).unwrap().to_be_bytes());
    file.extend_from_slice(b"Exif\0\0");
    file.extend_from_slice(&tiff);
    file.extend_from_slice(&jpeg[2..]);
    let dir = tempfile::tempdir().unwrap();
    let rotated = dir.path().join("obama_orientation_6.jpg");
    std::fs::write(&rotated, &file).unwrap();

    let image = decode_at(&rotated, 1280);
    assert_eq!((image.width, image.height), (upright.width, upright.height));
    let faces = model().analyze(&image, &AnalyzeOptions::default()).unwrap();
    assert_eq!(faces.len(), 1, "{faces:?}");
    let (a, b) = (&faces[0].face, &reference.face);
    for (x, y) in [(a.left, b.left), (a.top, b.top), (a.width, b.width)] {
        assert!((x - y).abs() < 0.02, "face moved: {a:?} vs {b:?}");
    }
    let score = faces[0].embedding.cosine(&reference.embedding);
    assert!(score > 0.9, "same face after a JPEG round trip: {score:.3}");
}

/// bald_guys.jpg is dlib's face-clustering example: a collage of 4 actors, 6 photos
/// each. Identities labelled by hand from the picture, by face centre in a 900×700
/// view of it (a 21 px face in the background of one photo is left unlabelled).
const BALD_GUYS: [(&str, [(f32, f32); 6]); 4] = [
    (
        "diesel",
        [
            (66.0, 68.0),
            (288.0, 82.0),
            (175.0, 132.0),
            (63.0, 207.0),
            (292.0, 232.0),
            (69.0, 622.0),
        ],
    ),
    (
        "statham",
        [
            (177.0, 46.0),
            (433.0, 79.0),
            (179.0, 233.0),
            (436.0, 215.0),
            (65.0, 348.0),
            (225.0, 411.0),
        ],
    ),
    (
        "johnson",
        [
            (726.0, 110.0),
            (852.0, 220.0),
            (768.0, 339.0),
            (528.0, 630.0),
            (686.0, 632.0),
            (848.0, 629.0),
        ],
    ),
    (
        "willis",
        [
            (387.0, 406.0),
            (521.0, 379.0),
            (57.0, 478.0),
            (537.0, 516.0),
            (204.0, 604.0),
            (385.0, 595.0),
        ],
    ),
];

/// The labelled faces of bald_guys.jpg (each hand label must get exactly one face).
fn bald_guys() -> Vec<(String, Embedding)> {
    let image = decode(&faces_dir().join("dlib").join("bald_guys.jpg"));
    let faces = model().analyze(&image, &AnalyzeOptions::default()).unwrap();
    let mut out = Vec::new();
    for (name, centres) in BALD_GUYS {
        for (x, y) in centres {
            let near: Vec<_> = faces
                .iter()
                .filter(|f| {
                    let cx = (f.face.left + f.face.width / 2.0) * 900.0;
                    let cy = (f.face.top + f.face.height / 2.0) * 700.0;
                    (cx - x).hypot(cy - y) < 15.0
                })
                .collect();
            assert_eq!(near.len(), 1, "{name} at ({x}, {y}): {} faces", near.len());
            out.push((name.to_string(), near[0].embedding));
        }
    }
    out
}

/// Every labelled face of the dev set, found with the default options (40 px floor);
/// prints the distributions (the figures in docs/face-model.md) and checks that the
/// default threshold separates every pair. Labels: obama (5 photos; 32bit.png is
/// obama2 re-encoded, left out), biden, the 4 × 6 faces of bald_guys.jpg, and every
/// other face (Solvay, the VOC photos, Tom Cruise) as a person of its own.
#[test]
fn default_threshold_separates_the_dev_set() {
    let mut faces: Vec<(String, Embedding)> = Vec::new();
    for name in [
        "obama.jpg",
        "obama2.jpg",
        "obama3.jpg",
        "obama_partial_face.jpg",
        "obama_partial_face2.jpg",
    ] {
        faces.push(("obama".into(), portrait(name)));
    }
    faces.push(("biden".into(), portrait("biden.jpg")));
    faces.extend(bald_guys());
    let dlib = faces_dir().join("dlib");
    let mut others: Vec<_> = std::fs::read_dir(&dlib)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "jpg")
                && !p.ends_with("dogs.jpg")
                && !p.ends_with("bald_guys.jpg")
        })
        .collect();
    others.sort();
    others.push(faces_dir().join("solvay_1927_29faces.png"));
    for path in &others {
        for (i, f) in analyze(path).iter().enumerate() {
            faces.push((format!("{}-{i}", path.display()), f.embedding));
        }
    }
    let e = eval::evaluate(&faces, DEFAULT_MATCH_THRESHOLD);
    eprintln!("{e:#?}");
    let (genuine, impostor) = (e.genuine.clone().unwrap(), e.impostor.clone().unwrap());
    // Measured (51 faces, 27 people, 70 genuine / 1205 impostor pairs): genuine
    // min 0.437, p5 0.531, p50 0.689; impostor p50 0.099, p95 0.288, max 0.463 (a
    // mother and daughter); next impostors 0.395, 0.388 (lookalike actors). At 0.40:
    // no genuine pair lost, 1 impostor pair accepted; at OpenCV's 0.363: 6 accepted.
    assert!(e.faces >= 50 && genuine.count >= 70, "{e:#?}");
    assert_eq!(e.at_threshold.genuine_rejected, 0, "{e:#?}");
    assert!(e.at_threshold.impostors_accepted <= 1, "{e:#?}");
    assert!(genuine.p5 > 0.5 && impostor.p95 < 0.32, "{e:#?}");
    let opencv = eval::evaluate(&faces, 0.363).at_threshold;
    assert!(opencv.impostors_accepted > e.at_threshold.impostors_accepted);
}
