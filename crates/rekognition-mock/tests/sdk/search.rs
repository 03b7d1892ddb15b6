//! SearchFaces and SearchFacesByImage through the SDK: who matches whom, thresholds,
//! the look-alike pair, the largest-face rule.

use crate::common::{client, face, group_photo, image};
use aws_sdk_rekognition::error::ProvideErrorMetadata;
use findme_rekognition_mock::synth::{self, LOOKALIKES};
use findme_rekognition_mock::{start, BoundingBox, MockConfig};

fn bbox(b: Option<&aws_sdk_rekognition::types::BoundingBox>) -> BoundingBox {
    crate::ops::bbox(b)
}

#[tokio::test]
async fn search_faces_finds_the_same_person_only() {
    let server = start(MockConfig::default()).await;
    let c = client(&server.endpoint());
    c.create_collection()
        .collection_id("ev")
        .send()
        .await
        .unwrap();
    let index = |bytes: Vec<u8>, ext: &'static str| {
        let c = c.clone();
        async move {
            c.index_faces()
                .collection_id("ev")
                .image(image(bytes))
                .external_image_id(ext)
                .send()
                .await
                .unwrap()
        }
    };
    let selfie = index(synth::selfie(0), "selfie-0").await;
    let selfie_id = selfie.face_records()[0]
        .face()
        .unwrap()
        .face_id()
        .unwrap()
        .to_string();
    index(group_photo(&[0, 1], 1).0, "p1").await;
    index(group_photo(&[2, 0, 3], 2).0, "p2").await;
    index(group_photo(&[4], 3).0, "p3").await;

    let out = c
        .search_faces()
        .collection_id("ev")
        .face_id(&selfie_id)
        .max_faces(4096)
        .send()
        .await
        .unwrap();
    assert_eq!(out.searched_face_id(), Some(selfie_id.as_str()));
    assert_eq!(out.face_model_version(), Some("7.0"));
    let exts: Vec<_> = out
        .face_matches()
        .iter()
        .map(|m| {
            assert!(m.similarity().unwrap() >= 99.0);
            m.face().unwrap().external_image_id().unwrap()
        })
        .collect();
    assert_eq!(exts.len(), 2, "{exts:?}");
    assert!(exts.contains(&"p1") && exts.contains(&"p2"));

    let one = c
        .search_faces()
        .collection_id("ev")
        .face_id(&selfie_id)
        .max_faces(1)
        .send()
        .await
        .unwrap();
    assert_eq!(one.face_matches().len(), 1);

    let err = c
        .search_faces()
        .collection_id("ev")
        .face_id("00000000-0000-4000-8000-000000000000")
        .send()
        .await
        .unwrap_err();
    assert!(err
        .as_service_error()
        .unwrap()
        .is_resource_not_found_exception());
    let err = c
        .search_faces()
        .collection_id("ev")
        .face_id("not-a-uuid")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_service_error().unwrap().code(),
        Some("ValidationException")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn lookalikes_match_only_below_the_default_threshold() {
    let server = start(MockConfig::default()).await;
    let c = client(&server.endpoint());
    c.create_collection()
        .collection_id("ev")
        .send()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for p in [LOOKALIKES.0, LOOKALIKES.1] {
        let out = c
            .index_faces()
            .collection_id("ev")
            .image(image(synth::selfie(p)))
            .send()
            .await
            .unwrap();
        ids.push(
            out.face_records()[0]
                .face()
                .unwrap()
                .face_id()
                .unwrap()
                .to_string(),
        );
    }
    let search = |threshold: Option<f32>| {
        c.search_faces()
            .collection_id("ev")
            .face_id(&ids[0])
            .set_face_match_threshold(threshold)
            .send()
    };
    assert!(
        search(None).await.unwrap().face_matches().is_empty(),
        "default 80"
    );
    assert!(search(Some(80.0)).await.unwrap().face_matches().is_empty());
    let out = search(Some(70.0)).await.unwrap();
    let s = out.face_matches()[0].similarity().unwrap();
    assert!((74.0..=76.0).contains(&s), "{s}");
    server.shutdown().await;
}

#[tokio::test]
async fn search_by_image_uses_the_largest_face() {
    let server = start(MockConfig::default()).await;
    let c = client(&server.endpoint());
    c.create_collection()
        .collection_id("ev")
        .send()
        .await
        .unwrap();
    for p in [3, 4] {
        c.index_faces()
            .collection_id("ev")
            .image(image(synth::selfie(p)))
            .external_image_id(format!("selfie-{p}"))
            .send()
            .await
            .unwrap();
    }
    let faces = [face(4, 100, 100, 90), face(3, 600, 200, 220)];
    let photo = synth::photo(1280, 720, &faces, 5);
    let out = c
        .search_faces_by_image()
        .collection_id("ev")
        .image(image(photo))
        .send()
        .await
        .unwrap();
    assert!(out.searched_face_confidence().unwrap() > 99.0);
    let got = bbox(out.searched_face_bounding_box());
    assert!(
        faces[1].bounding_box(1280, 720).max_diff(&got) < 0.01,
        "{got:?}"
    );
    let m = out.face_matches();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].face().unwrap().external_image_id(), Some("selfie-3"));

    let empty = synth::photo(640, 480, &[], 9);
    let err = c
        .search_faces_by_image()
        .collection_id("ev")
        .image(image(empty))
        .send()
        .await
        .unwrap_err();
    let se = err.as_service_error().unwrap();
    assert!(se.is_invalid_parameter_exception());
    assert!(
        se.message().unwrap().contains("no faces"),
        "{:?}",
        se.message()
    );
    server.shutdown().await;
}
