//! Reconciliation: (re)attach the OS watch of a folder and compare its contents
//! with the catalog. Runs when a folder is added, every `reconcile_every`, when a
//! folder comes back online, and when the OS says events were dropped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::{forward, Loop, Msg};
use crate::import::is_unchanged;
use crate::scan::{walk, ScanEntry};

impl Loop {
    pub(super) fn reconcile(&mut self, root: PathBuf) {
        let poll_every = self.config.poll_every;
        let tx = self.tx.clone();
        let Some(state) = self.roots.get_mut(&root) else {
            return;
        };
        if !root.is_dir() {
            if state.online || state.watcher.is_some() {
                tracing::info!(folder = %root.display(), "watched folder is offline");
            }
            state.online = false;
            state.watcher = None;
            self.publish_status();
            return;
        }
        if state.watcher.is_none() {
            match attach(&root, state.poll, poll_every, tx.clone()) {
                Ok(watcher) => state.watcher = Some(watcher),
                // The periodic scan still finds new files, just later.
                Err(e) => {
                    tracing::warn!(folder = %root.display(), error = %e, "cannot watch folder; relying on periodic scans")
                }
            }
        }
        if !state.online {
            state.online = true;
            self.publish_status();
        }
        let catalog = self.ingestor.catalog().clone();
        self.scans.spawn(async move {
            let walk_root = root.clone();
            let found = tokio::task::spawn_blocking(move || {
                let mut files = HashMap::new();
                walk(&walk_root, |entry| {
                    if let ScanEntry::File {
                        path,
                        size,
                        mtime_ns,
                        ..
                    } = entry
                    {
                        files.insert(path, (size, mtime_ns));
                    }
                    true
                });
                files
            })
            .await;
            let Ok(found) = found else { return };
            let known_root = root.clone();
            let known = match catalog.read(move |r| r.locations_under(&known_root)).await {
                Ok(known) => known,
                Err(e) => {
                    tracing::warn!(error = %e, "reconcile: cannot read catalog");
                    return;
                }
            };
            for (path, (size, mtime)) in &found {
                if !is_unchanged(known.get(path), *size, *mtime) {
                    let _ = tx.send(Msg::Touched(path.clone()));
                }
            }
            if root.is_dir() {
                for path in known.keys().filter(|p| !found.contains_key(*p)) {
                    let _ = tx.send(Msg::Removed(path.clone()));
                }
            }
        });
    }

    /// Folders that went offline are checked on every tick: a card put back in
    /// should be picked up at once, not at the next reconciliation.
    pub(super) fn check_offline_roots(&mut self) {
        let back: Vec<PathBuf> = self
            .roots
            .iter()
            .filter(|(path, r)| !r.online && path.is_dir())
            .map(|(path, _)| path.clone())
            .collect();
        back.into_iter().for_each(|root| self.reconcile(root));
    }

    pub(super) fn is_root(&self, path: &Path) -> bool {
        self.roots.contains_key(path)
    }
}

fn attach(
    root: &Path,
    poll: bool,
    poll_every: Duration,
    tx: mpsc::UnboundedSender<Msg>,
) -> notify::Result<Box<dyn Watcher + Send>> {
    let owner = root.to_path_buf();
    let handler = move |event| forward(&tx, &owner, event);
    let mut watcher: Box<dyn Watcher + Send> = if poll {
        let config = notify::Config::default().with_poll_interval(poll_every);
        Box::new(notify::PollWatcher::new(handler, config)?)
    } else {
        Box::new(notify::recommended_watcher(handler)?)
    };
    watcher.watch(root, RecursiveMode::Recursive)?;
    Ok(watcher)
}
