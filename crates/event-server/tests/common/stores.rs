//! Which stores a test's server runs on. `FINDME_TEST_STORE` picks them for the
//! whole run, so every test of the suite runs on both configurations without a
//! copy (`scripts/test.sh` runs the event-server tests twice):
//!
//! - unset or `local`: SQLite and the image folder in the test's data dir;
//! - `postgres-s3`: a fresh database on the PostgreSQL server named by
//!   `FINDME_TEST_POSTGRES` and a fresh prefix in the bucket `FINDME_TEST_S3_BUCKET`
//!   of the S3-compatible server at `FINDME_TEST_S3_ENDPOINT` (keys
//!   `FINDME_TEST_S3_ACCESS_KEY_ID`, `FINDME_TEST_S3_SECRET_ACCESS_KEY`), all
//!   exported by `scripts/services.sh start`. They reach the server as the
//!   standard `AWS_*` settings, as a deployment's environment would.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use findme_event_server::store::{DatabaseUrl, Images, S3Options, StorageUrl, StoreConfig};
use findme_testkit::services::{self, on_own_thread as run_async};

/// The configuration chosen for this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Local,
    PostgresS3,
}

pub fn backend() -> Backend {
    match std::env::var("FINDME_TEST_STORE").as_deref() {
        Err(_) | Ok("" | "local") => Backend::Local,
        Ok("postgres-s3") => Backend::PostgresS3,
        Ok(other) => panic!("FINDME_TEST_STORE={other:?}: use local or postgres-s3"),
    }
}

/// A new, empty database on the test PostgreSQL server.
pub fn fresh_database() -> DatabaseUrl {
    services::fresh_database_url().parse().unwrap()
}

/// A new, empty prefix in the test bucket, and the S3 client's settings.
pub fn fresh_storage() -> (StorageUrl, S3Options) {
    let url = services::fresh_storage_url().parse().unwrap();
    (url, s3_options(&services::s3_endpoint()))
}

/// The test S3 server's settings as the `AWS_*` variables a deployment sets,
/// with `endpoint` (the server itself, or a fault proxy in front of it).
pub fn s3_options(endpoint: &str) -> S3Options {
    S3Options {
        vars: services::s3_env(endpoint),
    }
}

/// A test's stores: the data dir and, on `postgres-s3`, its database and prefix.
#[derive(Debug, Clone)]
pub struct Stores {
    pub data: PathBuf,
    pub config: StoreConfig,
}

impl Stores {
    /// Stores for the run's backend, with the data dir `root/data`.
    pub fn new(root: &Path) -> Self {
        Self::of(backend(), root)
    }

    pub fn of(backend: Backend, root: &Path) -> Self {
        let data = root.join("data");
        let mut config = StoreConfig::local(&data);
        if backend == Backend::PostgresS3 {
            let (storage, s3) = fresh_storage();
            config.database = Some(fresh_database());
            config.storage = Some(storage);
            config.s3 = s3;
        }
        Self { data, config }
    }

    pub fn backend(&self) -> Backend {
        if self.config.database.is_some() {
            Backend::PostgresS3
        } else {
            Backend::Local
        }
    }

    /// `--data-dir …` and, on `postgres-s3`, `--database … --storage …`: what
    /// every command of the binary takes.
    pub fn cli_args(&self) -> Vec<OsString> {
        let mut args = vec![OsString::from("--data-dir"), self.data.clone().into()];
        if let Some(db) = &self.config.database {
            args.extend(["--database".into(), db.as_str().into()]);
        }
        if let Some(s) = &self.config.storage {
            args.extend(["--storage".into(), s.to_string().into()]);
        }
        args
    }

    /// Everything the metadata store holds, as bytes to search: the SQLite file
    /// and its WAL, or every row of every table of the PostgreSQL database as text.
    pub fn database_contents(&self) -> Vec<u8> {
        let Some(url) = &self.config.database else {
            let db = findme_event_server::db_path(&self.data);
            let mut all = std::fs::read(&db).unwrap();
            let mut wal = db.into_os_string();
            wal.push("-wal");
            all.extend(std::fs::read(wal).unwrap_or_default());
            return all;
        };
        let url = url.as_str().to_string();
        run_async(async move {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            let tables = client
                .query(
                    "SELECT table_name::text FROM information_schema.tables
                      WHERE table_schema = 'public'",
                    &[],
                )
                .await
                .unwrap();
            let mut all = Vec::new();
            for t in tables {
                let name: String = t.get(0);
                let sql = format!("SELECT t::text FROM \"{name}\" t");
                for row in client.query(&sql, &[]).await.unwrap() {
                    all.extend(row.get::<_, String>(0).into_bytes());
                }
            }
            all
        })
    }

    /// Whether the image store holds `sha256`.
    pub fn image_stored(&self, sha256: &str) -> bool {
        self.image_bytes(sha256).is_some()
    }

    /// The bytes the image store holds under `sha256`.
    pub fn image_bytes(&self, sha256: &str) -> Option<Vec<u8>> {
        let (config, sha) = (self.config.clone(), sha256.to_string());
        run_async(async move {
            let (_, images): (_, Images) = findme_event_server::open_stores(&config).await.unwrap();
            match images.get(&sha).await {
                Ok(bytes) => Some(bytes.to_vec()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => panic!("reading image {sha}: {e}"),
            }
        })
    }
}
