//! Watched folders: the camera-card and tethering folders the app keeps
//! importing from, persisted in the catalog and watched while the app runs.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use crate::{absolute, Engine, EngineError, EngineNotice, EventChoice, WatchedFolderDto};

impl Engine {
    /// Start the app's background work (idempotent): watch every persisted
    /// watched folder (folders added later are watched at once) and run the job
    /// workers (thumbnails).
    pub async fn start_watching(&self) -> Result<(), EngineError> {
        self.start_workers();
        if self.inner.watching.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let folders = self.inner.catalog.read(|r| r.watched_folders()).await?;
        for folder in folders {
            self.inner.watcher.add(folder.path, folder.poll).await;
        }
        Ok(())
    }

    /// Persist a watched folder (it must exist now) and watch it if watching.
    /// Its photos, those there now and those that arrive, join the event `choice`
    /// names (resolved now: a folder follows its event, not the active one).
    pub async fn add_watched_folder(
        &self,
        path: PathBuf,
        poll: bool,
        choice: EventChoice,
    ) -> Result<WatchedFolderDto, EngineError> {
        let event = self.resolve(&choice).await?;
        let path = absolute(&path)?;
        if !path.is_dir() {
            return Err(EngineError::Invalid(format!(
                "{} is not a folder (or is not connected)",
                path.display()
            )));
        }
        let (stored, ev) = (path.clone(), event.as_ref().map(|e| e.to_string()));
        self.inner
            .catalog
            .write(move |w| w.add_watched_folder(&stored, poll, ev.as_deref()))
            .await?;
        if let Some(event) = &event {
            self.join_under(event, std::slice::from_ref(&path)).await?;
        }
        if self.inner.watching.load(Ordering::Acquire) {
            self.inner.watcher.add(path.clone(), poll).await;
        }
        let _ = self.inner.notices.send(EngineNotice::FoldersChanged);
        Ok(WatchedFolderDto {
            path: path.to_string_lossy().into_owned(),
            poll,
            online: true,
            event: event.map(|e| e.to_string()),
        })
    }

    /// Stop watching a folder. Its photos stay in the catalog.
    pub async fn remove_watched_folder(&self, path: PathBuf) -> Result<(), EngineError> {
        let path = absolute(&path)?;
        let stored = path.clone();
        let removed = self
            .inner
            .catalog
            .write(move |w| w.remove_watched_folder(&stored))
            .await?;
        if !removed {
            return Err(EngineError::NotFound(format!(
                "{} is not a watched folder",
                path.display()
            )));
        }
        self.inner.watcher.remove(path).await;
        let _ = self.inner.notices.send(EngineNotice::FoldersChanged);
        Ok(())
    }

    pub async fn watched_folders(&self) -> Result<Vec<WatchedFolderDto>, EngineError> {
        let stored = self.inner.catalog.read(|r| r.watched_folders()).await?;
        let live = self.inner.watcher.folders();
        Ok(stored
            .into_iter()
            .map(|f| {
                let online = match live.iter().find(|l| l.path == f.path) {
                    Some(l) => l.online,
                    None => f.path.is_dir(),
                };
                WatchedFolderDto {
                    path: f.path.to_string_lossy().into_owned(),
                    poll: f.poll,
                    online,
                    event: f.event,
                }
            })
            .collect())
    }
}
