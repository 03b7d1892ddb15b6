//! Camera accounts of the FTP receiver and what each camera did: one row per
//! camera body, written by the receiver, read by the activity panel and stats.

use rusqlite::{params, OptionalExtension};

use crate::{Reader, Result, Writer};

/// One camera account and its activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpAccountRow {
    pub name: String,
    pub password: String,
    pub created_ms: i64,
    /// Open FTP sessions (a camera reconnects for each burst on some bodies).
    pub connections: u32,
    pub received: u64,
    pub failed: u64,
    pub last_file: Option<String>,
    pub last_ms: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
}

impl Writer<'_> {
    /// Adds a camera account; false if the name is taken.
    pub fn add_ftp_account(&self, name: &str, password: &str) -> Result<bool> {
        let n = self.conn.execute(
            "INSERT INTO ftp_accounts (name, password, created_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO NOTHING",
            params![name, password, self.now_ms],
        )?;
        Ok(n == 1)
    }

    /// Revokes a camera account (its photos stay); false if there was none.
    pub fn remove_ftp_account(&self, name: &str) -> Result<bool> {
        let n = self
            .conn
            .execute("DELETE FROM ftp_accounts WHERE name = ?1", [name])?;
        Ok(n == 1)
    }

    /// A session of `name` opened (+1) or closed (-1).
    pub fn ftp_session(&self, name: &str, delta: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE ftp_accounts SET connections = max(0, connections + ?2) WHERE name = ?1",
            params![name, delta],
        )?;
        Ok(())
    }

    /// No session is open: the receiver (re)starts. A receiver that died left
    /// its counts behind; this is where they are forgotten.
    pub fn ftp_sessions_closed(&self) -> Result<()> {
        self.conn
            .execute("UPDATE ftp_accounts SET connections = 0", [])?;
        Ok(())
    }

    /// `name` delivered `file` at `at_ms`.
    pub fn ftp_received(&self, name: &str, file: &str, at_ms: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE ftp_accounts SET received = received + 1, last_file = ?2, last_ms = ?3
              WHERE name = ?1",
            params![name, file, at_ms],
        )?;
        Ok(())
    }

    /// A transfer of `name` failed; `reason` is for the photographer.
    pub fn ftp_failed(&self, name: &str, file: &str, reason: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE ftp_accounts SET failed = failed + 1, last_error = ?2, last_error_ms = ?3
              WHERE name = ?1",
            params![name, format!("{file}: {reason}"), self.now_ms],
        )?;
        Ok(())
    }
}

impl Reader<'_> {
    /// Every camera account, oldest first.
    pub fn ftp_accounts(&self) -> Result<Vec<FtpAccountRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, password, created_ms, connections, received, failed, last_file,
                    last_ms, last_error, last_error_ms
               FROM ftp_accounts ORDER BY created_ms, name",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(FtpAccountRow {
                    name: r.get(0)?,
                    password: r.get(1)?,
                    created_ms: r.get(2)?,
                    connections: r.get(3)?,
                    received: r.get::<_, i64>(4)?.max(0) as u64,
                    failed: r.get::<_, i64>(5)?.max(0) as u64,
                    last_file: r.get(6)?,
                    last_ms: r.get(7)?,
                    last_error: r.get(8)?,
                    last_error_ms: r.get(9)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The password of camera account `name`, if it exists.
    pub fn ftp_password(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT password FROM ftp_accounts WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?)
    }
}
