//! Dev-only helpers shared by the tests and benchmarks (like rust-analyzer's
//! `test-utils`): where the pinned dev set and the face model are, id helpers,
//! and, with the `engine` feature, the reference event server with an engine
//! beside it and a read-only look into an engine's catalog. Never a dependency
//! of anything shipped.

use std::path::{Path, PathBuf};

use findme_keys::{EventId, ParticipantId};

#[cfg(feature = "services")]
pub mod services;
#[cfg(feature = "engine")]
pub mod venue;

/// A read-only look into the catalog of the engine whose data folder is `data`
/// (it may be written meanwhile, even killed): what the crash tests count.
#[cfg(feature = "engine")]
pub fn inspect(data: &Path) -> findme_catalog::Result<findme_catalog::Inspector> {
    findme_catalog::Inspector::open(&findme_engine::DataDir::new(data).catalog())
}

/// The repository's root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The pinned set of real photos and hostile files (`scripts/devset.sh` builds
/// it): `FINDME_DEVSET`, else `.cache/devset` of the checkout. Panics with what to
/// do when it is missing.
pub fn devset() -> PathBuf {
    let dir = std::env::var_os("FINDME_DEVSET")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".cache/devset"));
    assert!(
        dir.join("SHA256SUMS").is_file(),
        "the dev set is missing at {}: run scripts/devset.sh (or set FINDME_DEVSET)",
        dir.display()
    );
    dir
}

/// The on-device face model's folder: `FINDME_MODELS_DIR`, else `.cache/models` of
/// the checkout (where `scripts/models.sh` puts it).
pub fn models_dir() -> PathBuf {
    match std::env::var_os("FINDME_MODELS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join(".cache/models"),
    }
}

/// An event id a test spells out (panics on one that breaks the id rule).
pub fn ev(id: &str) -> EventId {
    EventId::parse(id).expect("a valid event id in a test")
}

/// A participant id a test spells out (panics on one that breaks the id rule).
pub fn pid(id: &str) -> ParticipantId {
    ParticipantId::parse(id).expect("a valid participant id in a test")
}
