//! On-device face detection and face signatures, so FindMe can match faces with no
//! cloud account and no network: YuNet (2023mar) finds faces and five landmarks,
//! SFace (2021dec) turns each aligned face into a 128-number [`Embedding`]; two
//! embeddings of the same person have a cosine above [`DEFAULT_MATCH_THRESHOLD`].
//!
//! Both networks run in pure Rust with tract (no C++ runtime). The model files are
//! fetched once by `scripts/models.sh` and pinned by SHA-256: [`FaceModel::load`]
//! refuses any other bytes, so results never change silently with the weights.
//!
//! What callers must know:
//! - Synchronous and CPU-bound, single-threaded per call: run it on blocking
//!   threads. One [`FaceModel`] is shared (`Send + Sync`, `&self` methods) by all
//!   workers; calls do not lock each other, except briefly to fetch a cached
//!   detection plan.
//! - Memory: ~150 MB peak while loading (SFace is 38 MB of weights), then per call
//!   the detection input (≤ 1280 px: ~13 MB as floats) and the network's
//!   activations (tens of MB, freed after the call), a few MB per face.
//! - Feed [`analyze`](FaceModel::analyze) an upright picture
//!   ([`findme_media::render_rgb`]); faces are found on a ≤ 1280 px copy and embedded
//!   from the picture as given, so a 2560 px picture gives sharper signatures for small
//!   faces than the detection copy would.
//! - Positions are fractions of the picture (0-1), so they hold for any rendition.

mod embedding;
mod error;
pub mod eval;
mod sface;
mod yunet;

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

pub use embedding::Embedding;
pub use error::ModelError;
pub use findme_media::UprightRgb;

/// Names the model pair; stored next to embeddings so a catalog knows which ones
/// must be recomputed when the models change (embeddings of different models are
/// not comparable).
pub const MODEL_VERSION: &str = "yunet-2023mar+sface-2021dec";

/// Cosine similarity at and above which two faces are taken as the same person.
/// Slightly stricter than OpenCV's 0.363 (tuned on LFW for balanced accuracy): on
/// the dev set (70 genuine, 1205 impostor pairs) 0.363 let 6 pairs of lookalike
/// strangers match while 0.40 lost no genuine pair (lowest 0.437) and accepted one
/// impostor pair, a mother and her daughter. Sending a stranger's photo costs more
/// than missing one; docs/face-model.md has the figures.
pub const DEFAULT_MATCH_THRESHOLD: f32 = 0.40;

/// The detector's file and its pinned SHA-256.
pub const DETECTOR_FILE: &str = "face_detection_yunet_2023mar.onnx";
const DETECTOR_SHA256: &str = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4";
/// The embedder's file and its pinned SHA-256.
pub const EMBEDDER_FILE: &str = "face_recognition_sface_2021dec.onnx";
const EMBEDDER_SHA256: &str = "0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79";

/// Detection sizes are clamped to this range: below 32 px YuNet sees nothing, above
/// 4096 px the input tensor alone would pass 200 MB.
const DETECT_EDGE_RANGE: (u32, u32) = (32, 4096);

/// How [`FaceModel::analyze`] and [`FaceModel::detect`] look for faces.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalyzeOptions {
    /// Long edge of the copy the detector sees (never upscaled; clamped to 32-4096).
    /// 1280 finds faces down to ~20 px of that copy in ~150 ms.
    pub detect_edge: u32,
    /// Faces whose box is smaller than this (short side, in pixels of the picture
    /// given) are dropped: their signatures are too blurred to match reliably.
    pub min_face_px: u32,
    /// Detector confidence (0-1) below which a candidate is dropped.
    pub score_threshold: f32,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            detect_edge: 1280,
            min_face_px: 40,
            score_threshold: 0.6,
        }
    }
}

/// One face found in a picture. Positions are fractions (0-1) of the picture's
/// width (x) and height (y); the box is clamped to the picture, landmarks are not
/// (a face cut by the frame may have a landmark just outside).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectedFace {
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
    /// The person's right eye (on the left of the picture), left eye, nose tip,
    /// right and left mouth corners (YuNet's order, which SFace's alignment expects).
    pub landmarks: [(f32, f32); 5],
    /// Detector confidence, 0-1.
    pub score: f32,
}

/// A face and its signature.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceEmbedding {
    pub face: DetectedFace,
    pub embedding: Embedding,
}

/// Both networks, loaded and verified. Share one instance between threads.
pub struct FaceModel {
    detector: yunet::Detector,
    embedder: sface::Embedder,
}

impl std::fmt::Debug for FaceModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceModel")
            .field("version", &MODEL_VERSION)
            .finish()
    }
}

impl FaceModel {
    /// Loads both models from `dir`, refusing files whose SHA-256 is not the pinned
    /// one. Costs about a second (the embedder is optimised once for its input).
    pub fn load(dir: &Path) -> Result<FaceModel, ModelError> {
        let detector = read_verified(&dir.join(DETECTOR_FILE), DETECTOR_SHA256)?;
        let embedder = read_verified(&dir.join(EMBEDDER_FILE), EMBEDDER_SHA256)?;
        Ok(FaceModel {
            detector: yunet::Detector::new(&detector)?,
            embedder: sface::Embedder::new(&embedder)?,
        })
    }

    /// Every face in `image` (not only the largest), each with its signature. Faces
    /// are found on a ≤ `detect_edge` copy and embedded from `image` itself. A face
    /// whose landmarks cannot be aligned is left out (logged), not an error.
    pub fn analyze(
        &self,
        image: &UprightRgb,
        options: &AnalyzeOptions,
    ) -> Result<Vec<FaceEmbedding>, ModelError> {
        let faces = self.detect(image, options)?;
        let mut out = Vec::with_capacity(faces.len());
        for face in faces {
            match self.embedder.embed(image, &landmarks_px(image, &face))? {
                Some(embedding) => out.push(FaceEmbedding { face, embedding }),
                None => tracing::warn!(?face, "face left out: its landmarks cannot be aligned"),
            }
        }
        Ok(out)
    }

    /// Every face in `image`, strongest first, without signatures.
    pub fn detect(
        &self,
        image: &UprightRgb,
        options: &AnalyzeOptions,
    ) -> Result<Vec<DetectedFace>, ModelError> {
        check(image)?;
        let (w, h) = (image.width, image.height);
        if w == 0 || h == 0 {
            return Ok(Vec::new());
        }
        let edge = options
            .detect_edge
            .clamp(DETECT_EDGE_RANGE.0, DETECT_EDGE_RANGE.1);
        let long = w.max(h);
        let (dw, dh) = if long <= edge {
            (w, h)
        } else {
            let scale = f64::from(edge) / f64::from(long);
            let size = |v: u32| ((f64::from(v) * scale).round() as u32).clamp(1, edge);
            (size(w), size(h))
        };
        let threshold = if options.score_threshold.is_nan() {
            0.6
        } else {
            options.score_threshold.clamp(0.0, 1.0)
        };
        let raw = self.detector.detect(image, dw, dh, threshold)?;
        let (fw, fh) = (dw as f32, dh as f32);
        // Box sizes in pixels of the given picture, to compare with min_face_px.
        let (to_px_x, to_px_y) = (w as f32 / fw, h as f32 / fh);
        let min = options.min_face_px as f32;
        let faces = raw
            .into_iter()
            .filter(|f| (f.w * to_px_x).min(f.h * to_px_y) >= min)
            .map(|f| {
                let (x0, y0) = ((f.x / fw).clamp(0.0, 1.0), (f.y / fh).clamp(0.0, 1.0));
                let x1 = ((f.x + f.w) / fw).clamp(0.0, 1.0);
                let y1 = ((f.y + f.h) / fh).clamp(0.0, 1.0);
                DetectedFace {
                    left: x0,
                    top: y0,
                    width: x1 - x0,
                    height: y1 - y0,
                    landmarks: f.landmarks.map(|(x, y)| (x / fw, y / fh)),
                    score: f.score,
                }
            })
            .collect();
        Ok(faces)
    }

    /// The signature of `face` (as found by [`FaceModel::detect`] on this picture or
    /// any rendition of it), aligned from `image`'s pixels.
    pub fn embed(&self, image: &UprightRgb, face: &DetectedFace) -> Result<Embedding, ModelError> {
        check(image)?;
        self.embedder
            .embed(image, &landmarks_px(image, face))?
            .ok_or_else(|| {
                ModelError::Inference(
                    "this face's landmarks are degenerate: no signature can be made".to_string(),
                )
            })
    }
}

/// `face`'s landmarks in pixels of `image`.
fn landmarks_px(image: &UprightRgb, face: &DetectedFace) -> [(f32, f32); 5] {
    let (w, h) = (image.width as f32, image.height as f32);
    face.landmarks.map(|(x, y)| (x * w, y * h))
}

/// The buffer must hold exactly width × height RGB pixels (the fields are public).
fn check(image: &UprightRgb) -> Result<(), ModelError> {
    let expected = u64::from(image.width) * u64::from(image.height) * 3;
    if image.pixels.len() as u64 != expected {
        return Err(ModelError::BadImage(format!(
            "{}×{} pixels need {expected} bytes, the buffer has {}",
            image.width,
            image.height,
            image.pixels.len()
        )));
    }
    Ok(())
}

/// The file's bytes if their SHA-256 is `want`. Read once, hashed and parsed from
/// the same buffer, so the verified bytes are the loaded ones.
fn read_verified(path: &Path, want: &str) -> Result<Vec<u8>, ModelError> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ModelError::Missing {
                path: path.to_path_buf(),
            })
        }
        Err(e) => return Err(ModelError::Load(format!("{}: {e}", path.display()))),
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| ModelError::Load(format!("{}: {e}", path.display())))?;
    let found = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    if found != want {
        return Err(ModelError::WrongHash {
            path: path.to_path_buf(),
            found,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_is_shareable_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<FaceModel>();
    }

    #[test]
    fn missing_dir_says_how_to_fetch() {
        let dir = Path::new("/nonexistent/findme-models");
        let err = FaceModel::load(dir).unwrap_err();
        assert!(matches!(err, ModelError::Missing { .. }), "{err:?}");
        assert!(err.to_string().contains("scripts/models.sh"), "{err}");
    }

    #[test]
    fn bad_buffers_are_refused() {
        let bad = UprightRgb {
            width: 10,
            height: 10,
            pixels: vec![0; 5],
        };
        assert!(matches!(check(&bad), Err(ModelError::BadImage(_))));
    }
}
