//! S3-compatible storage for tests: the standard `AWS_*` variables (as printed by
//! `scripts/s3.sh start`) and `FINDME_TEST_S3_BUCKET`; each call to
//! [`fresh_storage`] gets its own random prefix in that bucket, so tests and
//! test binaries never see each other's objects.

use findme_event_server::store::{S3Options, StorageUrl};
use futures::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path;
use object_store::ObjectStore;

const HOW: &str = "start one with `eval \"$(scripts/s3.sh start)\"` \
    (or scripts/services.sh) and export FINDME_TEST_S3_BUCKET=findme";

/// The bucket from `FINDME_TEST_S3_BUCKET` with a fresh random prefix, and the
/// client settings from the `AWS_*` environment. Panics, saying how to start a
/// store, when they are missing.
pub fn fresh_storage() -> (StorageUrl, S3Options) {
    let bucket = std::env::var("FINDME_TEST_S3_BUCKET").unwrap_or_else(|_| {
        panic!("FINDME_TEST_S3_BUCKET is not set: this test needs an S3-compatible store; {HOW}")
    });
    let options = env_options();
    let names: Vec<&str> = options.vars.iter().map(|(k, _)| k.as_str()).collect();
    for needed in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ENDPOINT_URL",
    ] {
        let present = names.contains(&needed)
            || (needed == "AWS_ENDPOINT_URL" && names.contains(&"AWS_ENDPOINT_URL_S3"));
        assert!(
            present,
            "{needed} is not set: this test needs an S3-compatible store; {HOW}"
        );
    }
    let prefix = format!("test-{:016x}", rand::random::<u64>());
    let url = format!("s3://{bucket}/{prefix}")
        .parse()
        .unwrap_or_else(|e| panic!("FINDME_TEST_S3_BUCKET={bucket:?}: {e}"));
    (url, options)
}

/// Every `AWS_*` variable of this process.
pub fn env_options() -> S3Options {
    S3Options {
        vars: std::env::vars()
            .filter(|(k, _)| k.starts_with("AWS_"))
            .collect(),
    }
}

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
