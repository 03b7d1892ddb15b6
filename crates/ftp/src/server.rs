//! Starting and stopping the receiver.
//!
//! We bind the control listener ourselves and hand each accepted connection to
//! a fresh libunftp `Server` (`Server::service`): that is how the bound port of
//! port 0 is known and how a bind error reaches [`Receiver::start`] instead of
//! a background task. A `Server` per connection costs one read of the PEM files
//! when FTPS is on; its per-session shutdown signal is dropped with the
//! connection's task, which closes that control connection on stop.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use libunftp::{Server, ServerBuilder};
use tokio::net::TcpListener;
use tokio::sync::{mpsc::UnboundedSender, oneshot};
use tokio::task::{JoinHandle, JoinSet};

use crate::backend::{CameraStorage, Shared};
use crate::login::{Accounts, Camera, CameraProvider, Presence};
use crate::place::{self, STAGING_DIR};
use crate::{AccountCheck, FtpError, ReceiverConfig, ReceiverEvent, TlsIdentity};

const GREETING: &str = "FindMe Studio: ready for photos";

/// Starts the FTP receiver.
pub struct Receiver;

impl Receiver {
    /// Binds and serves in the background until [`RunningReceiver::stop`] (or until
    /// the [`RunningReceiver`] is dropped). Bind, folder and certificate errors are
    /// returned here. Partials older than `partial_ttl` are swept now and then
    /// on a timer.
    pub async fn start(
        config: ReceiverConfig,
        accounts: Arc<dyn AccountCheck>,
        events: UnboundedSender<ReceiverEvent>,
    ) -> Result<RunningReceiver, FtpError> {
        let staging = config.root.join(STAGING_DIR);
        tokio::fs::create_dir_all(&staging)
            .await
            .map_err(|source| FtpError::Folder {
                path: config.root.clone(),
                source,
            })?;
        let shared = Arc::new(Shared {
            root: config.root.clone(),
            staging,
            partial_ttl: config.partial_ttl,
            events,
            busy: Mutex::new(HashSet::new()),
        });
        let settings = Arc::new(Settings {
            accounts: Arc::new(Accounts(accounts)),
            passive_ports: config.passive_ports.clone(),
            tls: config.tls.clone(),
        });
        if settings.tls.is_some() {
            // Read the certificate once now so a bad one is the caller's error.
            build_server(&settings, &shared).map_err(|e| FtpError::Tls(e.to_string()))?;
        }
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|e| FtpError::from_bind(config.bind, e))?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| FtpError::from_bind(config.bind, e))?;
        sweep(&shared).await;
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, settings, Arc::clone(&shared), stopped));
        tracing::info!(%local_addr, root = %config.root.display(), tls = config.tls.is_some(), "FTP receiver listening");
        Ok(RunningReceiver {
            local_addr,
            stop,
            task,
            shared,
        })
    }
}

/// A receiver serving in the background; dropping it stops it too.
#[derive(Debug)]
pub struct RunningReceiver {
    local_addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    shared: Arc<Shared>,
}

impl RunningReceiver {
    /// The control connection's address (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Delete now the kept partials older than `partial_ttl` (the timer does the
    /// same every so often). Returns how many were deleted.
    pub async fn sweep_partials(&self) -> usize {
        sweep(&self.shared).await
    }

    /// Stop listening and close every control connection. A data transfer
    /// already running finishes on its own (its photo is still checked and
    /// placed or kept as a partial).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the FTP receiver task failed");
        }
        tracing::info!(local_addr = %self.local_addr, "FTP receiver stopped");
    }
}

#[derive(Debug)]
struct Settings {
    accounts: Arc<Accounts>,
    passive_ports: RangeInclusive<u16>,
    tls: Option<TlsIdentity>,
}

async fn serve(
    listener: TcpListener,
    settings: Arc<Settings>,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut sessions = JoinSet::new();
    let mut sweeper = tokio::time::interval(sweep_period(shared.partial_ttl));
    sweeper.tick().await; // the first tick is immediate; start() has just swept
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => match build_server(&settings, &shared) {
                    Ok(server) => {
                        sessions.spawn(async move {
                            if let Err(e) = server.service(stream).await {
                                tracing::warn!(%peer, error = %e, "FTP connection ended with an error");
                            }
                        });
                    }
                    Err(e) => tracing::error!(%peer, error = %e, "cannot serve an FTP connection"),
                },
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "cannot accept an FTP connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = sweeper.tick() => {
                sweep(&shared).await;
            }
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
    drop(listener);
    sessions.shutdown().await;
}

fn build_server(
    settings: &Settings,
    shared: &Arc<Shared>,
) -> Result<Server<CameraStorage, Camera>, libunftp::ServerError> {
    let for_storage = Arc::clone(shared);
    let mut builder = ServerBuilder::<CameraStorage, Camera>::with_user_detail_provider(
        Box::new(move || CameraStorage::new(Arc::clone(&for_storage))),
        Arc::new(CameraProvider),
    )
    .authenticator(settings.accounts.clone())
    .greeting(GREETING)
    .passive_ports(settings.passive_ports.clone())
    .notify_presence(Presence::new(Arc::clone(shared)));
    if let Some(tls) = &settings.tls {
        builder = builder.ftps(tls.cert_pem.clone(), tls.key_pem.clone());
    }
    builder.build()
}

/// How often the timer sweeps: often enough that a partial outlives its TTL by
/// at most about half of it, never more than once a second or less than once a minute.
fn sweep_period(ttl: Duration) -> Duration {
    (ttl / 2).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

async fn sweep(shared: &Arc<Shared>) -> usize {
    let shared = Arc::clone(shared);
    tokio::task::spawn_blocking(move || {
        place::sweep(&shared.staging, shared.partial_ttl, &|p| shared.is_busy(p))
    })
    .await
    .unwrap_or(0)
}
