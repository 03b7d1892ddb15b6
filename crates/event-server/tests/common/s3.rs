//! S3-compatible storage for tests, beyond what `stores.rs` gives every test (a
//! fresh prefix in the test bucket, `scripts/services.sh`): a raw client to look
//! at the bucket, and settings variants (another endpoint, another variable).

use findme_event_server::store::{S3Options, StorageUrl};
use futures::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path;
use object_store::ObjectStore;

/// `options` with the endpoint replaced (e.g. a fault-injecting proxy's).
pub fn with_endpoint(options: &S3Options, endpoint: &str) -> S3Options {
    let mut vars: Vec<(String, String)> = options
        .vars
        .iter()
        .filter(|(k, _)| k != "AWS_ENDPOINT_URL" && k != "AWS_ENDPOINT_URL_S3")
        .cloned()
        .collect();
    vars.push(("AWS_ENDPOINT_URL".into(), endpoint.into()));
    S3Options { vars }
}

/// `options` with one more variable (replacing it if present).
pub fn with_var(options: &S3Options, name: &str, value: &str) -> S3Options {
    let mut vars: Vec<(String, String)> = options
        .vars
        .iter()
        .filter(|(k, _)| k != name)
        .cloned()
        .collect();
    vars.push((name.into(), value.into()));
    S3Options { vars }
}

/// A plain client on the bucket, configured the way object_store's `from_env` is,
/// for looking at the bucket behind the server's back.
pub fn raw_client(url: &StorageUrl, options: &S3Options) -> AmazonS3 {
    let mut builder = AmazonS3Builder::new();
    for (name, value) in &options.vars {
        if let Ok(key) = name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
            builder = builder.with_config(key, value);
        }
    }
    builder.with_bucket_name(&url.bucket).build().unwrap()
}

/// The keys stored under the URL's prefix, sorted.
pub async fn objects(url: &StorageUrl, options: &S3Options) -> Vec<String> {
    let client = raw_client(url, options);
    let prefix = Path::from(url.prefix.as_str());
    let mut keys: Vec<String> = client
        .list(Some(&prefix))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    keys.sort();
    keys
}

/// How many objects are stored under the URL's prefix.
pub async fn object_count(url: &StorageUrl, options: &S3Options) -> usize {
    objects(url, options).await.len()
}
