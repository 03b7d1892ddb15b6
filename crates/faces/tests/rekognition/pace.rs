//! The call rate the limiter learnt is remembered in the catalog, so a restart
//! in the middle of an event goes on at that rate instead of climbing again from
//! the starting rate.

use super::*;
use findme_catalog::Catalog;
use findme_faces::pipeline::{Matching, MatchingConfig};

#[tokio::test]
async fn a_restart_resumes_at_the_learnt_rate() {
    let server = start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().expect("tmp");
    let catalog = Catalog::open(&tmp.path().join("catalog.sqlite")).expect("catalog");

    let first = Arc::new(matcher(&server).await);
    assert_eq!(
        first.limiter().rate(),
        100.0,
        "starts at the configured rate"
    );
    // What a run that met its quota would have learnt.
    first.limiter().resume_at(7.5);
    let matching = Matching::new(catalog.clone(), first.clone(), MatchingConfig::default());
    first.prepare_event(EV).await.expect("a call");
    matching.save_counters().await;
    let learnt = first.limiter().rate();
    assert!((7.5..100.0).contains(&learnt), "{learnt}");

    // The next run of the app: a fresh matcher at the configured start …
    let second = Arc::new(matcher(&server).await);
    assert_eq!(second.limiter().rate(), 100.0);
    let matching = Matching::new(catalog.clone(), second.clone(), MatchingConfig::default());
    // … goes on where the last one was.
    matching.resume_pace().await;
    assert!(
        (second.limiter().rate() - learnt).abs() < 0.01,
        "{} vs {learnt}",
        second.limiter().rate()
    );
    server.shutdown().await;
}
