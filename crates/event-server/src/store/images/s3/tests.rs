//! What needs no store: building the client and refusing bad keys before any
//! request. The round trips against a real S3-compatible server are in
//! `tests/s3_store.rs`.

use super::*;

fn url() -> StorageUrl {
    "s3://race-photos/findme/2026".parse().unwrap()
}

fn vars(pairs: &[(&str, &str)]) -> S3Options {
    S3Options {
        vars: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

#[test]
fn builds_without_keys_for_the_default_credential_chain() {
    S3Images::open(&url(), &S3Options::default()).unwrap();
    // Unknown variables are ignored, as object_store's from_env does.
    S3Images::open(&url(), &vars(&[("AWS_NOT_A_KEY", "x"), ("HOME", "/root")])).unwrap();
}

#[test]
fn keys_are_content_addressed_under_the_prefix() {
    let s3 = S3Images::open(&url(), &S3Options::default()).unwrap();
    let sha = "ab".to_string() + &"0".repeat(62);
    assert_eq!(
        s3.key(&sha).unwrap().as_ref(),
        format!("findme/2026/images/ab/{sha}")
    );
    let root: StorageUrl = "s3://race-photos".parse().unwrap();
    let s3 = S3Images::open(&root, &S3Options::default()).unwrap();
    assert_eq!(s3.key(&sha).unwrap().as_ref(), format!("images/ab/{sha}"));
}

fn kind<T: std::fmt::Debug>(r: io::Result<T>) -> io::ErrorKind {
    r.unwrap_err().kind()
}

#[tokio::test]
async fn anything_but_a_sha256_is_refused_before_any_request() {
    // An endpoint nothing listens on: a request would fail differently (and slowly).
    let s3 = S3Images::open(
        &url(),
        &vars(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_ALLOW_HTTP", "true"),
        ]),
    )
    .unwrap();
    let upper = "AB".to_string() + &"0".repeat(62);
    for bad in [
        "",
        "abc",
        "../../etc/passwd",
        upper.as_str(),
        &"a".repeat(65),
    ] {
        assert_eq!(
            kind(s3.put(bad, Bytes::from_static(b"x")).await),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(kind(s3.get(bad).await), io::ErrorKind::InvalidInput);
        assert_eq!(kind(s3.exists(bad).await), io::ErrorKind::InvalidInput);
        assert_eq!(kind(s3.delete(bad).await), io::ErrorKind::InvalidInput);
    }
}

#[test]
fn a_bad_setting_is_refused_at_open() {
    let err = S3Images::open(&url(), &vars(&[("AWS_ALLOW_HTTP", "maybe")]))
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("s3://race-photos/findme/2026"),
        "{err}"
    );
}
