//! What must not go wrong whatever the input: missing or damaged model files,
//! pictures too small or empty to hold a face, and concurrent use from worker threads.

mod common;

use common::{decode, faces_dir, model};
use findme_face_model::{
    AnalyzeOptions, DetectedFace, FaceModel, ModelError, UprightRgb, DETECTOR_FILE, EMBEDDER_FILE,
};

#[test]
fn missing_model_dir_is_missing_and_says_what_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let err = FaceModel::load(&dir.path().join("nope")).unwrap_err();
    match &err {
        ModelError::Missing { path } => assert!(path.ends_with(DETECTOR_FILE), "{path:?}"),
        other => panic!("expected Missing, got {other:?}"),
    }
    assert!(err.to_string().contains("scripts/models.sh"), "{err}");
}

/// A model folder with the real detector (copied) and `embedder` bytes for SFace.
fn folder_with(detector: &[u8], embedder: Option<&[u8]>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(DETECTOR_FILE), detector).unwrap();
    if let Some(bytes) = embedder {
        std::fs::write(dir.path().join(EMBEDDER_FILE), bytes).unwrap();
    }
    dir
}

#[test]
fn corrupted_or_absent_model_files_are_refused() {
    let real = std::fs::read(findme_testkit::models_dir().join(DETECTOR_FILE))
        .expect("the YuNet model is missing: run scripts/models.sh");
    // One flipped byte in the detector.
    let mut flipped = real.clone();
    flipped[1000] ^= 0xff;
    let dir = folder_with(&flipped, None);
    match FaceModel::load(dir.path()) {
        Err(ModelError::WrongHash { path, found }) => {
            assert!(path.ends_with(DETECTOR_FILE));
            assert_eq!(found.len(), 64);
        }
        other => panic!("expected WrongHash, got {other:?}"),
    }
    // Real detector, embedder absent, then cut short.
    let dir = folder_with(&real, None);
    assert!(matches!(
        FaceModel::load(dir.path()),
        Err(ModelError::Missing { path }) if path.ends_with(EMBEDDER_FILE)
    ));
    let dir = folder_with(&real, Some(b"not an onnx file"));
    let err = FaceModel::load(dir.path()).unwrap_err();
    assert!(
        matches!(&err, ModelError::WrongHash { path, .. } if path.ends_with(EMBEDDER_FILE)),
        "{err:?}"
    );
    assert!(err.to_string().contains("scripts/models.sh"), "{err}");
}

fn blank(w: u32, h: u32, value: u8) -> UprightRgb {
    UprightRgb::new(w, h, vec![value; (w * h * 3) as usize]).unwrap()
}

/// Tiny, empty, extreme-aspect and blank pictures give no face and no error.
#[test]
fn pictures_without_faces_give_none() {
    let m = model();
    let any = AnalyzeOptions {
        min_face_px: 0,
        score_threshold: 0.6,
        ..AnalyzeOptions::default()
    };
    for image in [
        blank(0, 0, 0),
        blank(1, 1, 128),
        blank(2, 3, 255),
        blank(31, 33, 0),
        blank(640, 480, 128),
        blank(4000, 3, 200),
        blank(3, 3000, 10),
    ] {
        for options in [AnalyzeOptions::default(), any] {
            let faces = m
                .analyze(&image, &options)
                .unwrap_or_else(|e| panic!("{image:?}: {e}"));
            assert!(faces.is_empty(), "{image:?}: {faces:?}");
        }
    }
    // Odd options are clamped, not trusted.
    let odd = AnalyzeOptions {
        detect_edge: 0,
        min_face_px: u32::MAX,
        score_threshold: f32::NAN,
    };
    assert!(m.detect(&blank(100, 80, 90), &odd).unwrap().is_empty());
    // A buffer that does not match its size is an error, not a panic.
    let bad = UprightRgb {
        width: 100,
        height: 100,
        pixels: vec![0; 10],
    };
    assert!(matches!(
        m.analyze(&bad, &AnalyzeOptions::default()),
        Err(ModelError::BadImage(_))
    ));
    // Degenerate landmarks: a readable error from embed().
    let face = DetectedFace {
        left: 0.1,
        top: 0.1,
        width: 0.5,
        height: 0.5,
        landmarks: [(0.3, 0.3); 5],
        score: 0.9,
    };
    assert!(matches!(
        m.embed(&blank(64, 64, 1), &face),
        Err(ModelError::Inference(_))
    ));
}

/// A face whose landmarks lie partly outside the picture still embeds (black
/// outside, as OpenCV), and the scores are finite.
#[test]
fn faces_cut_by_the_frame_embed() {
    let image = decode(&faces_dir().join("face_recognition").join("obama.jpg"));
    let faces = model().detect(&image, &AnalyzeOptions::default()).unwrap();
    let mut face = faces[0];
    for l in face.landmarks.iter_mut() {
        l.0 -= face.left + face.width * 0.6;
    }
    let e = model().embed(&image, &face).unwrap();
    assert!(e.0.iter().all(|v| v.is_finite()));
    assert!((e.cosine(&e) - 1.0).abs() < 1e-4);
}

/// One model, two threads at once, on different photos: each gets exactly what a
/// lone call gets.
#[test]
fn one_model_serves_two_threads() {
    let m = model();
    let paths = [
        faces_dir().join("face_recognition").join("obama.jpg"),
        faces_dir().join("dlib").join("2008_002470.jpg"),
    ];
    let images: Vec<UprightRgb> = paths.iter().map(|p| decode(p)).collect();
    let alone: Vec<_> = images
        .iter()
        .map(|i| m.analyze(i, &AnalyzeOptions::default()).unwrap())
        .collect();
    let together: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = images
            .iter()
            .map(|image| {
                s.spawn(move || {
                    (0..3)
                        .map(|_| m.analyze(image, &AnalyzeOptions::default()).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (one, runs) in alone.iter().zip(&together) {
        assert!(!one.is_empty());
        for run in runs {
            assert_eq!(run, one);
        }
    }
}
