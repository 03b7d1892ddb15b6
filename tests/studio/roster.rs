//! Roster pull end to end: attendees register with a selfie on the REAL
//! reference event server (in-process on 127.0.0.1); the engine pulls them,
//! matches photos against the Rekognition mock, pushes, and each attendee's
//! "my photos" lists exactly the photos they are in. Deletions and withdrawn
//! consent on the server reach the catalog and, through the next push, the
//! guests' pages.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use findme_engine::{EngineNotice, SyncTarget, Token};
use findme_event_server::Admin;
use findme_protocol::EventClient;
use findme_rekognition_mock::synth::{self, SynthFace};
use findme_rekognition_mock::MockConfig;
use findme_testkit::ev;
use support::venue::{engine_with_mock, face, serve_on_any_port};
use tokio::sync::oneshot;

const EVENT: &str = "wedding";

/// The server side: an event, three registered attendees and their tokens.
struct Venue {
    base: String,
    photographer: String,
    /// participant id → attendee token
    attendees: BTreeMap<String, String>,
    admin: Admin,
    _stop: oneshot::Sender<()>,
}

async fn venue(root: &Path) -> Venue {
    let data = root.join("server");
    let admin = Admin::open(&data).unwrap();
    let photographer = admin
        .create_event("Wedding", Some(EVENT))
        .unwrap()
        .photographer_token;
    let mut attendees = BTreeMap::new();
    for person in 0..3 {
        let id = format!("guest{person}");
        let added = admin
            .add_participant(
                EVENT,
                &format!("Guest {person}"),
                &synth::selfie(person),
                Some(&id),
            )
            .unwrap();
        attendees.insert(id, added.attendee_token);
    }
    let (base, stop) = serve_on_any_port(&data).await;
    Venue {
        base,
        photographer,
        attendees,
        admin,
        _stop: stop,
    }
}

impl Venue {
    fn target(&self) -> SyncTarget {
        SyncTarget {
            server: self.base.clone(),
            event: ev(EVENT),
            token: Token::new(self.photographer.clone()),
        }
    }

    /// The photos (by SHA-256) the attendee `id` sees on their page.
    async fn my_photos(&self, id: &str) -> BTreeSet<String> {
        let client = EventClient::new(&self.base, Token::new(self.attendees[id].clone())).unwrap();
        let mine = client.my_photos().await.unwrap();
        assert_eq!(mine.participant.id, id);
        mine.photos.into_iter().map(|p| p.sha256).collect()
    }
}

/// Four photos in `root/photos`; returns the photos (SHA-256) each guest is in.
fn shoot(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let shots: [(&str, Vec<SynthFace>); 4] = [
        ("a.jpg", vec![face(0, 100), face(1, 600)]),
        ("b.jpg", vec![face(2, 300)]),
        ("c.jpg", vec![face(0, 500)]),
        ("empty.jpg", vec![]),
    ];
    let dir = root.join("photos");
    std::fs::create_dir_all(&dir).unwrap();
    let mut truth: BTreeMap<String, BTreeSet<String>> = (0..3)
        .map(|p| (format!("guest{p}"), BTreeSet::new()))
        .collect();
    for (seed, (name, faces)) in shots.iter().enumerate() {
        let bytes = synth::photo(1280, 720, faces, seed as u64 + 1);
        std::fs::write(dir.join(name), &bytes).unwrap();
        let sha = support::sha256_hex(&bytes);
        for f in faces {
            truth
                .get_mut(&format!("guest{}", f.person))
                .unwrap()
                .insert(sha.clone());
        }
    }
    truth
}

async fn assert_pages(venue: &Venue, truth: &BTreeMap<String, BTreeSet<String>>) {
    for (id, photos) in truth {
        assert_eq!(&venue.my_photos(id).await, photos, "my photos of {id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_guests_are_pulled_matched_and_see_exactly_their_photos() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let venue = venue(tmp.path()).await;
    let mut truth = shoot(tmp.path());
    let engine = engine_with_mock(&tmp.path().join("data"), &mock, None).await;
    engine
        .create_event(&ev(EVENT), "Wedding", None)
        .await
        .unwrap();
    engine
        .import(vec![tmp.path().join("photos")])
        .await
        .unwrap();
    let token = || Token::new(venue.photographer.clone());

    // First sync: the roster arrives (nothing is matched yet, nothing to push).
    let first = engine.sync(&venue.base, &ev(EVENT), token()).await.unwrap();
    assert_eq!(
        (
            first.roster.added,
            first.roster.updated,
            first.roster.removed
        ),
        (3, 0, 0),
        "{first:?}"
    );
    let people = engine.participants(&ev(EVENT)).await.unwrap();
    let names: BTreeSet<_> = people.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["Guest 0", "Guest 1", "Guest 2"]));

    let matched = engine.match_event(Some(&ev(EVENT))).await.unwrap();
    assert_eq!(matched.failed, 0, "{matched:?}");
    let pushed = engine.sync(&venue.base, &ev(EVENT), token()).await.unwrap();
    // The event publishes only photos with a matched guest: not empty.jpg.
    assert_eq!(
        (pushed.pushed, pushed.pending, pushed.failed),
        (3, 0, 0),
        "{pushed:?}"
    );
    assert_eq!(
        pushed.roster,
        Default::default(),
        "nothing changed on the server"
    );
    assert_pages(&venue, &truth).await;
    let selfies = std::fs::read_dir(tmp.path().join("data/selfies"))
        .unwrap()
        .count();
    assert_eq!(
        selfies, 3,
        "one stored selfie per guest, none downloaded twice"
    );

    // On the server: guest1 is deleted, guest2 withdraws consent.
    venue.admin.remove_participant(EVENT, "guest1").unwrap();
    venue.admin.set_consent(EVENT, "guest2", false).unwrap();
    let after = engine.sync(&venue.base, &ev(EVENT), token()).await.unwrap();
    assert_eq!(
        (
            after.roster.added,
            after.roster.updated,
            after.roster.removed
        ),
        (0, 1, 1),
        "{after:?}"
    );
    assert_eq!((after.pending, after.failed), (0, 0), "{after:?}");
    let ids: Vec<_> = engine
        .participants(&ev(EVENT))
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.id, p.consent))
        .collect();
    assert!(!ids.iter().any(|(id, _)| id == "guest1"), "{ids:?}");
    assert!(ids.contains(&("guest2".into(), false)), "{ids:?}");
    // Their selfies leave the data folder.
    engine.run_deletions().await.unwrap();
    let selfies = std::fs::read_dir(tmp.path().join("data/selfies"))
        .unwrap()
        .count();
    assert_eq!(
        selfies, 1,
        "the removed and the withdrawn guest's selfies are deleted"
    );
    // The server's copies of the photos lost those guests' faces; a photo
    // left with no matched guest is withdrawn.
    let photographer = EventClient::new(&venue.base, token()).unwrap();
    for sha in truth["guest1"].union(&truth["guest2"]) {
        let state = photographer.photo_state(EVENT, sha).await.unwrap();
        if !truth["guest0"].contains(sha) {
            assert!(!state.visible && state.withdrawn, "{sha}: {state:?}");
            continue;
        }
        assert!(state.visible, "{sha}: {state:?}");
        let people: Vec<_> = state
            .metadata
            .expect("metadata")
            .faces
            .into_iter()
            .filter_map(|f| f.participant_id)
            .collect();
        assert!(
            !people.iter().any(|p| p == "guest1" || p == "guest2"),
            "{sha}: {people:?}"
        );
    }
    truth.remove("guest1");
    truth.insert("guest2".into(), BTreeSet::new());
    assert_pages(&venue, &truth).await;
    engine.shutdown().await;
}

/// The app's way: with a server set up, nobody calls sync or match. The roster
/// is pulled at start, the guests are indexed, photos matched and pushed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_server_set_up_guests_find_their_photos_without_the_photographer_doing_anything() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let venue = venue(tmp.path()).await;
    let truth = shoot(tmp.path());
    let engine = engine_with_mock(&tmp.path().join("data"), &mock, Some(venue.target())).await;
    engine
        .create_event(&ev(EVENT), "Wedding", None)
        .await
        .unwrap();
    engine.use_event(&ev(EVENT)).await.unwrap();
    let mut events = engine.subscribe();
    engine.start_workers();
    engine
        .import(vec![tmp.path().join("photos")])
        .await
        .unwrap();

    // Woken by every settled job; bounded so a regression fails instead of hanging.
    let everyone_sees_their_photos = async {
        loop {
            let mut done = true;
            for (id, photos) in &truth {
                done &= &venue.my_photos(id).await == photos;
            }
            if done {
                return;
            }
            match events.recv().await {
                Ok(EngineNotice::QueueChanged) | Err(_) => {}
                Ok(_) => continue,
            }
        }
    };
    let reached = tokio::time::timeout(Duration::from_secs(120), everyone_sees_their_photos).await;
    assert!(
        reached.is_ok(),
        "guests' pages incomplete; catalog participants: {:?}",
        engine.participants(&ev(EVENT)).await
    );
    assert_eq!(engine.participants(&ev(EVENT)).await.unwrap().len(), 3);
    engine.shutdown().await;
}
