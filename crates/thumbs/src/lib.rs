//! The thumbnail cache. Every photo gets a ≈320 px thumbnail (grid) and a ≈2048 px
//! preview (detail view), made from one decode, stored by content hash
//! (`<cache>/<ab>/<sha256>.<kind>.jpg`) so duplicates share them. An index in the
//! catalog (`renditions`) tracks size and last use; past the size limit the least
//! recently used files are deleted. Nothing here is precious: a missing file (or a
//! deleted cache folder) is rebuilt from the original on the next request.
//!
//! Two paths make renditions, sharing one single-flight lock per photo:
//! the `thumbnail` job pool (background, in order) and [`ThumbnailCache::read`]
//! (on demand, for the tiles the photographer is looking at right now).

mod cache;
mod job;

pub use cache::{CacheConfig, RenditionKind, ThumbError, ThumbnailCache};
pub use findme_keys::PhotoKey;
pub use job::ThumbnailJobs;
