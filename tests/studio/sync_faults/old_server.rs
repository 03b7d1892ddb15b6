//! An event server from before the grid rendition (protocol v1 without
//! `PUT …/grid`): it answers 404 there, and the app pushes everything anyway,
//! web rendition and metadata, with nothing failed or quarantined.

use super::proxy::{delivered_ok, Fault, Route};
use super::{arrivals, Venue, EVENT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_the_grid_endpoint_still_gets_every_photo() {
    let venue = Venue::new(true).await;
    venue
        .proxy
        .inject(Some(Route::GridPut), Fault::NoSuchEndpoint, usize::MAX);

    venue.push_until_drained().await;
    let log = venue.proxy.log();
    let asked = arrivals(&log, Some(Fault::NoSuchEndpoint)).len();
    assert!(asked >= 1, "the app never offered a grid rendition");
    assert!(asked <= venue.truth.len(), "{asked} grid PUTs");
    assert_eq!(delivered_ok(&log, Route::GridPut), 0);
    assert_eq!(delivered_ok(&log, Route::MetadataPut), venue.truth.len());

    let client = venue.server_client();
    let stats = client.stats(EVENT).await.expect("server stats");
    assert_eq!(stats.photos, venue.truth.len() as u64, "{stats:?}");
    for sha in venue.truth.keys() {
        assert!(client.photo_state(EVENT, sha).await.unwrap().visible);
        // No grid rendition on this server: grids get the web rendition.
        let web = client.photo_image(sha).await.unwrap();
        assert_eq!(client.photo_grid_image(sha).await.unwrap(), web);
    }
    let totals = venue.outbox().await;
    assert_eq!((totals.pending, totals.failed), (0, 0), "{totals:?}");
    assert_eq!(totals.sent, venue.truth.len() as u64, "{totals:?}");
    let stats = venue.engine.stats().await.expect("engine stats");
    assert_eq!(stats.queue.failed, 0, "a job was quarantined: {stats:?}");
}
