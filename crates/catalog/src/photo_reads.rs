//! Reading photos and their locations: the quick re-scan's view of a folder,
//! keyset pages of photos, one photo, the counts and the unreadable files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension, Row};

use crate::paths::{from_bytes, subtree_range, to_bytes};
use crate::photos::{CatalogCounts, LocationState, PhotoRow, PhotoStatus, ReadFailure};
use crate::{Reader, Result};

impl Reader<'_> {
    /// Every location strictly inside `root`, keyed by path.
    pub fn locations_under(&self, root: &Path) -> Result<HashMap<PathBuf, LocationState>> {
        let (lo, hi) = subtree_range(root);
        let mut stmt = self.conn.prepare_cached(
            "SELECT path, size, mtime_ns, photo_id IS NOT NULL FROM locations
              WHERE path >= ?1 AND path < ?2",
        )?;
        let rows = stmt.query_map(params![lo, hi], |r| {
            let path = from_bytes(r.get(0)?);
            Ok(LocationState {
                path: path.clone(),
                size: r.get::<_, i64>(1)? as u64,
                mtime_ns: r.get(2)?,
                readable: r.get(3)?,
            })
        })?;
        let mut map = HashMap::new();
        for row in rows {
            let row = row?;
            map.insert(row.path.clone(), row);
        }
        Ok(map)
    }

    /// The location at exactly `path`, if known.
    pub fn location(&self, path: &Path) -> Result<Option<LocationState>> {
        Ok(self
            .conn
            .query_row(
                "SELECT size, mtime_ns, photo_id IS NOT NULL FROM locations WHERE path = ?1",
                [to_bytes(path)],
                |r| {
                    Ok(LocationState {
                        path: path.to_path_buf(),
                        size: r.get::<_, i64>(0)? as u64,
                        mtime_ns: r.get(1)?,
                        readable: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// A page of photos in capture order, keyset-paged by `(taken_ms, id)`.
    /// A keyset page of photos in capture order; with `member_of`, only that
    /// event's members.
    pub fn photos_page(
        &self,
        after: Option<(i64, i64)>,
        limit: u32,
        newest_first: bool,
        member_of: Option<&str>,
    ) -> Result<Vec<PhotoRow>> {
        let (cursor, order) = match (after.is_some(), newest_first) {
            (false, false) => ("1", "taken_ms, id"),
            (true, false) => ("(taken_ms, id) > (?1, ?2)", "taken_ms, id"),
            (false, true) => ("1", "taken_ms DESC, id DESC"),
            (true, true) => ("(taken_ms, id) < (?1, ?2)", "taken_ms DESC, id DESC"),
        };
        let sql = format!(
            "SELECT * FROM photos WHERE {cursor}
                AND (?4 IS NULL OR EXISTS (SELECT 1 FROM event_photos ep
                                            WHERE ep.event_id = ?4 AND ep.photo_id = photos.id))
              ORDER BY {order} LIMIT ?3"
        );
        let (t, i) = after.unwrap_or((0, 0));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut photos: Vec<PhotoRow> = stmt
            .query_map(params![t, i, limit, member_of], photo_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        self.attach_paths(&mut photos)?;
        Ok(photos)
    }

    pub fn photo_by_sha256(&self, sha256: &str) -> Result<Option<PhotoRow>> {
        let photo = self
            .conn
            .query_row(
                "SELECT * FROM photos WHERE sha256 = ?1",
                [sha256],
                photo_from_row,
            )
            .optional()?;
        let mut photos: Vec<PhotoRow> = photo.into_iter().collect();
        self.attach_paths(&mut photos)?;
        Ok(photos.pop())
    }

    pub fn photo_by_id(&self, id: i64) -> Result<Option<PhotoRow>> {
        let photo = self
            .conn
            .query_row("SELECT * FROM photos WHERE id = ?1", [id], photo_from_row)
            .optional()?;
        let mut photos: Vec<PhotoRow> = photo.into_iter().collect();
        self.attach_paths(&mut photos)?;
        Ok(photos.pop())
    }

    fn attach_paths(&self, photos: &mut [PhotoRow]) -> Result<()> {
        let mut paths = self
            .conn
            .prepare_cached("SELECT path FROM locations WHERE photo_id = ?1 ORDER BY path")?;
        let mut cached = self
            .conn
            .prepare_cached("SELECT kind FROM renditions WHERE sha256 = ?1 ORDER BY kind")?;
        for photo in photos.iter_mut() {
            photo.paths = paths
                .query_map([photo.id], |r| Ok(from_bytes(r.get(0)?)))?
                .collect::<rusqlite::Result<_>>()?;
            photo.renditions = cached
                .query_map([&photo.sha256], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
        }
        Ok(())
    }

    pub fn counts(&self) -> Result<CatalogCounts> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM photos),
                    (SELECT count(*) FROM locations),
                    (SELECT count(*) FROM photos WHERE status = 'failed')
                  + (SELECT count(*) FROM locations WHERE photo_id IS NULL)",
            [],
            |r| {
                Ok(CatalogCounts {
                    photos: r.get::<_, i64>(0)? as u64,
                    locations: r.get::<_, i64>(1)? as u64,
                    failed: r.get::<_, i64>(2)? as u64,
                })
            },
        )?)
    }

    /// Files that could not be read, most recent first.
    pub fn read_failures(&self, limit: u32) -> Result<Vec<ReadFailure>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT path, error, seen_ms FROM locations WHERE photo_id IS NULL
              ORDER BY seen_ms DESC, id DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit], |r| {
                Ok(ReadFailure {
                    path: from_bytes(r.get(0)?),
                    reason: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    seen_ms: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

fn photo_from_row(r: &Row<'_>) -> rusqlite::Result<PhotoRow> {
    let status: String = r.get("status")?;
    Ok(PhotoRow {
        id: r.get("id")?,
        sha256: r.get("sha256")?,
        paths: Vec::new(),
        captured_at: r.get("captured_at")?,
        taken_ms: r.get("taken_ms")?,
        camera_make: r.get("camera_make")?,
        camera_model: r.get("camera_model")?,
        camera_serial: r.get("camera_serial")?,
        lens: r.get("lens")?,
        width: r.get("width")?,
        height: r.get("height")?,
        orientation: r.get("orientation")?,
        format: r.get("format")?,
        size: r.get::<_, i64>("size")? as u64,
        status: if status == "ok" {
            PhotoStatus::Ok
        } else {
            PhotoStatus::Failed
        },
        error: r.get("error")?,
        group_id: r.get("group_id")?,
        imported_ms: r.get("imported_ms")?,
        preview_error: r.get("preview_error")?,
        renditions: Vec::new(),
    })
}
