//! The single writer thread. Callers send closures; the thread runs whatever is
//! queued in one `BEGIN IMMEDIATE` transaction with a savepoint per closure, commits,
//! then answers every caller. Batching turns a burst of 500 ingested photos into a
//! handful of commits instead of 500.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::{schema, CatalogError, Result, Writer};

/// Delivers a closure's result once the transaction's fate is known
/// (`None` = committed, `Some(reason)` = the commit failed).
type Deliver = Box<dyn FnOnce(Option<&str>) + Send>;

/// A queued write: runs against the open transaction (or, when the transaction
/// could not start, is told why and does not run) and reports whether it succeeded
/// (so its savepoint can be rolled back) plus how to answer the caller.
type WriteOp = Box<dyn FnOnce(std::result::Result<&Writer<'_>, &str>) -> (bool, Deliver) + Send>;

enum Msg {
    Write(WriteOp),
    Close(oneshot::Sender<()>),
}

pub(crate) struct WriterHandle {
    sender: Sender<Msg>,
    closed: AtomicBool,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Transactions committed on the connection since the migration (tests only:
    /// a commit hook counts them, so batching is seen, not assumed).
    #[cfg(test)]
    commits: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl WriterHandle {
    pub(crate) fn start(path: &Path, max_batch: usize) -> Result<WriterHandle> {
        let mut conn = Connection::open(path).map_err(|e| CatalogError::Open {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        schema::configure(&conn)?;
        let mode = schema::enable_wal(&conn)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(CatalogError::Open {
                path: path.to_path_buf(),
                reason: format!("the file system does not support WAL (journal mode {mode})"),
            });
        }
        // NORMAL in WAL mode: a killed process loses nothing committed; only a power
        // cut can lose the last few commits, never corrupt the file.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        schema::migrate(&mut conn)?;
        #[cfg(test)]
        let commits = {
            let commits = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let count = commits.clone();
            conn.commit_hook(Some(move || {
                count.fetch_add(1, Ordering::Relaxed);
                false
            }))?;
            commits
        };

        let (sender, receiver) = crossbeam_channel::unbounded();
        let thread = std::thread::Builder::new()
            .name("catalog-writer".into())
            .spawn(move || run(conn, receiver, max_batch.max(1)))
            .map_err(|e| CatalogError::Internal(format!("cannot start the writer thread: {e}")))?;
        Ok(WriterHandle {
            sender,
            closed: AtomicBool::new(false),
            thread: Mutex::new(Some(thread)),
            #[cfg(test)]
            commits,
        })
    }

    /// How many transactions the writer has committed (after the migration).
    #[cfg(test)]
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Queue `f`; the returned future resolves after the commit.
    pub(crate) fn submit<T, F>(
        &self,
        f: F,
    ) -> Result<impl std::future::Future<Output = Result<T>> + use<T, F>>
    where
        T: Send + 'static,
        F: FnOnce(&Writer<'_>) -> Result<T> + Send + 'static,
    {
        if self.closed.load(Ordering::Acquire) {
            return Err(CatalogError::Closed);
        }
        let (tx, rx) = oneshot::channel::<Result<T>>();
        let op: WriteOp = Box::new(move |writer| {
            let result = match writer {
                Ok(writer) => f(writer),
                Err(reason) => Err(CatalogError::CommitFailed(reason.to_string())),
            };
            let ok = result.is_ok();
            let deliver: Deliver = Box::new(move |commit_error| {
                let answer = match commit_error {
                    Some(reason) => Err(CatalogError::CommitFailed(reason.to_string())),
                    None => result,
                };
                let _ = tx.send(answer);
            });
            (ok, deliver)
        });
        self.sender
            .send(Msg::Write(op))
            .map_err(|_| CatalogError::Closed)?;
        Ok(async move {
            rx.await.map_err(|_| {
                CatalogError::Internal("the write was abandoned (see the log)".into())
            })?
        })
    }

    /// Drain queued writes, checkpoint, stop the thread. Idempotent.
    pub(crate) fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let (tx, rx) = oneshot::channel();
        if self.sender.send(Msg::Close(tx)).is_ok() {
            let _ = rx.blocking_recv();
        }
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

impl Drop for WriterHandle {
    fn drop(&mut self) {
        // Last handle gone: let the thread finish what is queued and exit.
        if !self.closed.swap(true, Ordering::AcqRel) {
            let (tx, _rx) = oneshot::channel();
            let _ = self.sender.send(Msg::Close(tx));
            if let Some(handle) = self.thread.get_mut().ok().and_then(|t| t.take()) {
                let _ = handle.join();
            }
        }
    }
}

fn run(conn: Connection, receiver: Receiver<Msg>, max_batch: usize) {
    let mut close_ack = None;
    while close_ack.is_none() {
        let Ok(first) = receiver.recv() else { break };
        let mut batch = Vec::new();
        match first {
            Msg::Write(op) => batch.push(op),
            Msg::Close(ack) => close_ack = Some(ack),
        }
        while batch.len() < max_batch && close_ack.is_none() {
            match receiver.try_recv() {
                Ok(Msg::Write(op)) => batch.push(op),
                Ok(Msg::Close(ack)) => close_ack = Some(ack),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            run_batch(&conn, batch);
        }
    }
    // Writes queued behind the close request still get an answer.
    let mut rest = Vec::new();
    while let Ok(msg) = receiver.try_recv() {
        if let Msg::Write(op) = msg {
            rest.push(op);
        }
    }
    if !rest.is_empty() {
        run_batch(&conn, rest);
    }
    if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
        tracing::warn!(error = %e, "WAL checkpoint at close failed");
    }
    drop(conn);
    if let Some(ack) = close_ack {
        let _ = ack.send(());
    }
}

fn run_batch(conn: &Connection, batch: Vec<WriteOp>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let reason = e.to_string();
        tracing::error!(error = %reason, "catalog transaction could not start");
        for op in batch {
            // Run nothing; every caller learns the write did not happen.
            fail_unrun(op, &reason);
        }
        return;
    }
    let writer = Writer {
        conn,
        now_ms: now_ms(),
    };
    let mut deliveries = Vec::with_capacity(batch.len());
    for op in batch {
        if let Err(e) = conn.execute_batch("SAVEPOINT op") {
            let reason = e.to_string();
            fail_unrun(op, &reason);
            continue;
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| op(Ok(&writer))));
        let (ok, deliver) = match outcome {
            Ok(pair) => pair,
            Err(_) => {
                tracing::error!("a catalog write panicked; its changes were rolled back");
                (false, Box::new(|_: Option<&str>| {}) as Deliver)
            }
        };
        let end = if ok {
            "RELEASE op"
        } else {
            "ROLLBACK TO op; RELEASE op"
        };
        if let Err(e) = conn.execute_batch(end) {
            tracing::error!(error = %e, "savepoint end failed");
        }
        deliveries.push(deliver);
    }
    match conn.execute_batch("COMMIT") {
        Ok(()) => deliveries.into_iter().for_each(|d| d(None)),
        Err(e) => {
            let reason = e.to_string();
            tracing::error!(error = %reason, "catalog commit failed");
            let _ = conn.execute_batch("ROLLBACK");
            deliveries.into_iter().for_each(|d| d(Some(&reason)));
        }
    }
}

/// Answer a write that never ran with the reason its transaction could not start.
fn fail_unrun(op: WriteOp, reason: &str) {
    let (_, deliver) = op(Err(reason));
    deliver(None);
}

/// The catalog's clock: milliseconds since the Unix epoch, what every stored
/// time stamp and lease is in (0 on a clock before 1970).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
