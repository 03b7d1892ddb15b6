//! Tauri commands: one-line adapters from the webview to [`Engine`] methods.
//!
//! Keep these thin. Anything that is more than argument plumbing belongs in the
//! engine, where the CLI and the tests drive it too. Keys in arguments (event and
//! participant ids) are parsed by their types as the arguments are deserialised;
//! errors cross the IPC boundary as [`ErrorDto`] (`{kind, message, what_to_do}`),
//! worded by the engine for a photographer.

use std::path::PathBuf;

use findme_engine::{
    ActivityDto, AssignmentDto, CameraAccount, CardFileDto, CardSize, ConnectionTestDto,
    CopyOptions, Engine, ErrorDto, EventChoice, EventChoiceDto, EventDto, EventId, EventMatcher,
    FailureDto, FtpSettingsDto, FtpStatusDto, ImportReport, NewCameraAccount, ParticipantDto,
    ParticipantId, ParticipantImportReport, PhotoDetailDto, PhotoKey, PublishChoice,
    RegistrationChangeDto, RegistrationDto, Selection, Stats, SyncSettingsDto, SyncSettingsInput,
    TileChanges, TilePage, TileQuery, UnassignmentDto, WatchedFolderDto,
};
use tauri::State;

type CmdResult<T> = Result<T, ErrorDto>;

/// A keyset page of gallery tiles.
#[tauri::command]
pub async fn tiles(engine: State<'_, Engine>, query: TileQuery) -> CmdResult<TilePage> {
    engine.tiles(query).await.map_err(ErrorDto::from)
}

/// What changed since a change sequence number (the gallery's live feed).
#[tauri::command]
pub async fn tile_changes(engine: State<'_, Engine>, since: i64) -> CmdResult<TileChanges> {
    engine.tile_changes(since).await.map_err(ErrorDto::from)
}

#[tauri::command]
pub async fn photo_detail(engine: State<'_, Engine>, id: i64) -> CmdResult<PhotoDetailDto> {
    engine.photo_detail(id).await.map_err(ErrorDto::from)
}

/// Job queues and the thumbnail cache, for the activity panel and progress bars.
#[tauri::command]
pub async fn activity(engine: State<'_, Engine>) -> CmdResult<ActivityDto> {
    engine.activity().await.map_err(ErrorDto::from)
}

/// The active event's participants, for the gallery's participant filter.
#[tauri::command]
pub async fn participants(engine: State<'_, Engine>) -> CmdResult<Vec<ParticipantDto>> {
    engine.active_participants().await.map_err(ErrorDto::from)
}

/// Every event, for the events panel (the active one is marked).
#[tauri::command]
pub async fn events(engine: State<'_, Engine>) -> CmdResult<Vec<EventDto>> {
    engine.events().await.map_err(ErrorDto::from)
}

/// Creates an event (or returns the existing one) tied to `backend` if given,
/// with the threshold in that matcher's scale; the first one becomes active.
#[tauri::command]
pub async fn create_event(
    engine: State<'_, Engine>,
    id: EventId,
    name: String,
    threshold: Option<f32>,
    backend: Option<EventMatcher>,
) -> CmdResult<EventDto> {
    engine
        .create_event_with(&id, &name, backend.map(Into::into), threshold)
        .await
        .map_err(ErrorDto::from)
}

/// Makes an event the active one (new and earlier photos are matched against it).
#[tauri::command]
pub async fn use_event(engine: State<'_, Engine>, id: EventId) -> CmdResult<()> {
    engine.use_event(&id).await.map_err(ErrorDto::from)
}

/// Closes an event: its face data and selfies are deleted; it cannot be
/// reopened. `withdraw` (default false): its photos also leave its server.
#[tauri::command]
pub async fn close_event(
    engine: State<'_, Engine>,
    id: EventId,
    withdraw: Option<bool>,
) -> CmdResult<EventDto> {
    engine
        .close_event_with(&id, withdraw.unwrap_or(false))
        .await
        .map_err(ErrorDto::from)
}

/// Sets an event's on-device threshold (cosine 0-1); re-matches from stored signatures.
#[tauri::command]
pub async fn set_local_threshold(
    engine: State<'_, Engine>,
    id: EventId,
    threshold: f32,
) -> CmdResult<EventDto> {
    engine
        .set_local_threshold(&id, threshold)
        .await
        .map_err(ErrorDto::from)
}

/// Chooses which photos of an event its server shows (matched ones, or all).
#[tauri::command]
pub async fn set_publish_choice(
    engine: State<'_, Engine>,
    id: EventId,
    choice: PublishChoice,
) -> CmdResult<EventDto> {
    engine
        .set_publish_choice(&id, choice)
        .await
        .map_err(ErrorDto::from)
}

/// Adds the photos taken from `from` to `to` (Unix ms, inclusive) to an event.
#[tauri::command]
pub async fn assign_taken(
    engine: State<'_, Engine>,
    event: EventId,
    from: i64,
    to: i64,
) -> CmdResult<AssignmentDto> {
    let selection = Selection::TakenBetween {
        from_ms: from,
        to_ms: to,
    };
    engine
        .assign(&event, selection)
        .await
        .map(Into::into)
        .map_err(ErrorDto::from)
}

/// One event's participants, for the events panel.
#[tauri::command]
pub async fn event_participants(
    engine: State<'_, Engine>,
    event: EventId,
) -> CmdResult<Vec<ParticipantDto>> {
    engine.participants(&event).await.map_err(ErrorDto::from)
}

/// Adds the selected photos to an event (they are matched against it next).
#[tauri::command]
pub async fn assign_photos(
    engine: State<'_, Engine>,
    event: EventId,
    photos: Vec<PhotoKey>,
) -> CmdResult<AssignmentDto> {
    let selection = Selection::Photos(photos);
    engine
        .assign(&event, selection)
        .await
        .map(Into::into)
        .map_err(ErrorDto::from)
}

/// Removes the selected photos from an event: its faces, matches and server
/// copies of them go.
#[tauri::command]
pub async fn unassign_photos(
    engine: State<'_, Engine>,
    event: EventId,
    photos: Vec<PhotoKey>,
) -> CmdResult<UnassignmentDto> {
    engine
        .unassign(&event, photos)
        .await
        .map(Into::into)
        .map_err(ErrorDto::from)
}

/// Unpublishes photos from an event's server (`published` false: withdrawn,
/// never pushed there again) or publishes them again; returns how many changed.
#[tauri::command]
pub async fn set_published(
    engine: State<'_, Engine>,
    event: EventId,
    photos: Vec<PhotoKey>,
    published: bool,
) -> CmdResult<u64> {
    engine
        .set_published(&event, photos, published)
        .await
        .map(|c| c.changed)
        .map_err(ErrorDto::from)
}

/// Adds a participant (consent given) with a selfie file; without an id one
/// is made from the name.
#[tauri::command]
pub async fn add_participant(
    engine: State<'_, Engine>,
    event: EventId,
    id: Option<ParticipantId>,
    name: String,
    selfie: PathBuf,
) -> CmdResult<ParticipantDto> {
    engine
        .add_participant_named(&event, id, &name, selfie)
        .await
        .map_err(ErrorDto::from)
}

/// Adds every photo of `dir` as a selfie (file stem = id; `names`: CSV `id,name`).
#[tauri::command]
pub async fn import_participants(
    engine: State<'_, Engine>,
    event: EventId,
    dir: PathBuf,
    names: Option<PathBuf>,
) -> CmdResult<ParticipantImportReport> {
    engine
        .import_participants(&event, &dir, names.as_deref())
        .await
        .map_err(ErrorDto::from)
}

#[tauri::command]
pub async fn remove_participant(
    engine: State<'_, Engine>,
    event: EventId,
    id: ParticipantId,
) -> CmdResult<()> {
    engine
        .remove_participant(&event, &id)
        .await
        .map_err(ErrorDto::from)
}

/// Gives or withdraws a participant's consent.
#[tauri::command]
pub async fn set_consent(
    engine: State<'_, Engine>,
    event: EventId,
    id: ParticipantId,
    consent: bool,
) -> CmdResult<ParticipantDto> {
    engine
        .set_consent(&event, &id, consent)
        .await
        .map_err(ErrorDto::from)
}

/// Uses one face of a participant's selfie that shows several.
#[tauri::command]
pub async fn pick_participant_face(
    engine: State<'_, Engine>,
    event: EventId,
    id: ParticipantId,
    face: u32,
) -> CmdResult<ParticipantDto> {
    engine
        .pick_participant_face(&event, &id, face)
        .await
        .map_err(ErrorDto::from)
}

#[tauri::command]
pub async fn stats(engine: State<'_, Engine>) -> CmdResult<Stats> {
    engine.stats().await.map_err(ErrorDto::from)
}

#[tauri::command]
pub async fn watched_folders(engine: State<'_, Engine>) -> CmdResult<Vec<WatchedFolderDto>> {
    engine.watched_folders().await.map_err(ErrorDto::from)
}

/// Watches a folder; its photos join `event` (default: the active event).
#[tauri::command]
pub async fn add_watched_folder(
    engine: State<'_, Engine>,
    path: PathBuf,
    poll: bool,
    event: Option<EventChoiceDto>,
) -> CmdResult<WatchedFolderDto> {
    let choice = event.map_or(EventChoice::Active, Into::into);
    engine
        .add_watched_folder(path, poll, choice)
        .await
        .map_err(ErrorDto::from)
}

#[tauri::command]
pub async fn remove_watched_folder(engine: State<'_, Engine>, path: PathBuf) -> CmdResult<()> {
    engine
        .remove_watched_folder(path)
        .await
        .map_err(ErrorDto::from)
}

/// Files and folders dropped on the window (imported in place, recursively).
#[tauri::command]
pub async fn import_paths(
    engine: State<'_, Engine>,
    paths: Vec<PathBuf>,
    event: Option<EventChoiceDto>,
) -> CmdResult<ImportReport> {
    let choice = event.map_or(EventChoice::Active, Into::into);
    engine
        .import_into(paths, choice)
        .await
        .map_err(ErrorDto::from)
}

#[tauri::command]
pub async fn import_card(
    engine: State<'_, Engine>,
    sources: Vec<PathBuf>,
    destination: PathBuf,
    backup: Option<PathBuf>,
    event: Option<EventChoiceDto>,
) -> CmdResult<ImportReport> {
    let copy = CopyOptions {
        destination,
        backup,
        layout: None, // the engine's default library layout
    };
    let choice = event.map_or(EventChoice::Active, Into::into);
    engine
        .import_card_into(sources, copy, choice)
        .await
        .map_err(ErrorDto::from)
}

#[tauri::command]
pub async fn failures(engine: State<'_, Engine>) -> CmdResult<Vec<FailureDto>> {
    engine.failures().await.map_err(ErrorDto::from)
}

// Event server settings. The token only travels webview → engine (in
// `SyncSettingsInput`, once per save or test): the answers carry `has_token`,
// never the token, and nothing here logs an input.

/// The event server the app syncs with, where that came from, and whether it runs.
#[tauri::command]
pub async fn sync_settings(engine: State<'_, Engine>) -> CmdResult<SyncSettingsDto> {
    engine.sync_settings().await.map_err(ErrorDto::from)
}

/// Saves server, event and (if given) token, and syncs with them from now on.
#[tauri::command]
pub async fn save_sync_settings(
    engine: State<'_, Engine>,
    input: SyncSettingsInput,
) -> CmdResult<SyncSettingsDto> {
    engine
        .save_sync_settings(input)
        .await
        .map_err(ErrorDto::from)
}

/// Stops syncing and forgets the saved server, event and token.
#[tauri::command]
pub async fn clear_sync_settings(engine: State<'_, Engine>) -> CmdResult<SyncSettingsDto> {
    engine.clear_sync_settings().await.map_err(ErrorDto::from)
}

/// Checks server, event and token (the given one, else the stored one); saves nothing.
#[tauri::command]
pub async fn test_sync_connection(
    engine: State<'_, Engine>,
    input: SyncSettingsInput,
) -> CmdResult<ConnectionTestDto> {
    engine
        .test_sync_connection(input)
        .await
        .map_err(ErrorDto::from)
}

/// Pulls the guest list now; false when no sync runs.
#[tauri::command]
pub fn pull_roster_now(engine: State<'_, Engine>) -> bool {
    engine.pull_roster_now()
}

/// The event's guest registration on its event server (link, QR code, count).
#[tauri::command]
pub async fn registration(engine: State<'_, Engine>, event: EventId) -> CmdResult<RegistrationDto> {
    engine.registration(&event).await.map_err(ErrorDto::from)
}

/// Opens or closes the guest registration, sets its code and short text.
#[tauri::command]
pub async fn set_registration(
    engine: State<'_, Engine>,
    event: EventId,
    change: RegistrationChangeDto,
) -> CmdResult<RegistrationDto> {
    engine
        .set_registration(&event, change)
        .await
        .map_err(ErrorDto::from)
}

/// Saves the printable registration card (`size` a6 or a4) in the data folder
/// and opens it in the system browser to print; `opened` says whether that worked.
#[tauri::command]
pub async fn print_registration_card(
    app: tauri::AppHandle,
    engine: State<'_, Engine>,
    event: EventId,
    size: CardSize,
) -> CmdResult<CardFileDto> {
    let mut card = engine
        .save_registration_card(&event, size)
        .await
        .map_err(ErrorDto::from)?;
    card.opened = crate::open_in_browser(&app, &card.path);
    Ok(card)
}

// Cameras sending over FTP. Account passwords travel engine → webview: the
// photographer types them into the camera from the setup sheet.

/// The FTP receiver now: settings, running or why not, addresses, accounts.
#[tauri::command]
pub async fn ftp_status(engine: State<'_, Engine>) -> CmdResult<FtpStatusDto> {
    engine.ftp_status().await.map_err(ErrorDto::from)
}

/// Saves the receiver's settings and restarts (or stops) it with them.
#[tauri::command]
pub async fn set_ftp_settings(
    engine: State<'_, Engine>,
    settings: FtpSettingsDto,
) -> CmdResult<FtpStatusDto> {
    engine
        .set_ftp_settings(settings)
        .await
        .map_err(ErrorDto::from)
}

/// Makes an account for one camera body (its password generated).
#[tauri::command]
pub async fn add_camera_account(
    engine: State<'_, Engine>,
    name: CameraAccount,
) -> CmdResult<NewCameraAccount> {
    engine
        .add_camera_account(name)
        .await
        .map_err(ErrorDto::from)
}

/// Revokes a camera account; its photos stay.
#[tauri::command]
pub async fn remove_camera_account(
    engine: State<'_, Engine>,
    name: CameraAccount,
) -> CmdResult<()> {
    engine
        .remove_camera_account(name)
        .await
        .map_err(ErrorDto::from)
}
