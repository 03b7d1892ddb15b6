//! FindMe Studio: the desktop shell. It opens the engine, exposes it to the webview
//! as commands (see `commands`), forwards engine events (see `events`) and shuts the
//! engine down on exit. Everything else lives in `findme-engine` and in `ui/`.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[macro_use]
mod command_list;
mod commands;
#[cfg(test)]
mod ipc_contract;
mod notices;
mod protocol;

/// `tauri::generate_handler!` over every command in `command_list.rs`.
macro_rules! handler {
    ($($command:ident),* $(,)?) => {
        tauri::generate_handler![$(commands::$command),*]
    };
}

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use findme_engine::{DataDir, Engine, EngineConfig};
use tauri::{
    http, App, AppHandle, Emitter, Manager, RunEvent, UriSchemeContext, UriSchemeResponder, Wry,
};
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};
use tracing_subscriber::EnvFilter;

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
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            exit_on_signals(app.handle().clone());
            if let Err(err) = setup(app) {
                fail_to_start(app.handle(), &err);
            }
            Ok(())
        })
        .register_asynchronous_uri_scheme_protocol(protocol::SCHEME, serve_rendition)
        .invoke_handler(app_commands!(handler))
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

/// Opens a file the engine saved (the registration card) with the system's
/// default program for it; false when that failed (the UI shows the path).
pub(crate) fn open_in_browser(app: &AppHandle, path: &str) -> bool {
    use tauri_plugin_opener::OpenerExt;
    match app.opener().open_path(path, None::<&str>) {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!(error = %err, "could not open the card");
            false
        }
    }
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

/// Where `scripts/models.sh` puts the face model in this source tree, for debug
/// builds run from a checkout. Binaries only: the engine knows no build paths.
const SOURCE_TREE_MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../.cache/models");

/// The face models: `FINDME_MODELS_DIR` (already in the config), else the ones
/// shipped as app resources (bundle.resources in tauri.conf.json), else the data
/// folder's `models/`, else (debug builds) the source tree's.
fn models_dir(app: &AppHandle, configured: PathBuf) -> PathBuf {
    if std::env::var_os("FINDME_MODELS_DIR").is_some_and(|v| !v.is_empty()) {
        return configured;
    }
    let bundled = app.path().resource_dir().ok().map(|d| d.join("models"));
    let source_tree = cfg!(debug_assertions).then(|| PathBuf::from(SOURCE_TREE_MODELS));
    [bundled, Some(configured.clone()), source_tree]
        .into_iter()
        .flatten()
        .find(|dir| dir.is_dir())
        .unwrap_or(configured)
}

/// Opens the engine, hands it to the commands, and starts the event forwarder and
/// the folder watchers.
fn setup(app: &mut App) -> anyhow::Result<()> {
    // The same folder the CLI defaults to (and Tauri's app_data_dir names).
    let data = DataDir::from_env().context("finding the app data folder")?;
    tracing::info!(data_dir = %data.root().display(), "opening the catalog");
    let mut config = EngineConfig::from_env(data.root());
    config.resume_saved_sync = true;
    config.matching.local.models_dir =
        models_dir(app.handle(), config.matching.local.models_dir.clone());
    let engine =
        tauri::async_runtime::block_on(Engine::open(config)).context("opening the catalog")?;

    // Subscribe before anything starts so that no early notice is lost.
    let rx = engine.subscribe();
    let handle = app.handle().clone();
    tauri::async_runtime::spawn(notices::forward(
        rx,
        notices::COALESCE_WINDOW,
        move |batch| {
            if let Err(err) = handle.emit(notices::NOTICES_CHANNEL, batch) {
                tracing::warn!("could not send the engine's notices to the window: {err}");
            }
        },
    ));

    let watcher = engine.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(err) = watcher.start_watching().await {
            tracing::error!("could not start watching folders: {err}");
        }
        // Cameras sending over FTP, if the photographer switched the receiver on.
        watcher.start_ftp_if_enabled().await;
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

fn shutdown(app: &AppHandle) {
    if let Some(engine) = app.try_state::<Engine>() {
        tracing::info!("shutting the engine down");
        tauri::async_runtime::block_on(engine.shutdown());
    }
}
