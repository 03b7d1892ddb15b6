//! The roster is applied page by page, exactly once: the REAL reference server
//! with two participants a page, the connection cut while a page comes, and a
//! page the client has applied served to it again.

use std::collections::BTreeSet;
use std::time::Duration;

use findme_engine::Token;
use findme_event_server::{serve_with_shutdown, Admin, ServerConfig};
use findme_rekognition_mock::synth;
use findme_rekognition_mock::MockConfig;
use findme_testkit::ev;
use tokio::net::TcpListener;

use super::proxy::{Event, Fault, FaultProxy, Route};
use crate::support::venue::engine_with_mock;

const EVENT: &str = "gala";
const GUESTS: usize = 7;

/// Selfie downloads the server answered and the client got whole.
fn selfies_delivered(log: &[Event]) -> usize {
    log.iter()
        .filter(|e| {
            matches!(e, Event::Answered { path, status: 200, delivered: true, .. }
                if path.ends_with("/selfie"))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roster_over_small_pages_survives_a_cut_and_a_repeated_page_exactly_once() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let server_data = tmp.path().join("server");
    let admin = Admin::open(&server_data).unwrap();
    let photographer = admin
        .create_event("Gala", Some(EVENT))
        .unwrap()
        .photographer_token;
    for person in 0..GUESTS {
        let id = format!("guest{person}");
        admin
            .add_participant(
                EVENT,
                &format!("Guest {person}"),
                &synth::selfie(person),
                Some(&id),
            )
            .unwrap();
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    let mut config = ServerConfig::new(&server_data);
    config.roster_page_limit = 2; // 7 guests: pages of 2, 2, 2, 1
    tokio::spawn(async move {
        serve_with_shutdown(listener, config, std::future::pending())
            .await
            .expect("event server");
    });
    let proxy = FaultProxy::start(upstream).await;
    let data = tmp.path().join("data");
    let engine = engine_with_mock(&data, &mock, None).await;
    engine.create_event(&ev(EVENT), "Gala", None).await.unwrap();
    let token = || Token::new(photographer.clone());
    let people = |engine: findme_engine::Engine| async move {
        engine
            .participants(&ev(EVENT))
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect::<BTreeSet<_>>()
    };
    let guests = |n: usize| (0..n).map(|p| format!("guest{p}")).collect::<BTreeSet<_>>();

    // Pages 1 and 2 come whole; the connection is cut while page 3 comes.
    proxy.inject_after(Some(Route::Roster), 2, Fault::CutAnswerHalfway, 1);
    engine
        .sync(&proxy.base_url(), &ev(EVENT), token())
        .await
        .unwrap();
    assert_eq!(
        people(engine.clone()).await,
        guests(4),
        "the pages before the cut stay applied"
    );
    let matched = engine.match_event(Some(&ev(EVENT))).await.unwrap();
    assert_eq!(matched.failed, 0, "{matched:?}");
    assert_eq!(mock.collection_faces("findme-gala").len(), 4);

    // The next pull resumes after page 2, but is first served page 2 again.
    proxy.inject(Some(Route::Roster), Fault::RepeatLastAnswer, 1);
    let second = engine
        .sync(&proxy.base_url(), &ev(EVENT), token())
        .await
        .unwrap();
    assert_eq!(
        (
            second.roster.added,
            second.roster.updated,
            second.roster.removed
        ),
        (3, 0, 0),
        "the repeated page changed nothing: {second:?}"
    );
    let log = proxy.log();
    let repeated = log
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::Arrived {
                    fault: Some(Fault::RepeatLastAnswer),
                    ..
                }
            )
        })
        .count();
    assert_eq!(repeated, 1, "the page was served again");
    assert_eq!(
        people(engine.clone()).await,
        guests(GUESTS),
        "the set is exact"
    );

    let matched = engine.match_event(Some(&ev(EVENT))).await.unwrap();
    assert_eq!(matched.failed, 0, "{matched:?}");
    let stored = mock.collection_faces("findme-gala");
    let ids: BTreeSet<_> = stored.iter().map(|f| f.external_image_id.clone()).collect();
    assert_eq!(
        (stored.len(), ids.len()),
        (GUESTS, GUESTS),
        "each selfie indexed exactly once: {ids:?}"
    );
    assert_eq!(
        selfies_delivered(&proxy.log()),
        GUESTS,
        "each selfie downloaded once"
    );
    // And nothing was indexed twice by the catalog's own account.
    let db = rusqlite::Connection::open(data.join("catalog.sqlite")).unwrap();
    let runs: Vec<(String, String, i64)> = db
        .prepare("SELECT subject, status, attempts FROM jobs WHERE kind = 'index-participant'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(runs.len(), GUESTS, "{runs:?}");
    assert!(
        runs.iter()
            .all(|(_, status, attempts)| status == "done" && *attempts == 1),
        "{runs:?}"
    );
    tokio::time::timeout(Duration::from_secs(30), engine.shutdown())
        .await
        .expect("shutdown");
    mock.shutdown().await;
}
