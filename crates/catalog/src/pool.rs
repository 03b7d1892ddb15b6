//! Read-only connection pool. Admission is an async semaphore sized to the pool, so
//! readers wait their turn without blocking an async worker and without ever
//! hitting `Pool::get()`'s timeout under load.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use crate::{schema, CatalogError, Reader, Result};

pub(crate) struct ReadPool {
    pool: r2d2::Pool<ReadOnlyManager>,
    admission: Arc<Semaphore>,
}

impl ReadPool {
    pub(crate) fn new(path: &Path, size: u32, timeout: Duration) -> Result<ReadPool> {
        let size = size.max(1);
        let pool = r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(1))
            .connection_timeout(timeout)
            .build(ReadOnlyManager {
                path: path.to_path_buf(),
            })?;
        Ok(ReadPool {
            pool,
            admission: Arc::new(Semaphore::new(size as usize)),
        })
    }

    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Reader<'_>) -> Result<T> + Send + 'static,
    {
        let permit = self
            .admission
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| CatalogError::Closed)?;
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = pool.get()?;
            f(&Reader { conn: &conn })
        })
        .await
        .map_err(|e| CatalogError::Internal(format!("read task failed: {e}")))?
    }

    pub(crate) fn read_blocking<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&Reader<'_>) -> Result<T>,
    {
        let _permit = futures::executor::block_on(self.admission.acquire())
            .map_err(|_| CatalogError::Closed)?;
        let conn = self.pool.get()?;
        f(&Reader { conn: &conn })
    }
}

struct ReadOnlyManager {
    path: PathBuf,
}

impl r2d2::ManageConnection for ReadOnlyManager {
    type Connection = Connection;
    type Error = rusqlite::Error;

    fn connect(&self) -> std::result::Result<Connection, rusqlite::Error> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        schema::configure(&conn).map_err(|e| match e {
            CatalogError::Sqlite(e) => e,
            other => rusqlite::Error::InvalidParameterName(other.to_string()),
        })?;
        conn.pragma_update(None, "query_only", true)?;
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut Connection) -> std::result::Result<(), rusqlite::Error> {
        conn.execute_batch("")
    }

    fn has_broken(&self, _conn: &mut Connection) -> bool {
        false
    }
}
