//! Knobs seen through the SDK: throttling, 5xx, credentials, latency, stalls, concurrency.

use crate::common::{client, client_with, group_photo, image, status};
use aws_config::retry::RetryConfig;
use aws_sdk_rekognition::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_rekognition::operation::create_collection::CreateCollectionError;
use findme_rekognition_mock::{start, CredentialRejection, MockConfig};
use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

#[tokio::test]
async fn tps_quota_answers_throttling_exception() {
    let server = start(MockConfig {
        tps: 1.0,
        tps_burst: 1.0,
        ..MockConfig::default()
    })
    .await;
    let c = client(&server.endpoint());
    c.list_collections().send().await.unwrap();
    let err = c.list_collections().send().await.unwrap_err();
    let se = err.as_service_error().unwrap();
    assert!(se.is_throttling_exception(), "{se:?}");
    assert_eq!(se.code(), Some("ThrottlingException"));
    assert_eq!(status(&err), Some(400));
    let stats = server.stats();
    assert_eq!(stats.throttled_by_quota, 1);
    assert_eq!(stats.throttled, 1);
    assert_eq!(stats.calls["ListCollections"], 2);

    // The bucket refills at `tps`.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    c.list_collections().send().await.unwrap();
    server.shutdown().await;
}

#[tokio::test]
async fn random_throttles_come_in_every_aws_form() {
    let server = start(MockConfig {
        throttle_rate: 1.0,
        ..MockConfig::default()
    })
    .await;
    let c = client(&server.endpoint());
    let mut seen = BTreeSet::new();
    for _ in 0..60 {
        let err = c
            .search_faces()
            .collection_id("ev")
            .face_id("00000000-0000-4000-8000-000000000000")
            .send()
            .await
            .unwrap_err();
        let se = err.as_service_error().unwrap();
        let kind = if se.is_throttling_exception() {
            "Throttling"
        } else if se.is_provisioned_throughput_exceeded_exception() {
            "ProvisionedThroughputExceeded"
        } else {
            panic!("not a throttle: {se:?}")
        };
        seen.insert((kind, status(&err).unwrap()));
    }
    let want: BTreeSet<_> = [
        ("ProvisionedThroughputExceeded", 400),
        ("Throttling", 400),
        ("Throttling", 500),
    ]
    .into();
    assert_eq!(seen, want);
    assert_eq!(server.stats().throttled, 60);
    server.shutdown().await;
}

#[tokio::test]
async fn injected_5xx_are_internal_server_error_and_service_unavailable() {
    let server = start(MockConfig {
        error_5xx_rate: 1.0,
        ..MockConfig::default()
    })
    .await;
    let c = client(&server.endpoint());
    let mut seen = BTreeSet::new();
    for _ in 0..30 {
        let err = c
            .create_collection()
            .collection_id("x")
            .send()
            .await
            .unwrap_err();
        let se = err.as_service_error().unwrap();
        if se.is_internal_server_error() {
            assert_eq!(status(&err), Some(500));
            seen.insert("InternalServerError");
        } else {
            assert_eq!(se.code(), Some("ServiceUnavailable"));
            assert_eq!(status(&err), Some(503));
            seen.insert("ServiceUnavailable");
        }
    }
    assert_eq!(seen.len(), 2);
    assert_eq!(server.stats().errors_injected, 30);
    assert!(
        server.collections().is_empty(),
        "faults happen before the operation"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn sdk_retries_through_throttling() {
    let server = start(MockConfig {
        tps: 5.0,
        tps_burst: 1.0,
        ..MockConfig::default()
    })
    .await;
    let retry = RetryConfig::standard()
        .with_max_attempts(10)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_millis(300));
    let c = client_with(&server.endpoint(), retry, None);
    for i in 0..3 {
        c.create_collection()
            .collection_id(format!("c{i}"))
            .send()
            .await
            .unwrap();
    }
    let stats = server.stats();
    assert_eq!(server.collections().len(), 3);
    assert!(stats.throttled >= 1, "{stats:?}");
    assert_eq!(stats.calls["CreateCollection"], 3 + stats.throttled);
    server.shutdown().await;
}

#[tokio::test]
async fn rejected_credentials_are_403_until_turned_off() {
    let server = start(MockConfig {
        reject_credentials: CredentialRejection::ExpiredToken,
        ..MockConfig::default()
    })
    .await;
    let c = client(&server.endpoint());
    let code = |err: &SdkError<CreateCollectionError, _>| {
        err.as_service_error()
            .and_then(|e| e.code())
            .map(str::to_string)
    };
    let err = c
        .create_collection()
        .collection_id("a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("ExpiredTokenException"));
    assert_eq!(status(&err), Some(403));
    assert!(err
        .as_service_error()
        .unwrap()
        .message()
        .unwrap()
        .contains("expired"));

    server.update_config(|cfg| cfg.reject_credentials = CredentialRejection::UnrecognizedClient);
    let err = c
        .create_collection()
        .collection_id("a")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err).as_deref(), Some("UnrecognizedClientException"));
    assert_eq!(status(&err), Some(403));

    server.update_config(|cfg| cfg.reject_credentials = CredentialRejection::Off);
    c.create_collection()
        .collection_id("a")
        .send()
        .await
        .unwrap();
    assert_eq!(server.stats().credentials_rejected, 2);
    server.shutdown().await;
}

#[tokio::test]
async fn latency_is_added_to_every_call() {
    let server = start(MockConfig {
        latency_ms: 300,
        ..MockConfig::default()
    })
    .await;
    let c = client(&server.endpoint());
    let t = Instant::now();
    c.list_collections().send().await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(300));
    server.shutdown().await;
}

#[tokio::test]
async fn a_stall_times_the_client_out_but_the_call_happened() {
    let server = start(MockConfig {
        stall_rate: 1.0,
        stall_ms: 30_000,
        ..MockConfig::default()
    })
    .await;
    let c = client_with(
        &server.endpoint(),
        RetryConfig::disabled(),
        Some(Duration::from_millis(500)),
    );
    let err = c
        .create_collection()
        .collection_id("ev")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, SdkError::TimeoutError(_)), "{err:?}");
    assert_eq!(server.collections(), ["ev"], "side effect happened");
    assert_eq!(server.stats().stalled, 1);

    // Shutdown cuts the 30 s stall short.
    let t = Instant::now();
    server.shutdown().await;
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_workers_lose_and_duplicate_nothing() {
    let server = start(MockConfig::default()).await;
    let c = client(&server.endpoint());
    c.create_collection()
        .collection_id("ev")
        .send()
        .await
        .unwrap();

    // Everyone races to create the same collection: exactly one wins.
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move {
                c.create_collection()
                    .collection_id("race")
                    .send()
                    .await
                    .is_ok()
            })
        })
        .collect();
    let mut wins = 0;
    for r in racers {
        wins += r.await.unwrap() as usize;
    }
    assert_eq!(wins, 1);

    let workers: Vec<_> = (0..12u64)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                let (bytes, _) = group_photo(&[i as usize % 10, 10 + i as usize % 10], i);
                c.index_faces()
                    .collection_id("ev")
                    .image(image(bytes))
                    .external_image_id(format!("photo-{i}"))
                    .send()
                    .await
                    .unwrap()
                    .face_records()
                    .len()
            })
        })
        .collect();
    let mut indexed = 0;
    for w in workers {
        indexed += w.await.unwrap();
    }
    assert_eq!(indexed, 24);
    let faces = server.collection_faces("ev");
    assert_eq!(faces.len(), 24);
    let ids: HashSet<_> = faces.iter().map(|f| f.face_id.as_str()).collect();
    assert_eq!(ids.len(), 24, "unique FaceIds");
    for f in &faces {
        let i: usize = f.external_image_id.as_deref().unwrap()[6..]
            .parse()
            .unwrap();
        assert!(f.person == i % 10 || f.person == 10 + i % 10, "{f:?}");
    }
    assert_eq!(server.stats().calls["IndexFaces"], 12);
    server.shutdown().await;
}

/// The app builds its client with `aws_config::defaults(...)`: that path works too.
#[tokio::test]
async fn aws_config_loader_reaches_the_mock() {
    let server = start(MockConfig::default()).await;
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .credentials_provider(aws_sdk_rekognition::config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .region(aws_config::Region::new("eu-west-1"))
        .endpoint_url(server.endpoint())
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    let c = aws_sdk_rekognition::Client::new(&conf);
    let out = c
        .create_collection()
        .collection_id("ev")
        .send()
        .await
        .unwrap();
    assert!(
        out.collection_arn().unwrap().contains(":eu-west-1:"),
        "region from SigV4 scope"
    );
    server.shutdown().await;
}
