//! One streaming pass over a file: SHA-256 of every byte, structure check, then
//! metadata from the header.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;

use sha2::Digest;

use crate::structure::{Checked, StructureChecker};
use crate::{metadata, Completeness, Format, Metadata};

/// A SHA-256 digest: the identity of a photo's content.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    /// Lower-case hex, as stored in the catalog and used on the wire.
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(64);
        for byte in self.0 {
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        out
    }
}

impl std::fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sha256({})", self.to_hex())
    }
}

/// Everything ingest needs to know about one file.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub sha256: Sha256,
    /// Bytes hashed (the file size at the time it was read).
    pub size: u64,
    pub format: Format,
    pub completeness: Completeness,
    /// Empty (all None) when the file is not [`Completeness::Complete`]. Otherwise
    /// whatever could be read: width/height come from the container header even
    /// when there is no EXIF.
    pub metadata: Metadata,
}

/// Why a file could not be inspected at all (nothing was hashed). Content problems
/// (truncated, corrupt, not an image) are not errors: they are reported in
/// [`Inspection::completeness`] so the photo can be catalogued as failed.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the file is empty (0 bytes)")]
    Empty,
    #[error("the file disappeared before it could be read")]
    Vanished,
    #[error("permission denied: FindMe cannot read this file")]
    PermissionDenied,
    #[error("not a regular file")]
    NotAFile,
    #[error("{0}")]
    Unsupported(String),
    #[error("read error: {0}")]
    Io(std::io::Error),
}

/// Hash and inspect one file in a single streaming read. `format` is what
/// [`crate::classify_path`] decided from the name; the content is checked against it.
///
/// The file is read once, in fixed-size chunks that feed both the hasher and the
/// format's structure checker; metadata then comes from the header bytes that pass
/// kept (only HEIF and RAF re-read, through the same handle: HEIF its small `meta`
/// box and EXIF item, RAF the first 256 KB of its preview JPEG). Metadata is read only for [`Completeness::Complete`] files, and broken
/// metadata never fails an inspection: it just leaves fields empty.
pub fn inspect_file(path: &Path, format: Format) -> Result<Inspection, MediaError> {
    inspect_open(open_regular(path)?, path, format)
}

/// [`inspect_file`] on a file the caller opened (a card copy's read-back opens
/// its staging file with the platform's no-cache flag); `path` is for the log.
pub fn inspect_open(mut file: File, path: &Path, format: Format) -> Result<Inspection, MediaError> {
    let mut hasher = StreamHasher::new();
    let mut checker = StructureChecker::new(format);
    let size = stream(&mut file, |chunk| {
        hasher.update(chunk);
        checker.feed(chunk);
    })?;
    if size == 0 {
        return Err(MediaError::Empty);
    }
    let sha256 = hasher.finish();
    let Checked {
        completeness,
        facts,
    } = checker.finish(size);
    let metadata = if completeness == Completeness::Complete {
        metadata::extract(format, facts, &file)
    } else {
        tracing::debug!(path = %path.display(), ?completeness, "incomplete file: metadata not read");
        Metadata::default()
    };
    Ok(Inspection {
        sha256,
        size,
        format,
        completeness,
        metadata,
    })
}

/// Incremental SHA-256 for callers that stream bytes themselves (card copy hashes
/// the source while writing the destination).
#[derive(Clone, Default)]
pub struct StreamHasher {
    inner: sha2::Sha256,
}

impl StreamHasher {
    pub fn new() -> Self {
        StreamHasher {
            inner: sha2::Sha256::new(),
        }
    }
    pub fn update(&mut self, bytes: &[u8]) {
        self.inner.update(bytes);
    }
    pub fn finish(self) -> Sha256 {
        Sha256(self.inner.finalize().into())
    }
}

/// SHA-256 and length of a whole file, streamed (used to verify copies). An empty
/// file is not an error here: it hashes to the SHA-256 of no bytes.
pub fn hash_file(path: &Path) -> Result<(Sha256, u64), MediaError> {
    let mut file = open_regular(path)?;
    let mut hasher = StreamHasher::new();
    let size = stream(&mut file, |chunk| hasher.update(chunk))?;
    Ok((hasher.finish(), size))
}

/// Read size: large enough for full-speed sequential reads, small enough that many
/// parallel inspections stay cheap.
const CHUNK: usize = 256 * 1024;

/// Open `path` for reading if it is a regular file (following symlinks). The type
/// is checked before opening so a FIFO on a card can never block the scan.
fn open_regular(path: &Path) -> Result<File, MediaError> {
    let meta = std::fs::metadata(path).map_err(io_error)?;
    if !meta.is_file() {
        return Err(MediaError::NotAFile);
    }
    let file = File::open(path).map_err(io_error)?;
    if !file.metadata().map_err(io_error)?.is_file() {
        return Err(MediaError::NotAFile);
    }
    Ok(file)
}

/// Feed every byte of `file` to `sink` in [`CHUNK`]-sized pieces; returns the count.
fn stream(file: &mut File, mut sink: impl FnMut(&[u8])) -> Result<u64, MediaError> {
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                sink(buf.get(..n).unwrap_or_default());
                total = total.saturating_add(n as u64);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(e)),
        }
    }
}

fn io_error(e: std::io::Error) -> MediaError {
    match e.kind() {
        ErrorKind::NotFound => MediaError::Vanished,
        ErrorKind::PermissionDenied => MediaError::PermissionDenied,
        ErrorKind::IsADirectory => MediaError::NotAFile,
        _ => MediaError::Io(e),
    }
}
