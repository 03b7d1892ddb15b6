//! Reconnecting to an event server: make the catalog's sent state true of it.
//!
//! The outbox remembers what a server acknowledged, but a server can lose data
//! (restored from an old backup, a fresh data folder) and an event can be
//! pointed at another server. On each connection the event is pointed at the
//! server (another server than before: everything is sent again), then, unless
//! the server's visible photo count already equals what the catalog believes
//! it sent, every acknowledged photo's state is asked for and the photos the
//! server lacks, shows withdrawn or holds at an older revision are queued again.

use findme_catalog::{AckedPhoto, Catalog};
use findme_protocol::{ClientError, EventClient};
use tokio::task::JoinSet;

use crate::PushError;

/// How many photo state requests are in flight at once.
const CHECKS_IN_FLIGHT: usize = 8;

/// What a reconnect found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Photos whose state was asked for (0 when the counts agreed).
    pub checked: u64,
    /// Photos queued to be sent again.
    pub resent: u64,
}

/// Point `event` at the client's server and queue again what it lacks. A
/// connection failure stops the check (nothing is queued from a half answer:
/// the next connection checks again).
pub async fn reconcile(
    catalog: &Catalog,
    client: &EventClient,
    event: &str,
) -> Result<ReconcileReport, PushError> {
    let (ev, server) = (event.to_string(), client.base_url().to_string());
    let moved = catalog
        .write(move |w| w.point_at_server(&ev, &server))
        .await?;
    tell_if_ended(catalog, client, event).await?;
    let ev = event.to_string();
    let acked = catalog.read(move |r| r.sent_photos(&ev)).await?;
    let mut report = ReconcileReport {
        checked: 0,
        resent: moved,
    };
    if acked.is_empty() {
        return Ok(report);
    }
    let stats = client.stats(event).await?;
    if stats.photos == acked.len() as u64 {
        return Ok(report);
    }
    report.checked = acked.len() as u64;
    let lacking = lacking(client, event, acked).await?;
    if !lacking.is_empty() {
        let ev = event.to_string();
        report.resent += catalog.write(move |w| w.resend(&ev, &lacking)).await?;
    }
    tracing::info!(event, ?report, "event server reconciled");
    Ok(report)
}

/// A closed event is over on its server too: registration closes for good and
/// the retention the guests were promised starts (`RegistrationUpdate::ended`).
/// Asked on every connection until the server says so; a server without the
/// registration endpoint (404) has no guests' pages to close.
async fn tell_if_ended(
    catalog: &Catalog,
    client: &EventClient,
    event: &str,
) -> Result<(), PushError> {
    let ev = event.to_string();
    let closed = catalog
        .read(move |r| r.event(&ev))
        .await?
        .is_some_and(|e| e.collection_state == "closed");
    if !closed {
        return Ok(());
    }
    match client.registration(event).await {
        Ok(reg) if reg.ended_ms.is_some() => Ok(()),
        Ok(_) => {
            let ended = findme_protocol::RegistrationUpdate {
                ended: Some(true),
                ..Default::default()
            };
            client.set_registration(event, &ended).await?;
            tracing::info!(event, "closed event ended on its server");
            Ok(())
        }
        Err(ClientError::Rejected { status: 404, .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The acknowledged photos the server does not show at their revision.
async fn lacking(
    client: &EventClient,
    event: &str,
    acked: Vec<AckedPhoto>,
) -> Result<Vec<i64>, PushError> {
    let mut lacking = Vec::new();
    let mut checks = JoinSet::new();
    let mut waiting = acked.into_iter();
    loop {
        while checks.len() < CHECKS_IN_FLIGHT {
            let Some(photo) = waiting.next() else { break };
            let (client, event) = (client.clone(), event.to_string());
            checks.spawn(async move {
                let state = client.photo_state(&event, &photo.sha256).await;
                (photo, state)
            });
        }
        let Some(done) = checks.join_next().await else {
            return Ok(lacking);
        };
        let (photo, state) = done.map_err(|e| PushError::Internal(e.to_string()))?;
        match state {
            Ok(state) => {
                let revision = u64::try_from(photo.revision).unwrap_or(0);
                if !state.visible || state.withdrawn || state.revision < revision {
                    lacking.push(photo.photo_id);
                }
            }
            Err(ClientError::Rejected { status: 404, .. }) => lacking.push(photo.photo_id),
            Err(e) => return Err(e.into()),
        }
    }
}
