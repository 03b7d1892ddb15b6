//! Cameras sending over FTP, the photographer's side: camera accounts (one per
//! body, generated here), the receiver's saved settings, its status for the
//! setup sheet and the activity panel, and the figures `findme stats` shows.
//! Running the receiver is ftp_receiver.rs.

use std::path::PathBuf;

use findme_catalog::{ArrivalLatency, ArrivalSource, FtpAccountRow, Reader};
use findme_keys::{CameraAccount, EventId};
use rand::Rng;

use crate::api::{
    CameraAccountDto, FtpSettingsDto, FtpStats, FtpStatusDto, LastLive, LiveStats,
    NewCameraAccount, SourceLatency,
};
use crate::{Engine, EngineError, EngineNotice};

const ENABLED_KEY: &str = "ftp.enabled";
const PORT_KEY: &str = "ftp.port";
const PASSIVE_KEY: &str = "ftp.passive";
const FTPS_KEY: &str = "ftp.ftps";
const DIR_KEY: &str = "ftp.dir";
const EVENT_KEY: &str = "ftp.event";
/// The library folder the photographer last copied a card into.
pub(crate) const LIBRARY_KEY: &str = "library";

/// Cameras let you set any port; 2121 needs no administrator rights.
pub const DEFAULT_FTP_PORT: u16 = 2121;
const DEFAULT_PASSIVE: (u16, u16) = (50000, 50100);

/// Letters and digits a photographer can read off a screen and type with a
/// camera's dial without confusing them (no 0/O, 1/l/I).
const PASSWORD_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// 12 of 31 symbols: ~59 bits, on a receiver that only accepts photos.
const PASSWORD_LEN: usize = 12;

impl Engine {
    /// Make an account for one camera body: its user name is `name`, its
    /// password is generated.
    pub async fn add_camera_account(
        &self,
        name: CameraAccount,
    ) -> Result<NewCameraAccount, EngineError> {
        // The thread's RNG is not Send: it must be gone before the first await,
        // or the shell (whose commands run on any thread) cannot call this.
        let password: String = {
            let mut rng = rand::rng();
            (0..PASSWORD_LEN)
                .map(|_| PASSWORD_ALPHABET[rng.random_range(0..PASSWORD_ALPHABET.len())] as char)
                .collect()
        };
        let (user, pw) = (name.to_string(), password.clone());
        let added = self
            .catalog()
            .write(move |w| w.add_ftp_account(&user, &pw))
            .await?;
        if !added {
            return Err(EngineError::Conflict(format!(
                "a camera account named {name} exists already"
            )));
        }
        let _ = self.inner.notices.send(EngineNotice::CamerasChanged);
        Ok(NewCameraAccount {
            user: name.to_string(),
            password,
        })
    }

    /// Revoke a camera account: the camera can no longer log in (its photos stay).
    pub async fn remove_camera_account(&self, name: CameraAccount) -> Result<(), EngineError> {
        let user = name.to_string();
        let removed = self
            .catalog()
            .write(move |w| w.remove_ftp_account(&user))
            .await?;
        if !removed {
            return Err(EngineError::NotFound(format!(
                "no camera account named {name}"
            )));
        }
        let _ = self.inner.notices.send(EngineNotice::CamerasChanged);
        Ok(())
    }

    /// Every camera account with what it did.
    pub async fn camera_accounts(&self) -> Result<Vec<CameraAccountDto>, EngineError> {
        let rows = self.catalog().read(|r| r.ftp_accounts()).await?;
        Ok(rows.into_iter().map(account_dto).collect())
    }

    /// The receiver's saved settings.
    pub async fn ftp_settings(&self) -> Result<FtpSettingsDto, EngineError> {
        Ok(self.catalog().read(read_settings).await?)
    }

    /// Save the receiver's settings; a running receiver restarts with them (or
    /// stops, when switched off).
    pub async fn set_ftp_settings(
        &self,
        settings: FtpSettingsDto,
    ) -> Result<FtpStatusDto, EngineError> {
        if settings.port == 0 || settings.passive_first == 0 {
            return Err(EngineError::Invalid("ports start at 1".into()));
        }
        if settings.passive_first > settings.passive_last {
            return Err(EngineError::Invalid(
                "the passive port range ends before it starts".into(),
            ));
        }
        let event = settings.event.as_deref().map(EventId::parse).transpose()?;
        if let Some(event) = &event {
            self.event(event).await?;
        }
        let s = settings.clone();
        self.catalog()
            .write(move |w| {
                let flag = |b: bool| if b { "1" } else { "0" };
                w.set_setting(ENABLED_KEY, flag(s.enabled))?;
                w.set_setting(PORT_KEY, &s.port.to_string())?;
                w.set_setting(
                    PASSIVE_KEY,
                    &format!("{}-{}", s.passive_first, s.passive_last),
                )?;
                w.set_setting(FTPS_KEY, flag(s.ftps))?;
                match &s.dir {
                    Some(dir) => w.set_setting(DIR_KEY, dir)?,
                    None => w.delete_setting(DIR_KEY)?,
                }
                match &s.event {
                    Some(event) => w.set_setting(EVENT_KEY, event),
                    None => w.delete_setting(EVENT_KEY),
                }
            })
            .await?;
        self.stop_ftp().await;
        if settings.enabled {
            // A failure to start (port in use) is shown in the status, not an
            // error of saving.
            let _ = self.start_ftp(crate::FtpOptions::default()).await;
        }
        self.ftp_status().await
    }

    /// The receiver now, with the setup sheet's addresses and the accounts.
    pub async fn ftp_status(&self) -> Result<FtpStatusDto, EngineError> {
        let (settings, accounts, library) = self
            .catalog()
            .read(|r| {
                Ok((
                    read_settings(r)?,
                    r.ftp_accounts()?,
                    r.setting(LIBRARY_KEY)?,
                ))
            })
            .await?;
        let running = self.inner.ftp.lock().await;
        let default_dir = self.default_ftp_dir(settings.dir.as_deref(), library);
        let (port, dir, event) = match running.as_ref() {
            Some(r) => (
                Some(r.port),
                r.dir.clone(),
                r.event.as_ref().map(|e| e.to_string()),
            ),
            None => (None, default_dir, settings.event.clone()),
        };
        let error = if running.is_none() {
            self.inner.ftp_error.lock().await.clone()
        } else {
            None
        };
        Ok(FtpStatusDto {
            running: running.is_some(),
            error,
            port,
            addresses: findme_ftp::lan_addresses()
                .into_iter()
                .map(|a| a.to_string())
                .collect(),
            dir: dir.to_string_lossy().into_owned(),
            event,
            accounts: accounts.into_iter().map(account_dto).collect(),
            settings,
        })
    }

    /// Where received photos land: the saved folder, else the library the
    /// photographer copies cards into, else `<data dir>/live`.
    pub(crate) fn default_ftp_dir(&self, saved: Option<&str>, library: Option<String>) -> PathBuf {
        saved
            .map(PathBuf::from)
            .or(library.map(PathBuf::from))
            .unwrap_or_else(|| self.inner.data.live())
    }
}

fn account_dto(row: FtpAccountRow) -> CameraAccountDto {
    CameraAccountDto {
        user: row.name,
        password: row.password,
        connected: row.connections > 0,
        received: row.received,
        failed: row.failed,
        last_file: row.last_file,
        last_ms: row.last_ms,
        last_error: row.last_error,
        last_error_ms: row.last_error_ms,
    }
}

pub(crate) fn read_settings(
    r: &Reader<'_>,
) -> Result<FtpSettingsDto, findme_catalog::CatalogError> {
    let on = |v: Option<String>| v.as_deref() == Some("1");
    let port = r
        .setting(PORT_KEY)?
        .and_then(|p| p.parse().ok())
        .unwrap_or(DEFAULT_FTP_PORT);
    let (passive_first, passive_last) = r
        .setting(PASSIVE_KEY)?
        .and_then(|p| {
            let (a, b) = p.split_once('-')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .unwrap_or(DEFAULT_PASSIVE);
    Ok(FtpSettingsDto {
        enabled: on(r.setting(ENABLED_KEY)?),
        port,
        passive_first,
        passive_last,
        ftps: on(r.setting(FTPS_KEY)?),
        dir: r.setting(DIR_KEY)?,
        event: r.setting(EVENT_KEY)?,
    })
}

/// Cameras' totals for `findme stats`.
pub(crate) fn ftp_stats(r: &Reader<'_>) -> Result<FtpStats, findme_catalog::CatalogError> {
    let accounts = r.ftp_accounts()?;
    Ok(FtpStats {
        received: accounts.iter().map(|a| a.received).sum(),
        failed: accounts.iter().map(|a| a.failed).sum(),
        connected: accounts.iter().filter(|a| a.connections > 0).count() as u64,
    })
}

/// Shutter to guest per source, over the recent first pushes.
pub(crate) fn live_stats(latencies: &[ArrivalLatency]) -> LiveStats {
    let of = |source: ArrivalSource| source_latency(latencies, source);
    LiveStats {
        ftp: of(ArrivalSource::Ftp),
        watch: of(ArrivalSource::Watch),
        card: of(ArrivalSource::Card),
        import: of(ArrivalSource::Import),
        // Newest first.
        last: latencies.first().map(|l| LastLive {
            source: l.source.as_str().to_string(),
            latency_ms: l.latency_ms.max(0) as u64,
            acknowledged_ms: l.acknowledged_ms,
        }),
    }
}

fn source_latency(all: &[ArrivalLatency], source: ArrivalSource) -> SourceLatency {
    let mut ms: Vec<i64> = all
        .iter()
        .filter(|l| l.source == source)
        .map(|l| l.latency_ms)
        .collect();
    ms.sort_unstable();
    SourceLatency {
        photos: ms.len() as u64,
        latency_p50_ms: crate::sync::percentile(&ms, 50),
        latency_p95_ms: crate::sync::percentile(&ms, 95),
    }
}
