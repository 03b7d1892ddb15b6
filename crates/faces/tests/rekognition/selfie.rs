//! A group selfie on Rekognition: refused with every clear face's box, then
//! the photographer's pick is indexed alone, from a crop around it (as the
//! participant job sends it).

use super::*;
use findme_faces::FaceBox;
use findme_media::{render_crop, CropBox, Format};

#[tokio::test]
async fn a_picked_face_of_a_group_selfie_is_indexed_alone() {
    let server = start(MockConfig::default()).await;
    let m = matcher(&server).await;
    m.prepare_event(EV).await.expect("prepare");
    let two = synth::photo(
        640,
        480,
        &[face(3, 40, 100, 220), face(4, 340, 120, 200)],
        12,
    );
    let Err(MatcherError::SeveralFaces(boxes)) =
        m.index_selfie(EV, "p-two", &jpeg(&two), None).await
    else {
        panic!("two faces of about the same size are ambiguous");
    };
    assert_eq!(boxes.len(), 2, "{boxes:?}");
    // Largest first, as fractions of the selfie.
    assert!((boxes[0].left - 40.0 / 640.0).abs() < 0.02, "{boxes:?}");
    assert!((boxes[1].left - 340.0 / 640.0).abs() < 0.02, "{boxes:?}");
    assert!(server.collection_faces(EV).is_empty());

    // The second face, cut out with half its size around it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.jpg");
    std::fs::write(&path, &two).unwrap();
    let b = boxes[1];
    let crop = CropBox {
        left: (b.left - b.width / 2.0).max(0.0),
        top: (b.top - b.height / 2.0).max(0.0),
        width: (b.left + b.width * 1.5).min(1.0) - (b.left - b.width / 2.0).max(0.0),
        height: (b.top + b.height * 1.5).min(1.0) - (b.top - b.height / 2.0).max(0.0),
    };
    let cut = render_crop(&path, Format::Jpeg, crop, 2560, 90).expect("crop");
    let within = FaceBox {
        left: (b.left - crop.left) / crop.width,
        top: (b.top - crop.top) / crop.height,
        width: b.width / crop.width,
        height: b.height / crop.height,
    };
    let id = m
        .index_selfie(EV, "p-two", &jpeg(&cut.jpeg), Some(within))
        .await
        .expect("the picked face")
        .face_id;
    assert_eq!(persons(&server, EV), BTreeMap::from([(id, 4)]));

    // A pick where the face sent is not: refused, and nothing more indexed.
    let elsewhere = FaceBox {
        left: 0.0,
        top: 0.0,
        width: 0.1,
        height: 0.1,
    };
    assert!(matches!(
        m.index_selfie(EV, "p-x", &jpeg(&cut.jpeg), Some(elsewhere))
            .await,
        Err(MatcherError::BadImage(_))
    ));
    assert_eq!(server.collection_faces(EV).len(), 1);
    server.shutdown().await;
}
