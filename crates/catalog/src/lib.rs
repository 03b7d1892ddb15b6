//! The on-device catalog: photos (one row per content hash), their locations on
//! disk, the persisted job queue, watched folders and settings, in one SQLite file.
//!
//! This is the only crate that knows SQL. Its shape:
//! - **One writer.** A dedicated thread owns the only read-write connection. Writes
//!   are closures sent to it; it batches whatever is queued into one
//!   `BEGIN IMMEDIATE` transaction, gives each closure its own savepoint (one
//!   failing write never undoes another), and answers each caller only after the
//!   commit is durable in the WAL.
//! - **Bounded readers.** Reads run on blocking threads with a connection from an
//!   r2d2 pool of read-only connections. An async semaphore sized to the pool
//!   admits readers, so a burst of readers queues on the semaphore instead of
//!   timing out in `Pool::get()`, and no async worker thread ever blocks waiting
//!   for a connection. (The old server died of exactly that pool exhaustion.)
//! - **Atomic hand-offs.** A new photo and the jobs later stages need are written
//!   in the same transaction, so a crash cannot leave a photo without its jobs.

mod arrival;
#[cfg(test)]
mod cost_tests;
mod deletions;
mod error;
mod event_sync;
mod events;
mod face_vectors;
mod folders;
mod ftp_accounts;
mod gallery;
mod inspect;
mod jobs;
mod matching;
mod membership;
mod migration_v10;
mod migration_v11;
mod migration_v12;
mod migration_v8;
mod migration_v9;
mod migrations;
mod outbox;
mod paths;
mod photo_reads;
mod photos;
mod pool;
mod publishing;
mod schema;
mod selfie_faces;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use arrival::{Arrival, ArrivalLatency, ArrivalSource};
pub use deletions::{DeletionHolder, DeletionRow, DeletionTarget, DeletionTotals, DELETIONS_DONE};
pub use error::CatalogError;
pub use event_sync::{AckedPhoto, PublishPolicy};
pub use events::{EventRow, ParticipantRow};
pub use face_vectors::{PhotoSignature, SelfieSignature, Signature};
pub use folders::WatchedFolder;
pub use ftp_accounts::FtpAccountRow;
pub use gallery::{RenditionRow, TileFilter, TileRow, TileSort};
pub use inspect::{Inspector, SentPhoto};
pub use jobs::{match_subject, ClaimedJob, JobKind, JobStatus, KindStats, QueueCounts};
pub use matching::{FaceRow, FoundMatch, MatchTotals, NewFace, SearchBacklog};
pub use membership::{EventCounts, Joined};
pub use outbox::{OutboxRow, OutboxTotals, PushPhoto, SYNC_BYTES, SYNC_PUSHED};
pub use photos::{
    CatalogCounts, FileContent, FileRecord, LocationState, PhotoFacts, PhotoRow, PhotoStatus,
    ReadFailure, RecordOutcome,
};
pub use selfie_faces::{Picked, SelfieFace};
pub use writer::now_ms;

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// Typed read access, handed to closures passed to [`Catalog::read`].
pub struct Reader<'c> {
    conn: &'c rusqlite::Connection,
}

/// Typed write access inside the writer's transaction, handed to closures passed to
/// [`Catalog::write`]. Everything one closure does commits or rolls back together.
pub struct Writer<'c> {
    conn: &'c rusqlite::Connection,
    now_ms: i64,
}

impl Writer<'_> {
    /// Read inside the write transaction (sees this transaction's own changes).
    pub fn reader(&self) -> Reader<'_> {
        Reader { conn: self.conn }
    }
}

/// Tuning for [`Catalog::open_with`].
#[derive(Debug, Clone)]
pub struct CatalogOptions {
    /// Read-only connections in the pool (and readers admitted at once).
    pub readers: u32,
    /// How long a read waits for a pooled connection once admitted. Admission is
    /// bounded by the semaphore, so this only trips if the database itself stalls.
    pub reader_timeout: Duration,
    /// How many queued write closures share one transaction at most.
    pub max_batch: usize,
}

impl Default for CatalogOptions {
    fn default() -> Self {
        CatalogOptions {
            readers: 4,
            reader_timeout: Duration::from_secs(30),
            max_batch: 256,
        }
    }
}

/// Handle to an open catalog. Cheap to clone; all clones share the writer and pool.
#[derive(Clone)]
pub struct Catalog {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: writer::WriterHandle,
    readers: pool::ReadPool,
}

impl Catalog {
    /// Open or create the catalog file at `path`, migrating it to the current schema.
    pub fn open(path: &Path) -> Result<Catalog> {
        Self::open_with(path, CatalogOptions::default())
    }

    pub fn open_with(path: &Path, options: CatalogOptions) -> Result<Catalog> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| CatalogError::Open {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        }
        // The writer opens first: it creates the file, sets WAL and migrates, so the
        // read-only pool connections always see a complete schema.
        let writer = writer::WriterHandle::start(path, options.max_batch)?;
        let readers = pool::ReadPool::new(path, options.readers, options.reader_timeout)?;
        Ok(Catalog {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer,
                readers,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Run `f` with a read-only connection on a blocking thread.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Reader<'_>) -> Result<T> + Send + 'static,
    {
        self.inner.readers.read(f).await
    }

    /// [`Catalog::read`] for threads that are not async (scanners, tests).
    /// Must not be called from an async task.
    pub fn read_blocking<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&Reader<'_>) -> Result<T>,
    {
        self.inner.readers.read_blocking(f)
    }

    /// Run `f` inside the writer's transaction; resolves once it is committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Writer<'_>) -> Result<T> + Send + 'static,
    {
        self.inner.writer.submit(f)?.await
    }

    /// [`Catalog::write`] for threads that are not async. Must not be called from an
    /// async task.
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Writer<'_>) -> Result<T> + Send + 'static,
    {
        futures::executor::block_on(self.inner.writer.submit(f)?)
    }

    /// Finish every queued write, checkpoint the WAL and stop the writer thread.
    /// Later writes fail with [`CatalogError::Closed`]; reads keep working.
    pub fn close(&self) {
        self.inner.writer.close();
    }
}
