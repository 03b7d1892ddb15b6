//! Blocking file work after a transfer: judge the staged bytes, move a complete
//! photo into place without ever overwriting, and sweep stale partials.

use std::fs;
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use findme_media::{Completeness, Format, Inspection, MediaError, Sha256};

use crate::Arrival;

/// The hidden folder under the root where uploads are written until they are whole.
pub(crate) const STAGING_DIR: &str = ".findme-incoming";

/// What became of a staged upload.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Moved into the library.
    Placed(Box<Arrival>),
    /// These exact bytes were already there under this name (or a `-N` variant):
    /// the staged copy is dropped.
    Duplicate(PathBuf),
    /// The container ends early; the staged file is kept for a resume.
    Incomplete { kept: u64, reason: String },
    /// Not a photo of its format; the staged file is deleted.
    Invalid(String),
    /// Zero bytes arrived; the staged file is deleted.
    Empty,
}

/// The staged file of `account`'s upload called `name`. Long names are hashed so
/// the `.part` suffix never pushes a 255-byte name over the file system's limit.
pub(crate) fn staged_path(staging: &Path, account: &str, name: &str) -> PathBuf {
    let file = if name.len() <= 250 {
        format!("{name}.part")
    } else {
        let mut hasher = findme_media::StreamHasher::new();
        hasher.update(name.as_bytes());
        format!("{}.part", &hasher.finish().to_hex()[..40])
    };
    staging.join(account).join(file)
}

/// Inspect the synced staged file and, when it is a complete photo, place it in
/// `root/<local date>/<account>/`. I/O errors leave the staged file for the caller.
pub(crate) fn finalize(
    staged: &Path,
    format: Format,
    root: &Path,
    account: &str,
    name: &str,
    arrived: SystemTime,
) -> io::Result<Outcome> {
    let inspection = match findme_media::inspect_file(staged, format) {
        Ok(inspection) => inspection,
        Err(MediaError::Empty) => {
            remove(staged);
            return Ok(Outcome::Empty);
        }
        Err(MediaError::Io(e)) => return Err(e),
        Err(e) => return Err(io::Error::other(e.to_string())),
    };
    match &inspection.completeness {
        Completeness::Complete => {}
        Completeness::Truncated(reason) => {
            return Ok(Outcome::Incomplete {
                kept: inspection.size,
                reason: reason.clone(),
            })
        }
        Completeness::Invalid(reason) => {
            remove(staged);
            return Ok(Outcome::Invalid(reason.clone()));
        }
    }
    let dir = root.join(local_date(arrived)).join(account);
    match place(staged, &dir, name, &inspection)? {
        Placed::Duplicate(existing) => Ok(Outcome::Duplicate(existing)),
        Placed::New(path) => {
            let meta = fs::metadata(&path)?;
            let mtime_ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
            let arrived_ms = arrived
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
            Ok(Outcome::Placed(Box::new(Arrival {
                account: account.to_string(),
                path,
                format,
                size: inspection.size,
                inspection,
                mtime_ns,
                arrived_ms,
            })))
        }
    }
}

/// `YYYY-MM-DD` in the laptop's time zone: the day the photographer lived.
fn local_date(at: SystemTime) -> String {
    let ts = jiff::Timestamp::try_from(at).unwrap_or_else(|_| jiff::Timestamp::now());
    ts.to_zoned_datetime(jiff::tz::TimeZone::system())
        .date()
        .to_string()
}

enum Placed {
    New(PathBuf),
    Duplicate(PathBuf),
}

/// Link the staged file to the first free name (`name`, `stem-2.ext`, `stem-3.ext`…)
/// unless one of the taken names already holds these bytes. Linking (or renaming
/// with no-replace) fails on a name that appeared meanwhile, so two sessions
/// racing for one name can never overwrite each other.
fn place(staged: &Path, dir: &Path, name: &str, inspection: &Inspection) -> io::Result<Placed> {
    fs::create_dir_all(dir)?;
    for n in 1u32..10_000 {
        let candidate = dir.join(numbered(name, n));
        match link_noreplace(staged, &candidate) {
            Ok(()) => {
                sync_dir(dir);
                return Ok(Placed::New(candidate));
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                if same_bytes(&candidate, inspection.size, &inspection.sha256) {
                    remove(staged);
                    return Ok(Placed::Duplicate(candidate));
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "no free file name for {name} in {}",
        dir.display()
    )))
}

/// `IMG_0001.JPG`, then `IMG_0001-2.JPG`, `IMG_0001-3.JPG`…
fn numbered(name: &str, n: u32) -> String {
    if n <= 1 {
        return name.to_string();
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}-{n}.{ext}"),
        _ => format!("{name}-{n}"),
    }
}

/// Move `from` to `to` unless `to` exists (AlreadyExists then). A hard link plus
/// unlink where the file system has links, else a no-replace rename.
fn link_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    match fs::hard_link(from, to) {
        Ok(()) => {
            remove(from);
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(e),
        Err(link_error) => rename_noreplace(from, to).map_err(|e| {
            if e.kind() == ErrorKind::Unsupported {
                link_error
            } else {
                e
            }
        }),
    }
}

#[cfg(target_os = "linux")]
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other);
    let (from, to) = (c(from)?, c(to)?);
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn rename_noreplace(_from: &Path, _to: &Path) -> io::Result<()> {
    Err(io::Error::from(ErrorKind::Unsupported))
}

fn same_bytes(path: &Path, size: u64, sha256: &Sha256) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() == size)
        && findme_media::hash_file(path).is_ok_and(|(h, _)| h == *sha256)
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

pub(crate) fn remove(path: &Path) {
    if let Err(e) = fs::remove_file(path) {
        if e.kind() != ErrorKind::NotFound {
            tracing::warn!(path = %path.display(), error = %e, "cannot remove a staged upload");
        }
    }
}

/// Delete staged partials untouched for `ttl` (not those `busy` says are being
/// written). Returns how many went.
pub(crate) fn sweep(staging: &Path, ttl: Duration, busy: &dyn Fn(&Path) -> bool) -> usize {
    let Ok(accounts) = fs::read_dir(staging) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for account in accounts.flatten() {
        let Ok(files) = fs::read_dir(account.path()) else {
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            let Ok(meta) = file.metadata() else { continue };
            let age = meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .unwrap_or(Duration::ZERO);
            if meta.is_file() && age >= ttl && !busy(&path) && fs::remove_file(&path).is_ok() {
                tracing::info!(path = %path.display(), "deleted a cut-off upload that was not resumed in time");
                removed += 1;
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(numbered("IMG_0001.JPG", 1), "IMG_0001.JPG");
        assert_eq!(numbered("IMG_0001.JPG", 2), "IMG_0001-2.JPG");
        assert_eq!(numbered("a.b.CR3", 3), "a.b-3.CR3");
        assert_eq!(numbered("noext", 2), "noext-2");
    }

    #[test]
    fn a_name_that_appears_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("a"), dir.path().join("b"));
        fs::write(&from, b"new").unwrap();
        fs::write(&to, b"old").unwrap();
        let e = link_noreplace(&from, &to).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&to).unwrap(), b"old");
        #[cfg(target_os = "linux")]
        {
            let e = rename_noreplace(&from, &to).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::AlreadyExists);
            assert_eq!(fs::read(&to).unwrap(), b"old");
        }
    }

    #[test]
    fn long_names_stage_under_a_short_name() {
        let staging = Path::new("/s");
        let long = format!("{}.JPG", "a".repeat(251));
        let path = staged_path(staging, "cam", &long);
        assert!(path.file_name().unwrap().len() <= 255);
        assert_eq!(path, staged_path(staging, "cam", &long));
        assert_eq!(
            staged_path(staging, "cam", "IMG.JPG"),
            Path::new("/s/cam/IMG.JPG.part")
        );
    }
}
