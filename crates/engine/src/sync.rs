//! `findme sync`: push an event's outbox to the event server until nothing more
//! can be pushed now, then report.

use findme_jobs::WorkerPool;
use findme_sync::{ClientError, EventClient, Token};

use crate::match_run::{wait_for_queue_change, LOOK_AGAIN};
use crate::{
    now_ms, Engine, EngineError, EngineNotice, EventId, RosterFailure, RosterStats, SyncReport,
    SyncStats,
};

/// Where the app and `findme watch` push the outbox in the background, as soon as
/// there is something to push and whenever the server is reachable (offline-first:
/// nothing waits for the photographer).
#[derive(Debug, Clone)]
pub struct SyncTarget {
    pub server: String,
    pub event: EventId,
    pub token: Token,
}

impl Engine {
    /// Push the outbox of `event` to the event server at `server` with `token`.
    ///
    /// Returns when every pending change is pushed, failed for good, or waiting
    /// for something that is not there now (server unreachable, original
    /// offline): a venue without network gets an answer with everything
    /// `pending`, never a hang. A refused token is an error with the server's
    /// reason, and nothing is marked sent.
    pub async fn sync(
        &self,
        server: &str,
        event: &EventId,
        token: Token,
    ) -> Result<SyncReport, EngineError> {
        self.sync_with(server, event, token, false).await
    }

    /// [`sync`](Self::sync); a plain `http://` server that is not this computer
    /// is refused (tokens and photos in clear on the venue's network) unless
    /// `allow_plain_http`.
    pub async fn sync_with(
        &self,
        server: &str,
        event: &EventId,
        token: Token,
        allow_plain_http: bool,
    ) -> Result<SyncReport, EngineError> {
        let client = EventClient::new(server, token)?;
        crate::sync_settings::check_plain_http(&client, allow_plain_http)?;
        let ev = event.to_string();
        if self.catalog().read(move |r| r.event(&ev)).await?.is_none() {
            return Err(EngineError::NotFound(format!(
                "there is no event {event:?} in the catalog"
            )));
        }
        let event = event.as_str();
        // A refused token or an unknown event stops here, before any job runs;
        // an unreachable server does not (the pushes wait for it).
        match client.event_info(event).await {
            Ok(_) => {
                // What the server lost, or a server new to this event, gets
                // the photos again.
                let report = findme_sync::reconcile(self.catalog(), &client, event).await;
                if let Err(e) = report {
                    tracing::info!(error = %e, "event server not reconciled");
                }
            }
            Err(e @ ClientError::Retryable { .. }) => {
                tracing::info!(error = %e, "event server unreachable; changes stay pending");
            }
            Err(e) => return Err(e.into()),
        }
        // New participants first: their index jobs are queued before the push.
        let roster = match findme_sync::roster::pull(
            self.catalog(),
            &client,
            event,
            &self.inner.data.selfies(),
        )
        .await
        {
            Ok(report) => {
                self.inner.workers.wake();
                self.inner.workers.deletions_written();
                roster_stats(report)
            }
            Err(e) => {
                tracing::info!(error = %e, "roster not pulled");
                RosterStats::default()
            }
        };
        let ev = event.to_string();
        self.catalog().write(move |w| w.push_now(&ev)).await?;
        let (sent_before, bytes_before) = self.sync_counts(event).await?;

        let mut events = self.subscribe();
        let pool = findme_sync::start(
            self.catalog().clone(),
            client,
            event,
            self.inner.workers.web_rendition(),
            self.sync_owner(),
            Some(self.inner.workers.observer()),
        );
        let outcome = self.wait_for_pushes(&pool, event, &mut events).await;
        pool.shutdown().await;
        outcome?;

        let ev = event.to_string();
        let totals = self
            .catalog()
            .read(move |r| r.outbox_totals(Some(&ev), now_ms()))
            .await?;
        let (sent_after, bytes_after) = self.sync_counts(event).await?;
        Ok(SyncReport {
            pushed: sent_after.saturating_sub(sent_before),
            pending: totals.pending,
            failed: totals.failed,
            bytes: bytes_after.saturating_sub(bytes_before),
            roster,
        })
    }

    /// The event server the background sync uses now, if any.
    pub fn sync_target(&self) -> Option<SyncTarget> {
        self.inner.workers.sync_target()
    }

    /// Push to and pull the roster from another server or event from now on
    /// (None: stop the background sync). Pending changes stay in the outbox.
    pub async fn set_sync_target(&self, target: Option<SyncTarget>) -> Result<(), EngineError> {
        if let Some(target) = &target {
            self.ensure_sync_event(&target.event).await?;
        }
        self.inner.workers.set_sync_target(target).await;
        Ok(())
    }

    /// The event synced with exists in the catalog (the roster's participants
    /// belong to it); the first event becomes the active one.
    pub(crate) async fn ensure_sync_event(&self, event: &EventId) -> Result<(), EngineError> {
        let ev = event.to_string();
        if self.catalog().read(move |r| r.event(&ev)).await?.is_none() {
            self.create_event(event, event.as_str(), None).await?;
        }
        Ok(())
    }

    /// Pull the roster now instead of at the next round. False when no
    /// background sync runs.
    pub fn pull_roster_now(&self) -> bool {
        self.inner.workers.pull_roster_now()
    }

    async fn wait_for_pushes(
        &self,
        pool: &WorkerPool,
        event: &str,
        events: &mut tokio::sync::broadcast::Receiver<EngineNotice>,
    ) -> Result<(), EngineError> {
        loop {
            // The only pause of the push pool: the server refused the token.
            if let Some(reason) = pool.status().paused {
                return Err(EngineError::Unauthorized(reason));
            }
            let ev = event.to_string();
            let totals = self
                .catalog()
                .read(move |r| r.outbox_totals(Some(&ev), now_ms()))
                .await?;
            if totals.due == 0 {
                return Ok(());
            }
            tokio::select! {
                _ = wait_for_queue_change(events) => {}
                _ = tokio::time::sleep(LOOK_AGAIN) => {}
            }
        }
    }

    /// Rows of `event` sent so far and rendition bytes pushed (all time).
    async fn sync_counts(&self, event: &str) -> Result<(u64, u64), EngineError> {
        let ev = event.to_string();
        Ok(self
            .catalog()
            .read(move |r| {
                let sent = r.outbox_totals(Some(&ev), now_ms())?.sent;
                let bytes = r
                    .counters(findme_catalog::SYNC_BYTES)?
                    .into_iter()
                    .filter(|(rest, _)| rest.is_empty())
                    .map(|(_, n)| n)
                    .sum();
                Ok((sent, bytes))
            })
            .await?)
    }

    /// A lease owner of its own for the push pool (its shutdown hands back only
    /// its own leases), still `<host>/<pid>/<start>` so a crash is recovered.
    fn sync_owner(&self) -> String {
        let owner = &self.inner.owner;
        match owner.rsplit_once('/') {
            Some((prefix, start)) => {
                let start = start.parse::<i64>().unwrap_or(0);
                format!("{prefix}/{}", now_ms().max(start + 1))
            }
            None => format!("{owner}-sync"),
        }
    }
}

/// How many recent first pushes the latency figures cover.
pub(crate) const LATENCY_WINDOW: u32 = 1000;

/// Outbox totals (every event), bytes per photo and import-to-visible latency
/// over `pushed` (`arrival_latencies(LATENCY_WINDOW)`, read once for this and
/// the per-source figures).
pub(crate) fn sync_stats(
    r: &findme_catalog::Reader<'_>,
    now: i64,
    pushed: &[findme_catalog::ArrivalLatency],
) -> Result<SyncStats, findme_catalog::CatalogError> {
    let outbox = r.outbox_totals(None, now)?;
    let bytes: u64 = r
        .counters(findme_catalog::SYNC_BYTES)?
        .into_iter()
        .filter(|(rest, _)| rest.is_empty())
        .map(|(_, n)| n)
        .sum();
    let photos = r.photo_pushes()?;
    let mut latencies: Vec<i64> = pushed.iter().map(|l| l.since_import_ms).collect();
    latencies.sort_unstable();
    Ok(SyncStats {
        pending: outbox.pending,
        pushed: outbox.sent,
        failed: outbox.failed,
        bytes_per_photo: (photos > 0).then(|| bytes / photos),
        latency_p50_ms: percentile(&latencies, 50),
        latency_p95_ms: percentile(&latencies, 95),
    })
}

/// Nearest-rank percentile of sorted values.
pub(crate) fn percentile(sorted: &[i64], pct: usize) -> Option<u64> {
    let rank = (sorted.len() * pct).div_ceil(100).max(1);
    sorted.get(rank - 1).map(|v| (*v).max(0) as u64)
}

fn roster_stats(report: findme_sync::RosterReport) -> RosterStats {
    RosterStats {
        added: report.added,
        updated: report.updated,
        removed: report.removed,
        failed: report
            .failed
            .into_iter()
            .map(|(participant, reason)| RosterFailure {
                participant,
                reason,
            })
            .collect(),
    }
}
