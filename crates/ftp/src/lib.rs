//! STUB of the receiver's API, replaced by the ftp-receiver branch at merge.
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub struct ReceiverConfig {
    pub bind: SocketAddr,
    pub passive_ports: RangeInclusive<u16>,
    pub root: PathBuf,
    pub tls: Option<TlsIdentity>,
    pub partial_ttl: Duration,
}
impl ReceiverConfig {
    pub fn new(bind: SocketAddr, root: PathBuf) -> Self {
        ReceiverConfig {
            bind,
            passive_ports: 50000..=50100,
            root,
            tls: None,
            partial_ttl: Duration::from_secs(600),
        }
    }
}
pub struct TlsIdentity {
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
}
pub fn self_signed_identity(dir: &Path) -> Result<TlsIdentity, FtpError> {
    Ok(TlsIdentity {
        cert_pem: dir.join("cert.pem"),
        key_pem: dir.join("key.pem"),
    })
}
pub fn lan_addresses() -> Vec<IpAddr> {
    Vec::new()
}
#[async_trait::async_trait]
pub trait AccountCheck: Send + Sync + std::fmt::Debug + 'static {
    async fn verify(&self, user: &str, password: &str) -> Result<bool, String>;
}
#[allow(clippy::large_enum_variant)]
pub enum ReceiverEvent {
    LoggedIn {
        account: String,
    },
    LoggedOut {
        account: String,
    },
    Received(Arrival),
    Failed {
        account: String,
        file: String,
        reason: String,
    },
}
pub struct Arrival {
    pub account: String,
    pub path: PathBuf,
    pub format: findme_media::Format,
    pub inspection: findme_media::Inspection,
    pub size: u64,
    pub mtime_ns: i64,
    pub arrived_ms: i64,
}
#[derive(Debug, thiserror::Error)]
pub enum FtpError {
    #[error("stub")]
    Stub,
}
pub struct Receiver;
impl Receiver {
    pub async fn start(
        _config: ReceiverConfig,
        _accounts: Arc<dyn AccountCheck>,
        _events: tokio::sync::mpsc::UnboundedSender<ReceiverEvent>,
    ) -> Result<RunningReceiver, FtpError> {
        Err(FtpError::Stub)
    }
}
pub struct RunningReceiver;
impl RunningReceiver {
    pub fn local_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 0))
    }
    pub async fn stop(self) {}
}
