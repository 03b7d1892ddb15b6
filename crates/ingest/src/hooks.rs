//! Test-only interruption points: a test registers what to do to a file at a
//! moment the real world only rarely hits (a camera still writing while it is
//! hashed, a disk returning other bytes than were written), so the branches
//! that handle it run. Compiled only into this crate's unit tests.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Where ingest stops to run a hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Point {
    /// Inspection hashed the file and has not yet stat'ed it again.
    Hashed,
    /// A card copy is synced and evicted, and not yet read back (the path is
    /// the staging file).
    Staged,
}

type Hook = Box<dyn Fn(&Path) + Send + Sync>;

/// Hooks by point and folder: tests of one process run in parallel threads, so a
/// hook only sees files under its own test's folder.
static HOOKS: Mutex<Vec<(Point, PathBuf, Hook)>> = Mutex::new(Vec::new());

/// Run `hook` on every file under `under` that reaches `point`.
pub(crate) fn set(point: Point, under: &Path, hook: impl Fn(&Path) + Send + Sync + 'static) {
    let mut hooks = HOOKS.lock().unwrap_or_else(|e| e.into_inner());
    hooks.push((point, under.to_path_buf(), Box::new(hook)));
}

pub(crate) fn run(point: Point, path: &Path) {
    let hooks = HOOKS.lock().unwrap_or_else(|e| e.into_inner());
    for (at, under, hook) in hooks.iter() {
        if *at == point && path.starts_with(under) {
            hook(path);
        }
    }
}
