//! [`Images`]: the content-addressed image bytes, in a folder of the data
//! directory (`files::ImageStore`) or in S3-compatible object storage
//! ([`S3Images`], through the `object_store` crate).
//!
//! Keys are only ever built from a validated 64-hex SHA-256, so no request can
//! name anything else. A PUT of bytes already stored is a no-op (`false`).

use std::io;

use bytes::Bytes;

use crate::files::ImageStore;

mod s3;

pub use s3::{S3Images, MULTIPART_THRESHOLD};

/// The S3 client's settings: `AWS_*` variables (name, value) as the binary read
/// them from its environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_REGION`, `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_S3`, `AWS_ALLOW_HTTP`, …),
/// applied as `object_store`'s own configuration keys.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    pub vars: Vec<(String, String)>,
}

/// Where image bytes live.
#[derive(Clone, Debug)]
pub enum Images {
    Folder(ImageStore),
    S3(S3Images),
}

impl Images {
    /// Stores `bytes` under `sha256` (the caller verified it is their hash);
    /// `false` if they were already there. Never leaves a partial object visible.
    pub async fn put(&self, sha256: &str, bytes: Bytes) -> io::Result<bool> {
        match self {
            Images::Folder(dir) => {
                let (dir, sha) = (dir.clone(), sha256.to_string());
                blocking(move || dir.put(&sha, &bytes)).await
            }
            Images::S3(s3) => s3.put(sha256, bytes).await,
        }
    }

    /// The bytes of an image (`NotFound` if absent).
    pub async fn get(&self, sha256: &str) -> io::Result<Bytes> {
        match self {
            Images::Folder(dir) => {
                let (dir, sha) = (dir.clone(), sha256.to_string());
                blocking(move || dir.read(&sha).map(Bytes::from)).await
            }
            Images::S3(s3) => s3.get(sha256).await,
        }
    }

    /// Whether an image is stored.
    pub async fn exists(&self, sha256: &str) -> io::Result<bool> {
        match self {
            Images::Folder(dir) => {
                let (dir, sha) = (dir.clone(), sha256.to_string());
                blocking(move || Ok(dir.path(&sha).is_some_and(|p| p.is_file()))).await
            }
            Images::S3(s3) => s3.exists(sha256).await,
        }
    }

    /// Deletes an image; `false` if it was not there.
    pub async fn delete(&self, sha256: &str) -> io::Result<bool> {
        match self {
            Images::Folder(dir) => {
                let (dir, sha) = (dir.clone(), sha256.to_string());
                blocking(move || dir.delete(&sha)).await
            }
            Images::S3(s3) => s3.delete(sha256).await,
        }
    }
}

async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> io::Result<R> + Send + 'static,
) -> io::Result<R> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| io::Error::other(e.to_string()))?
}
