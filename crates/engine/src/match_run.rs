//! `findme match`: run the matching stages in this process until every photo of
//! the event is matched or quarantined, then report.

use std::time::Duration;

use findme_catalog::JobKind;

use crate::{Engine, EngineError, EngineNotice, EventId, MatchReport};

/// How often the waiting loop looks without being woken (jobs another process
/// finishes, retries coming due).
pub(crate) const LOOK_AGAIN: Duration = Duration::from_millis(250);

impl Engine {
    /// Match the photos of `event` (the active event when None; another event
    /// becomes the active one) and return the totals. Returns an error if matching
    /// pauses (credentials refused): the photographer must act.
    pub async fn match_event(&self, event: Option<&EventId>) -> Result<MatchReport, EngineError> {
        let active = self.catalog().read(|r| r.active_event()).await?;
        let event = match (event, active) {
            (_, Some(active))
                if active.closed_ms.is_some()
                    && event.is_none_or(|id| id == active.id.as_str()) =>
            {
                return Err(EngineError::Conflict(format!(
                    "the event {} is closed: it matches nothing more",
                    active.id
                )))
            }
            (Some(id), Some(active)) if id == active.id.as_str() => active.id,
            (Some(id), _) => {
                self.use_event(id).await?;
                id.to_string()
            }
            (None, Some(active)) => active.id,
            (None, None) => {
                return Err(EngineError::NotFound(
                    "no event to match against: create one with `findme events create`".into(),
                ))
            }
        };
        // Before any worker starts: none claims a job it could only defer.
        self.check_event_backend(&event).await?;
        if !self.inner.workers.start_matching() {
            return Err(EngineError::Paused {
                reason: "no face service is configured".into(),
                what_to_do: "set AWS credentials (environment or AWS_PROFILE) and a region, \
                             or choose a backend with --backend"
                    .into(),
            });
        }
        let mut events = self.subscribe();
        // Asking to match is the photographer's go-ahead after a pause.
        self.resume_matching();
        loop {
            if let Some(reason) = self.matching_paused() {
                return Err(EngineError::Paused {
                    reason: format!("matching paused: {reason}"),
                    what_to_do: "fix what the reason names, then match again".into(),
                });
            }
            let ev = event.clone();
            let (photos, participants, backlog) = self
                .catalog()
                .read(move |r| {
                    Ok((
                        r.unfinished_match_jobs(&ev)?,
                        r.unfinished_jobs_of(JobKind::IndexParticipant, &ev)?,
                        r.search_backlog(&ev)?,
                    ))
                })
                .await?;
            if photos == 0
                && participants == 0
                && backlog.photos == 0
                && backlog.new_participants == 0
            {
                break;
            }
            tokio::select! {
                _ = wait_for_queue_change(&mut events) => {}
                _ = tokio::time::sleep(LOOK_AGAIN) => {}
            }
        }
        self.match_report(&event).await
    }

    /// An event stays with the backend that first indexed it: this process's
    /// match jobs of it only defer (they wait for a process that runs that
    /// backend), so asking this one to match it pauses at once with what to do.
    async fn check_event_backend(&self, event: &str) -> Result<(), EngineError> {
        let Some(mine) = self.inner.matcher else {
            return Ok(());
        };
        let ev = event.to_string();
        let Some(row) = self.catalog().read(move |r| r.event(&ev)).await? else {
            return Ok(());
        };
        match row.backend.as_deref() {
            Some(other) if other != mine => {
                let what_to_do = format!(
                    "match it with --backend {other} (or the same setting in the app), \
                     or create a new event to match with {mine}"
                );
                Err(EngineError::Paused {
                    reason: format!(
                        "matching paused: the event \"{}\" was matched with {other}: {what_to_do}",
                        row.name
                    ),
                    what_to_do,
                })
            }
            _ => Ok(()),
        }
    }

    async fn match_report(&self, event: &str) -> Result<MatchReport, EngineError> {
        let ev = event.to_string();
        let (totals, rekognition) = self
            .catalog()
            .read(move |r| Ok((r.match_totals(&ev)?, crate::convert::rekognition_stats(r)?)))
            .await?;
        Ok(MatchReport {
            photos: totals.photos,
            matched: totals.matched,
            faces: totals.faces,
            matches: totals.matches,
            failed: totals.failed,
            calls: rekognition.calls,
            throttled: rekognition.throttled,
        })
    }

    /// Start again after a pause (credentials renewed, an event chosen).
    pub fn resume_matching(&self) {
        self.inner.workers.event_changed();
        self.inner.workers.wake();
    }

    /// Why matching stands still, if it does (credentials refused, …).
    pub fn matching_paused(&self) -> Option<String> {
        let matching = self.inner.workers.matching()?;
        [JobKind::Match, JobKind::IndexParticipant]
            .into_iter()
            .filter_map(|kind| matching.pool_status(kind).and_then(|s| s.paused))
            .chain(matching.search_status().paused)
            .next()
    }
}

pub(crate) async fn wait_for_queue_change(
    events: &mut tokio::sync::broadcast::Receiver<EngineNotice>,
) {
    loop {
        match events.recv().await {
            Ok(EngineNotice::QueueChanged) => return,
            Ok(_) => continue,
            // Missed some: something changed. Closed: the loop's timer takes over.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                std::future::pending::<()>().await
            }
        }
    }
}
