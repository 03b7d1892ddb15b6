//! Images in S3-compatible object storage (AWS S3, MinIO, R2, Ceph, s3s-fs)
//! through Apache Arrow's `object_store`. STUB: being written (issue 18).

use std::io;

use bytes::Bytes;

use super::S3Options;
use crate::store::StorageUrl;

/// A bucket and prefix; keys `<prefix>/images/<ab>/<sha256>`.
#[derive(Clone, Debug)]
pub struct S3Images {
    _url: StorageUrl,
}

impl S3Images {
    /// Builds the client (no request is made).
    pub fn open(url: &StorageUrl, _options: &S3Options) -> io::Result<Self> {
        Ok(Self { _url: url.clone() })
    }

    pub async fn put(&self, _sha256: &str, _bytes: Bytes) -> io::Result<bool> {
        Err(io::Error::other("S3 storage is not built yet"))
    }

    pub async fn get(&self, _sha256: &str) -> io::Result<Bytes> {
        Err(io::Error::other("S3 storage is not built yet"))
    }

    pub async fn exists(&self, _sha256: &str) -> io::Result<bool> {
        Err(io::Error::other("S3 storage is not built yet"))
    }

    pub async fn delete(&self, _sha256: &str) -> io::Result<bool> {
        Err(io::Error::other("S3 storage is not built yet"))
    }
}
