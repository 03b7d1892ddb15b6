//! libunftp's storage seam filled in for cameras: write-only, folders virtual.
//!
//! libunftp answers STOR with "150" before the back end sees the path, so a
//! refused name is answered right after, with a 5xx, before any byte is stored.
//! Every refusal and failure is logged and sent as [`ReceiverEvent::Failed`].

use std::collections::HashSet;
use std::fmt;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use findme_media::Classification;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio::sync::mpsc::UnboundedSender;
use unftp_core::storage::{self, ErrorKind, Fileinfo, StorageBackend, FEATURE_RESTART};

use crate::login::Camera;
use crate::place::{self, Outcome};
use crate::{names, ReceiverEvent};

/// What every session of one receiver shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub root: PathBuf,
    pub staging: PathBuf,
    pub partial_ttl: Duration,
    pub events: UnboundedSender<ReceiverEvent>,
    /// Staged files an upload is writing right now (not to be swept or written twice).
    pub busy: Mutex<HashSet<PathBuf>>,
}

impl Shared {
    pub(crate) fn emit(&self, event: ReceiverEvent) {
        // Nobody listening (the engine is shutting down) is not the camera's problem.
        let _ = self.events.send(event);
    }

    fn fail(&self, account: &str, file: &str, reason: String) {
        tracing::warn!(account, file, %reason, "FTP upload failed");
        self.emit(ReceiverEvent::Failed {
            account: account.to_string(),
            file: file.to_string(),
            reason,
        });
    }

    pub(crate) fn is_busy(&self, path: &Path) -> bool {
        self.busy.lock().is_ok_and(|busy| busy.contains(path))
    }

    /// Mark `path` as being written; None if another upload is writing it.
    fn claim(self: &Arc<Self>, path: &Path) -> Option<Claim> {
        let mut busy = self.busy.lock().ok()?;
        busy.insert(path.to_path_buf()).then(|| Claim {
            shared: Arc::clone(self),
            path: path.to_path_buf(),
        })
    }
}

struct Claim {
    shared: Arc<Shared>,
    path: PathBuf,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Ok(mut busy) = self.shared.busy.lock() {
            busy.remove(&self.path);
        }
    }
}

/// What SIZE/MLST see: a virtual folder, or a kept partial.
#[derive(Debug)]
pub(crate) struct Meta {
    len: u64,
    dir: bool,
    modified: SystemTime,
}

impl storage::Metadata for Meta {
    fn len(&self) -> u64 {
        self.len
    }
    fn is_dir(&self) -> bool {
        self.dir
    }
    fn is_file(&self) -> bool {
        !self.dir
    }
    fn is_symlink(&self) -> bool {
        false
    }
    fn modified(&self) -> storage::Result<SystemTime> {
        Ok(self.modified)
    }
    fn gid(&self) -> u32 {
        0
    }
    fn uid(&self) -> u32 {
        0
    }
}

/// The storage of one session. Folders are virtual: the session remembers the
/// ones it created or entered, and a STOR must go into one of them.
///
/// libunftp passes `cwd.join(argument)`, so an absolute STOR argument cannot be
/// told from a relative one. The rule that follows: a STOR into a folder this
/// session never created or entered (`STOR /etc/x.jpg` straight after login) is
/// refused like a real server refuses a missing folder, and so is any `..`; an
/// absolute path into the current folder is the same request as a bare name and
/// is accepted.
#[derive(Debug)]
pub(crate) struct CameraStorage {
    shared: Arc<Shared>,
    folders: Mutex<HashSet<PathBuf>>,
}

impl CameraStorage {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        CameraStorage {
            shared,
            folders: Mutex::new(HashSet::from([PathBuf::from("/")])),
        }
    }

    /// Accept a folder (MKD/CWD) and remember it and its parents.
    fn enter_folder(&self, user: &Camera, path: &Path) -> storage::Result<()> {
        let folder = names::folder(path).map_err(|reason| {
            tracing::warn!(account = %user.account, path = %path.display(), %reason, "FTP folder refused");
            storage::Error::from(ErrorKind::FileNameNotAllowedError)
        })?;
        if let Ok(mut folders) = self.folders.lock() {
            folders.extend(folder.ancestors().map(Path::to_path_buf));
        }
        Ok(())
    }

    fn knows(&self, folder: &Path) -> bool {
        self.folders.lock().is_ok_and(|f| f.contains(folder))
    }

    fn refuse(&self, user: &Camera, what: &str, path: &Path) -> storage::Error {
        tracing::warn!(account = %user.account, path = %path.display(), "FTP {what} refused: cameras may only upload");
        storage::Error::from(ErrorKind::PermissionDenied)
    }
}

#[async_trait]
impl StorageBackend<Camera> for CameraStorage {
    type Metadata = Meta;

    fn supported_features(&self) -> u32 {
        FEATURE_RESTART
    }

    async fn metadata<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        user: &Camera,
        path: P,
    ) -> storage::Result<Meta> {
        let path = path.as_ref();
        if names::folder(path).is_ok_and(|f| self.knows(&f)) {
            return Ok(Meta {
                len: 0,
                dir: true,
                modified: SystemTime::now(),
            });
        }
        // Only a kept partial has a size: it is what a resuming camera asks for.
        let (_, name) = names::upload(path).map_err(|_| ErrorKind::PermanentFileNotAvailable)?;
        let staged = place::staged_path(&self.shared.staging, &user.account, &name);
        let meta = tokio::fs::metadata(&staged)
            .await
            .map_err(|_| ErrorKind::PermanentFileNotAvailable)?;
        Ok(Meta {
            len: meta.len(),
            dir: false,
            modified: meta.modified().unwrap_or_else(|_| SystemTime::now()),
        })
    }

    async fn list<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        _user: &Camera,
        _path: P,
    ) -> storage::Result<Vec<Fileinfo<PathBuf, Meta>>> {
        Ok(Vec::new())
    }

    async fn get<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        user: &Camera,
        path: P,
        _start_pos: u64,
    ) -> storage::Result<Box<dyn tokio::io::AsyncRead + Send + Sync + Unpin>> {
        Err(self.refuse(user, "download", path.as_ref()))
    }

    async fn put<
        P: AsRef<Path> + Send + fmt::Debug,
        R: AsyncRead + Send + Sync + Unpin + 'static,
    >(
        &self,
        user: &Camera,
        input: R,
        path: P,
        start_pos: u64,
    ) -> storage::Result<u64> {
        let account = user.account.as_str();
        let path = path.as_ref();
        let shown = path.to_string_lossy();
        let (folder, name) = match names::upload(path) {
            Ok(parts) => parts,
            Err(reason) => {
                self.shared.fail(account, &shown, reason);
                return Err(ErrorKind::FileNameNotAllowedError.into());
            }
        };
        if !self.knows(&folder) {
            let reason = format!(
                "the folder {} was never created or entered: send the file name alone, into the current folder",
                folder.display()
            );
            self.shared.fail(account, &shown, reason);
            return Err(ErrorKind::FileNameNotAllowedError.into());
        }
        let format = match findme_media::classify_path(Path::new(&name)) {
            Classification::Photo(format) => format,
            Classification::Skip(reason) => {
                self.shared.fail(account, &name, reason);
                return Err(ErrorKind::FileNameNotAllowedError.into());
            }
            Classification::Ignore => {
                let reason = "system files are not accepted".to_string();
                self.shared.fail(account, &name, reason);
                return Err(ErrorKind::FileNameNotAllowedError.into());
            }
        };
        let staged = place::staged_path(&self.shared.staging, account, &name);
        let Some(_claim) = self.shared.claim(&staged) else {
            let reason = "another upload of this file is still running".to_string();
            self.shared.fail(account, &name, reason);
            return Err(ErrorKind::TransientFileNotAvailable.into());
        };
        let received = match receive(&staged, input, start_pos).await {
            Ok(received) => received,
            Err(Receive::Resume(reason)) => {
                self.shared.fail(account, &name, reason);
                return Err(ErrorKind::PermanentFileNotAvailable.into());
            }
            Err(Receive::Write(e)) => {
                place::remove(&staged);
                return Err(self.write_failed(account, &name, &e));
            }
        };
        let (root, job_staged, job_account, job_name) = (
            self.shared.root.clone(),
            staged.clone(),
            account.to_string(),
            name.clone(),
        );
        let arrived = SystemTime::now();
        let outcome = tokio::task::spawn_blocking(move || {
            place::finalize(&job_staged, format, &root, &job_account, &job_name, arrived)
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
        match outcome {
            Ok(Outcome::Placed(arrival)) => {
                tracing::info!(account, file = %name, path = %arrival.path.display(), bytes = arrival.size, "photo received");
                self.shared.emit(ReceiverEvent::Received(*arrival));
                Ok(received)
            }
            Ok(Outcome::Duplicate(existing)) => {
                tracing::info!(account, file = %name, path = %existing.display(), "photo sent again with the same bytes: kept once");
                Ok(received)
            }
            Ok(Outcome::Incomplete { kept, reason }) => {
                let reason = format!(
                    "the transfer stopped before the end of the photo ({reason}); the {kept} bytes received are kept for {} so the camera can resume",
                    spoken(self.shared.partial_ttl)
                );
                self.shared.fail(account, &name, reason);
                Err(ErrorKind::ConnectionClosed.into())
            }
            Ok(Outcome::Empty) => {
                let reason = "no bytes arrived".to_string();
                self.shared.fail(account, &name, reason);
                Err(ErrorKind::ConnectionClosed.into())
            }
            Ok(Outcome::Invalid(reason)) => {
                let reason = format!(
                    "not a usable {} photo: {reason}",
                    format.as_str().to_uppercase()
                );
                self.shared.fail(account, &name, reason);
                Err(ErrorKind::PageTypeUnknown.into())
            }
            Err(e) => {
                place::remove(&staged);
                Err(self.write_failed(account, &name, &e))
            }
        }
    }

    async fn del<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        user: &Camera,
        path: P,
    ) -> storage::Result<()> {
        Err(self.refuse(user, "delete", path.as_ref()))
    }

    async fn mkd<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        user: &Camera,
        path: P,
    ) -> storage::Result<()> {
        self.enter_folder(user, path.as_ref())
    }

    async fn rename<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        user: &Camera,
        from: P,
        _to: P,
    ) -> storage::Result<()> {
        Err(self.refuse(user, "rename", from.as_ref()))
    }

    async fn rmd<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        user: &Camera,
        path: P,
    ) -> storage::Result<()> {
        Err(self.refuse(user, "folder removal", path.as_ref()))
    }

    async fn cwd<P: AsRef<Path> + Send + fmt::Debug>(
        &self,
        user: &Camera,
        path: P,
    ) -> storage::Result<()> {
        self.enter_folder(user, path.as_ref())
    }
}

impl CameraStorage {
    fn write_failed(&self, account: &str, name: &str, e: &std::io::Error) -> storage::Error {
        if is_disk_full(e) {
            self.shared
                .fail(account, name, "the disk is full".to_string());
            ErrorKind::InsufficientStorageSpaceError.into()
        } else {
            self.shared
                .fail(account, name, format!("the file could not be saved: {e}"));
            ErrorKind::LocalError.into()
        }
    }
}

enum Receive {
    /// A REST offset that does not fit what was kept.
    Resume(String),
    Write(std::io::Error),
}

/// Write the data connection's bytes into the staged file from `start_pos`, then
/// sync. A read error ends the data like end-of-file does: the completeness check
/// decides whether the photo is whole either way.
async fn receive<R: AsyncRead + Unpin>(
    staged: &Path,
    mut input: R,
    start_pos: u64,
) -> Result<u64, Receive> {
    if let Some(dir) = staged.parent() {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(Receive::Write)?;
    }
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true);
    let mut file = if start_pos == 0 {
        options
            .create(true)
            .truncate(true)
            .open(staged)
            .await
            .map_err(Receive::Write)?
    } else {
        let mut file = options.open(staged).await.map_err(|_| {
            Receive::Resume("nothing of this file is kept to resume (it was completed, refused, or deleted after waiting too long)".to_string())
        })?;
        let kept = file.metadata().await.map_err(Receive::Write)?.len();
        if kept < start_pos {
            return Err(Receive::Resume(format!(
                "the camera asked to resume at byte {start_pos} but only {kept} bytes were kept"
            )));
        }
        file.set_len(start_pos).await.map_err(Receive::Write)?;
        file.seek(SeekFrom::Start(start_pos))
            .await
            .map_err(Receive::Write)?;
        file
    };
    let mut buf = vec![0u8; 256 * 1024];
    let mut received = 0u64;
    loop {
        let n = match input.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                tracing::debug!(error = %e, path = %staged.display(), "data connection ended with an error");
                break;
            }
        };
        file.write_all(buf.get(..n).unwrap_or_default())
            .await
            .map_err(Receive::Write)?;
        received = received.saturating_add(n as u64);
    }
    file.flush().await.map_err(Receive::Write)?;
    file.sync_all().await.map_err(Receive::Write)?;
    Ok(received)
}

/// "10 minutes", "30 seconds": how long a partial is kept, for the Failed reason.
fn spoken(ttl: Duration) -> String {
    match ttl.as_secs() {
        1 => "1 second".to_string(),
        s if s < 60 => format!("{s} seconds"),
        60..=119 => "1 minute".to_string(),
        s => format!("{} minutes", s / 60),
    }
}

fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}
