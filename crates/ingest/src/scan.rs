//! Walking folders: which files are photo candidates, which are skipped and why.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use findme_media::{classify_path, Classification, Format};

use walkdir::WalkDir;

/// One file (or problem) found by a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanEntry {
    /// A regular file with a photo extension.
    File {
        path: PathBuf,
        size: u64,
        mtime_ns: i64,
        format: Format,
    },
    /// A file FindMe does not catalogue (video, sidecar, ...), with the reason.
    Skipped { path: PathBuf, reason: String },
    /// Something on the way could not be read (permission, symlink loop, vanished).
    Error { path: PathBuf, reason: String },
}

/// Modification time in nanoseconds since the epoch (0 when the OS has none).
pub fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
        .unwrap_or(0)
}

/// Classify a file by its name alone. Hidden folders are the walker's business
/// (relative to the folder being walked: a library inside a hidden folder is fine),
/// so only the last component is looked at here.
pub(crate) fn classify_name(path: &Path) -> Classification {
    match path.file_name() {
        Some(name) => classify_path(Path::new(name)),
        None => Classification::Ignore,
    }
}

/// Classify one path that was stat'ed (follows symlinks).
pub(crate) fn entry_for_file(path: &Path, meta: &std::fs::Metadata) -> Option<ScanEntry> {
    match classify_name(path) {
        Classification::Ignore => None,
        Classification::Skip(reason) => Some(ScanEntry::Skipped {
            path: path.to_path_buf(),
            reason,
        }),
        Classification::Photo(format) if meta.is_file() => Some(ScanEntry::File {
            path: path.to_path_buf(),
            size: meta.len(),
            mtime_ns: mtime_ns(meta),
            format,
        }),
        Classification::Photo(_) => Some(ScanEntry::Skipped {
            path: path.to_path_buf(),
            reason: "not a regular file (device, pipe or socket)".into(),
        }),
    }
}

/// Walk `root` (a folder or a single file), following symlinks, skipping hidden
/// folders. `visit` returns false to stop early (a card was pulled, shutdown).
pub fn walk(root: &Path, mut visit: impl FnMut(ScanEntry) -> bool) {
    let walker = WalkDir::new(root)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    for item in walker {
        let entry = match item {
            Ok(entry) => entry,
            Err(err) => {
                let path = err
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.to_path_buf());
                if let Some(reason) = walk_error_reason(&err) {
                    if !visit(ScanEntry::Error { path, reason }) {
                        return;
                    }
                }
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            Err(err) => {
                if let Some(reason) = walk_error_reason(&err) {
                    let path = entry.path().to_path_buf();
                    if !visit(ScanEntry::Error { path, reason }) {
                        return;
                    }
                }
                continue;
            }
        };
        if let Some(found) = entry_for_file(entry.path(), &meta) {
            if !visit(found) {
                return;
            }
        }
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// A readable reason for a walk error, or None when the entry simply vanished
/// (deleted while we walked: nothing to report).
fn walk_error_reason(err: &walkdir::Error) -> Option<String> {
    if let Some(ancestor) = err.loop_ancestor() {
        return Some(format!(
            "symbolic link loop: it leads back to {}",
            ancestor.display()
        ));
    }
    match err.io_error().map(|e| e.kind()) {
        Some(ErrorKind::NotFound) if err.depth() > 0 => None,
        Some(ErrorKind::NotFound) => Some("not found".into()),
        Some(ErrorKind::PermissionDenied) => {
            Some("permission denied: FindMe cannot open this folder or file".into())
        }
        _ => Some(format!("cannot read: {err}")),
    }
}
