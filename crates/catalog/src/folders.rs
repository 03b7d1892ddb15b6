//! Watched folders and key/value settings, persisted across restarts.

use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension};

use crate::paths::{from_bytes, to_bytes};
use crate::{Reader, Result, Writer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedFolder {
    pub path: PathBuf,
    /// Poll instead of OS notifications (network shares, some card readers).
    pub poll: bool,
    /// The event its new photos join (None: catalogue only).
    pub event: Option<String>,
}

impl Writer<'_> {
    /// Add (or update the poll mode and event of) a watched folder. Returns true
    /// if it is new.
    pub fn add_watched_folder(&self, path: &Path, poll: bool, event: Option<&str>) -> Result<bool> {
        let bytes = to_bytes(path);
        let existed: bool = self
            .conn
            .query_row(
                "SELECT 1 FROM watched_folders WHERE path = ?1",
                [&bytes],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        self.conn.execute(
            "INSERT INTO watched_folders (path, poll, added_ms, event_id) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (path) DO UPDATE SET poll = excluded.poll, event_id = excluded.event_id",
            params![bytes, poll, self.now_ms, event],
        )?;
        Ok(!existed)
    }

    pub fn remove_watched_folder(&self, path: &Path) -> Result<bool> {
        let n = self.conn.execute(
            "DELETE FROM watched_folders WHERE path = ?1",
            [to_bytes(path)],
        )?;
        Ok(n > 0)
    }

    pub fn delete_setting(&self, key: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM settings WHERE key = ?1", [key])?;
        Ok(())
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}

impl Reader<'_> {
    pub fn watched_folders(&self) -> Result<Vec<WatchedFolder>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT path, poll, event_id FROM watched_folders ORDER BY added_ms, id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(WatchedFolder {
                    path: from_bytes(r.get(0)?),
                    poll: r.get(1)?,
                    event: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }
}
