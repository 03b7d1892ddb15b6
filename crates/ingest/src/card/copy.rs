//! Verified copies: stream + hash into a hidden staging file, sync, evict from the
//! page cache (Linux) or bypass it (macOS `F_NOCACHE`), read back and compare,
//! then rename into place.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use findme_media::{inspect_open, Format, Inspection, Sha256, StreamHasher};

const CHUNK: usize = 1 << 20;

/// Hidden (so watchers and scans ignore it) and on the destination volume (so the
/// final rename is atomic).
pub(crate) fn staging_dir(destination: &Path) -> PathBuf {
    destination.join(".findme-incoming")
}

pub(crate) struct Staged {
    pub temp: PathBuf,
    /// The copy as read back from disk.
    pub inspection: Inspection,
    pub source_mtime_ns: i64,
}

/// Copy `source` into the staging folder of `destination` and verify it. The
/// read-back hash must equal the hash of the bytes read from `source` (and
/// `expected`, when the source is itself a copy).
pub(crate) fn stage(
    source: &Path,
    destination: &Path,
    format: Format,
    expected: Option<&Sha256>,
) -> Result<Staged, String> {
    let staging = staging_dir(destination);
    fs::create_dir_all(&staging).map_err(|e| write_error(&staging, &e))?;
    let mut input = File::open(source).map_err(|e| read_error(source, &e))?;
    let source_mtime_ns = input
        .metadata()
        .map(|m| crate::scan::mtime_ns(&m))
        .unwrap_or(0);
    let temp = staging.join(temp_name(source));
    let output = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .map_err(|e| write_error(destination, &e))?;
    let mut output = uncached(output);
    let copied = copy_hashing(&mut input, &mut output, source, destination);
    let source_hash = match copied.and_then(|hash| {
        output
            .sync_all()
            .map_err(|e| write_error(destination, &e))?;
        Ok(hash)
    }) {
        Ok(hash) => hash,
        Err(reason) => {
            let _ = fs::remove_file(&temp);
            return Err(reason);
        }
    };
    drop_from_page_cache(&output);
    drop(output);
    #[cfg(test)]
    crate::hooks::run(crate::hooks::Point::Staged, &temp);
    let verified = File::open(&temp)
        .map_err(findme_media::MediaError::Io)
        .and_then(|file| inspect_open(uncached(file), &temp, format))
        .map_err(|e| format!("the copy could not be read back for verification: {e}"))
        .and_then(|inspection| {
            let matches_source = inspection.sha256 == source_hash;
            let matches_expected = expected.is_none_or(|e| *e == inspection.sha256);
            if matches_source && matches_expected {
                Ok(inspection)
            } else {
                Err("verification failed: the copy on disk differs from the original (hash mismatch); the destination disk may be failing".to_string())
            }
        });
    match verified {
        Ok(inspection) => Ok(Staged {
            temp,
            inspection,
            source_mtime_ns,
        }),
        Err(reason) => {
            let _ = fs::remove_file(&temp);
            Err(reason)
        }
    }
}

fn copy_hashing(
    input: &mut File,
    output: &mut File,
    source: &Path,
    destination: &Path,
) -> Result<Sha256, String> {
    let mut hasher = StreamHasher::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(source, &e)),
        };
        let bytes = buf.get(..n).unwrap_or_default();
        hasher.update(bytes);
        output
            .write_all(bytes)
            .map_err(|e| write_error(destination, &e))?;
    }
    Ok(hasher.finish())
}

/// Move the verified temp file to `target`. If `target` already holds these exact
/// bytes the temp is dropped (returns fresh = false); if it holds other bytes
/// (two cameras both wrote IMG_0001.JPG) the copy gets a free "-1", "-2"... name.
pub(crate) fn place(temp: PathBuf, target: &Path, sha: &Sha256) -> Result<(PathBuf, bool), String> {
    let parent = target.parent().unwrap_or(Path::new("."));
    if let Err(e) = fs::create_dir_all(parent) {
        let _ = fs::remove_file(&temp);
        return Err(write_error(parent, &e));
    }
    for n in 0u32..10_000 {
        let candidate = if n == 0 {
            target.to_path_buf()
        } else {
            numbered(target, n)
        };
        match fs::symlink_metadata(&candidate) {
            Ok(_) => {
                if findme_media::hash_file(&candidate).is_ok_and(|(h, _)| h == *sha) {
                    let _ = fs::remove_file(&temp);
                    return Ok((candidate, false));
                }
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                // Hard-link then unlink: unlike rename, linking never replaces a
                // file that appeared since we looked.
                match fs::hard_link(&temp, &candidate) {
                    Ok(()) => {
                        let _ = fs::remove_file(&temp);
                        sync_dir(parent);
                        return Ok((candidate, true));
                    }
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                    Err(_) => {
                        // File systems without hard links (exFAT, FAT32): rename.
                        return match fs::rename(&temp, &candidate) {
                            Ok(()) => {
                                sync_dir(parent);
                                Ok((candidate, true))
                            }
                            Err(e) => {
                                let _ = fs::remove_file(&temp);
                                Err(write_error(parent, &e))
                            }
                        };
                    }
                }
            }
            Err(e) => {
                let _ = fs::remove_file(&temp);
                return Err(write_error(parent, &e));
            }
        }
    }
    let _ = fs::remove_file(&temp);
    Err(format!(
        "no free file name for {} in {}",
        target.display(),
        parent.display()
    ))
}

fn numbered(target: &Path, n: u32) -> PathBuf {
    let stem = target
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match target.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    target.with_file_name(name)
}

fn temp_name(source: &Path) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(
        ".{name}.{}-{}.findme-part",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// After `sync_all` the pages are clean; evicting them makes the verification read
/// come from the disk, not from memory.
#[cfg(target_os = "linux")]
fn drop_from_page_cache(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: posix_fadvise only reads the descriptor, which `file` keeps open.
    unsafe {
        libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
    }
}

#[cfg(not(target_os = "linux"))]
fn drop_from_page_cache(_file: &File) {}

/// macOS has no page-cache eviction for a file; `F_NOCACHE` on both the writing
/// and the reading descriptor keeps the copy's pages out of the unified buffer
/// cache, so the read-back goes to the device. Elsewhere a no-op (Linux evicts
/// after the sync instead; Windows: docs/decisions.md, "Card copies are read
/// back from the device").
#[cfg(target_os = "macos")]
fn uncached(file: File) -> File {
    use std::os::fd::AsRawFd;
    // SAFETY: fcntl only sets a flag on the descriptor `file` keeps open.
    unsafe {
        libc::fcntl(file.as_raw_fd(), libc::F_NOCACHE, 1);
    }
    file
}

#[cfg(not(target_os = "macos"))]
fn uncached(file: File) -> File {
    file
}

fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge
    )
}

fn write_error(destination: &Path, e: &std::io::Error) -> String {
    if is_disk_full(e) {
        format!(
            "the destination disk is full ({}): free space and import again",
            destination.display()
        )
    } else if e.kind() == ErrorKind::PermissionDenied {
        format!(
            "cannot write to {}: permission denied",
            destination.display()
        )
    } else {
        format!("cannot write to {}: {e}", destination.display())
    }
}

fn read_error(source: &Path, e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::NotFound => {
            "the file disappeared from the card before it was copied (card removed?)".into()
        }
        ErrorKind::PermissionDenied => "permission denied reading the card".into(),
        _ => format!(
            "read error on {} ({e}); the card or reader may be failing",
            source.display()
        ),
    }
}
