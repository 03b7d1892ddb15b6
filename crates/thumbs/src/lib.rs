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
pub use job::ThumbnailJobs;

/// True for exactly 64 lower-case hex digits: the only photo key a request may
/// carry. Checked before any path is built from it.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::is_sha256_hex;

    #[test]
    fn only_lower_case_hex_of_the_right_length_is_a_key() {
        let good = "a".repeat(64);
        assert!(is_sha256_hex(&good));
        assert!(!is_sha256_hex(&"A".repeat(64)));
        assert!(!is_sha256_hex(&"a".repeat(63)));
        assert!(!is_sha256_hex(&"a".repeat(65)));
        assert!(!is_sha256_hex(&format!("{}/..", "a".repeat(61))));
        assert!(!is_sha256_hex(""));
    }
}
