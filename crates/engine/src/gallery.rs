//! Gallery reads and the thumbnail protocol's backend.

use findme_catalog::{JobKind, QueueCounts, TileRow, TileSort};
use findme_thumbs::{is_sha256_hex, ThumbError};

use crate::convert::{photo_dto, queue_stats};
use crate::{
    ActivityDto, CacheStats, Engine, EngineError, PhotoDetailDto, QueueActivity, SortOrder,
    StageState, ThumbState, TileChanges, TileCursor, TileDto, TileFilter, TilePage, TileQuery,
};

/// Which cached picture of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenditionKind {
    /// ≈320 px, for the grid.
    Thumb,
    /// ≈2048 px, for the detail view.
    Preview,
}

impl RenditionKind {
    /// Parse the protocol's path segment ("thumb" / "preview").
    pub fn parse(segment: &str) -> Option<RenditionKind> {
        match segment {
            "thumb" => Some(RenditionKind::Thumb),
            "preview" => Some(RenditionKind::Preview),
            _ => None,
        }
    }
}

/// Why a rendition cannot be served. Each maps to an HTTP status in the shell.
#[derive(Debug, thiserror::Error)]
pub enum RenditionError {
    /// Not a well-formed request (400).
    #[error("bad rendition request: {0}")]
    BadRequest(String),
    /// No such photo, or no picture can be made of it (404).
    #[error("{0}")]
    NotFound(String),
    /// Something broke on our side (500).
    #[error("{0}")]
    Internal(String),
}

/// Tiles change by the hundred during an import: one answer holds at most this many.
const CHANGES_PER_CALL: u32 = 2000;

pub(crate) async fn tiles(engine: &Engine, query: TileQuery) -> Result<TilePage, EngineError> {
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
    let (rows, total, seq) = engine
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

pub(crate) async fn tile_changes(engine: &Engine, since: i64) -> Result<TileChanges, EngineError> {
    let (changed, removed, seq) = engine
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

pub(crate) async fn photo_detail(engine: &Engine, id: i64) -> Result<PhotoDetailDto, EngineError> {
    let (photo, tile, faces) = engine
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
        return Err(EngineError::BadRequest(format!("no photo with id {id}")));
    };
    let mut photo = photo_dto(photo, &engine.inner.thumbs);
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

pub(crate) async fn activity(engine: &Engine) -> Result<ActivityDto, EngineError> {
    let now = crate::now_ms();
    let (kinds, (files, bytes), rekognition, sync) = engine
        .catalog()
        .read(move |r| {
            Ok((
                r.queue_stats(now)?,
                r.rendition_totals()?,
                crate::convert::rekognition_stats(r)?,
                crate::sync::sync_stats(r, now)?,
            ))
        })
        .await?;
    let rekognition = (!rekognition.calls.is_empty()).then_some(rekognition);
    let queues = JobKind::ALL
        .iter()
        .map(|kind| {
            let counts = kinds
                .iter()
                .find(|k| k.kind == kind.as_str())
                .map(|k| k.counts.clone())
                .unwrap_or_else(QueueCounts::default);
            let pool = engine.inner.workers.status(*kind);
            QueueActivity {
                kind: kind.as_str().to_string(),
                stats: queue_stats(counts),
                workers: pool.as_ref().map_or(0, |p| p.workers as u32),
                paused: pool.and_then(|p| p.paused),
            }
        })
        .collect();
    let (hits, misses) = engine.inner.thumbs.counters();
    Ok(ActivityDto {
        queues,
        cache: CacheStats {
            files,
            bytes,
            limit_bytes: engine.inner.thumbs.config().limit_bytes,
            hits,
            misses,
        },
        rekognition,
        matcher: engine.inner.matcher.map(String::from),
        sync,
    })
}

pub(crate) async fn rendition(
    engine: &Engine,
    sha256: &str,
    kind: RenditionKind,
) -> Result<Vec<u8>, RenditionError> {
    if !is_sha256_hex(sha256) {
        return Err(RenditionError::BadRequest(
            "a photo key is 64 lower-case hex digits".into(),
        ));
    }
    let kind = match kind {
        RenditionKind::Thumb => findme_thumbs::RenditionKind::Thumb,
        RenditionKind::Preview => findme_thumbs::RenditionKind::Preview,
    };
    engine
        .inner
        .thumbs
        .read(sha256, kind)
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

fn catalog_filter(filter: &TileFilter) -> findme_catalog::TileFilter {
    match filter {
        TileFilter::All => findme_catalog::TileFilter::All,
        TileFilter::Failed => findme_catalog::TileFilter::Failed,
        TileFilter::Unmatched => findme_catalog::TileFilter::Unmatched,
        TileFilter::NotPushed => findme_catalog::TileFilter::NotPushed,
        TileFilter::Participant { id } => findme_catalog::TileFilter::Participant(id.clone()),
    }
}

fn stage(job: Option<&str>) -> Option<StageState> {
    match job? {
        "pending" => Some(StageState::Pending),
        "running" => Some(StageState::Running),
        "done" => Some(StageState::Done),
        _ => Some(StageState::Failed),
    }
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
        matching: stage(row.match_job.as_deref()),
        people: row.people,
        push: stage(row.push_job.as_deref()),
        change_seq: row.change_seq,
    }
}
