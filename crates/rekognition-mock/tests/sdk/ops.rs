//! Success shapes and modelled errors of every operation, through the SDK.

use crate::common::{client, group_photo, image, status};
use aws_sdk_rekognition::error::ProvideErrorMetadata;
use aws_sdk_rekognition::types::{
    Attribute, QualityFilter, Reason, UnsuccessfulFaceDeletionReason,
};
use findme_rekognition_mock::synth;
use findme_rekognition_mock::{start, BoundingBox, MockConfig};
use std::collections::HashSet;

pub fn bbox(b: Option<&aws_sdk_rekognition::types::BoundingBox>) -> BoundingBox {
    let b = b.expect("bounding box present");
    BoundingBox {
        width: b.width().expect("Width"),
        height: b.height().expect("Height"),
        left: b.left().expect("Left"),
        top: b.top().expect("Top"),
    }
}

#[tokio::test]
async fn collection_lifecycle() {
    let server = start(MockConfig::default()).await;
    let c = client(&server.endpoint());

    let out = c
        .create_collection()
        .collection_id("event-42")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status_code(), Some(200));
    assert_eq!(out.face_model_version(), Some("7.0"));
    assert!(out
        .collection_arn()
        .unwrap()
        .ends_with(":collection/event-42"));

    let err = c
        .create_collection()
        .collection_id("event-42")
        .send()
        .await
        .unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_resource_already_exists_exception());
    assert_eq!(status(&err), Some(400));

    let d = c
        .describe_collection()
        .collection_id("event-42")
        .send()
        .await
        .unwrap();
    assert_eq!(d.face_count(), Some(0));
    assert!(d.creation_timestamp().unwrap().secs() > 1_600_000_000);
    assert!(d.collection_arn().unwrap().contains("us-east-1"));

    c.create_collection()
        .collection_id("event-43")
        .send()
        .await
        .unwrap();
    let l = c.list_collections().max_results(1).send().await.unwrap();
    assert_eq!(l.collection_ids(), ["event-42"]);
    assert_eq!(l.face_model_versions(), ["7.0"]);
    let l2 = c
        .list_collections()
        .next_token(l.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(l2.collection_ids(), ["event-43"]);
    assert!(l2.next_token().is_none());

    let del = c
        .delete_collection()
        .collection_id("event-42")
        .send()
        .await
        .unwrap();
    assert_eq!(del.status_code(), Some(200));
    let err = c
        .delete_collection()
        .collection_id("event-42")
        .send()
        .await
        .unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_resource_not_found_exception());
    let err = c
        .describe_collection()
        .collection_id("nope")
        .send()
        .await
        .unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_resource_not_found_exception());
    assert_eq!(server.collections(), ["event-43"]);
    server.shutdown().await;
}

#[tokio::test]
async fn index_list_and_delete_faces() {
    let server = start(MockConfig::default()).await;
    let c = client(&server.endpoint());
    c.create_collection()
        .collection_id("ev")
        .send()
        .await
        .unwrap();

    let (bytes, truth) = group_photo(&[0, 1, 2], 11);
    let out = c
        .index_faces()
        .collection_id("ev")
        .image(image(bytes))
        .external_image_id("evt-1:IMG_0001.jpg")
        .detection_attributes(Attribute::All)
        .quality_filter(QualityFilter::Auto)
        .send()
        .await
        .unwrap();
    assert_eq!(out.face_model_version(), Some("7.0"));
    assert!(out.unindexed_faces().is_empty());
    let recs = out.face_records();
    assert_eq!(recs.len(), 3);
    let image_ids: HashSet<_> = recs
        .iter()
        .map(|r| r.face().unwrap().image_id().unwrap())
        .collect();
    assert_eq!(image_ids.len(), 1, "one ImageId per call");
    for r in recs {
        let f = r.face().unwrap();
        assert_eq!(f.external_image_id(), Some("evt-1:IMG_0001.jpg"));
        assert!(f.confidence().unwrap() > 99.0);
        let got = bbox(f.bounding_box());
        let best = truth
            .iter()
            .map(|t| t.bounding_box(1280, 720).max_diff(&got))
            .fold(f32::MAX, f32::min);
        assert!(best < 0.01, "box {got:?} off by {best}");
        let detail = r.face_detail().unwrap();
        assert!(detail.age_range().is_some(), "ALL attributes");
        assert_eq!(detail.landmarks().len(), 5);
    }
    // Largest first, like AWS: person 0 has the biggest square.
    let stored = server.collection_faces("ev");
    assert_eq!(
        stored.iter().map(|f| f.person).collect::<Vec<_>>(),
        [0, 1, 2]
    );

    // MaxFaces keeps the largest; the rest come back unindexed.
    let (bytes, _) = group_photo(&[3, 4, 5], 12);
    let out = c
        .index_faces()
        .collection_id("ev")
        .image(image(bytes))
        .max_faces(1)
        .send()
        .await
        .unwrap();
    assert_eq!(out.face_records().len(), 1);
    assert_eq!(out.unindexed_faces().len(), 2);
    assert_eq!(
        out.unindexed_faces()[0].reasons(),
        [Reason::ExceedsMaxFaces]
    );
    assert_eq!(server.stats().faces_per_collection["ev"], 4);

    // Paging with NextToken, by hand and with the SDK paginator.
    let p1 = c
        .list_faces()
        .collection_id("ev")
        .max_results(3)
        .send()
        .await
        .unwrap();
    assert_eq!(p1.faces().len(), 3);
    assert_eq!(p1.face_model_version(), Some("7.0"));
    let p2 = c
        .list_faces()
        .collection_id("ev")
        .max_results(3)
        .next_token(p1.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(p2.faces().len(), 1);
    assert!(p2.next_token().is_none());
    let mut pages = c
        .list_faces()
        .collection_id("ev")
        .max_results(1)
        .into_paginator()
        .send();
    let mut ids = HashSet::new();
    while let Some(page) = pages.next().await {
        for f in page.unwrap().faces() {
            assert!(
                ids.insert(f.face_id().unwrap().to_string()),
                "no face twice"
            );
        }
    }
    assert_eq!(ids.len(), 4);
    let err = c
        .list_faces()
        .collection_id("ev")
        .next_token("garbage")
        .send()
        .await
        .unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_invalid_pagination_token_exception());

    // DeleteFaces: one real, one unknown.
    let victim = stored[1].face_id.clone();
    let unknown = "00000000-0000-4000-8000-000000000000";
    let out = c
        .delete_faces()
        .collection_id("ev")
        .face_ids(&victim)
        .face_ids(unknown)
        .send()
        .await
        .unwrap();
    assert_eq!(out.deleted_faces(), std::slice::from_ref(&victim));
    let failed = &out.unsuccessful_face_deletions()[0];
    assert_eq!(failed.face_id(), Some(unknown));
    assert_eq!(
        failed.reasons(),
        [UnsuccessfulFaceDeletionReason::FaceNotFound]
    );
    assert!(server
        .collection_faces("ev")
        .iter()
        .all(|f| f.face_id != victim));
    server.shutdown().await;
}

#[tokio::test]
async fn detect_faces_returns_boxes() {
    let server = start(MockConfig::default()).await;
    let c = client(&server.endpoint());
    let (bytes, truth) = group_photo(&[7, 8], 4);
    let out = c.detect_faces().image(image(bytes)).send().await.unwrap();
    assert_eq!(out.face_details().len(), 2);
    let got = bbox(out.face_details()[0].bounding_box());
    assert!(truth[0].bounding_box(1280, 720).max_diff(&got) < 0.01);
    assert!(
        out.face_details()[0].age_range().is_none(),
        "DEFAULT attributes"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn image_validation_like_aws() {
    let server = start(MockConfig::default()).await;
    let c = client(&server.endpoint());
    c.create_collection()
        .collection_id("ev")
        .send()
        .await
        .unwrap();
    let idx = |img: aws_sdk_rekognition::types::Image, coll: &str| {
        c.index_faces().collection_id(coll).image(img).send()
    };

    let err = idx(image(b"GIF89a not an image".to_vec()), "ev")
        .await
        .unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_invalid_image_format_exception());

    let tiny = synth::photo(60, 60, &[], 1);
    let err = idx(image(tiny), "ev").await.unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_invalid_parameter_exception());

    let (bytes, _) = group_photo(&[1], 3);
    let err = idx(image(bytes.clone()), "missing").await.unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_resource_not_found_exception());

    let s3 = aws_sdk_rekognition::types::Image::builder()
        .s3_object(
            aws_sdk_rekognition::types::S3Object::builder()
                .bucket("b")
                .name("k")
                .build(),
        )
        .build();
    let err = idx(s3, "ev").await.unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_invalid_s3_object_exception());

    let err = c
        .index_faces()
        .collection_id("ev")
        .image(image(bytes.clone()))
        .external_image_id("has spaces.jpg")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_service_error().unwrap().code(),
        Some("ValidationException")
    );
    assert_eq!(status(&err), Some(400));

    server.update_config(|cfg| cfg.max_image_bytes = bytes.len() - 1);
    let err = idx(image(bytes.clone()), "ev").await.unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_image_too_large_exception());
    server.set_config(MockConfig::default());

    // A 5 MB+ body still gets a proper answer, not a transport error.
    let big = vec![0xFFu8; findme_rekognition_mock::DEFAULT_MAX_IMAGE_BYTES + 1];
    let err = idx(image(big), "ev").await.unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_image_too_large_exception());
    assert!(server.collection_faces("ev").is_empty());
    assert_eq!(server.stats().errors["ImageTooLargeException"], 2);
    server.shutdown().await;
}
