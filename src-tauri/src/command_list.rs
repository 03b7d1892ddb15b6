// The app's IPC commands, listed once. `main.rs` registers exactly these
// (`tauri::generate_handler!`), `build.rs` (which `include!`s this file) makes an
// `allow-<command>` permission for each, and `ipc_contract` tests that
// capabilities/default.json grants each, and that the UI's calls (ui/src/lib/api.ts)
// and the browser tests' fake shell name nothing else. A command is added here and
// in commands.rs; the tests then say what else must follow.

/// Calls `$apply!` with the command names.
macro_rules! app_commands {
    ($apply:ident) => {
        $apply! {
            tiles,
            tile_changes,
            photo_detail,
            activity,
            stats,
            watched_folders,
            add_watched_folder,
            remove_watched_folder,
            import_paths,
            import_card,
            failures,
            participants,
            events,
            create_event,
            use_event,
            close_event,
            set_local_threshold,
            set_publish_choice,
            event_participants,
            assign_photos,
            assign_taken,
            unassign_photos,
            set_published,
            add_participant,
            import_participants,
            remove_participant,
            set_consent,
            pick_participant_face,
            sync_settings,
            save_sync_settings,
            clear_sync_settings,
            test_sync_connection,
            pull_roster_now,
            registration,
            set_registration,
            print_registration_card,
            ftp_status,
            set_ftp_settings,
            add_camera_account,
            remove_camera_account,
        }
    };
}

/// The names as strings: `app_commands!(command_names)`.
#[allow(unused_macros)]
macro_rules! command_names {
    ($($command:ident),* $(,)?) => {
        &[$(stringify!($command)),*]
    };
}
