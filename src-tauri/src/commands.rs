//! Tauri commands: one-line adapters from the webview to [`Engine`] methods.
//!
//! Keep these thin. Anything that is more than argument plumbing belongs in the
//! engine, where the CLI and the tests drive it too. Errors cross the IPC boundary
//! as their display string, which the engine words for a photographer.

use std::path::PathBuf;

use findme_engine::{
    ActivityDto, CopyOptions, Engine, EngineError, FailureDto, ImportReport, ParticipantDto,
    PhotoDetailDto, Stats, TileChanges, TilePage, TileQuery, WatchedFolderDto,
};
use tauri::State;

type CmdResult<T> = Result<T, String>;

fn to_ui(err: EngineError) -> String {
    err.to_string()
}

/// A keyset page of gallery tiles.
#[tauri::command]
pub async fn tiles(engine: State<'_, Engine>, query: TileQuery) -> CmdResult<TilePage> {
    engine.tiles(query).await.map_err(to_ui)
}

/// What changed since a change sequence number (the gallery's live feed).
#[tauri::command]
pub async fn tile_changes(engine: State<'_, Engine>, since: i64) -> CmdResult<TileChanges> {
    engine.tile_changes(since).await.map_err(to_ui)
}

#[tauri::command]
pub async fn photo_detail(engine: State<'_, Engine>, id: i64) -> CmdResult<PhotoDetailDto> {
    engine.photo_detail(id).await.map_err(to_ui)
}

/// Job queues and the thumbnail cache, for the activity panel and progress bars.
#[tauri::command]
pub async fn activity(engine: State<'_, Engine>) -> CmdResult<ActivityDto> {
    engine.activity().await.map_err(to_ui)
}

/// The active event's participants, for the gallery's participant filter.
#[tauri::command]
pub async fn participants(engine: State<'_, Engine>) -> CmdResult<Vec<ParticipantDto>> {
    engine.active_participants().await.map_err(to_ui)
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
