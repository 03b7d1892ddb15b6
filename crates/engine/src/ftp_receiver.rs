//! Running the FTP receiver (findme-ftp) inside the engine: cameras log in with
//! the catalog's accounts, each completed transfer is recorded like any other
//! arrival (source `ftp`, its completion time, the receiver's event), and the
//! camera's activity is written to the catalog for the panel and `findme stats`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use findme_catalog::{Arrival, ArrivalSource, Catalog};
use findme_ftp::{AccountCheck, ReceiverConfig, ReceiverEvent, RunningReceiver};
use findme_ingest::{FileOutcome, InspectResult, Inspected};
use findme_keys::{CameraAccount, EventId};
use tokio::sync::mpsc;

use crate::ftp::{read_settings, LIBRARY_KEY};
use crate::{Engine, EngineError, EngineNotice, EventChoice, FtpStatusDto};

/// What `findme watch --ftp` (or the app's saved settings) starts the receiver
/// with; None: the saved setting.
#[derive(Debug, Clone, Default)]
pub struct FtpOptions {
    pub port: Option<u16>,
    pub passive_ports: Option<(u16, u16)>,
    pub dir: Option<PathBuf>,
    pub ftps: Option<bool>,
    /// Which event received photos join (default: the saved one, else the
    /// active event now).
    pub event: Option<EventChoice>,
}

/// A receiver this engine runs.
pub(crate) struct RunningFtp {
    receiver: RunningReceiver,
    arrivals: tokio::task::JoinHandle<()>,
    pub(crate) port: u16,
    pub(crate) dir: PathBuf,
    pub(crate) event: Option<EventId>,
}

impl Engine {
    /// Start the FTP receiver (stopping one already running). Its photos join
    /// the event resolved now, like a watched folder's: switching the active
    /// event later does not move a live shoot elsewhere.
    pub async fn start_ftp(&self, options: FtpOptions) -> Result<FtpStatusDto, EngineError> {
        self.stop_ftp().await;
        let (settings, library) = self
            .catalog()
            .read(|r| Ok((read_settings(r)?, r.setting(LIBRARY_KEY)?)))
            .await?;
        let choice = match (options.event, &settings.event) {
            (Some(choice), _) => choice,
            (None, Some(saved)) => EventChoice::Event(EventId::parse(saved)?),
            (None, None) => EventChoice::Active,
        };
        let event = self.resolve(&choice).await?;
        let dir = match options.dir {
            Some(dir) => crate::absolute(&dir)?,
            None => self.default_ftp_dir(settings.dir.as_deref(), library),
        };
        std::fs::create_dir_all(&dir).map_err(|e| EngineError::Io {
            what: format!("cannot use {} for photos from cameras", dir.display()),
            source: e,
        })?;
        let port = options.port.unwrap_or(settings.port);
        let (first, last) = options
            .passive_ports
            .unwrap_or((settings.passive_first, settings.passive_last));
        let mut config =
            ReceiverConfig::new(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)), dir.clone());
        config.passive_ports = first..=last;
        if options.ftps.unwrap_or(settings.ftps) {
            let tls_dir = self.inner.data.ftp_tls();
            let identity =
                tokio::task::spawn_blocking(move || findme_ftp::self_signed_identity(&tls_dir))
                    .await
                    .map_err(|e| EngineError::task("making the FTPS certificate", e))?
                    .map_err(|e| EngineError::Internal(e.to_string()))?;
            config.tls = Some(identity);
        }
        self.catalog().write(|w| w.ftp_sessions_closed()).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let accounts = Arc::new(CatalogAccounts(self.catalog().clone()));
        let receiver = match findme_ftp::Receiver::start(config, accounts, tx).await {
            Ok(receiver) => receiver,
            Err(e) => {
                let message = e.to_string();
                *self.inner.ftp_error.lock().await = Some(message.clone());
                let _ = self.inner.notices.send(EngineNotice::CamerasChanged);
                return Err(EngineError::Unavailable(message));
            }
        };
        let port = receiver.local_addr().port();
        tracing::info!(port, dir = %dir.display(), event = ?event, "FTP receiver started");
        let arrivals = tokio::spawn(record_arrivals(self.clone(), event.clone(), rx));
        *self.inner.ftp.lock().await = Some(RunningFtp {
            receiver,
            arrivals,
            port,
            dir,
            event,
        });
        *self.inner.ftp_error.lock().await = None;
        let _ = self.inner.notices.send(EngineNotice::CamerasChanged);
        self.ftp_status().await
    }

    /// Stop the receiver, if it runs; transfers in flight are cut (the camera
    /// sends them again), photos already received are kept.
    pub async fn stop_ftp(&self) {
        let running = self.inner.ftp.lock().await.take();
        if let Some(running) = running {
            running.receiver.stop().await;
            // The receiver's sender is gone: the loop records what is queued and ends.
            let _ = running.arrivals.await;
            let _ = self.catalog().write(|w| w.ftp_sessions_closed()).await;
            let _ = self.inner.notices.send(EngineNotice::CamerasChanged);
        }
    }

    /// Start the receiver if the photographer switched it on in the app (the
    /// app at start; `findme watch` runs it only with `--ftp`).
    pub async fn start_ftp_if_enabled(&self) {
        match self.ftp_settings().await {
            Ok(settings) if settings.enabled => {
                if let Err(e) = self.start_ftp(FtpOptions::default()).await {
                    tracing::warn!(error = %e, "the FTP receiver did not start");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the FTP settings"),
        }
    }
}

/// Record what the receiver reports, in order.
async fn record_arrivals(
    engine: Engine,
    event: Option<EventId>,
    mut rx: mpsc::UnboundedReceiver<ReceiverEvent>,
) {
    while let Some(report) = rx.recv().await {
        if let Err(e) = record_one(&engine, event.as_ref(), report).await {
            tracing::warn!(error = %e, "FTP activity not recorded");
        }
        let _ = engine.inner.notices.send(EngineNotice::CamerasChanged);
    }
}

async fn record_one(
    engine: &Engine,
    event: Option<&EventId>,
    report: ReceiverEvent,
) -> Result<(), EngineError> {
    let catalog = engine.catalog();
    match report {
        ReceiverEvent::LoggedIn { account } => {
            catalog.write(move |w| w.ftp_session(&account, 1)).await?;
        }
        ReceiverEvent::LoggedOut { account } => {
            catalog.write(move |w| w.ftp_session(&account, -1)).await?;
        }
        ReceiverEvent::Failed {
            account,
            file,
            reason,
        } => {
            catalog
                .write(move |w| w.ftp_failed(&account, &file, &reason))
                .await?;
        }
        ReceiverEvent::Received(arrival) => {
            let file = arrival
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // The receiver has hashed and checked the file: record it as is.
            let inspected = Inspected {
                path: arrival.path,
                size: arrival.size,
                mtime_ns: arrival.mtime_ns,
                result: InspectResult::Photo(arrival.inspection),
            };
            let at = arrival.arrived_ms;
            let outcome = engine
                .inner
                .ingestor
                .record_into(
                    inspected,
                    event.map(|e| e.to_string()),
                    Arrival::at(ArrivalSource::Ftp, at),
                )
                .await?;
            let account = arrival.account;
            match outcome {
                FileOutcome::Failed(reason) => {
                    catalog
                        .write(move |w| w.ftp_failed(&account, &file, &reason))
                        .await?
                }
                _ => {
                    catalog
                        .write(move |w| w.ftp_received(&account, &file, at))
                        .await?
                }
            }
            engine.inner.workers.wake();
        }
    }
    Ok(())
}

/// Camera logins checked against the catalog's accounts.
struct CatalogAccounts(Catalog);

impl std::fmt::Debug for CatalogAccounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CatalogAccounts")
    }
}

#[async_trait::async_trait]
impl AccountCheck for CatalogAccounts {
    async fn verify(&self, user: &str, password: &str) -> Result<bool, String> {
        let Ok(name) = CameraAccount::parse(user) else {
            return Ok(false);
        };
        let stored = self
            .0
            .read(move |r| r.ftp_password(name.as_str()))
            .await
            .map_err(|e| e.to_string())?;
        Ok(stored.is_some_and(|s| same_secret(s.as_bytes(), password.as_bytes())))
    }
}

/// Compares in time independent of where the first difference is.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
