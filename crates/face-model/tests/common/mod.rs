//! Shared by the integration tests: the dev set, the models (loaded once per test
//! binary), and photo decoding through findme-media. Missing inputs fail the tests
//! with the command that provides them; nothing is skipped.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use findme_face_model::{AnalyzeOptions, FaceEmbedding, FaceModel, UprightRgb};
use findme_media::{classify_path, render_rgb, Classification};

/// Long edge photos are decoded at, as the app will (detection runs on ≤ 1280 px).
pub const DECODE_EDGE: u32 = 2560;

pub use findme_testkit::devset;

/// The dev set's labelled faces; panics when this copy of the dev set has none.
pub fn faces_dir() -> PathBuf {
    let dir = devset().join("faces");
    assert!(
        dir.is_dir(),
        "the dev set at {} has no faces/: run scripts/devset.sh",
        dir.display()
    );
    dir
}

/// The models, loaded once for the whole test binary; panics saying to run
/// scripts/models.sh when they are missing or wrong.
pub fn model() -> &'static FaceModel {
    static MODEL: OnceLock<FaceModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = findme_testkit::models_dir();
        FaceModel::load(&dir).unwrap_or_else(|e| {
            panic!(
                "face models not usable at {}: {e}\n(run scripts/models.sh)",
                dir.display()
            )
        })
    })
}

/// The upright picture of the photo at `path`, long edge ≤ `edge`.
pub fn decode_at(path: &Path, edge: u32) -> UprightRgb {
    let name = Path::new(path.file_name().expect("a file name"));
    let Classification::Photo(format) = classify_path(name) else {
        panic!("{} is not a photo", path.display());
    };
    render_rgb(path, format, edge).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn decode(path: &Path) -> UprightRgb {
    decode_at(path, DECODE_EDGE)
}

pub fn analyze(path: &Path) -> Vec<FaceEmbedding> {
    model()
        .analyze(&decode(path), &AnalyzeOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The face with the largest box (the subject of a portrait).
pub fn largest(faces: &[FaceEmbedding]) -> Option<&FaceEmbedding> {
    faces
        .iter()
        .max_by(|a, b| (a.face.width * a.face.height).total_cmp(&(b.face.width * b.face.height)))
}
