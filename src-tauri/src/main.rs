//! FindMe Studio: the desktop shell. It opens the engine, exposes it to the webview
//! as commands (see `commands`), forwards engine events (see `events`) and shuts the
//! engine down on exit. Everything else lives in `findme-engine` and in `ui/`.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod events;
mod protocol;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use findme_engine::{Engine, EngineConfig};
use tauri::{
    http, App, AppHandle, Emitter, Manager, RunEvent, UriSchemeContext, UriSchemeResponder, Wry,
};
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};
use tracing_subscriber::EnvFilter;

/// Overrides where the catalog lives (tests, several libraries side by side).
const DATA_DIR_ENV: &str = "FINDME_DATA_DIR";

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    if let Err(err) = run() {
        tracing::error!("FindMe Studio failed: {err:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            exit_on_signals(app.handle().clone());
            if let Err(err) = setup(app) {
                fail_to_start(app.handle(), &err);
            }
            Ok(())
        })
        .register_asynchronous_uri_scheme_protocol(protocol::SCHEME, serve_rendition)
        .invoke_handler(tauri::generate_handler![
            commands::tiles,
            commands::tile_changes,
            commands::photo_detail,
            commands::activity,
            commands::stats,
            commands::watched_folders,
            commands::add_watched_folder,
            commands::remove_watched_folder,
            commands::import_paths,
            commands::import_card,
            commands::failures,
            commands::participants,
            commands::events,
            commands::create_event,
            commands::use_event,
            commands::close_event,
            commands::set_local_threshold,
            commands::event_participants,
            commands::remove_participant,
            commands::set_consent,
            commands::sync_settings,
            commands::save_sync_settings,
            commands::clear_sync_settings,
            commands::test_sync_connection,
            commands::pull_roster_now,
        ])
        .build(tauri::generate_context!())
        .context("starting the window")?;

    let shut_down = AtomicBool::new(false);
    app.run(move |handle, event| {
        if let RunEvent::Exit = event {
            if !shut_down.swap(true, Ordering::SeqCst) {
                shutdown(handle);
            }
        }
    });
    Ok(())
}

/// The `thumb` scheme: answered off the main thread (rendering a missing thumbnail
/// takes a while); the request -> response logic is `protocol::respond`.
fn serve_rendition(
    ctx: UriSchemeContext<'_, Wry>,
    request: http::Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let engine = ctx
        .app_handle()
        .try_state::<Engine>()
        .map(|e| e.inner().clone());
    tauri::async_runtime::spawn(async move {
        let response = match engine {
            Some(engine) => protocol::respond(&engine, &request).await,
            None => protocol::unavailable(),
        };
        responder.respond(response);
    });
}

/// The face models shipped as app resources (bundle.resources in tauri.conf.json),
/// unless `FINDME_MODELS_DIR` says otherwise. Debug builds run from the source tree
/// fall back to its .cache/models (the engine's default).
fn bundled_models(app: &AppHandle) -> Option<PathBuf> {
    if std::env::var_os("FINDME_MODELS_DIR").is_some() {
        return None;
    }
    let dir = app.path().resource_dir().ok()?.join("models");
    dir.is_dir().then_some(dir)
}

/// Opens the engine, hands it to the commands, and starts the event forwarder and
/// the folder watchers.
fn setup(app: &mut App) -> anyhow::Result<()> {
    let data_dir = data_dir(app.handle())?;
    tracing::info!(data_dir = %data_dir.display(), "opening the catalog");
    let mut config = EngineConfig::new(data_dir);
    config.resume_saved_sync = true;
    if let Some(models) = bundled_models(app.handle()) {
        config.matching.local.models_dir = models;
    }
    let engine =
        tauri::async_runtime::block_on(Engine::open(config)).context("opening the catalog")?;

    // Subscribe before anything starts so that no early event is lost.
    let rx = engine.subscribe();
    let handle = app.handle().clone();
    tauri::async_runtime::spawn(events::forward(rx, events::COALESCE_WINDOW, move |batch| {
        if let Err(err) = handle.emit(events::ENGINE_EVENT, batch) {
            tracing::warn!("could not send engine events to the window: {err}");
        }
    }));

    let watcher = engine.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(err) = watcher.start_watching().await {
            tracing::error!("could not start watching folders: {err}");
        }
    });

    app.manage(engine);
    Ok(())
}

/// Ctrl-C or SIGTERM (a terminal, a session logout, the e2e driver) closes the app the
/// normal way, so the engine still shuts down cleanly.
#[cfg(unix)]
fn exit_on_signals(app: AppHandle) {
    use tokio::signal::unix::{signal, SignalKind};
    tauri::async_runtime::spawn(async move {
        let (mut term, mut int) = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(term), Ok(int)) => (term, int),
            (Err(err), _) | (_, Err(err)) => {
                tracing::warn!("cannot listen for exit signals: {err}");
                return;
            }
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: closing"),
            _ = int.recv() => tracing::info!("SIGINT: closing"),
        }
        app.exit(0);
    });
}

#[cfg(not(unix))]
fn exit_on_signals(_app: AppHandle) {}

/// The catalog could not be opened (data folder unwritable, disk full, catalog from a
/// newer version...): say so in a dialog, not a crash, and quit when it is closed.
fn fail_to_start(app: &AppHandle, err: &anyhow::Error) {
    tracing::error!("FindMe Studio cannot start: {err:#}");
    // The UI can do nothing without the engine: show only the explanation.
    if let Some(window) = app.get_webview_window("main") {
        if let Err(err) = window.hide() {
            tracing::warn!("could not hide the window: {err}");
        }
    }
    let handle = app.clone();
    app.dialog()
        .message(format!(
            "FindMe Studio could not open its catalog.\n\n{err:#}"
        ))
        .title("FindMe Studio")
        .kind(MessageDialogKind::Error)
        .show(move |_| handle.exit(1));
}

fn data_dir(app: &AppHandle) -> anyhow::Result<PathBuf> {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => app
            .path()
            .app_data_dir()
            .context("finding the app data folder"),
    }
}

fn shutdown(app: &AppHandle) {
    if let Some(engine) = app.try_state::<Engine>() {
        tracing::info!("shutting the engine down");
        tauri::async_runtime::block_on(engine.shutdown());
    }
}
