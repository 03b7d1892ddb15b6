//! The persisted job queue. A job is a row: claimed with a lease, extended by
//! heartbeats, finished, retried after a delay, or quarantined after its last
//! attempt. A job whose lease expires (the process crashed or was killed) is
//! claimable again, so nothing is lost; job effects must be idempotent so the
//! second run changes nothing.

use rusqlite::{params, Connection, OptionalExtension};

use crate::arrival::LIVE_PRIORITY;
use crate::{Reader, Result, Writer};

/// What a job does. Stored as text; new kinds can be added freely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Make the photo's thumbnail and preview.
    Thumbnail,
    /// Match the photo's faces against the event's participants.
    Match,
    /// Push the photo's rendition and matches to the event server.
    Push,
    /// Index a participant's selfie for matching.
    IndexParticipant,
}

impl JobKind {
    pub const ALL: [JobKind; 4] = [
        JobKind::Thumbnail,
        JobKind::Match,
        JobKind::Push,
        JobKind::IndexParticipant,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Thumbnail => "thumbnail",
            JobKind::Match => "match",
            JobKind::Push => "push",
            JobKind::IndexParticipant => "index-participant",
        }
    }

    /// The kind stored as `name`; None for a name this build does not know.
    pub fn parse(name: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a job stands. Stored as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Waiting for a worker (or for its retry time).
    Pending,
    /// Under a worker's lease.
    Running,
    Done,
    /// Quarantined after its last attempt (the reason is kept).
    Failed,
}

impl JobStatus {
    pub const ALL: [JobStatus; 4] = [
        JobStatus::Pending,
        JobStatus::Running,
        JobStatus::Done,
        JobStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }

    /// The status stored as `name`; None for anything else.
    pub fn parse(name: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// Reads a stored name as `T`, refusing (not guessing at) a value this build does
/// not know: a catalog written by a newer build, or damaged.
pub(crate) fn parse_column<T>(
    index: usize,
    value: String,
    parse: impl Fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    parse(&value).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unknown value {value:?}").into(),
        )
    })
}

/// A job this worker now holds the lease of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: JobKind,
    pub subject: String,
    pub photo_id: Option<i64>,
    /// 1 on the first run.
    pub attempt: u32,
    pub max_attempts: u32,
    /// The event a match or push job works for.
    pub event: Option<String>,
}

/// Queue counters for one kind (or all kinds), named like the old server's stats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub total_enqueued: u64,
    /// Jobs finished for good: done, or quarantined after their last attempt.
    pub total_processed: u64,
    pub pending: u64,
    pub running: u64,
    pub failed: u64,
    /// Jobs under a live lease right now (across every process using the catalog).
    pub workers_active: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindStats {
    pub kind: JobKind,
    pub counts: QueueCounts,
}

/// Inserts a job unless one for the same (kind, subject) exists; `event` is the
/// event a match or push job works for. A job of a photo from a live source
/// (FTP, a watched folder) gets the live priority, so it is claimed before a
/// card's backlog. Returns whether a job was created.
pub(crate) fn insert_job(
    conn: &Connection,
    kind: JobKind,
    subject: &str,
    photo_id: Option<i64>,
    event: Option<&str>,
    now_ms: i64,
) -> Result<bool> {
    let n = conn.execute(
        "INSERT INTO jobs (kind, subject, photo_id, event_id, priority, run_after_ms,
                           created_ms, updated_ms)
         VALUES (?1, ?2, ?3, ?4,
                 coalesce((SELECT ?6 FROM photos WHERE id = ?3 AND arrival IN ('ftp', 'watch')), 0),
                 ?5, ?5, ?5)
         ON CONFLICT (kind, subject) DO NOTHING",
        params![
            kind.as_str(),
            subject,
            photo_id,
            event,
            now_ms,
            LIVE_PRIORITY
        ],
    )?;
    Ok(n > 0)
}

/// The subject of a photo's match job for an event: `<event>/<sha256>`.
pub fn match_subject(event: &str, sha256: &str) -> String {
    format!("{event}/{sha256}")
}

/// Takes the next jobs of a kind: pending ones that are due, and running ones whose
/// lease ran out (their worker died). Two searches of `jobs_claimable`, one per
/// status, each reading only as far as the LIMIT: one query with an OR across the
/// statuses made SQLite read every job of the kind, done ones included, on every
/// claim (O(catalog) per job).
const CLAIM_SQL: &str =
    "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = ?2,
        lease_until_ms = ?3 + ?4, updated_ms = ?3
  WHERE id IN (
    SELECT id FROM (
      SELECT id, priority, run_after_ms FROM (
        SELECT id, priority, run_after_ms FROM jobs
         WHERE kind = ?1 AND status = 'pending' AND run_after_ms <= ?3
         ORDER BY priority DESC, run_after_ms, id LIMIT ?5)
      UNION ALL
      SELECT id, priority, run_after_ms FROM (
        SELECT id, priority, run_after_ms FROM jobs
         WHERE kind = ?1 AND status = 'running' AND lease_until_ms < ?3
         ORDER BY priority DESC, run_after_ms, id LIMIT ?5))
    ORDER BY priority DESC, run_after_ms, id LIMIT ?5)
  RETURNING id, kind, subject, photo_id, attempts, max_attempts, event_id";

impl Writer<'_> {
    /// Enqueue a job unless one for the same (kind, subject) exists. Returns whether
    /// a new job was created.
    pub fn enqueue(&self, kind: JobKind, subject: &str, photo_id: Option<i64>) -> Result<bool> {
        insert_job(self.conn, kind, subject, photo_id, None, self.now_ms)
    }

    /// Claim up to `limit` runnable jobs of `kind` for `owner`, highest priority
    /// and oldest first. Runnable: pending and due, or running with an expired
    /// lease (its worker died).
    pub fn claim(
        &self,
        kind: JobKind,
        owner: &str,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<ClaimedJob>> {
        let mut stmt = self.conn.prepare_cached(CLAIM_SQL)?;
        let mut jobs: Vec<ClaimedJob> = stmt
            .query_map(
                params![kind.as_str(), owner, self.now_ms, lease_ms, limit],
                |r| {
                    Ok(ClaimedJob {
                        id: r.get(0)?,
                        kind: parse_column(1, r.get(1)?, JobKind::parse)?,
                        subject: r.get(2)?,
                        photo_id: r.get(3)?,
                        attempt: r.get(4)?,
                        max_attempts: r.get(5)?,
                        event: r.get(6)?,
                    })
                },
            )?
            .collect::<rusqlite::Result<_>>()?;
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    /// Extend the lease; false if this owner no longer holds the job.
    pub fn heartbeat(&self, job_id: i64, owner: &str, lease_ms: i64) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE jobs SET lease_until_ms = ?3 + ?4, updated_ms = ?3
              WHERE id = ?1 AND status = 'running' AND lease_owner = ?2",
            params![job_id, owner, self.now_ms, lease_ms],
        )?;
        Ok(n == 1)
    }

    /// Mark the job done; false if this owner no longer held it (its result must
    /// then be discarded by the caller's idempotent write, which it is).
    pub fn complete(&self, job_id: i64, owner: &str) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE jobs SET status = 'done', lease_owner = NULL, lease_until_ms = NULL,
                    last_error = NULL, updated_ms = ?3
              WHERE id = ?1 AND status = 'running' AND lease_owner = ?2",
            params![job_id, owner, self.now_ms],
        )?;
        Ok(n == 1)
    }

    /// Record a failed attempt. With `retry_after_ms` and attempts left the job
    /// becomes pending again after that delay; otherwise it is quarantined
    /// (status failed) with `error` for the photographer to read.
    pub fn fail(
        &self,
        job_id: i64,
        owner: &str,
        error: &str,
        retry_after_ms: Option<i64>,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE jobs SET lease_owner = NULL, lease_until_ms = NULL, last_error = ?3,
                    updated_ms = ?4,
                    status = CASE WHEN ?5 IS NOT NULL AND attempts < max_attempts
                                  THEN 'pending' ELSE 'failed' END,
                    run_after_ms = CASE WHEN ?5 IS NOT NULL THEN ?4 + ?5 ELSE run_after_ms END
              WHERE id = ?1 AND status = 'running' AND lease_owner = ?2",
            params![job_id, owner, error, self.now_ms, retry_after_ms],
        )?;
        Ok(n == 1)
    }

    /// Hand back every job `owner` holds (clean shutdown): they become pending at
    /// once and the interrupted attempt is not counted.
    pub fn release_all(&self, owner: &str) -> Result<u64> {
        let n = self.conn.execute(
            "UPDATE jobs SET status = 'pending', attempts = max(attempts - 1, 0),
                    lease_owner = NULL, lease_until_ms = NULL, updated_ms = ?2
              WHERE status = 'running' AND lease_owner = ?1",
            params![owner, self.now_ms],
        )?;
        Ok(n as u64)
    }

    /// The owner died (its process is gone): make its jobs claimable now instead of
    /// when their leases run out. The interrupted attempt still counts, so a job
    /// that kills its worker every time is quarantined here once its last attempt
    /// died too (a claim never checks attempts: without this it would run forever).
    pub fn expire_leases(&self, owner: &str) -> Result<u64> {
        let n = self.conn.execute(
            "UPDATE jobs SET lease_until_ms = 0, updated_ms = ?2
              WHERE status = 'running' AND lease_owner = ?1 AND attempts < max_attempts",
            params![owner, self.now_ms],
        )?;
        let quarantined = self.conn.execute(
            "UPDATE jobs SET status = 'failed', lease_owner = NULL, lease_until_ms = NULL,
                    last_error = 'the process running this job died during its last attempt ('
                                 || attempts || ' of ' || max_attempts || ')',
                    updated_ms = ?2
              WHERE status = 'running' AND lease_owner = ?1 AND attempts >= max_attempts",
            params![owner, self.now_ms],
        )?;
        Ok((n + quarantined) as u64)
    }

    /// Hand one job back without counting the attempt (the queue is pausing).
    pub fn release(&self, job_id: i64, owner: &str) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE jobs SET status = 'pending', attempts = max(attempts - 1, 0),
                    lease_owner = NULL, lease_until_ms = NULL, updated_ms = ?3
              WHERE id = ?1 AND status = 'running' AND lease_owner = ?2",
            params![job_id, owner, self.now_ms],
        )?;
        Ok(n == 1)
    }

    /// Hand one job back to run again after `delay_ms`, without counting the
    /// attempt: the job did nothing wrong, the service it needs said "later"
    /// (throttling). `reason` is kept as the job's last error for the activity panel.
    pub fn defer(&self, job_id: i64, owner: &str, reason: &str, delay_ms: i64) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE jobs SET status = 'pending', attempts = max(attempts - 1, 0),
                    lease_owner = NULL, lease_until_ms = NULL, last_error = ?3,
                    run_after_ms = ?4 + max(?5, 0), updated_ms = ?4
              WHERE id = ?1 AND status = 'running' AND lease_owner = ?2",
            params![job_id, owner, reason, self.now_ms, delay_ms],
        )?;
        Ok(n == 1)
    }

    /// Give quarantined jobs of `kind` (all kinds if None) a fresh set of attempts.
    pub fn retry_failed(&self, kind: Option<JobKind>) -> Result<u64> {
        let n = self.conn.execute(
            "UPDATE jobs SET status = 'pending', attempts = 0, run_after_ms = ?2, updated_ms = ?2
              WHERE status = 'failed' AND (?1 IS NULL OR kind = ?1)",
            params![kind.map(JobKind::as_str), self.now_ms],
        )?;
        Ok(n as u64)
    }
}

impl Reader<'_> {
    /// Counters per kind, at `now_ms` (for live leases).
    pub fn queue_stats(&self, now_ms: i64) -> Result<Vec<KindStats>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, count(*),
                    sum(status IN ('done', 'failed')),
                    sum(status = 'pending'),
                    sum(status = 'running'),
                    sum(status = 'failed'),
                    sum(status = 'running' AND lease_until_ms >= ?1)
               FROM jobs GROUP BY kind ORDER BY kind",
        )?;
        let rows = stmt
            .query_map([now_ms], |r| {
                let n = |i: usize| -> rusqlite::Result<u64> {
                    Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0) as u64)
                };
                Ok(KindStats {
                    kind: parse_column(0, r.get(0)?, JobKind::parse)?,
                    counts: QueueCounts {
                        total_enqueued: n(1)?,
                        total_processed: n(2)?,
                        pending: n(3)?,
                        running: n(4)?,
                        failed: n(5)?,
                        workers_active: n(6)?,
                    },
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Owners holding running jobs (live or not).
    pub fn lease_owners(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT lease_owner FROM jobs WHERE status = 'running' AND lease_owner IS NOT NULL",
        )?;
        let owners = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(owners)
    }

    /// Whether any job of `kind` is pending or running: one index seek, where
    /// [`Reader::unfinished_jobs`] counts them all.
    pub fn has_unfinished_jobs(&self, kind: JobKind) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE kind = ?1 AND status IN ('pending', 'running'))",
            [kind.as_str()],
            |r| r.get(0),
        )?)
    }

    /// Jobs of `kind` not finished yet: pending (due or scheduled for a retry) or running.
    pub fn unfinished_jobs(&self, kind: JobKind) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM jobs WHERE kind = ?1 AND status IN ('pending', 'running')",
            [kind.as_str()],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Match jobs of `event` still to run (its members not indexed yet).
    pub fn unfinished_match_jobs(&self, event: &str) -> Result<u64> {
        self.unfinished_jobs_of(JobKind::Match, event)
    }

    /// Jobs of `kind` working for `event` still to run.
    pub fn unfinished_jobs_of(&self, kind: JobKind, event: &str) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM jobs WHERE event_id = ?1 AND kind = ?2
                AND status IN ('pending', 'running')",
            params![event, kind.as_str()],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// The job for (kind, subject) with its status and last error, if any.
    pub fn job_status(
        &self,
        kind: JobKind,
        subject: &str,
    ) -> Result<Option<(String, Option<String>)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT status, last_error FROM jobs WHERE kind = ?1 AND subject = ?2",
                params![kind.as_str(), subject],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }
}

impl QueueCounts {
    /// Sum of several kinds' counters.
    pub fn total<'a>(all: impl IntoIterator<Item = &'a QueueCounts>) -> QueueCounts {
        all.into_iter().fold(QueueCounts::default(), |mut acc, c| {
            acc.total_enqueued += c.total_enqueued;
            acc.total_processed += c.total_processed;
            acc.pending += c.pending;
            acc.running += c.running;
            acc.failed += c.failed;
            acc.workers_active += c.workers_active;
            acc
        })
    }
}

#[cfg(test)]
#[path = "jobs_tests.rs"]
mod tests;
