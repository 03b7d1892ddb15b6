// The app's own commands get permissions (`allow-<command>`) so the capability file
// in capabilities/ grants exactly these and nothing else.
const COMMANDS: &[&str] = &[
    "tiles",
    "tile_changes",
    "photo_detail",
    "activity",
    "stats",
    "watched_folders",
    "add_watched_folder",
    "remove_watched_folder",
    "import_paths",
    "import_card",
    "failures",
    "participants",
    "events",
    "create_event",
    "use_event",
    "close_event",
    "set_local_threshold",
    "event_participants",
    "remove_participant",
    "set_consent",
    "sync_settings",
    "save_sync_settings",
    "clear_sync_settings",
    "test_sync_connection",
    "pull_roster_now",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
