//! Errors of the face model, worded for the photographer who sees them.

use std::path::PathBuf;

/// Why faces could not be found or compared.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A model file is not where FindMe looks for it.
    #[error(
        "the face model file {} is missing: run scripts/models.sh to fetch the on-device \
         face models (or set FINDME_MODELS_DIR to a folder that holds them)",
        .path.display()
    )]
    Missing { path: PathBuf },
    /// A model file is there but is not the pinned one (damaged, cut short, or another
    /// version): FindMe refuses it rather than match faces with unknown weights.
    #[error(
        "the face model file {} is damaged or of another version (sha256 {found}): \
         delete it and run scripts/models.sh again",
        .path.display()
    )]
    WrongHash { path: PathBuf, found: String },
    /// The model file could not be read or prepared.
    #[error("the face model could not be loaded: {0}")]
    Load(String),
    /// The picture handed in cannot be analysed (its buffer does not match its size).
    #[error("this picture cannot be analysed for faces: {0}")]
    BadImage(String),
    /// The model failed on this picture or face (never expected; reported, not hidden).
    #[error("face analysis failed: {0}")]
    Inference(String),
}
