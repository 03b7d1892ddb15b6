//! Gallery reads and the thumbnail protocol's backend.

use findme_catalog::{JobKind, JobStatus, QueueCounts, TileRow, TileSort};
use findme_thumbs::{PhotoKey, RenditionKind, ThumbError};

use crate::convert::{photo_dto, queue_stats};
use crate::{
    ActivityDto, CacheStats, Engine, EngineError, PhotoDetailDto, QueueActivity, SortOrder,
    StageState, ThumbState, TileChanges, TileCursor, TileDto, TileFilter, TilePage, TileQuery,
};

/// Why a rendition cannot be served. Each maps to an HTTP status in the shell.
#[derive(Debug, thiserror::Error)]
pub enum RenditionError {
    /// No such photo, or no picture can be made of it (404).
    #[error("{0}")]
    NotFound(String),
    /// Something broke on our side (500).
    #[error("{0}")]
    Internal(String),
}

/// Tiles change by the hundred during an import: one answer holds at most this many.
const CHANGES_PER_CALL: u32 = 2000;

impl Engine {
    /// A keyset page of gallery tiles.
    pub async fn tiles(&self, query: TileQuery) -> Result<TilePage, EngineError> {
        let limit = match query.limit {
            0 => 500,
            n => n.min(2000),
        };
        let filter = catalog_filter(&query.filter);
        let sort = match query.sort {
            SortOrder::Captured => TileSort::Captured,
            SortOrder::Imported => TileSort::Imported,
        };
        let after = query.after.map(|c| (c.key, c.id));
        let newest_first = query.newest_first;
        let (rows, total, seq) = self
            .catalog()
            .read(move |r| {
                // Read the sequence first: a change racing this page is then re-sent.
                let seq = r.current_change_seq()?;
                let rows = r.tiles(&filter, sort, newest_first, after, limit)?;
                let total = match after {
                    None => Some(r.tile_count(&filter)?),
                    Some(_) => None,
                };
                Ok((rows, total, seq))
            })
            .await?;
        let next = match rows.last() {
            Some(last) if rows.len() == limit as usize => Some(TileCursor {
                key: match sort {
                    TileSort::Captured => last.taken_ms,
                    TileSort::Imported => last.imported_ms,
                },
                id: last.id,
            }),
            _ => None,
        };
        Ok(TilePage {
            tiles: rows.into_iter().map(tile_dto).collect(),
            next,
            total,
            seq,
        })
    }

    /// Tiles changed (and photos removed) since change `since` (from a page's or a
    /// previous call's `seq`).
    pub async fn tile_changes(&self, since: i64) -> Result<TileChanges, EngineError> {
        let (changed, removed, seq) = self
            .catalog()
            .read(move |r| r.tile_changes(since, CHANGES_PER_CALL))
            .await?;
        let more = changed.len() == CHANGES_PER_CALL as usize;
        Ok(TileChanges {
            changed: changed.into_iter().map(tile_dto).collect(),
            removed,
            seq,
            more,
        })
    }

    /// Everything the detail view shows for one photo.
    pub async fn photo_detail(&self, id: i64) -> Result<PhotoDetailDto, EngineError> {
        let (photo, tile, faces) = self
            .catalog()
            .read(move |r| {
                let faces = match r.active_event()? {
                    Some(event) => r.photo_faces(&event.id, id)?,
                    None => Vec::new(),
                };
                Ok((r.photo_by_id(id)?, r.tile(id)?, faces))
            })
            .await?;
        let (Some(photo), Some(tile)) = (photo, tile) else {
            return Err(EngineError::NotFound(format!("no photo with id {id}")));
        };
        let mut photo = photo_dto(photo, &self.inner.thumbs);
        photo.faces = faces
            .iter()
            .cloned()
            .map(crate::convert::photo_face)
            .collect();
        Ok(PhotoDetailDto {
            photo,
            tile: tile_dto(tile),
            faces: faces.into_iter().map(crate::convert::face_dto).collect(),
        })
    }

    /// Queue counters per job kind and the thumbnail cache's numbers.
    pub async fn activity(&self) -> Result<ActivityDto, EngineError> {
        let now = crate::now_ms();
        let (kinds, (files, bytes), rekognition, sync, deletions, live, ftp) = self
            .catalog()
            .read(move |r| {
                let pushed = r.arrival_latencies(crate::sync::LATENCY_WINDOW)?;
                Ok((
                    r.queue_stats(now)?,
                    r.rendition_totals()?,
                    crate::convert::rekognition_stats(r)?,
                    crate::sync::sync_stats(r, now, &pushed)?,
                    crate::convert::deletion_stats(r)?,
                    crate::ftp::live_stats(&pushed),
                    crate::ftp::ftp_stats(r)?,
                ))
            })
            .await?;
        let rekognition = (!rekognition.calls.is_empty()).then_some(rekognition);
        let queues = JobKind::ALL
            .iter()
            .map(|kind| {
                let counts = kinds
                    .iter()
                    .find(|k| k.kind == *kind)
                    .map(|k| k.counts.clone())
                    .unwrap_or_else(QueueCounts::default);
                let pool = self.inner.workers.status(*kind);
                QueueActivity {
                    kind: kind.as_str().to_string(),
                    stats: queue_stats(counts),
                    workers: pool.as_ref().map_or(0, |p| p.workers as u32),
                    paused: pool.and_then(|p| p.paused),
                }
            })
            .collect();
        let (hits, misses) = self.inner.thumbs.counters();
        Ok(ActivityDto {
            queues,
            cache: CacheStats {
                files,
                bytes,
                limit_bytes: self.inner.thumbs.config().limit_bytes,
                hits,
                misses,
                renders: self.inner.thumbs.renders(),
            },
            rekognition,
            matcher: self.inner.matcher.map(String::from),
            sync,
            deletions,
            live,
            ftp,
        })
    }

    /// The bytes of a photo's cached thumbnail or preview (JPEG), made now if
    /// missing.
    pub async fn rendition(
        &self,
        key: &PhotoKey,
        kind: RenditionKind,
    ) -> Result<Vec<u8>, RenditionError> {
        self.inner
            .thumbs
            .read(key, kind)
            .await
            .map_err(|e| match e {
                ThumbError::UnknownPhoto => RenditionError::NotFound("no such photo".into()),
                e @ (ThumbError::NoPreview(_)
                | ThumbError::Corrupt(_)
                | ThumbError::SourceMissing(_)) => RenditionError::NotFound(e.to_string()),
                e @ (ThumbError::Io(_) | ThumbError::Catalog(_)) => {
                    RenditionError::Internal(e.to_string())
                }
            })
    }
}

pub(crate) fn catalog_filter(filter: &TileFilter) -> findme_catalog::TileFilter {
    match filter {
        TileFilter::All => findme_catalog::TileFilter::All,
        TileFilter::Failed => findme_catalog::TileFilter::Failed,
        TileFilter::Unmatched => findme_catalog::TileFilter::Unmatched,
        TileFilter::NotPushed => findme_catalog::TileFilter::NotPushed,
        TileFilter::Participant { id } => findme_catalog::TileFilter::Participant(id.clone()),
    }
}

fn stage(job: Option<JobStatus>) -> Option<StageState> {
    Some(match job? {
        JobStatus::Pending => StageState::Pending,
        JobStatus::Running => StageState::Running,
        JobStatus::Done => StageState::Done,
        JobStatus::Failed => StageState::Failed,
    })
}

pub(crate) fn tile_dto(row: TileRow) -> TileDto {
    // Orientations 5-8 turn the picture a quarter: displayed width is stored height.
    let quarter_turn = matches!(row.orientation, Some(5..=8));
    let (width, height) = if quarter_turn {
        (row.height, row.width)
    } else {
        (row.width, row.height)
    };
    let thumb = if row.failed {
        ThumbState::Failed
    } else if row.thumbnail_cached {
        ThumbState::Ready
    } else if row.preview_error.is_some() {
        ThumbState::None
    } else {
        ThumbState::Pending
    };
    TileDto {
        id: row.id,
        sha256: row.sha256,
        taken_ms: row.taken_ms,
        imported_ms: row.imported_ms,
        width,
        height,
        name: row
            .first_path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        status: if row.failed { "failed" } else { "ok" }.to_string(),
        error: row.error,
        thumb,
        preview_error: row.preview_error,
        matching: stage(row.match_job),
        people: row.people,
        push: stage(row.push_job),
        change_seq: row.change_seq,
    }
}
