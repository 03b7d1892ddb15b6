//! The FTP(S) receiver cameras send photos to at a live event.
//!
//! Camera bodies only speak FTP, and photographers have been burnt by FTP server
//! apps that let two bodies overwrite each other's `IMG_0001.JPG`, let a folder
//! watcher pick up a half-written file, and log nothing when a transfer fails.
//! So the protocol is libunftp's (no home-made FTP code) and everything that
//! touches the disk is ours (`backend.rs`): a write-only virtual tree.
//!
//! What callers must know:
//! - Folders are virtual. A camera may `MKD`/`CWD` its usual `/DCIM/100CANON`;
//!   every photo lands in `root/<local date of arrival>/<account>/<name>` whatever
//!   folder it was sent to. Nothing can be read, listed, deleted or renamed.
//! - An upload is written to `root/.findme-incoming/<account>/<name>.part`
//!   (hidden, so scans ignore it; same file system, so the final move is a
//!   link), synced, then inspected. FTP stream mode cannot tell a finished
//!   transfer from a killed client (both just close the data connection), so
//!   only a container [`findme_media::Completeness::Complete`] moves into place.
//!   An incomplete one stays staged for [`ReceiverConfig::partial_ttl`] so the
//!   camera can resume it (`REST` + `STOR`; `SIZE` reports the kept bytes).
//! - Nothing is ever overwritten: a name already taken by other bytes gets
//!   `-2`, `-3`…; the same bytes again (a camera retrying after a lost reply)
//!   are answered with success and produce no second file and no [`Arrival`].
//! - The receiver binds its own listener and hands each connection to libunftp
//!   (`Server::service`), so port 0 works and bind errors come back from
//!   [`Receiver::start`] as readable [`FtpError`]s.

mod backend;
mod error;
mod login;
mod names;
mod place;
mod server;
mod setup;

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

pub use error::FtpError;
pub use server::{Receiver, RunningReceiver};
pub use setup::{lan_addresses, self_signed_identity};

/// Where and how the receiver listens, and where photos go.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// The control connection's address, e.g. `0.0.0.0:2121` (port 0 picks a free one).
    pub bind: SocketAddr,
    /// Ports offered for passive data connections (`PASV`/`EPSV`).
    pub passive_ports: RangeInclusive<u16>,
    /// The library folder: a complete photo lands in
    /// `root/<YYYY-MM-DD local date of arrival>/<account>/<name>`.
    pub root: PathBuf,
    /// Explicit FTPS (`AUTH TLS`) when set; plain FTP is accepted either way,
    /// because most camera bodies cannot do TLS.
    pub tls: Option<TlsIdentity>,
    /// How long a cut-off upload is kept for a `REST` resume before it is deleted.
    pub partial_ttl: Duration,
}

impl ReceiverConfig {
    /// Defaults: passive ports 50000-50100, no TLS, partials kept 10 minutes.
    pub fn new(bind: SocketAddr, root: PathBuf) -> Self {
        ReceiverConfig {
            bind,
            passive_ports: 50000..=50100,
            root,
            tls: None,
            partial_ttl: Duration::from_secs(10 * 60),
        }
    }
}

/// A certificate chain and its private key, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsIdentity {
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
}

/// Checks a camera account's password (the engine owns the accounts).
#[async_trait::async_trait]
pub trait AccountCheck: Send + Sync + std::fmt::Debug + 'static {
    /// Ok(true) when `password` is this camera account's; Err = message for the log.
    async fn verify(&self, user: &str, password: &str) -> Result<bool, String>;
}

/// What happened on the receiver, for the activity panel and the engine.
// One event per photo or login: the size of an unboxed Arrival costs nothing,
// and the engine matches on `Received(arrival)` directly.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ReceiverEvent {
    LoggedIn {
        account: String,
    },
    /// The control connection of a logged-in camera ended (QUIT, dropped, stop()).
    LoggedOut {
        account: String,
    },
    /// A complete photo was moved into the library.
    Received(Arrival),
    /// An upload refused or lost; `reason` is written for a photographer.
    Failed {
        account: String,
        file: String,
        reason: String,
    },
}

/// A photo that arrived whole and now sits at `path` under the root.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub account: String,
    /// The final path under the root.
    pub path: PathBuf,
    pub format: findme_media::Format,
    /// `findme_media::inspect_file` of the staged bytes (the same bytes as `path`),
    /// so nobody needs to hash the file again.
    pub inspection: findme_media::Inspection,
    pub size: u64,
    pub mtime_ns: i64,
    /// Unix milliseconds when the transfer completed.
    pub arrived_ms: i64,
}
