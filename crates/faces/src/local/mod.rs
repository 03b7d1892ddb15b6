//! The on-device matcher: finds every face with YuNet, signs each with SFace
//! ([`findme_face_model`]) and compares signatures by cosine, with no account and
//! no network. It plugs into the same pipeline as Rekognition: the `match` job
//! hands it decoded pixels and records the faces it returns *with their
//! signatures* in the catalog; searches then read only stored signatures, so late
//! registrants and threshold changes never decode a photo again.
//!
//! Face ids are the pipeline's tags (`ph-<sha>-<n>` for photo faces, `p-<id>` for
//! a selfie), so a second run of a job produces the same ids. Nothing lives
//! outside the catalog: closing an event drops its signatures there.

mod index;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use findme_catalog::{Catalog, EventRow, Signature};
use findme_face_model::{AnalyzeOptions, FaceEmbedding, FaceModel, MODEL_VERSION};
use tokio::sync::OnceCell;

use crate::{
    CallStats, FaceBox, FaceImage, FaceMatcher, ImageInput, IndexedFace, MatcherError, SimilarFace,
};
use index::EventIndex;

/// A face at least this share of the main face's area makes a selfie ambiguous
/// (the same rule as the Rekognition backend); smaller ones are background.
const SECOND_FACE_AREA: f32 = 0.25;

/// How well a face found now must agree with the box the photographer picked
/// (intersection over union): the same pixels give the same boxes, so anything
/// but a near match means the selfie is not the one the boxes were found in.
const PICKED_OVERLAP: f32 = 0.5;

/// How the on-device matcher works.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// Where the model files are (`scripts/models.sh` puts them in .cache/models;
    /// app builds ship them as resources).
    pub models_dir: PathBuf,
    /// Detection size, minimum face size and detector confidence.
    pub analyze: AnalyzeOptions,
    /// Long edge of the pixels the match job decodes: faces are found on a 1280 px
    /// copy and signed from these, so small faces keep their detail.
    pub pixels_edge: u32,
}

impl LocalConfig {
    /// The defaults, with the model files in `models_dir`.
    pub fn new(models_dir: PathBuf) -> LocalConfig {
        LocalConfig {
            models_dir,
            analyze: AnalyzeOptions::default(),
            pixels_edge: 2560,
        }
    }
}

/// The on-device [`FaceMatcher`]. One instance serves every worker.
pub struct LocalMatcher {
    config: LocalConfig,
    catalog: Catalog,
    /// Loaded on first use, on a blocking thread (about a second); a failed load
    /// is not kept, so fetching the models and resuming is enough.
    model: OnceCell<Arc<FaceModel>>,
    /// Per collection, the signatures searched (a cache of the catalog).
    indexes: tokio::sync::Mutex<HashMap<String, EventIndex>>,
    stats: Mutex<CallStats>,
}

impl LocalMatcher {
    pub fn new(catalog: Catalog, config: LocalConfig) -> LocalMatcher {
        LocalMatcher {
            config,
            catalog,
            model: OnceCell::new(),
            indexes: tokio::sync::Mutex::new(HashMap::new()),
            stats: Mutex::new(CallStats::default()),
        }
    }

    async fn model(&self) -> Result<Arc<FaceModel>, MatcherError> {
        let dir = self.config.models_dir.clone();
        self.model
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || FaceModel::load(&dir))
                    .await
                    .map_err(|e| MatcherError::Other(format!("model load task failed: {e}")))?
                    .map(Arc::new)
                    .map_err(|e| MatcherError::Setup(e.to_string()))
            })
            .await
            .cloned()
    }

    fn count(&self, op: &str) {
        if let Ok(mut stats) = self.stats.lock() {
            *stats.calls.entry(op.to_string()).or_default() += 1;
        }
    }

    /// Every face of `image` with its signature, on a blocking thread.
    async fn analyze(&self, image: &FaceImage) -> Result<Vec<FaceEmbedding>, MatcherError> {
        let FaceImage::Pixels(pixels) = image else {
            return Err(MatcherError::BadImage(
                "the on-device matcher needs decoded pixels".to_string(),
            ));
        };
        let model = self.model().await?;
        let (pixels, options) = (Arc::clone(pixels), self.config.analyze);
        self.count("Analyze");
        tokio::task::spawn_blocking(move || model.analyze(&pixels, &options))
            .await
            .map_err(|e| MatcherError::Other(format!("face analysis task failed: {e}")))?
            .map_err(|e| MatcherError::BadImage(e.to_string()))
    }
}

fn indexed(face_id: String, found: &FaceEmbedding) -> IndexedFace {
    let f = &found.face;
    IndexedFace {
        face_id,
        left: f.left,
        top: f.top,
        width: f.width,
        height: f.height,
        confidence: f.score * 100.0,
        signature: Some(Signature {
            embedding: found.embedding.to_bytes(),
            landmarks: f
                .landmarks
                .iter()
                .flat_map(|(x, y)| x.to_le_bytes().into_iter().chain(y.to_le_bytes()))
                .collect(),
            model_version: MODEL_VERSION.to_string(),
        }),
    }
}

impl FaceMatcher for LocalMatcher {
    fn backend(&self) -> &'static str {
        "local"
    }

    fn input(&self) -> ImageInput {
        ImageInput::Pixels {
            long_edge: self.config.pixels_edge,
        }
    }

    /// The event's cosine threshold on the 0-100 scale searches use.
    fn threshold(&self, event: &EventRow) -> f32 {
        event.local_threshold * 100.0
    }

    /// Loads the model, so a missing or damaged file pauses matching before any
    /// photo is decoded. There is no index to create: the catalog is the index.
    async fn prepare_event(&self, _collection: &str) -> Result<(), MatcherError> {
        self.model().await.map(|_| ())
    }

    async fn close_event(&self, collection: &str) -> Result<(), MatcherError> {
        self.indexes.lock().await.remove(collection);
        Ok(())
    }

    /// Exactly one clear face: none → NoFace; another face of at least a quarter of
    /// the main face's area → SeveralFaces (smaller ones are background). With
    /// `pick`, the face found where the picked box is (the analysis of the same
    /// pixels finds the same faces; their order is not relied on).
    async fn index_selfie(
        &self,
        _collection: &str,
        external_id: &str,
        image: &FaceImage,
        pick: Option<FaceBox>,
    ) -> Result<IndexedFace, MatcherError> {
        let faces = self.analyze(image).await?;
        let face_box = |f: &FaceEmbedding| FaceBox {
            left: f.face.left,
            top: f.face.top,
            width: f.face.width,
            height: f.face.height,
        };
        if let Some(pick) = pick {
            let best = faces
                .iter()
                .map(|f| (pick.overlap(&face_box(f)), f))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            return match best {
                Some((overlap, f)) if overlap >= PICKED_OVERLAP => {
                    Ok(indexed(external_id.to_string(), f))
                }
                _ => Err(MatcherError::BadImage(
                    "the face picked is no longer found in the selfie".to_string(),
                )),
            };
        }
        let mut boxes: Vec<FaceBox> = faces.iter().map(face_box).collect();
        boxes.sort_by(|a, b| b.area().total_cmp(&a.area()));
        let Some(main) = boxes.first().copied() else {
            return Err(MatcherError::NoFace);
        };
        boxes.retain(|b| b.area() >= SECOND_FACE_AREA * main.area());
        if boxes.len() > 1 {
            return Err(MatcherError::SeveralFaces(boxes));
        }
        let main = faces
            .iter()
            .find(|f| face_box(f) == main)
            .ok_or(MatcherError::NoFace)?;
        Ok(indexed(external_id.to_string(), main))
    }

    async fn index_photo(
        &self,
        _collection: &str,
        external_id: &str,
        image: &FaceImage,
    ) -> Result<Vec<IndexedFace>, MatcherError> {
        let faces = self.analyze(image).await?;
        Ok(faces
            .iter()
            .enumerate()
            .map(|(n, f)| indexed(format!("{external_id}-{n}"), f))
            .collect())
    }

    async fn search_face(
        &self,
        collection: &str,
        face_id: &str,
        threshold: f32,
        _max: u32,
    ) -> Result<Vec<SimilarFace>, MatcherError> {
        let mut indexes = self.indexes.lock().await;
        let index = indexes.entry(collection.to_string()).or_default();
        let (name, after, since) = (
            collection.to_string(),
            index.last_row(),
            index.selfies_since_ms(),
        );
        let (photos, selfies) = self
            .catalog
            .read(move |r| {
                Ok((
                    r.photo_signatures(&name, after)?,
                    r.selfie_signatures(&name, since)?,
                ))
            })
            .await
            .map_err(|e| MatcherError::Other(e.to_string()))?;
        index.add_photo_faces(photos);
        index.update_selfies(selfies);
        self.count("Search");
        // No service limit here: every match above the threshold comes back, so
        // a guest in more photos than Rekognition's MaxFaces is never cut.
        Ok(index.search(face_id, threshold, usize::MAX))
    }

    /// Faces exist only once the catalog recorded them (in the transaction that
    /// marks the photo indexed), so an interrupted attempt left nothing behind.
    async fn find_faces(
        &self,
        _collection: &str,
        _external_id: &str,
    ) -> Result<Vec<IndexedFace>, MatcherError> {
        Ok(Vec::new())
    }

    /// The catalog drops the stored signature itself (when consent is withdrawn);
    /// this only updates the search cache at once.
    async fn delete_faces(
        &self,
        collection: &str,
        face_ids: &[String],
    ) -> Result<(), MatcherError> {
        if let Some(index) = self.indexes.lock().await.get_mut(collection) {
            index.remove(face_ids);
        }
        Ok(())
    }

    fn stats(&self) -> CallStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }
}
