//! Images in S3-compatible object storage (AWS S3, MinIO, R2, Ceph, s3s-fs)
//! through Apache Arrow's `object_store`.
//!
//! - Keys `<prefix>/images/<ab>/<sha256>`, built only from a validated 64-hex hash.
//! - A PUT is idempotent by content hash: a conditional create (`If-None-Match: *`)
//!   for bodies up to [`MULTIPART_THRESHOLD`]; above it a `HEAD`, then a multipart
//!   upload from the body's own buffers (no copy, no temp file) that is aborted on
//!   any error. Either way an object is visible whole or not at all.
//! - Timeouts and retries are short (docs/decisions.md, "S3 timeouts"): a dead or
//!   stalled store fails the request in seconds, and the client retries the push.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use findme_protocol::is_valid_sha256;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientOptions, MultipartUpload, ObjectStore, ObjectStoreExt, PutMode,
    PutOptions, PutPayload, RetryConfig,
};

use super::S3Options;
use crate::store::StorageUrl;

/// Bodies above this go up as a multipart upload (S3's single PUT takes up to
/// 5 GiB, but parts upload in parallel and a failed part is retried alone).
pub const MULTIPART_THRESHOLD: usize = 8 * 1024 * 1024;
/// Size of each multipart part (S3's minimum is 5 MiB, the last part excepted).
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts in flight at once for one upload.
const PART_CONCURRENCY: usize = 4;

/// Connection establishment; a dead endpoint fails fast.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// One whole request (an 8 MiB part needs ≥ 2.2 Mbit/s). `AWS_TIMEOUT` overrides.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Retries of a failed request (5xx, connection errors, idempotent timeouts).
const MAX_RETRIES: usize = 2;
/// No retry starts later than this after the first attempt.
const RETRY_TIMEOUT: Duration = Duration::from_secs(15);

/// A bucket and prefix; keys `<prefix>/images/<ab>/<sha256>`.
#[derive(Clone, Debug)]
pub struct S3Images {
    store: Arc<AmazonS3>,
    /// `<prefix>/images`.
    root: Path,
    url: StorageUrl,
}

impl S3Images {
    /// Builds the client (no request is made). Every `AWS_*` variable of
    /// `options` that `object_store` knows is applied as it documents it
    /// (`AWS_ENDPOINT_URL_S3` wins over `AWS_ENDPOINT_URL`); unknown ones are
    /// ignored, as its `from_env` does. Without keys the default credential chain
    /// (web identity, container, instance metadata) is used when a request needs it.
    pub fn open(url: &StorageUrl, options: &S3Options) -> io::Result<Self> {
        let mut builder = AmazonS3Builder::new()
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(CONNECT_TIMEOUT)
                    .with_timeout(REQUEST_TIMEOUT),
            )
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(2),
                    base: 2.0,
                },
                max_retries: MAX_RETRIES,
                retry_timeout: RETRY_TIMEOUT,
            });
        for (name, value) in &options.vars {
            if !name.starts_with("AWS_") {
                continue;
            }
            let Ok(key) = name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() else {
                continue;
            };
            // The bucket is the one `--storage` names, whatever AWS_BUCKET says.
            if key != AmazonS3ConfigKey::Bucket {
                builder = builder.with_config(key, value);
            }
        }
        let store = builder
            .with_bucket_name(&url.bucket)
            .build()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{url}: {e}")))?;
        let root = Path::parse(&url.prefix)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{url}: {e}")))?
            .join("images");
        Ok(Self {
            store: Arc::new(store),
            root,
            url: url.clone(),
        })
    }

    /// The object key of an image; `InvalidInput` unless `sha256` is 64 lowercase hex.
    pub fn key(&self, sha256: &str) -> io::Result<Path> {
        if !is_valid_sha256(sha256) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "bad image key (not a 64-hex SHA-256)",
            ));
        }
        Ok(self.root.clone().join(&sha256[..2]).join(sha256))
    }

    /// Stores `bytes` under `sha256` (the caller verified it is their hash);
    /// `false` if an object is already there.
    pub async fn put(&self, sha256: &str, bytes: Bytes) -> io::Result<bool> {
        let key = self.key(sha256)?;
        if bytes.len() > MULTIPART_THRESHOLD {
            return self.put_multipart(&key, bytes).await;
        }
        let create = PutOptions::from(PutMode::Create);
        match self
            .store
            .put_opts(&key, PutPayload::from(bytes.clone()), create)
            .await
        {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            // Conditional writes switched off (`AWS_CONDITIONAL_PUT=disabled`) for a
            // store without them: check, then write (identical bytes if two race).
            Err(object_store::Error::NotImplemented { .. }) => {
                if self.head(&key).await? {
                    return Ok(false);
                }
                self.store
                    .put(&key, PutPayload::from(bytes))
                    .await
                    .map_err(|e| self.error("PUT", &key, e))?;
                Ok(true)
            }
            Err(e) => Err(self.error("PUT", &key, e)),
        }
    }

    /// A large body: `HEAD`, then parts straight from `bytes` (at most
    /// [`PART_CONCURRENCY`] in flight); the object appears only when the upload
    /// completes. On any failure the answer goes back at once and the upload is
    /// aborted in the background (best effort: if the store is down the abort
    /// fails too, and the bucket's lifecycle rule for incomplete multipart
    /// uploads removes the invisible parts).
    async fn put_multipart(&self, key: &Path, bytes: Bytes) -> io::Result<bool> {
        if self.head(key).await? {
            return Ok(false);
        }
        let mut upload = self
            .store
            .put_multipart(key)
            .await
            .map_err(|e| self.error("multipart PUT (create)", key, e))?;
        let failed = match upload_parts(upload.as_mut(), bytes).await {
            Ok(()) => match upload.complete().await {
                Ok(_) => return Ok(true),
                Err(e) => self.error("multipart PUT (complete)", key, e),
            },
            Err(e) => self.error("multipart PUT (part)", key, e),
        };
        let key = key.clone();
        tokio::spawn(async move {
            if let Err(e) = upload.abort().await {
                tracing::warn!(%key, error = %e, "aborting a failed multipart upload failed; the bucket's lifecycle rule must remove its parts");
            }
        });
        Err(failed)
    }

    /// The bytes of an image (`NotFound` if absent).
    pub async fn get(&self, sha256: &str) -> io::Result<Bytes> {
        let key = self.key(sha256)?;
        let answer = self
            .store
            .get(&key)
            .await
            .map_err(|e| self.error("GET", &key, e))?;
        answer.bytes().await.map_err(|e| self.error("GET", &key, e))
    }

    /// Whether an image is stored (a `HEAD`).
    pub async fn exists(&self, sha256: &str) -> io::Result<bool> {
        let key = self.key(sha256)?;
        self.head(&key).await
    }

    /// Deletes an image; `false` if it was not there. S3 answers a DELETE of a
    /// missing key with success, so a `HEAD` comes first: two concurrent deletes
    /// may both say `true`, which no caller depends on.
    pub async fn delete(&self, sha256: &str) -> io::Result<bool> {
        let key = self.key(sha256)?;
        if !self.head(&key).await? {
            return Ok(false);
        }
        match self.store.delete(&key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(true),
            Err(e) => Err(self.error("DELETE", &key, e)),
        }
    }

    async fn head(&self, key: &Path) -> io::Result<bool> {
        match self.store.head(key).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.error("HEAD", key, e)),
        }
    }

    /// An `io::Error` naming the operation and the object, with the kind
    /// (`NotFound`, `PermissionDenied`) where the store's answer says so.
    fn error(&self, op: &str, key: &Path, e: object_store::Error) -> io::Error {
        use object_store::Error as E;
        let kind = match &e {
            E::NotFound { .. } => io::ErrorKind::NotFound,
            E::PermissionDenied { .. } | E::Unauthenticated { .. } => {
                io::ErrorKind::PermissionDenied
            }
            E::AlreadyExists { .. } => io::ErrorKind::AlreadyExists,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, format!("S3 {op} s3://{}/{key}: {e}", self.url.bucket))
    }
}

/// Uploads `rest` as parts in order, a bounded number at once; the first
/// failure stops it (the parts still in flight are dropped).
async fn upload_parts(
    upload: &mut dyn MultipartUpload,
    mut rest: Bytes,
) -> object_store::Result<()> {
    let mut parts = tokio::task::JoinSet::new();
    while !rest.is_empty() {
        if parts.len() >= PART_CONCURRENCY {
            if let Some(done) = parts.join_next().await {
                done??;
            }
        }
        let part = rest.split_to(PART_SIZE.min(rest.len()));
        parts.spawn(upload.put_part(PutPayload::from(part)));
    }
    while let Some(done) = parts.join_next().await {
        done??;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
