//! The catalog as the CLI lists it: photos in capture order with their faces,
//! files that could not be read, and the counters of `findme stats`.

use findme_catalog::QueueCounts;

use crate::{
    convert, now_ms, sync, Engine, EngineError, EventId, EventStats, FailureDto, PhotoCursor,
    PhotoDto, PhotoPage, PhotoQuery, Stats,
};

impl Engine {
    /// A keyset page of photos in capture order, each with the events it belongs
    /// to and its faces in `query.event` (all photos, and the active event's
    /// faces, without one).
    pub async fn photos(&self, query: PhotoQuery) -> Result<PhotoPage, EngineError> {
        let limit = match query.limit {
            0 => 200,
            n => n.min(1000),
        };
        let after = query.after.map(|c| (c.taken_ms, c.id));
        let member_of = query.event.map(|e| e.to_string());
        let (rows, faces, events) = self
            .inner
            .catalog
            .read(move |r| {
                let rows = r.photos_page(after, limit, query.newest_first, member_of.as_deref())?;
                let mut faces = Vec::with_capacity(rows.len());
                let faces_of = match member_of {
                    Some(event) => Some(event),
                    None => r.active_event()?.map(|e| e.id),
                };
                if let Some(event) = faces_of {
                    for row in &rows {
                        faces.push(r.photo_faces(&event, row.id)?);
                    }
                }
                let events = rows
                    .iter()
                    .map(|row| r.photo_events(row.id))
                    .collect::<findme_catalog::Result<Vec<_>>>()?;
                Ok((rows, faces, events))
            })
            .await?;
        let next = match rows.last() {
            Some(last) if rows.len() == limit as usize => Some(PhotoCursor {
                taken_ms: last.taken_ms,
                id: last.id,
            }),
            _ => None,
        };
        Ok(PhotoPage {
            photos: rows
                .into_iter()
                .zip(
                    faces
                        .into_iter()
                        .map(Some)
                        .chain(std::iter::repeat_with(|| None)),
                )
                .zip(events)
                .map(|((row, faces), events)| {
                    let mut dto = convert::photo_dto(row, &self.inner.thumbs);
                    dto.events = events;
                    dto.faces = faces
                        .unwrap_or_default()
                        .into_iter()
                        .map(convert::photo_face)
                        .collect();
                    dto
                })
                .collect(),
            next,
        })
    }

    /// Every photo, oldest capture first (the CLI's `photos --json`).
    pub async fn all_photos(&self) -> Result<Vec<PhotoDto>, EngineError> {
        self.event_photos(None).await
    }

    /// Every photo of `event` (every photo without one), oldest capture first
    /// (the CLI's `photos --json [--event E]`).
    pub async fn event_photos(&self, event: Option<EventId>) -> Result<Vec<PhotoDto>, EngineError> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .photos(PhotoQuery {
                    after,
                    limit: 1000,
                    newest_first: false,
                    event: event.clone(),
                })
                .await?;
            all.extend(page.photos);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Files that could not be read at all (no content hash), newest first.
    pub async fn failures(&self) -> Result<Vec<FailureDto>, EngineError> {
        let rows = self.inner.catalog.read(|r| r.read_failures(1000)).await?;
        Ok(rows
            .into_iter()
            .map(|f| FailureDto {
                path: f.path.to_string_lossy().into_owned(),
                reason: f.reason,
            })
            .collect())
    }

    pub async fn stats(&self) -> Result<Stats, EngineError> {
        let now = now_ms();
        let (counts, kinds, rekognition, outbox, events, deletions, (ftp, live)) = self
            .inner
            .catalog
            .read(move |r| {
                let pushed = r.arrival_latencies(crate::sync::LATENCY_WINDOW)?;
                Ok((
                    r.counts()?,
                    r.queue_stats(now)?,
                    convert::rekognition_stats(r)?,
                    sync::sync_stats(r, now, &pushed)?,
                    r.event_counts()?,
                    convert::deletion_stats(r)?,
                    (crate::ftp::ftp_stats(r)?, crate::ftp::live_stats(&pushed)),
                ))
            })
            .await?;
        let queue = QueueCounts::total(kinds.iter().map(|k| &k.counts));
        let mut stats = convert::stats(counts, queue, rekognition, outbox);
        stats.events = events
            .into_iter()
            .map(|e| EventStats {
                id: e.event,
                photos: e.photos,
                indexed: e.indexed,
                matched: e.matched,
                matching: e.matching,
                pushed: e.pushed,
            })
            .collect();
        stats.deletions = deletions;
        stats.ftp = ftp;
        stats.live = live;
        Ok(stats)
    }
}
