//! What several catalog test files build their photos from.

use std::path::PathBuf;

use findme_catalog::{FileContent, FileRecord, PhotoFacts, PhotoStatus};

/// A good 40x30 JPEG with content `sha` at `/lib/<sha>.jpg`.
pub fn jpeg_record(sha: &str) -> FileRecord {
    FileRecord {
        path: PathBuf::from(format!("/lib/{sha}.jpg")),
        size: 100,
        mtime_ns: 5,
        content: FileContent::Photo(Box::new(PhotoFacts {
            sha256: sha.to_string(),
            size: 100,
            format: "jpeg".into(),
            is_raw: false,
            status: PhotoStatus::Ok,
            error: None,
            captured_at: None,
            offset_from_exif: false,
            taken_ms: 1_000,
            camera_make: None,
            camera_model: None,
            camera_serial: None,
            lens: None,
            orientation: None,
            width: Some(40),
            height: Some(30),
        })),
    }
}
