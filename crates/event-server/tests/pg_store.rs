//! The PostgreSQL metadata store against a real server (`FINDME_TEST_POSTGRES`,
//! see tests/common/pg.rs): the roster cursor's late-commit race held open
//! deterministically, the same race under load from two instances, concurrent
//! migrations, and answers compared with the SQLite arm's.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use findme_event_server::auth::{new_token, Principal, TokenKind};
use findme_event_server::db::Db;
use findme_event_server::files::ImageStore;
use findme_event_server::photos::Rendition;
use findme_event_server::store::pg::{roster, PgMeta};
use findme_event_server::store::{Images, Meta, NewImage};

use common::stores::fresh_database;

const EVENT: &str = "ev";

fn image(seed: &str) -> NewImage {
    NewImage {
        sha256: findme_protocol::sha256_hex(seed.as_bytes()),
        size: seed.len(),
        content_type: "image/jpeg",
    }
}

fn attendee_hash() -> String {
    new_token(TokenKind::Attendee).1
}

async fn two_instances() -> (PgMeta, PgMeta) {
    let url = fresh_database();
    let one = PgMeta::connect(&url).await.unwrap();
    let two = PgMeta::connect(&url).await.unwrap();
    assert!(one
        .create_event(EVENT, "E", &new_token(TokenKind::Photographer).1)
        .await
        .unwrap());
    (one, two)
}

/// Whether any session of this test's database waits for a lock.
async fn someone_waits(watcher: &tokio_postgres::Client) -> bool {
    let n: i64 = watcher
        .query_one(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid
              WHERE NOT l.granted AND s.datname = current_database()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    n > 0
}

/// Writer A takes its roster number and stays uncommitted until writer B (the
/// other instance, its own pool) is seen blocked; a reader pages meanwhile and
/// after. With the per-event lock B cannot number (or commit) its change before
/// A commits, so the reader sees A then B, each once. With a plain sequence B
/// commits first, the reader's cursor passes A's number and A is never seen.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_late_commit_is_never_skipped_by_the_cursor() {
    let (one, two) = two_instances().await;
    let early = image("early selfie");
    assert!(two
        .add_participant(EVENT, "first", "First", &early, &attendee_hash())
        .await
        .unwrap());
    let (page, cursor, more) = one.participants_since(EVENT, 0, 50).await.unwrap();
    assert_eq!(page.len(), 1);
    assert!(!more);

    // Writer A: the store's own roster write, in a transaction held open.
    let mut a_conn = one.client().await.unwrap();
    let a_tx = a_conn.transaction().await.unwrap();
    let a_seq = roster::upsert_participant(&a_tx, EVENT, "late", "Late", &early.sha256)
        .await
        .unwrap();

    // Writer B: a whole add_participant through instance two.
    let b = {
        let two = two.clone();
        let selfie = image("b selfie");
        tokio::spawn(async move {
            two.add_participant(EVENT, "early", "Early", &selfie, &attendee_hash())
                .await
        })
    };
    let watcher = one.client().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let b_waited = loop {
        if b.is_finished() {
            break false;
        }
        if someone_waits(&watcher).await {
            break true;
        }
        assert!(
            Instant::now() < deadline,
            "writer B neither waited nor finished"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };

    let mut seen = Vec::new();
    let (page, cursor, _) = one.participants_since(EVENT, cursor, 50).await.unwrap();
    seen.extend(page);
    a_tx.commit().await.unwrap();
    assert!(b.await.unwrap().unwrap(), "writer B failed");
    let (page, cursor, more) = two.participants_since(EVENT, cursor, 50).await.unwrap();
    seen.extend(page);
    assert!(!more);
    let (rest, _, _) = one.participants_since(EVENT, cursor, 50).await.unwrap();
    assert!(rest.is_empty());

    let ids: Vec<&str> = seen.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["late", "early"], "each change once, in commit order");
    assert_eq!(seen[0].updated_at, u64::try_from(a_seq).unwrap());
    assert!(seen[1].updated_at > seen[0].updated_at);
    assert!(
        b_waited,
        "writer B was never blocked: the race was not exercised"
    );
}

/// Two instances × 4 writers × 250 new participants while a reader pages 50 at
/// a time: every change exactly once, numbers contiguous and increasing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_two_instances_never_make_the_reader_skip() {
    const WRITERS: usize = 8;
    const EACH: usize = 250;
    let (one, two) = two_instances().await;
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (meta, done) = (one.clone(), done.clone());
        tokio::spawn(async move {
            let (mut cursor, mut seen, mut pages) = (0i64, Vec::new(), 0usize);
            loop {
                let finished = done.load(Ordering::SeqCst);
                let (page, next, more) = meta.participants_since(EVENT, cursor, 50).await.unwrap();
                pages += 1;
                if let Some(first) = page.first() {
                    assert_eq!(
                        first.updated_at,
                        u64::try_from(cursor).unwrap() + 1,
                        "a gap"
                    );
                }
                cursor = next;
                let empty = page.is_empty();
                seen.extend(page);
                if finished && !more && empty {
                    return (seen, pages);
                }
                if empty {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let started = Instant::now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let meta = if w % 2 == 0 { one.clone() } else { two.clone() };
            tokio::spawn(async move {
                for i in 0..EACH {
                    let id = format!("p{w}_{i}");
                    let ok = meta
                        .add_participant(EVENT, &id, "N", &image(&id), &attendee_hash())
                        .await
                        .unwrap();
                    assert!(ok);
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let (seen, pages) = reader.await.unwrap();

    let total = WRITERS * EACH;
    assert_eq!(seen.len(), total, "every change exactly once");
    for (n, p) in seen.iter().enumerate() {
        assert_eq!(p.updated_at, n as u64 + 1, "in order, no gap, no repeat");
    }
    let mut ids: Vec<&str> = seen.iter().map(|p| p.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), total);

    let mut latencies: Vec<Duration> = Vec::new();
    for k in 0..21 {
        let t = Instant::now();
        let (page, _, _) = one.participants_since(EVENT, k * 90, 50).await.unwrap();
        latencies.push(t.elapsed());
        assert_eq!(page.len(), 50);
    }
    latencies.sort();
    eprintln!(
        "stress: {total} roster writes in {:.2} s = {:.0} writes/s (2 instances x 4 writers); \
         reader took {pages} pages; participants_since(limit 50) median {:.2} ms, max {:.2} ms",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        latencies[10].as_secs_f64() * 1e3,
        latencies[20].as_secs_f64() * 1e3,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_starting_together_migrate_once() {
    let url = fresh_database();
    let connects = (0..8).map(|_| PgMeta::connect(&url));
    let metas: Vec<PgMeta> = futures::future::join_all(connects)
        .await
        .into_iter()
        .map(|m| m.unwrap())
        .collect();
    let client = metas[0].client().await.unwrap();
    let row = client
        .query_one("SELECT count(*), max(version) FROM findme_schema", &[])
        .await
        .unwrap();
    let known = findme_event_server::store::pg::schema::MIGRATIONS.len() as i64;
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (known, known));
    for (i, meta) in metas.iter().enumerate() {
        assert!(meta
            .create_event(&format!("e{i}"), "E", &new_token(TokenKind::Photographer).1)
            .await
            .unwrap());
    }
}

/// The same calls on either store; returns a transcript of the answers (the two
/// arms must agree) after checking the rules themselves.
async fn semantics(meta: &Meta, images: &Images) -> Vec<String> {
    let mut log = Vec::new();
    let photo = common::photo_key(1);
    let unseen = common::photo_key(2);
    assert!(meta
        .create_event(EVENT, "E", &new_token(TokenKind::Photographer).1)
        .await
        .unwrap());
    assert!(
        !meta.create_event(EVENT, "again", "h").await.unwrap(),
        "the id is taken"
    );

    // Highest revision wins.
    let put = |rev: u64| {
        let m = common::meta(rev, &["ada"]);
        async move {
            meta.put_metadata(EVENT, &common::photo_key(1), &m, rev as i64)
                .await
                .unwrap()
        }
    };
    let r = put(2).await;
    assert!(r.applied && r.revision == 2);
    log.push(format!("{r:?}"));
    let r = put(1).await;
    assert!(
        !r.applied && r.revision == 2,
        "an older revision changes nothing"
    );
    log.push(format!("{r:?}"));
    let r = put(2).await;
    assert!(!r.applied, "an equal revision changes nothing");
    let r = put(3).await;
    assert!(r.applied && r.revision == 3);

    // Withdrawal: an older one is ignored, the current one remembered, a newer PUT revives.
    let d = meta.delete_photo(EVENT, &photo, Some(1)).await.unwrap();
    assert!(!d.withdrawn && d.revision == 3);
    log.push(format!("{d:?}"));
    let d = meta.delete_photo(EVENT, &photo, None).await.unwrap();
    assert!(d.withdrawn && d.revision == 3);
    let r = put(3).await;
    assert!(
        !r.applied && r.withdrawn,
        "a withdrawn photo stays withdrawn at its revision"
    );
    log.push(format!("{r:?}"));
    let r = put(4).await;
    assert!(r.applied && !r.withdrawn, "a newer revision brings it back");

    // A photo withdrawn before the server saw it.
    let d = meta.delete_photo(EVENT, &unseen, Some(5)).await.unwrap();
    assert!(d.withdrawn && d.revision == 5);
    let m = common::meta(5, &[]);
    let r = meta.put_metadata(EVENT, &unseen, &m, 5).await.unwrap();
    assert!(!r.applied && r.withdrawn);
    let state = meta.photo_state(EVENT, &unseen).await.unwrap().unwrap();
    assert!(state.withdrawn && state.metadata.is_none() && !state.visible);
    log.push(format!("{state:?}"));

    // Renditions: 201 first, 200 after; the photo is visible with image + metadata.
    let web = image("web 1");
    assert!(meta
        .put_rendition(Rendition::Web, EVENT, &photo, &web)
        .await
        .unwrap());
    assert!(!meta
        .put_rendition(Rendition::Web, EVENT, &photo, &web)
        .await
        .unwrap());
    assert!(!meta
        .put_rendition(Rendition::Web, EVENT, &photo, &image("web 2"))
        .await
        .unwrap());
    assert!(meta
        .put_rendition(Rendition::Grid, EVENT, &photo, &image("grid"))
        .await
        .unwrap());
    let state = meta.photo_state(EVENT, &photo).await.unwrap().unwrap();
    assert!(state.visible);
    log.push(format!("{state:?}"));
    log.push(format!("{:?}", meta.stats(EVENT).await.unwrap().photos));

    // Removing a participant: tombstone, tokens revoked, bytes kept while shared.
    let selfie = image("shared selfie");
    images
        .put(
            &selfie.sha256,
            bytes::Bytes::from_static(b"\xFF\xD8\xFF selfie"),
        )
        .await
        .unwrap();
    let (ada_token, ada_hash) = new_token(TokenKind::Attendee);
    assert!(meta
        .add_participant(EVENT, "ada", "Ada", &selfie, &ada_hash)
        .await
        .unwrap());
    assert!(meta
        .add_participant(EVENT, "ben", "Ben", &selfie, &attendee_hash())
        .await
        .unwrap());
    assert_eq!(
        meta.authenticate(&ada_token).await.unwrap(),
        Some(Principal::Attendee {
            event: EVENT.into(),
            participant: "ada".into()
        })
    );
    let sessions = meta.new_session(EVENT, "ada").await.unwrap();
    assert!(meta.my_photos(EVENT, "ada").await.unwrap().len() == 1);
    assert_eq!(
        meta.remove_participant(EVENT, "ada").await.unwrap(),
        Some(Some(selfie.sha256.clone()))
    );
    assert_eq!(
        meta.authenticate(&ada_token).await.unwrap(),
        None,
        "token revoked"
    );
    assert_eq!(
        meta.session_participant(EVENT, &sessions).await.unwrap(),
        None
    );
    assert_eq!(meta.remove_participant(EVENT, "ada").await.unwrap(), None);
    assert!(
        !meta
            .forget_image_if_unused(&selfie.sha256, images)
            .await
            .unwrap(),
        "ben's too"
    );
    assert!(images.exists(&selfie.sha256).await.unwrap());
    // Re-adding the id mints a new token; the old one stays revoked.
    assert!(meta
        .add_participant(EVENT, "ada", "Ada 2", &image("new"), &attendee_hash())
        .await
        .unwrap());
    assert_eq!(meta.authenticate(&ada_token).await.unwrap(), None);
    assert_eq!(
        meta.remove_participant(EVENT, "ben").await.unwrap(),
        Some(Some(selfie.sha256.clone()))
    );
    assert!(meta
        .forget_image_if_unused(&selfie.sha256, images)
        .await
        .unwrap());
    assert!(!images.exists(&selfie.sha256).await.unwrap());
    assert_eq!(meta.image_type(&selfie.sha256).await.unwrap(), None);

    let (roster, cursor, more) = meta.participants_since(EVENT, 0, 10).await.unwrap();
    assert!(!more);
    let ben = roster.iter().find(|p| p.id == "ben").unwrap();
    assert!(ben.deleted && ben.selfie_sha256.is_none() && ben.selfie_url.is_none());
    log.push(format!("{roster:?} {cursor}"));
    assert!(meta.set_consent(EVENT, "ada", false).await.unwrap());
    assert!(
        !meta.set_consent(EVENT, "ben", true).await.unwrap(),
        "no live ben"
    );
    assert_eq!(meta.selfie_sha(EVENT, "ada").await.unwrap(), None);
    log.push(format!(
        "{:?}",
        meta.participants_since(EVENT, cursor, 10).await.unwrap()
    ));
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_answers_like_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Meta::Sqlite(Db::open(&dir.path().join("db.sqlite3")).unwrap());
    let sqlite_images = Images::Folder(ImageStore::open(&dir.path().join("a")).unwrap());
    let expected = semantics(&sqlite, &sqlite_images).await;

    let pg = Meta::Postgres(PgMeta::connect(&fresh_database()).await.unwrap());
    let pg_images = Images::Folder(ImageStore::open(&dir.path().join("b")).unwrap());
    let got = semantics(&pg, &pg_images).await;
    assert_eq!(got, expected);
}

/// Two instances × 4 writers put interleaved revisions, renditions and stale
/// withdrawals of the same photos: no write fails, the highest revision wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_photo_writers_converge_on_the_highest_revision() {
    const TOP: u64 = 160;
    let (one, two) = two_instances().await;
    let writers: Vec<_> = (0..8u64)
        .map(|w| {
            let meta = if w % 2 == 0 { one.clone() } else { two.clone() };
            tokio::spawn(async move {
                for rev in (w + 1..=TOP).step_by(8) {
                    for k in 0..3 {
                        let key = common::photo_key(k);
                        let m = common::meta(rev, &["ada"]);
                        meta.put_metadata(EVENT, &key, &m, rev as i64)
                            .await
                            .unwrap();
                        let web = image(&format!("web {k} {}", rev % 2));
                        meta.put_rendition(Rendition::Web, EVENT, &key, &web)
                            .await
                            .unwrap();
                        let stale = meta.delete_photo(EVENT, &key, Some(0)).await.unwrap();
                        assert!(!stale.withdrawn, "an older withdrawal changes nothing");
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    for k in 0..3 {
        let state = one
            .photo_state(EVENT, &common::photo_key(k))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(state.revision, TOP);
        assert_eq!(state.metadata.unwrap().revision, TOP);
        assert!(state.visible && !state.withdrawn);
    }
    assert_eq!(two.stats(EVENT).await.unwrap().photos, 3);
}

/// A scripted sequence of takes; the answers (both arms must give the same).
async fn bucket_script(meta: &Meta) -> Vec<bool> {
    let take = |key: &'static str, now: i64| meta.take_token(key, 60, 3, now);
    let mut got = Vec::new();
    for now in [
        0, 0, 0, 0, 500, 1000, 1000, -5000, 61_000, 61_000, 61_000, 61_000,
    ] {
        got.push(take("a", now).await.unwrap());
    }
    got.push(take("b", 0).await.unwrap());
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_buckets_refill_alike_on_both_stores_and_are_shared_by_instances() {
    let expected = [
        true, true, true, false, // the burst, then empty
        false, true, false, // half a token, one whole token, empty again
        false, // a clock behind refills nothing
        true, true, true, false, // a minute later: full (3), not more
        true,  // another key has its own bucket
    ];
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Meta::Sqlite(Db::open(&dir.path().join("db.sqlite3")).unwrap());
    assert_eq!(bucket_script(&sqlite).await, expected);
    let (one, two) = two_instances().await;
    assert_eq!(bucket_script(&Meta::Postgres(one.clone())).await, expected);

    // 8 writers on two instances take from one bucket of 10 at the same instant.
    let takers: Vec<_> = (0..8)
        .map(|w| {
            let meta = if w % 2 == 0 { one.clone() } else { two.clone() };
            tokio::spawn(async move {
                let mut allowed = 0;
                for _ in 0..25 {
                    if meta.take_token("shared", 1, 10, 42).await.unwrap() {
                        allowed += 1;
                    }
                }
                allowed
            })
        })
        .collect();
    let mut allowed = 0;
    for t in takers {
        allowed += t.await.unwrap();
    }
    assert_eq!(
        allowed, 10,
        "exactly the burst, however the takes interleave"
    );
}
