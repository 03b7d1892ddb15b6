//! The image folder: content-addressed files `<data>/images/<ab>/<sha256>`.
//!
//! Paths are only ever built from a validated 64-hex key, so no request can name a
//! file outside the folder. Writes go to `<data>/tmp/`, are fsync'd, renamed into
//! place and the directory fsync'd: a crash leaves either no file or the whole file,
//! and the database only references an image after that rename.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use findme_protocol::is_valid_sha256;

/// The image store under a data directory.
#[derive(Clone, Debug)]
pub struct ImageStore {
    images: PathBuf,
    tmp: PathBuf,
}

impl ImageStore {
    /// Creates the folders and clears leftovers of interrupted writes.
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        let images = data_dir.join("images");
        let tmp = data_dir.join("tmp");
        fs::create_dir_all(&images)?;
        fs::create_dir_all(&tmp)?;
        for entry in fs::read_dir(&tmp)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                // Best effort: a leftover temp file is garbage, never referenced.
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(Self { images, tmp })
    }

    /// Path of an image; `None` unless `sha256` is exactly 64 lowercase hex.
    pub fn path(&self, sha256: &str) -> Option<PathBuf> {
        if !is_valid_sha256(sha256) {
            return None;
        }
        Some(self.images.join(&sha256[..2]).join(sha256))
    }

    /// Stores `bytes` under `sha256` (which the caller has verified is their hash).
    /// Returns `false` if the file was already there. Blocking.
    pub fn put(&self, sha256: &str, bytes: &[u8]) -> io::Result<bool> {
        let path = self
            .path(sha256)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bad image key"))?;
        if path.is_file() {
            return Ok(false);
        }
        let dir = path
            .parent()
            .ok_or_else(|| io::Error::other("image path has no parent"))?;
        fs::create_dir_all(dir)?;
        let suffix: u64 = rand::random();
        let tmp = self.tmp.join(format!("{sha256}.{suffix:016x}.part"));
        let result = (|| {
            let mut f = File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &path)?;
            // Make the rename itself durable.
            File::open(dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map(|()| true)
    }

    /// Reads an image. Blocking.
    pub fn read(&self, sha256: &str) -> io::Result<Vec<u8>> {
        let path = self
            .path(sha256)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bad image key"))?;
        fs::read(path)
    }
}

impl ImageStore {
    /// Deletes an image's file; `false` if it was not there. The caller checks
    /// first that no row references it. Blocking.
    pub fn delete(&self, sha256: &str) -> io::Result<bool> {
        let path = self
            .path(sha256)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bad image key"))?;
        match fs::remove_file(&path) {
            Ok(()) => {
                if let Some(dir) = path.parent() {
                    // Make the unlink durable, like the rename of a write.
                    File::open(dir)?.sync_all()?;
                }
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// The content type of an image from its magic bytes; `None` if it is neither JPEG
/// nor PNG (the only formats the protocol carries).
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_only_from_hex_and_writes_are_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(dir.path()).unwrap();
        assert!(store.path("../../etc/passwd").is_none());
        assert!(store.path(&"A".repeat(64)).is_none());
        let sha = findme_protocol::sha256_hex(b"x");
        assert!(store.put(&sha, b"x").unwrap());
        assert!(!store.put(&sha, b"x").unwrap());
        assert_eq!(store.read(&sha).unwrap(), b"x");
        assert!(store.delete(&sha).unwrap());
        assert!(!store.delete(&sha).unwrap());
        assert!(store.read(&sha).is_err());
        assert!(store.delete("../x").is_err());
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }
}
