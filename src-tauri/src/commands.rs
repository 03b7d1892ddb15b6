//! Tauri commands: one-line adapters from the webview to [`Engine`] methods.
//!
//! Keep these thin. Anything that is more than argument plumbing belongs in the
//! engine, where the CLI and the tests drive it too. Errors cross the IPC boundary
//! as their display string, which the engine words for a photographer.

use std::path::PathBuf;

use findme_engine::{
    CopyOptions, Engine, EngineError, FailureDto, ImportReport, PhotoPage, PhotoQuery, Stats,
    WatchedFolderDto,
};
use tauri::State;

type CmdResult<T> = Result<T, String>;

fn to_ui(err: EngineError) -> String {
    err.to_string()
}

#[tauri::command]
pub async fn list_photos(engine: State<'_, Engine>, query: PhotoQuery) -> CmdResult<PhotoPage> {
    engine.photos(query).await.map_err(to_ui)
}

#[tauri::command]
pub async fn stats(engine: State<'_, Engine>) -> CmdResult<Stats> {
    engine.stats().await.map_err(to_ui)
}

#[tauri::command]
pub async fn watched_folders(engine: State<'_, Engine>) -> CmdResult<Vec<WatchedFolderDto>> {
    engine.watched_folders().await.map_err(to_ui)
}

#[tauri::command]
pub async fn add_watched_folder(
    engine: State<'_, Engine>,
    path: PathBuf,
    poll: bool,
) -> CmdResult<WatchedFolderDto> {
    engine.add_watched_folder(path, poll).await.map_err(to_ui)
}

#[tauri::command]
pub async fn remove_watched_folder(engine: State<'_, Engine>, path: PathBuf) -> CmdResult<()> {
    engine.remove_watched_folder(path).await.map_err(to_ui)
}

/// Files and folders dropped on the window (imported in place, recursively).
#[tauri::command]
pub async fn import_paths(
    engine: State<'_, Engine>,
    paths: Vec<PathBuf>,
) -> CmdResult<ImportReport> {
    engine.import(paths).await.map_err(to_ui)
}

#[tauri::command]
pub async fn import_card(
    engine: State<'_, Engine>,
    sources: Vec<PathBuf>,
    destination: PathBuf,
    backup: Option<PathBuf>,
) -> CmdResult<ImportReport> {
    let copy = CopyOptions {
        destination,
        backup,
        layout: None, // the engine's default library layout
    };
    engine.import_card(sources, copy).await.map_err(to_ui)
}

#[tauri::command]
pub async fn failures(engine: State<'_, Engine>) -> CmdResult<Vec<FailureDto>> {
    engine.failures().await.map_err(to_ui)
}
