//! Watched folders. Three layers, each catching what the one before misses:
//! 1. OS notifications (inotify via `notify`, or polling for network and
//!    removable volumes) name the paths that changed;
//! 2. a settle loop admits a file only once its size and mtime have held still
//!    for `stable_for`, and holds back a file whose container is incomplete (a
//!    JPEG without its end marker) until it completes or `truncated_grace` passes;
//! 3. a reconciliation scan every `reconcile_every` compares each folder with the
//!    catalog (nested folders created at once, events dropped under load, changes
//!    made while the app was closed).
//!
//! A folder that disappears (card pulled, share unmounted) goes offline: nothing
//! under it is forgotten, and it is rescanned when it comes back.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use findme_catalog::{Arrival, ArrivalSource};
use findme_media::{Classification, Format};
use notify::{Event, EventKind, Watcher};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::ingestor::{FileOutcome, Ingestor};
use crate::scan::{classify_name, mtime_ns, walk, ScanEntry};
use crate::IngestEvent;

mod reconcile;

/// Watcher timing. Defaults suit a camera tethered over USB or a card reader.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// Size and mtime must hold still this long before a file is read.
    pub stable_for: Duration,
    /// How often pending files are re-checked.
    pub tick: Duration,
    /// How long an incomplete file (no end marker) may sit unchanged before it is
    /// catalogued as failed ("truncated").
    pub truncated_grace: Duration,
    /// Full comparison of every folder with the catalog.
    pub reconcile_every: Duration,
    /// Scan interval for folders watched by polling.
    pub poll_every: Duration,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            stable_for: Duration::from_secs(2),
            tick: Duration::from_millis(200),
            truncated_grace: Duration::from_secs(60),
            reconcile_every: Duration::from_secs(60),
            poll_every: Duration::from_secs(2),
        }
    }
}

/// A watched folder as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderStatus {
    pub path: PathBuf,
    pub poll: bool,
    pub online: bool,
}

pub(crate) enum Msg {
    /// Something at this path was created or changed (file or folder).
    Touched(PathBuf),
    /// This path was deleted or moved away.
    Removed(PathBuf),
    /// Compare this watched folder with the catalog.
    Reconcile(PathBuf),
    /// Walk a folder that appeared a moment ago once more.
    RescanFolder(PathBuf),
    AddRoot(PathBuf, bool, oneshot::Sender<()>),
    RemoveRoot(PathBuf, oneshot::Sender<()>),
    /// An inspection task finished with this path.
    Settled(PathBuf, Settled),
    Shutdown(oneshot::Sender<()>),
}

pub(crate) enum Settled {
    /// Recorded, or found unchanged: forget it.
    Done,
    /// Incomplete at this (size, mtime): wait for it to change.
    Held(u64, i64),
    /// It changed while being read: start its stability window again.
    Again,
}

/// Handle to the running watcher task. Cheap to clone.
#[derive(Clone)]
pub struct FolderWatcher {
    tx: mpsc::UnboundedSender<Msg>,
    status: Arc<Mutex<Vec<FolderStatus>>>,
    task: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl FolderWatcher {
    /// Start the watcher task (with no folders yet). Must run inside Tokio.
    pub fn start(ingestor: Ingestor, config: WatchConfig) -> FolderWatcher {
        let (tx, rx) = mpsc::unbounded_channel();
        let status = Arc::new(Mutex::new(Vec::new()));
        let state = Loop {
            ingestor,
            config,
            tx: tx.clone(),
            roots: HashMap::new(),
            pending: HashMap::new(),
            work: JoinSet::new(),
            scans: JoinSet::new(),
            status: status.clone(),
        };
        let task = tokio::spawn(state.run(rx));
        FolderWatcher {
            tx,
            status,
            task: Arc::new(Mutex::new(Some(task))),
        }
    }

    /// Watch `path` (recursively). Resolves once its watch is in place; the first
    /// scan of its contents runs in the background.
    pub async fn add(&self, path: PathBuf, poll: bool) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Msg::AddRoot(path, poll, ack)).is_ok() {
            let _ = done.await;
        }
    }

    pub async fn remove(&self, path: PathBuf) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Msg::RemoveRoot(path, ack)).is_ok() {
            let _ = done.await;
        }
    }

    /// Ask for a reconciliation scan of every folder now (e.g. after resume).
    pub fn rescan_all(&self) {
        for folder in self.folders() {
            let _ = self.tx.send(Msg::Reconcile(folder.path));
        }
    }

    pub fn folders(&self) -> Vec<FolderStatus> {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Stop watching; files being read are finished and recorded first.
    pub async fn shutdown(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Msg::Shutdown(ack)).is_ok() {
            let _ = done.await;
        }
        let task = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

struct Root {
    poll: bool,
    online: bool,
    /// Dropping the watcher stops its notifications.
    watcher: Option<Box<dyn Watcher + Send>>,
}

/// A file seen changing, waiting for its stability window.
struct Pending {
    format: Format,
    size: u64,
    mtime_ns: i64,
    changed_at: Instant,
    /// Set while an inspection task works on it.
    in_flight: bool,
    /// Touched again while in flight: don't forget it when the task ends.
    dirty: bool,
    /// Incomplete at this (size, mtime) last time it was read.
    held: Option<(u64, i64)>,
}

struct Loop {
    ingestor: Ingestor,
    config: WatchConfig,
    tx: mpsc::UnboundedSender<Msg>,
    roots: HashMap<PathBuf, Root>,
    pending: HashMap<PathBuf, Pending>,
    /// Inspections and catalog writes: awaited at shutdown.
    work: JoinSet<()>,
    /// Folder walks: aborted at shutdown (they only produce more messages).
    scans: JoinSet<()>,
    status: Arc<Mutex<Vec<FolderStatus>>>,
}

impl Loop {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Msg>) {
        let mut tick = tokio::time::interval(self.config.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut reconcile = tokio::time::interval(self.config.reconcile_every);
        reconcile.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        reconcile.tick().await; // the first tick is immediate; roots scan on add
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(Msg::Shutdown(ack)) => {
                        self.stop().await;
                        let _ = ack.send(());
                        return;
                    }
                    Some(msg) => self.handle(msg),
                    None => {
                        self.stop().await;
                        return;
                    }
                },
                _ = tick.tick() => self.settle(),
                _ = reconcile.tick() => {
                    let roots: Vec<PathBuf> = self.roots.keys().cloned().collect();
                    roots.into_iter().for_each(|r| self.reconcile(r));
                }
                Some(_) = self.work.join_next(), if !self.work.is_empty() => {}
                Some(_) = self.scans.join_next(), if !self.scans.is_empty() => {}
            }
        }
    }

    async fn stop(&mut self) {
        self.roots.clear(); // drops the OS watchers
        self.scans.abort_all();
        while self.work.join_next().await.is_some() {}
        while self.scans.join_next().await.is_some() {}
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Touched(path) => self.touched(path),
            Msg::Removed(path) => self.removed(path),
            Msg::Reconcile(root) => self.reconcile(root),
            Msg::RescanFolder(dir) => self.rescan_folder(dir),
            Msg::AddRoot(path, poll, ack) => {
                self.roots.insert(
                    path.clone(),
                    Root {
                        poll,
                        online: false,
                        watcher: None,
                    },
                );
                self.reconcile(path);
                let _ = ack.send(());
            }
            Msg::RemoveRoot(path, ack) => {
                self.roots.remove(&path);
                self.pending.retain(|p, _| !p.starts_with(&path));
                self.publish_status();
                let _ = ack.send(());
            }
            Msg::Settled(path, settled) => self.settled(path, settled),
            Msg::Shutdown(_) => {}
        }
    }

    fn root_of(&self, path: &Path) -> Option<&Path> {
        self.roots
            .keys()
            .filter(|root| path.starts_with(root))
            .max_by_key(|root| root.as_os_str().len())
            .map(PathBuf::as_path)
    }

    /// True if any component below the watched root is hidden (".Trashes", temp
    /// files of copy tools and of our own card import).
    fn is_hidden_below_root(&self, path: &Path) -> bool {
        let Some(root) = self.root_of(path) else {
            return true;
        };
        let Ok(rel) = path.strip_prefix(root) else {
            return true;
        };
        rel.components()
            .any(|c| c.as_os_str().as_encoded_bytes().first() == Some(&b'.'))
    }

    fn touched(&mut self, path: PathBuf) {
        if self.is_hidden_below_root(&path) {
            return;
        }
        let meta = match std::fs::metadata(&path) {
            Ok(meta) => meta,
            Err(_) => return self.removed(path),
        };
        if meta.is_dir() {
            // Files can land in a new folder before the OS watch on it exists:
            // walk it now, and once more after the watch is surely in place.
            self.rescan_folder(path.clone());
            let (tx, delay) = (
                self.tx.clone(),
                self.config.stable_for.max(Duration::from_millis(500)),
            );
            self.scans.spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = tx.send(Msg::RescanFolder(path));
            });
            return;
        }
        let Classification::Photo(format) = classify_name(&path) else {
            return;
        };
        if !meta.is_file() {
            return;
        }
        let (size, mtime) = (meta.len(), mtime_ns(&meta));
        let now = Instant::now();
        match self.pending.get_mut(&path) {
            Some(p) if p.in_flight => p.dirty = true,
            Some(p) => {
                if (p.size, p.mtime_ns) != (size, mtime) {
                    (p.size, p.mtime_ns, p.changed_at) = (size, mtime, now);
                }
            }
            None => {
                self.pending.insert(
                    path,
                    Pending {
                        format,
                        size,
                        mtime_ns: mtime,
                        changed_at: now,
                        in_flight: false,
                        dirty: false,
                        held: None,
                    },
                );
            }
        }
    }

    /// Walk a folder that appeared (its files may predate our watch on it).
    fn rescan_folder(&mut self, dir: PathBuf) {
        let tx = self.tx.clone();
        self.scans.spawn_blocking(move || {
            walk(&dir, |entry| match entry {
                ScanEntry::File { path, .. } => tx.send(Msg::Touched(path)).is_ok(),
                _ => true,
            });
        });
    }

    fn removed(&mut self, path: PathBuf) {
        if self.is_root(&path) {
            return self.reconcile(path);
        }
        if self.pending.get(&path).is_some_and(|p| !p.in_flight) {
            self.pending.remove(&path);
        }
        let Some(root) = self.root_of(&path).map(Path::to_path_buf) else {
            return;
        };
        let catalog = self.ingestor.catalog().clone();
        let ingestor = self.ingestor.clone();
        self.work.spawn(async move {
            // An unmounted card looks like every file was deleted: only forget
            // files whose folder is still there.
            if !root.exists() || path.exists() {
                return;
            }
            let target = path.clone();
            let removed = catalog
                .write(move |w| Ok(w.remove_location(&target)? as u64 + w.remove_subtree(&target)?))
                .await;
            match removed {
                Ok(n) if n > 0 => ingestor.emit(IngestEvent::CatalogChanged),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot forget removed file")
                }
            }
        });
    }

    /// Admit files whose size and mtime have held still long enough.
    fn settle(&mut self) {
        self.check_offline_roots();
        let now = Instant::now();
        let mut gone = Vec::new();
        let mut ready = Vec::new();
        for (path, p) in self.pending.iter_mut().filter(|(_, p)| !p.in_flight) {
            let Ok(meta) = std::fs::metadata(path) else {
                gone.push(path.clone());
                continue;
            };
            let (size, mtime) = (meta.len(), mtime_ns(&meta));
            if (size, mtime) != (p.size, p.mtime_ns) {
                (p.size, p.mtime_ns, p.changed_at) = (size, mtime, now);
                continue;
            }
            let quiet = now.duration_since(p.changed_at);
            let waiting_for_rest = p.held == Some((size, mtime));
            if waiting_for_rest && quiet < self.config.truncated_grace {
                continue;
            }
            if quiet >= self.config.stable_for {
                p.in_flight = true;
                p.dirty = false;
                let give_up = waiting_for_rest;
                ready.push((path.clone(), p.format, give_up));
            }
        }
        for path in gone {
            self.removed(path);
        }
        for (path, format, give_up) in ready {
            self.spawn_ingest(path, format, give_up);
        }
    }

    /// Read and record one stable file. A truncated file is held back unless its
    /// grace period is over (`give_up`), in which case it is recorded as failed.
    fn spawn_ingest(&mut self, path: PathBuf, format: Format, give_up: bool) {
        let ingestor = self.ingestor.clone();
        let tx = self.tx.clone();
        self.work.spawn(async move {
            let settled = match ingest_stable(&ingestor, path.clone(), format, give_up).await {
                Ok(settled) => settled,
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "watched file not recorded");
                    Settled::Again
                }
            };
            let _ = tx.send(Msg::Settled(path, settled));
        });
    }

    fn settled(&mut self, path: PathBuf, settled: Settled) {
        let Some(p) = self.pending.get_mut(&path) else {
            return;
        };
        p.in_flight = false;
        match settled {
            Settled::Done if !p.dirty => {
                self.pending.remove(&path);
            }
            Settled::Done | Settled::Again => p.changed_at = Instant::now(),
            Settled::Held(size, mtime) => p.held = Some((size, mtime)),
        }
    }

    fn publish_status(&self) {
        let mut list: Vec<FolderStatus> = self
            .roots
            .iter()
            .map(|(path, r)| FolderStatus {
                path: path.clone(),
                poll: r.poll,
                online: r.online,
            })
            .collect();
        list.sort_by(|a, b| a.path.cmp(&b.path));
        if let Ok(mut status) = self.status.lock() {
            *status = list;
        }
        self.ingestor.emit(IngestEvent::FolderStatusChanged);
    }
}

async fn ingest_stable(
    ingestor: &Ingestor,
    path: PathBuf,
    format: Format,
    give_up: bool,
) -> Result<Settled, findme_catalog::CatalogError> {
    // The file held still: it has arrived (the shutter-to-guest clock starts).
    let arrival = Arrival::at(ArrivalSource::Watch, findme_catalog::now_ms());
    let probe = path.clone();
    let known = ingestor.catalog().read(move |r| r.location(&probe)).await?;
    let inspected = ingestor.inspect(path, format).await;
    if crate::import::is_unchanged(known.as_ref(), inspected.size, inspected.mtime_ns)
        && !matches!(inspected.result, crate::ingestor::InspectResult::Changing)
    {
        return Ok(Settled::Done);
    }
    if inspected.is_truncated() && !give_up {
        tracing::info!(path = %inspected.path.display(), "incomplete file held back until it completes");
        return Ok(Settled::Held(inspected.size, inspected.mtime_ns));
    }
    Ok(match ingestor.record(inspected, arrival).await? {
        FileOutcome::Changing => Settled::Again,
        _ => Settled::Done,
    })
}

/// Translate one OS notification into loop messages.
fn forward(tx: &mpsc::UnboundedSender<Msg>, root: &Path, event: notify::Result<Event>) {
    use notify::event::{ModifyKind, RenameMode};
    let event = match event {
        Ok(event) => event,
        Err(e) => {
            tracing::warn!(error = %e, "watch error; rescanning");
            let _ = tx.send(Msg::Reconcile(root.to_path_buf()));
            return;
        }
    };
    if event.need_rescan() {
        let _ = tx.send(Msg::Reconcile(root.to_path_buf()));
        return;
    }
    let send = |m: Msg| {
        let _ = tx.send(m);
    };
    match event.kind {
        EventKind::Access(notify::event::AccessKind::Close(notify::event::AccessMode::Write)) => {
            event.paths.into_iter().for_each(|p| send(Msg::Touched(p)))
        }
        EventKind::Access(_) => {}
        EventKind::Remove(_) => event.paths.into_iter().for_each(|p| send(Msg::Removed(p))),
        EventKind::Modify(ModifyKind::Name(RenameMode::From)) => {
            event.paths.into_iter().for_each(|p| send(Msg::Removed(p)))
        }
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
            let mut paths = event.paths.into_iter();
            if let Some(from) = paths.next() {
                send(Msg::Removed(from));
            }
            paths.for_each(|p| send(Msg::Touched(p)));
        }
        _ => event.paths.into_iter().for_each(|p| send(Msg::Touched(p))),
    }
}
