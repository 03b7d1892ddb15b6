//! What the gallery reads: tiles (a photo plus the state of its jobs), keyset
//! pages in capture or import order, a change feed, and the thumbnail cache index.

use std::path::PathBuf;

use rusqlite::{params, OptionalExtension, Row};

use crate::jobs::{parse_column, JobStatus};
use crate::paths::from_bytes;
use crate::{Reader, Result, Writer};

/// Gallery sort keys. Both are keyset-paged as (key, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileSort {
    /// Capture time (file mtime when the photo has none).
    Captured,
    /// When FindMe first catalogued the photo.
    Imported,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileFilter {
    All,
    /// The photo, or any of its jobs, failed.
    Failed,
    /// Not matched yet (no finished match job).
    Unmatched,
    /// Not pushed to the event server yet.
    NotPushed,
    /// Photos a participant was found in (empty until matching records matches).
    Participant(String),
}

/// One grid tile: a photo and where each stage stands for it.
#[derive(Debug, Clone, PartialEq)]
pub struct TileRow {
    pub id: i64,
    pub sha256: String,
    pub taken_ms: i64,
    pub imported_ms: i64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub orientation: Option<u16>,
    pub failed: bool,
    pub error: Option<String>,
    pub preview_error: Option<String>,
    /// Status of the photo's thumbnail / match / newest push job (None: no such job).
    pub thumbnail_job: Option<JobStatus>,
    pub match_job: Option<JobStatus>,
    pub push_job: Option<JobStatus>,
    pub thumbnail_cached: bool,
    pub first_path: Option<PathBuf>,
    pub change_seq: i64,
    /// Display names of the participants found in it (active event).
    pub people: Vec<String>,
}

/// A cached rendition file's index row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenditionRow {
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
    pub last_used_ms: i64,
}

/// A tile is one photo row: its stage states, thumbnail flag and first location
/// are kept on the row by triggers (schema v6), so a page reads no other table
/// but the (mostly empty) matches.
const TILE_COLUMNS: &str = "p.id, p.sha256, p.taken_ms, p.imported_ms, p.width, p.height,
    p.orientation, p.status, p.error, p.preview_error, p.change_seq,
    p.thumbnail_job, p.match_job, p.push_job, p.thumbnail_cached, p.first_path,
    (SELECT group_concat(pp.display_name, char(31)) FROM matches m
       JOIN participants pp ON pp.event_id = m.event_id AND pp.id = m.participant_id
      WHERE m.photo_id = p.id AND m.event_id = (SELECT value FROM settings WHERE key = 'active_event'))";

fn filter_sql(filter: &TileFilter) -> String {
    let sql = match filter {
        TileFilter::All => "1",
        TileFilter::Failed => {
            "(p.status = 'failed' OR p.thumbnail_job = 'failed' OR p.match_job = 'failed'
              OR p.push_job = 'failed')"
        }
        // The per-event filters count the active event's members only: a photo of
        // no event is not "unmatched", it is not matched against anything.
        TileFilter::Unmatched => {
            "coalesce(p.match_job, '') <> 'done' AND EXISTS (SELECT 1 FROM event_photos ep
               WHERE ep.photo_id = p.id
                 AND ep.event_id = (SELECT value FROM settings WHERE key = 'active_event'))"
        }
        // A photo gets one push job per change: `push_job` is its newest, which
        // says whether the server has its latest state.
        TileFilter::NotPushed => {
            "coalesce(p.push_job, '') <> 'done' AND EXISTS (SELECT 1 FROM event_photos ep
               WHERE ep.photo_id = p.id
                 AND ep.event_id = (SELECT value FROM settings WHERE key = 'active_event'))"
        }
        // A quoted literal ('' escapes a quote; SQLite has no other escapes), so the
        // statement keeps the same parameters whatever the filter.
        TileFilter::Participant(id) => {
            return format!(
                "EXISTS (SELECT 1 FROM matches m WHERE m.photo_id = p.id AND m.participant_id = '{}'
                   AND m.event_id = (SELECT value FROM settings WHERE key = 'active_event'))",
                id.replace('\'', "''")
            )
        }
    };
    sql.to_string()
}

/// A job status column (None: the photo has no such job).
fn job_status(r: &Row<'_>, index: usize) -> rusqlite::Result<Option<JobStatus>> {
    r.get::<_, Option<String>>(index)?
        .map(|value| parse_column(index, value, JobStatus::parse))
        .transpose()
}

fn tile_from_row(r: &Row<'_>) -> rusqlite::Result<TileRow> {
    let status: String = r.get(7)?;
    Ok(TileRow {
        id: r.get(0)?,
        sha256: r.get(1)?,
        taken_ms: r.get(2)?,
        imported_ms: r.get(3)?,
        width: r.get(4)?,
        height: r.get(5)?,
        orientation: r.get(6)?,
        failed: status == "failed",
        error: r.get(8)?,
        preview_error: r.get(9)?,
        change_seq: r.get(10)?,
        thumbnail_job: job_status(r, 11)?,
        match_job: job_status(r, 12)?,
        push_job: job_status(r, 13)?,
        thumbnail_cached: r.get(14)?,
        first_path: r.get::<_, Option<Vec<u8>>>(15)?.map(from_bytes),
        people: r
            .get::<_, Option<String>>(16)?
            .map(|names| names.split('\u{1f}').map(str::to_string).collect())
            .unwrap_or_default(),
    })
}

impl Reader<'_> {
    /// A keyset page of tiles strictly after `after` = (sort key, id).
    pub fn tiles(
        &self,
        filter: &TileFilter,
        sort: TileSort,
        newest_first: bool,
        after: Option<(i64, i64)>,
        limit: u32,
    ) -> Result<Vec<TileRow>> {
        let key = match sort {
            TileSort::Captured => "p.taken_ms",
            TileSort::Imported => "p.imported_ms",
        };
        let (cmp, dir) = if newest_first {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        let keyset = if after.is_some() {
            format!("AND ({key}, p.id) {cmp} (?1, ?2)")
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT {TILE_COLUMNS} FROM photos p WHERE {} {keyset}
              ORDER BY {key} {dir}, p.id {dir} LIMIT ?3",
            filter_sql(filter)
        );
        let (k, id) = after.unwrap_or((0, 0));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params![k, id, limit], tile_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn tile_count(&self, filter: &TileFilter) -> Result<u64> {
        let sql = format!("SELECT count(*) FROM photos p WHERE {}", filter_sql(filter));
        Ok(self.conn.query_row(&sql, [], |r| r.get::<_, i64>(0))? as u64)
    }

    pub fn tile(&self, photo_id: i64) -> Result<Option<TileRow>> {
        let sql = format!("SELECT {TILE_COLUMNS} FROM photos p WHERE p.id = ?1");
        Ok(self
            .conn
            .query_row(&sql, [photo_id], tile_from_row)
            .optional()?)
    }

    /// Tiles changed and photo ids deleted after change `since`, oldest change
    /// first, plus the sequence number to ask from next time.
    pub fn tile_changes(&self, since: i64, limit: u32) -> Result<(Vec<TileRow>, Vec<i64>, i64)> {
        let sql = format!(
            "SELECT {TILE_COLUMNS} FROM photos p WHERE p.change_seq > ?1
              ORDER BY p.change_seq LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let changed: Vec<TileRow> = stmt
            .query_map(params![since, limit], tile_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        // A full page may not reach the newest change: resume from its last row.
        let upto = match changed.last() {
            Some(last) if changed.len() == limit as usize => last.change_seq,
            _ => self.current_change_seq()?,
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT photo_id FROM photo_tombstones WHERE change_seq > ?1 AND change_seq <= ?2",
        )?;
        let removed = stmt
            .query_map(params![since, upto], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok((changed, removed, upto))
    }

    pub fn current_change_seq(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT seq FROM change_counter WHERE id = 1", [], |r| {
                r.get(0)
            })?)
    }

    pub fn rendition(&self, sha256: &str, kind: &str) -> Result<Option<RenditionRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT bytes, width, height, last_used_ms FROM renditions
                  WHERE sha256 = ?1 AND kind = ?2",
                params![sha256, kind],
                |r| {
                    Ok(RenditionRow {
                        bytes: r.get::<_, i64>(0)? as u64,
                        width: r.get(1)?,
                        height: r.get(2)?,
                        last_used_ms: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// (files, bytes) in the thumbnail cache, kept by triggers (schema v7).
    pub fn rendition_totals(&self) -> Result<(u64, u64)> {
        Ok(self.conn.query_row(
            "SELECT files, bytes FROM rendition_totals WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?.max(0) as u64,
                    r.get::<_, i64>(1)?.max(0) as u64,
                ))
            },
        )?)
    }

    /// Where the bytes of a photo can be read (readable locations, oldest first),
    /// with the photo's format.
    pub fn sources_of(&self, sha256: &str) -> Result<Option<(String, Vec<PathBuf>)>> {
        let format: Option<String> = self
            .conn
            .query_row(
                "SELECT format FROM photos WHERE sha256 = ?1",
                [sha256],
                |r| r.get(0),
            )
            .optional()?;
        let Some(format) = format else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT l.path FROM locations l JOIN photos p ON p.id = l.photo_id
              WHERE p.sha256 = ?1 ORDER BY l.id",
        )?;
        let paths = stmt
            .query_map([sha256], |r| Ok(from_bytes(r.get(0)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some((format, paths)))
    }
}

impl Writer<'_> {
    /// Index a rendition file just written to the cache.
    pub fn put_rendition(
        &self,
        sha256: &str,
        kind: &str,
        bytes: u64,
        width: u32,
        height: u32,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO renditions (sha256, kind, bytes, width, height, last_used_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (sha256, kind) DO UPDATE SET bytes = excluded.bytes,
                width = excluded.width, height = excluded.height,
                last_used_ms = excluded.last_used_ms",
            params![sha256, kind, bytes as i64, width, height, self.now_ms],
        )?;
        // The tile's thumbnail state changed.
        self.conn.execute(
            "UPDATE photos SET preview_error = NULL WHERE sha256 = ?1",
            [sha256],
        )?;
        Ok(())
    }

    /// Record when renditions were last shown (batched by the cache).
    pub fn touch_renditions(&self, used: &[(String, String, i64)]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "UPDATE renditions SET last_used_ms = max(last_used_ms, ?3)
              WHERE sha256 = ?1 AND kind = ?2",
        )?;
        for (sha, kind, ms) in used {
            stmt.execute(params![sha, kind, ms])?;
        }
        Ok(())
    }

    /// Drop least-recently-used rows until the cache fits in `limit_bytes`; returns
    /// the (sha256, kind) whose files the caller must delete.
    pub fn evict_renditions(&self, limit_bytes: u64) -> Result<Vec<(String, String)>> {
        let (_, total) = self.reader().rendition_totals()?;
        let mut excess = total as i64 - limit_bytes as i64;
        if excess <= 0 {
            return Ok(Vec::new());
        }
        let mut victims = Vec::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT sha256, kind, bytes FROM renditions ORDER BY last_used_ms, sha256",
            )?;
            let mut rows = stmt.query([])?;
            while excess > 0 {
                let Some(row) = rows.next()? else { break };
                excess -= row.get::<_, i64>(2)?;
                victims.push((row.get::<_, String>(0)?, row.get::<_, String>(1)?));
            }
        }
        for (sha, kind) in &victims {
            self.forget_rendition(sha, kind)?;
        }
        Ok(victims)
    }

    /// The cached file is gone (deleted cache folder): forget its row.
    pub fn forget_rendition(&self, sha256: &str, kind: &str) -> Result<()> {
        // A trigger clears the tile's thumbnail flag (and so reports the change).
        self.conn.execute(
            "DELETE FROM renditions WHERE sha256 = ?1 AND kind = ?2",
            params![sha256, kind],
        )?;
        Ok(())
    }

    /// Why no preview can be made of this photo (HEIC, RAW without a preview).
    pub fn set_preview_error(&self, sha256: &str, reason: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE photos SET preview_error = ?2 WHERE sha256 = ?1",
            params![sha256, reason],
        )?;
        Ok(())
    }

    /// Decoding showed the photo is damaged even though its container is whole.
    pub fn mark_photo_failed(&self, sha256: &str, reason: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE photos SET status = 'failed', error = ?2 WHERE sha256 = ?1",
            params![sha256, reason],
        )?;
        Ok(())
    }
}
