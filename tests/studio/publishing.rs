//! What an event's server (the REAL reference server) shows: by default only
//! the event's photos with a matched participant, or every photo when the
//! photographer chooses so; a photo unpublished from the event leaves its
//! server and is not pushed there again, whatever changes its matches, until
//! the photographer publishes it again (issue 15).

use findme_engine::{PhotoKey, PublishChoice, Token};
use findme_event_server::Admin;
use findme_protocol::EventClient;
use findme_rekognition_mock::MockConfig;
use findme_testkit::{ev, pid};

use crate::deletions::{card, matched_gala};
use crate::support::venue::{engine_with_mock, serve_on_any_port};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_shows_matched_photos_or_every_photo_and_never_an_unpublished_one() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // Guest 1 is in photos 0 and 1; guest 2 in 1 and 2; photo 3 has nobody.
    let shas = card(&root.join("card"), &[&[1], &[1, 2], &[2], &[]], 80);
    let engine = engine_with_mock(&root.join("data"), &mock, None).await;
    matched_gala(&engine, root).await;
    let gala = ev("gala");
    assert_eq!(
        engine.event(&gala).await.unwrap().publish,
        PublishChoice::Matched,
        "the default of a new event"
    );
    let server_data = root.join("server");
    let token = Admin::open(&server_data)
        .unwrap()
        .create_event("Gala", Some("gala"))
        .unwrap()
        .photographer_token;
    let (base, _server) = serve_on_any_port(&server_data).await;
    let client = EventClient::new(&base, Token::new(token.clone())).unwrap();
    let sync = || engine.sync(&base, &gala, Token::new(token.clone()));
    let visible = |i: usize| {
        let (client, sha) = (&client, shas[i].clone());
        async move {
            match client.photo_state("gala", &sha).await {
                Ok(state) => state.visible,
                Err(_) => false,
            }
        }
    };
    let shown = || async {
        let mut shown = Vec::new();
        for i in 0..shas.len() {
            if visible(i).await {
                shown.push(i);
            }
        }
        shown
    };
    assert_eq!(sync().await.unwrap().pushed, 3);
    assert_eq!(shown().await, [0, 1, 2], "the photo with nobody stays here");

    let key = |i: usize| vec![PhotoKey::parse(&shas[i]).unwrap()];
    let off = engine.set_published(&gala, key(1), false).await.unwrap();
    assert_eq!(off.changed, 1);
    let again = engine.set_published(&gala, key(1), false).await.unwrap();
    assert_eq!(again.changed, 0, "already unpublished");
    assert_eq!(sync().await.unwrap().failed, 0);
    assert_eq!(shown().await, [0, 2], "photo 1 withdrawn");

    // Guest 1 leaves: photo 0 has nobody left and is withdrawn; photo 1 stays
    // off although it changed (guest 2 is still in it).
    engine.remove_participant(&gala, &pid("p01")).await.unwrap();
    assert_eq!(sync().await.unwrap().failed, 0);
    assert_eq!(shown().await, [2]);
    // Its matches in the event stay (only the server copy went).
    let in_gala = engine.event_photos(Some(gala.clone())).await.unwrap();
    let photo1 = in_gala.iter().find(|p| p.sha256 == shas[1]).unwrap();
    assert!(photo1
        .faces
        .iter()
        .any(|f| f.participant.as_deref() == Some("p02")));

    let on = engine.set_published(&gala, key(1), true).await.unwrap();
    assert_eq!(on.changed, 1);
    assert!(sync().await.unwrap().pushed >= 1);
    assert_eq!(shown().await, [1, 2]);

    // Every photo of the event: the ones with nobody go out too...
    let event = engine
        .set_publish_choice(&gala, PublishChoice::All)
        .await
        .unwrap();
    assert_eq!(event.publish, PublishChoice::All);
    assert_eq!(sync().await.unwrap().failed, 0);
    assert_eq!(shown().await, [0, 1, 2, 3]);
    assert_eq!(client.stats("gala").await.unwrap().photos, 4);
    // ...and back to matched photos only: they are withdrawn again.
    engine
        .set_publish_choice(&gala, PublishChoice::Matched)
        .await
        .unwrap();
    assert_eq!(sync().await.unwrap().failed, 0);
    assert_eq!(shown().await, [1, 2]);

    // Closed, with its photos taken off the server.
    engine.close_event_with(&gala, true).await.unwrap();
    assert_eq!(sync().await.unwrap().failed, 0);
    assert_eq!(shown().await, [0usize; 0]);
    engine.shutdown().await;
    mock.shutdown().await;
}
