//! Roster pull: the event server's participants (registered with a selfie on
//! the server) into the catalog, by delta since the last cursor.
//!
//! Each page is applied in one catalog transaction together with its cursor, so
//! a crash or a dropped connection mid-pull repeats at most one page, and a
//! repeated page changes nothing (upserts; a selfie already held is not
//! downloaded again). The catalog queues the index and removal work itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use findme_catalog::{Catalog, CatalogError, ParticipantRow, Writer};
use findme_protocol::{ClientError, EventClient, Participant};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::PushError;

/// How often the background poller asks for roster changes.
pub const ROSTER_EVERY: Duration = Duration::from_secs(30);

/// What one pull changed in the catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterReport {
    /// Participants new to the catalog (queued for indexing when they consent).
    pub added: u64,
    /// Known participants whose name, selfie or consent changed.
    pub updated: u64,
    /// Participants deleted on the server (their faces and matches go).
    pub removed: u64,
    /// Participants whose selfie could not be used, with the reason.
    pub failed: Vec<(String, String)>,
}

/// A roster entry ready to write: the selfie (if any) is on disk already.
struct Change {
    participant: Participant,
    selfie: Option<(String, PathBuf)>,
}

/// The settings key holding the cursor of `event` on the server at `base`.
fn cursor_key(base: &str, event: &str) -> String {
    format!("roster.cursor.{event}@{base}")
}

/// Pull every roster change after the stored cursor and apply it. Selfies are
/// kept in `selfie_dir` by content hash. A connection failure stops the pull
/// (the pages applied so far stay applied).
pub async fn pull(
    catalog: &Catalog,
    client: &EventClient,
    event: &str,
    selfie_dir: &Path,
) -> Result<RosterReport, PushError> {
    let key = cursor_key(client.base_url(), event);
    let mut cursor = catalog
        .read({
            let key = key.clone();
            move |r| r.setting(&key)
        })
        .await?;
    let mut report = RosterReport::default();
    loop {
        let page = client.participants(event, cursor.as_deref()).await?;
        let mut changes = Vec::with_capacity(page.participants.len());
        // Selfies the catalog holds already (one read per page, not per guest).
        let ev = event.to_string();
        let held: HashMap<String, (String, PathBuf)> = catalog
            .read(move |r| r.participants(&ev))
            .await?
            .into_iter()
            .filter_map(|row| Some((row.id, (row.selfie_sha256?, row.selfie_path?))))
            .collect();
        for participant in page.participants {
            let held = held.get(&participant.id);
            let selfie = match fetch_selfie(client, &participant, held, selfie_dir).await {
                Ok(selfie) => selfie,
                Err(SelfieError::Server(e @ ClientError::Retryable { .. })) => return Err(e.into()),
                Err(SelfieError::Server(e)) => {
                    report.failed.push((participant.id.clone(), e.to_string()));
                    continue;
                }
                Err(SelfieError::Unusable(reason)) => {
                    report.failed.push((participant.id.clone(), reason));
                    continue;
                }
            };
            changes.push(Change {
                participant,
                selfie,
            });
        }
        let (ev, key, next) = (event.to_string(), key.clone(), page.cursor.clone());
        let applied = catalog
            .write(move |w| {
                let mut applied = RosterReport::default();
                let mut known: HashMap<String, ParticipantRow> = w
                    .reader()
                    .participants(&ev)?
                    .into_iter()
                    .filter(|row| !row.removed)
                    .map(|row| (row.id.clone(), row))
                    .collect();
                for change in &changes {
                    let before = known.remove(&change.participant.id);
                    apply(w, &ev, change, before, &mut applied)?;
                }
                w.set_setting(&key, &next)?;
                Ok(applied)
            })
            .await?;
        report.added += applied.added;
        report.updated += applied.updated;
        report.removed += applied.removed;
        cursor = Some(page.cursor);
        if !page.more {
            return Ok(report);
        }
    }
}

/// Write one roster entry; `before` is the catalog's row of that participant.
fn apply(
    w: &Writer<'_>,
    event: &str,
    change: &Change,
    before: Option<ParticipantRow>,
    report: &mut RosterReport,
) -> Result<(), CatalogError> {
    let p = &change.participant;
    if p.deleted {
        if before.is_some() && w.remove_participant(event, &p.id)? {
            report.removed += 1;
        }
        return Ok(());
    }
    let selfie = change
        .selfie
        .as_ref()
        .map(|(sha, path)| (sha.as_str(), path.as_path()));
    let unchanged = before.as_ref().is_some_and(|row| {
        row.display_name == p.display_name
            && row.consent == p.consent
            && (selfie.is_none() || row.selfie_sha256.as_deref() == selfie.map(|s| s.0))
    });
    if unchanged {
        return Ok(());
    }
    w.upsert_participant(event, &p.id, &p.display_name, selfie, p.consent)?;
    if before.is_some() {
        report.updated += 1;
    } else {
        report.added += 1;
    }
    Ok(())
}

enum SelfieError {
    Server(ClientError),
    Unusable(String),
}

/// The participant's selfie on disk (downloaded unless the catalog or the
/// folder has it already). None when the server sends no selfie (withdrawn
/// consent, deleted) — the catalog keeps whatever it had and consent decides.
async fn fetch_selfie(
    client: &EventClient,
    participant: &Participant,
    held: Option<&(String, PathBuf)>,
    dir: &Path,
) -> Result<Option<(String, PathBuf)>, SelfieError> {
    let (Some(url), false) = (&participant.selfie_url, participant.deleted) else {
        return Ok(None);
    };
    if let (Some(sha), Some((held_sha, path))) = (participant.selfie_sha256.as_deref(), held) {
        if held_sha == sha && path.is_file() {
            return Ok(Some((sha.to_string(), path.clone())));
        }
    }
    let bytes = client.selfie(url).await.map_err(SelfieError::Server)?;
    let sha = hex(&Sha256::digest(&bytes));
    if let Some(expected) = participant.selfie_sha256.as_deref() {
        if !expected.eq_ignore_ascii_case(&sha) {
            return Err(SelfieError::Unusable(format!(
                "the selfie the server sent does not match its SHA-256 ({expected})"
            )));
        }
    }
    let ext = match bytes.get(..4) {
        Some([0xFF, 0xD8, 0xFF, _]) => "jpg",
        Some([0x89, b'P', b'N', b'G']) => "png",
        _ => {
            return Err(SelfieError::Unusable(
                "the selfie the server sent is not a JPEG or PNG".into(),
            ))
        }
    };
    let path = dir.join(format!("{sha}.{ext}"));
    let target = path.clone();
    tokio::task::spawn_blocking(move || store(&target, &bytes))
        .await
        .map_err(|e| SelfieError::Unusable(format!("selfie task failed: {e}")))?
        .map_err(|e| SelfieError::Unusable(format!("cannot store the selfie: {e}")))?;
    Ok(Some((sha, path)))
}

/// Write through a temporary file so a crash never leaves half a selfie under
/// its hash.
fn store(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.is_file() {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Pulls the roster now and then every [`ROSTER_EVERY`] (or when asked) until
/// shut down, and reconciles the event with the server (`reconcile`) at the
/// first round that reaches it and again after it was unreachable. Failures are
/// logged and retried on the next round; `on_change` runs after a round that
/// changed the catalog (new index or push work to wake).
pub struct RosterPoller {
    wake: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl RosterPoller {
    pub fn start(
        catalog: Catalog,
        client: EventClient,
        event: String,
        selfie_dir: PathBuf,
        every: Duration,
        on_change: Arc<dyn Fn() + Send + Sync>,
    ) -> RosterPoller {
        let wake = Arc::new(Notify::new());
        let woken = wake.clone();
        let task = tokio::spawn(async move {
            // Reconciled with the server since the connection was (re)made.
            let mut reconciled = false;
            loop {
                if !reconciled {
                    match crate::reconcile(&catalog, &client, &event).await {
                        Ok(report) => {
                            reconciled = true;
                            if report.resent > 0 {
                                on_change();
                            }
                        }
                        Err(e) => tracing::info!(error = %e, "not reconciled; retrying later"),
                    }
                }
                match pull(&catalog, &client, &event, &selfie_dir).await {
                    Ok(report) => {
                        if report.added + report.updated + report.removed > 0 {
                            tracing::info!(?report, "roster pulled");
                            on_change();
                        }
                        for (id, reason) in &report.failed {
                            tracing::warn!(participant = %id, %reason, "selfie not usable");
                        }
                    }
                    Err(e) => {
                        // Unreachable: whatever the server lost meanwhile is
                        // checked when it answers again.
                        if matches!(e, PushError::Server(ClientError::Retryable { .. })) {
                            reconciled = false;
                        }
                        tracing::info!(error = %e, "roster pull failed; retrying later");
                    }
                }
                tokio::select! {
                    _ = woken.notified() => {}
                    _ = tokio::time::sleep(every) => {}
                }
            }
        });
        RosterPoller { wake, task }
    }

    /// Pull again now (the photographer asked).
    pub fn pull_now(&self) {
        self.wake.notify_one();
    }

    pub fn shutdown(&self) {
        self.task.abort();
    }
}

impl Drop for RosterPoller {
    fn drop(&mut self) {
        self.task.abort();
    }
}
