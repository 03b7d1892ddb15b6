//! A photo unpublished from an event leaves that event's server (the REAL
//! reference server) and is not pushed there again, whatever changes its
//! matches, until the photographer publishes it again (issue 15).

use findme_engine::{PhotoKey, Token};
use findme_event_server::Admin;
use findme_protocol::EventClient;
use findme_rekognition_mock::MockConfig;
use findme_testkit::{ev, pid};

use crate::deletions::{card, matched_gala};
use crate::support::venue::{engine_with_mock, serve_on_any_port};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpublished_photo_leaves_the_server_and_stays_off_it_until_published_again() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // Guest 1 is in photos 0 and 1; guest 2 in 1 and 2.
    let shas = card(&root.join("card"), &[&[1], &[1, 2], &[2]], 80);
    let engine = engine_with_mock(&root.join("data"), &mock, None).await;
    matched_gala(&engine, root).await;
    let server_data = root.join("server");
    let token = Admin::open(&server_data)
        .unwrap()
        .create_event("Gala", Some("gala"))
        .unwrap()
        .photographer_token;
    let (base, _server) = serve_on_any_port(&server_data).await;
    let client = EventClient::new(&base, Token::new(token.clone())).unwrap();
    let gala = ev("gala");
    let sync = || engine.sync(&base, &gala, Token::new(token.clone()));
    assert_eq!(sync().await.unwrap().pushed, 3);

    let key = |i: usize| vec![PhotoKey::parse(&shas[i]).unwrap()];
    let off = engine
        .set_published(&ev("gala"), key(1), false)
        .await
        .unwrap();
    assert_eq!(off.changed, 1);
    let again = engine
        .set_published(&ev("gala"), key(1), false)
        .await
        .unwrap();
    assert_eq!(again.changed, 0, "already unpublished");
    assert_eq!(sync().await.unwrap().failed, 0);
    let visible = |i: usize| {
        let (client, sha) = (&client, shas[i].clone());
        async move { client.photo_state("gala", &sha).await.unwrap().visible }
    };
    assert_eq!(client.stats("gala").await.unwrap().photos, 2);
    assert!(!visible(1).await, "withdrawn");

    // Guest 1 leaves: photos 0 and 1 change; only photo 0 goes out again.
    engine
        .remove_participant(&ev("gala"), &pid("p01"))
        .await
        .unwrap();
    assert_eq!(sync().await.unwrap().failed, 0);
    assert_eq!(client.stats("gala").await.unwrap().photos, 2);
    assert!(!visible(1).await && visible(0).await);
    // Its matches in the event stay (only the server copy went).
    let in_gala = engine.event_photos(Some(ev("gala"))).await.unwrap();
    let photo1 = in_gala.iter().find(|p| p.sha256 == shas[1]).unwrap();
    assert!(photo1
        .faces
        .iter()
        .any(|f| f.participant.as_deref() == Some("p02")));

    let on = engine
        .set_published(&ev("gala"), key(1), true)
        .await
        .unwrap();
    assert_eq!(on.changed, 1);
    assert!(sync().await.unwrap().pushed >= 1);
    assert_eq!(client.stats("gala").await.unwrap().photos, 3);
    assert!(visible(1).await);
    engine.shutdown().await;
    mock.shutdown().await;
}
