//! `findme eval-faces DIR`: how well the on-device face model tells people apart
//! on the photographer's own labelled photos (`DIR/<person>/<photo>`), so anyone
//! can check the threshold on faces like the ones they shoot.

use std::path::{Path, PathBuf};

use findme_face_model::{eval, AnalyzeOptions, FaceModel, DEFAULT_MATCH_THRESHOLD};
use findme_media::{classify_path, render_rgb, Classification};

use crate::EngineError;

/// Long edge the photos are analysed at (the same as matching's rendition).
const ANALYSIS_EDGE: u32 = 2560;

/// The evaluation of one labelled folder.
#[derive(Debug, Clone)]
pub struct FaceEvaluation {
    pub threshold: f32,
    /// Photos whose largest face was used.
    pub photos: usize,
    /// Photos that could not be used, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    pub result: eval::Evaluation,
}

/// Analyse every photo under `dir/<person>/` (the largest face of each is that
/// person) with the face model in `models_dir`, and score every pair. CPU-bound:
/// call it off the async runtime.
pub fn evaluate_faces(
    models_dir: &Path,
    dir: &Path,
    threshold: Option<f32>,
) -> Result<FaceEvaluation, EngineError> {
    let model = FaceModel::load(models_dir).map_err(|e| EngineError::Paused {
        reason: e.to_string(),
        what_to_do: format!(
            "fetch the face model with scripts/models.sh, or point FINDME_MODELS_DIR at it (looked in {})",
            models_dir.display()
        ),
    })?;
    let threshold = threshold.unwrap_or(DEFAULT_MATCH_THRESHOLD);
    let options = AnalyzeOptions::default();
    let mut faces = Vec::new();
    let mut skipped = Vec::new();
    for (person, path) in labelled_photos(dir)? {
        // Classified relative to DIR: a hidden folder above it must not hide it all.
        let relative = path.strip_prefix(dir).unwrap_or(&path);
        let Classification::Photo(format) = classify_path(relative) else {
            continue;
        };
        let largest = render_rgb(&path, format, ANALYSIS_EDGE)
            .map_err(|e| e.to_string())
            .and_then(|image| model.analyze(&image, &options).map_err(|e| e.to_string()))
            .map(|found| {
                found.into_iter().max_by(|a, b| {
                    (a.face.width * a.face.height).total_cmp(&(b.face.width * b.face.height))
                })
            });
        match largest {
            Ok(Some(face)) => faces.push((person, face.embedding)),
            Ok(None) => skipped.push((path, "no face found".to_string())),
            Err(reason) => skipped.push((path, reason)),
        }
    }
    Ok(FaceEvaluation {
        threshold,
        photos: faces.len(),
        skipped,
        result: eval::evaluate(&faces, threshold),
    })
}

/// `(person, photo)` for every file in the person folders of `dir`, sorted.
fn labelled_photos(dir: &Path) -> Result<Vec<(String, PathBuf)>, EngineError> {
    let unreadable = |e: std::io::Error| EngineError::io("read", dir, e);
    let mut out = Vec::new();
    for person in std::fs::read_dir(dir).map_err(unreadable)? {
        let person = person.map_err(unreadable)?.path();
        let Some(name) = person.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !person.is_dir() || name.starts_with('.') {
            continue;
        }
        for photo in std::fs::read_dir(&person).map_err(unreadable)? {
            let photo = photo.map_err(unreadable)?.path();
            if photo.is_file() {
                out.push((name.to_string(), photo));
            }
        }
    }
    if out.is_empty() {
        return Err(EngineError::Invalid(format!(
            "no labelled photos in {}: expected one folder per person (DIR/<person>/<photo>)",
            dir.display()
        )));
    }
    out.sort();
    Ok(out)
}
