//! `findme`: the headless FindMe Studio. Drives the same engine as the desktop app.
//! The commands, their JSON output and their exit codes are a contract (README,
//! "CLI contract"): extend them, never break them.

mod ftp;
mod output;
mod people;
mod registration;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use findme_engine::{
    CopyOptions, DataDir, Engine, EngineConfig, EngineError, EventId, FtpOptions, MatchBackend,
    Token, DATA_DIR_VAR,
};

/// Where `scripts/models.sh` puts the face model in this source tree: the model's
/// last resort for a `findme` run from a checkout (FINDME_MODELS_DIR and the data
/// folder's `models/` come first). Binaries only: the engine knows no build paths.
const SOURCE_TREE_MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.cache/models");

#[derive(Parser)]
#[command(
    name = "findme",
    version,
    about = "FindMe Studio, headless: ingest and catalog event photos"
)]
struct Cli {
    /// Folder holding the catalog (default: the app's data folder).
    #[arg(long, global = true, env = DATA_DIR_VAR)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import files and folders (recursively); returns when ingest has finished.
    Import {
        /// Copy into this library folder first (card import), verifying every copy.
        #[arg(long, value_name = "DEST")]
        copy_to: Option<PathBuf>,
        /// With --copy-to: also copy to this second folder (another drive).
        #[arg(long, value_name = "DEST2", requires = "copy_to")]
        backup_to: Option<PathBuf>,
        /// With --copy-to: where copies go inside DEST.
        #[arg(long, requires = "copy_to", default_value = "{date}/{name}")]
        layout: String,
        /// Print one JSON object instead of a summary.
        #[arg(long)]
        json: bool,
        /// Return as soon as the photos are catalogued, without making their
        /// thumbnails and previews.
        #[arg(long)]
        no_thumbnails: bool,
        #[command(flatten)]
        event: people::EventArgs,
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Watch folders and ingest continuously until Ctrl-C / SIGTERM. PATHs are
    /// added to the persisted watched folders; with none, the saved ones are watched.
    Watch {
        /// Poll instead of OS notifications (network shares, some card readers).
        #[arg(long)]
        poll: bool,
        /// Seconds a file's size and mtime must hold still before it is read.
        #[arg(long, default_value_t = 2.0)]
        stable_for: f64,
        /// Seconds an incomplete file may sit unchanged before it is failed.
        #[arg(long, default_value_t = 60.0)]
        truncated_grace: f64,
        /// Seconds between full reconciliation scans.
        #[arg(long, default_value_t = 60.0)]
        reconcile_every: f64,
        /// The event the PATHs' photos (and with --ftp, the cameras' photos) join.
        #[command(flatten)]
        event: people::EventArgs,
        /// Also receive photos from cameras over FTP (accounts: `findme ftp accounts`).
        #[arg(long)]
        ftp: bool,
        /// The FTP receiver's port (default: the app's setting, else 2121).
        #[arg(long, value_name = "N", requires = "ftp")]
        ftp_port: Option<u16>,
        /// Where received photos land, as DIR/<date>/<account>/ (default: the
        /// app's library folder, else <data dir>/live).
        #[arg(long, value_name = "DIR", requires = "ftp")]
        ftp_dir: Option<PathBuf>,
        /// Passive data ports, FIRST-LAST (default: the app's setting, else 50000-50100).
        #[arg(long, value_name = "FIRST-LAST", requires = "ftp", value_parser = parse_port_range)]
        ftp_passive_ports: Option<(u16, u16)>,
        /// Offer explicit FTPS (AUTH TLS) with a generated self-signed certificate.
        #[arg(long, requires = "ftp")]
        ftps: bool,
        paths: Vec<PathBuf>,
    },
    /// List catalogued photos.
    Photos {
        /// Only this event's members (and their faces in it).
        #[arg(long)]
        event: Option<EventId>,
        #[arg(long)]
        json: bool,
    },
    /// Catalog and job-queue counters.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Files that could not be read at all.
    Failures {
        #[arg(long)]
        json: bool,
    },
    /// Manage watched folders.
    #[command(subcommand)]
    Folders(FoldersCommand),
    /// Events photos are matched against.
    #[command(subcommand)]
    Events(people::EventsCommand),
    /// An event's participants and their selfies.
    #[command(subcommand)]
    Participants(people::ParticipantsCommand),
    /// Match the event's photos until each is matched or quarantined, then report.
    Match {
        /// Event id (default: the active event; another one becomes active).
        #[arg(long)]
        event: Option<EventId>,
        /// Face matcher: auto (Rekognition when AWS is configured, else on-device),
        /// local (on-device), rekognition, off.
        #[arg(long, env = "FINDME_MATCH_BACKEND", default_value = "auto", value_parser = parse_backend)]
        backend: MatchBackend,
        #[arg(long)]
        json: bool,
    },
    /// Pull the event's roster (guests registered on the server; new ones are
    /// queued for matching), then push the event's results until nothing more
    /// can be pushed now (the rest stays pending). The token comes from
    /// FINDME_TOKEN, else from the keyring (saved by the app's settings).
    Sync {
        /// Event server base URL, e.g. https://events.example.com.
        #[arg(long)]
        server: String,
        /// Event id (the same on the server and in the catalog).
        #[arg(long)]
        event: EventId,
        /// Accept a plain http:// server that is not this computer: the token
        /// and the photos then cross the network in clear (refused otherwise).
        #[arg(long)]
        allow_plain_http: bool,
        #[arg(long)]
        json: bool,
    },
    /// Biometric data and selfie files waiting to be deleted.
    #[command(subcommand)]
    Deletions(DeletionsCommand),
    /// The FTP receiver cameras send to: camera accounts.
    #[command(subcommand)]
    Ftp(ftp::FtpCommand),
    /// Check the on-device face model on labelled photos (DIR/<person>/<photo>):
    /// true and false match rates at the threshold, and the score distributions.
    EvalFaces {
        dir: PathBuf,
        /// Cosine similarity threshold (default: the matcher's).
        #[arg(long)]
        threshold: Option<f32>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum DeletionsCommand {
    /// Carry out every pending deletion this process can (all events, each
    /// through the backend that holds the data), then report what is left.
    Run {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum FoldersCommand {
    List {
        #[arg(long)]
        json: bool,
    },
    Add {
        #[arg(long)]
        poll: bool,
        #[command(flatten)]
        event: people::EventArgs,
        path: PathBuf,
    },
    Remove {
        path: PathBuf,
    },
}

/// Runs the command; a failure prints its reason and exits with the code of its
/// kind (README, "Exit codes").
fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = if matches!(cli.command, Command::Watch { .. }) {
        "info"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FINDME_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = tokio::runtime::Runtime::new()
        .context("cannot start the async runtime")
        .and_then(|runtime| runtime.block_on(run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("Error: {err:#}");
            ExitCode::from(exit_code(&err))
        }
    }
}

/// The exit code of the engine error behind `err`, if any (1 otherwise).
fn exit_code(err: &anyhow::Error) -> u8 {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<EngineError>())
        .map_or(1, |e| e.kind().exit_code())
}

async fn run(cli: Cli) -> Result<()> {
    // Needs no catalog: runs without opening (or creating) a data folder.
    if let Command::EvalFaces {
        dir,
        threshold,
        json,
    } = cli.command
    {
        let data = cli.data_dir.map(DataDir::new).or_else(DataDir::from_env);
        let models = EngineConfig::from_env(data.map_or_else(PathBuf::new, |d| d.root().into()))
            .matching
            .local
            .models_dir;
        let models = with_source_tree_fallback(models);
        let evaluation = tokio::task::spawn_blocking(move || {
            findme_engine::evaluate_faces(&models, &dir, threshold)
        })
        .await??;
        return output::face_evaluation(&evaluation, json);
    }
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => DataDir::from_env()
            .context("no data folder: pass --data-dir or set FINDME_DATA_DIR")?
            .root()
            .to_path_buf(),
    };
    // Read before opening anything, so a missing token costs nothing. Never printed.
    let token = match &cli.command {
        Command::Sync { server, event, .. } => {
            // The keyring blocks on D-Bus: off the async threads.
            let (server, event) = (server.clone(), event.clone());
            let token = tokio::task::spawn_blocking(move || sync_token(&server, &event));
            Some(token.await.context("keyring task failed")??)
        }
        _ => None,
    };
    let mut config = EngineConfig::from_env(data_dir);
    config.matching.local.models_dir = with_source_tree_fallback(config.matching.local.models_dir);
    if let Command::Watch {
        stable_for,
        truncated_grace,
        reconcile_every,
        ..
    } = &cli.command
    {
        config.watch.stable_for = seconds(*stable_for, "--stable-for")?;
        config.watch.truncated_grace = seconds(*truncated_grace, "--truncated-grace")?;
        config.watch.reconcile_every = seconds(*reconcile_every, "--reconcile-every")?;
        config.resume_saved_sync = true;
    }
    if let Command::Match { backend, .. } = &cli.command {
        config.matching.backend = *backend;
    }
    let engine = Engine::open(config)
        .await
        .context("cannot open the catalog")?;
    let result = execute(&engine, cli.command, token).await;
    engine.shutdown().await;
    result
}

async fn execute(engine: &Engine, command: Command, token: Option<Token>) -> Result<()> {
    match command {
        Command::Import {
            copy_to,
            backup_to,
            layout,
            json,
            no_thumbnails,
            event,
            paths,
        } => {
            let report = match copy_to {
                Some(destination) => {
                    let copy = CopyOptions {
                        destination,
                        backup: backup_to,
                        layout: Some(layout),
                    };
                    engine.import_card_into(paths, copy, event.choice()).await?
                }
                None => engine.import_into(paths, event.choice()).await?,
            };
            if !no_thumbnails {
                engine
                    .make_thumbnails()
                    .await
                    .context("making thumbnails")?;
            }
            output::import(&report, json)
        }
        Command::Watch {
            poll,
            paths,
            event,
            ftp,
            ftp_port,
            ftp_dir,
            ftp_passive_ports,
            ftps,
            ..
        } => {
            for path in paths {
                engine
                    .add_watched_folder(path, poll, event.choice())
                    .await?;
            }
            let folders = engine.watched_folders().await?;
            if folders.is_empty() && !ftp {
                return Err(EngineError::Invalid(
                    "no folders to watch: pass one or more PATHs (or --ftp)".into(),
                )
                .into());
            }
            engine.start_watching().await?;
            if ftp {
                let options = FtpOptions {
                    port: ftp_port,
                    passive_ports: ftp_passive_ports,
                    dir: ftp_dir,
                    ftps: ftps.then_some(true),
                    event: event.explicit_choice(),
                };
                let status = engine.start_ftp(options).await?;
                eprintln!(
                    "receiving photos from cameras over FTP on port {} into {}",
                    status.port.unwrap_or_default(),
                    status.dir
                );
            }
            for folder in &folders {
                eprintln!(
                    "watching {}{}",
                    folder.path,
                    if folder.poll { " (polling)" } else { "" }
                );
            }
            wait_for_shutdown_signal().await?;
            eprintln!("stopping: finishing files in progress");
            Ok(())
        }
        Command::Photos { event, json } => output::photos(&engine.event_photos(event).await?, json),
        Command::Stats { json } => output::stats(&engine.stats().await?, json),
        Command::Failures { json } => output::failures(&engine.failures().await?, json),
        Command::Folders(FoldersCommand::List { json }) => {
            output::folders(&engine.watched_folders().await?, json)
        }
        Command::Folders(FoldersCommand::Add { poll, event, path }) => {
            let folder = engine
                .add_watched_folder(path, poll, event.choice())
                .await?;
            println!("watching {}", folder.path);
            Ok(())
        }
        Command::Folders(FoldersCommand::Remove { path }) => {
            engine.remove_watched_folder(path).await?;
            Ok(())
        }
        Command::Deletions(DeletionsCommand::Run { json }) => {
            output::deletion_report(&engine.run_deletions().await?, json)
        }
        Command::Ftp(command) => ftp::run(engine, command).await,
        Command::Events(command) => people::events(engine, command).await,
        Command::Participants(command) => people::participants(engine, command).await,
        Command::Match { event, json, .. } => {
            let report = engine.match_event(event.as_ref()).await?;
            output::match_report(&report, json)
        }
        Command::Sync {
            server,
            event,
            allow_plain_http,
            json,
        } => {
            let token = token.context("no token: set FINDME_TOKEN")?;
            let report = engine
                .sync_with(&server, &event, token, allow_plain_http)
                .await?;
            output::sync_report(&report, json)
        }
        // Handled above, before the engine opens.
        Command::EvalFaces { .. } => Ok(()),
    }
}

/// The configured model folder, or the source tree's when that holds nothing and
/// FINDME_MODELS_DIR does not name it (a `findme` run from a checkout).
fn with_source_tree_fallback(models: PathBuf) -> PathBuf {
    let named = std::env::var_os("FINDME_MODELS_DIR").is_some_and(|v| !v.is_empty());
    if named || models.is_dir() || !Path::new(SOURCE_TREE_MODELS).is_dir() {
        models
    } else {
        PathBuf::from(SOURCE_TREE_MODELS)
    }
}

/// The event server's photographer token: FINDME_TOKEN, else the token the app's
/// settings screen stored in the keyring for this server and event.
fn sync_token(server: &str, event: &EventId) -> Result<Token> {
    use findme_engine::secrets::{token_account, OsKeyring, SecretStore};
    if let Ok(token) = std::env::var("FINDME_TOKEN") {
        if !token.trim().is_empty() {
            return Ok(Token::new(token.trim()));
        }
    }
    let server = server.trim().trim_end_matches('/');
    match OsKeyring.get(&token_account(server, event.as_str())) {
        Ok(Some(token)) => Ok(Token::new(token)),
        Ok(None) | Err(_) => Err(EngineError::Unauthorized(
            "no event server token: set FINDME_TOKEN to the photographer token of the event \
             (or save it in the app's event server settings)"
                .into(),
        )
        .into()),
    }
}

fn seconds(value: f64, flag: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        EngineError::Invalid(format!("{flag} must be a positive number of seconds")).into()
    })
}

fn parse_port_range(range: &str) -> Result<(u16, u16), String> {
    let parsed = range
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
    match parsed {
        Some((first, last)) if first > 0 && first <= last => Ok((first, last)),
        _ => Err(format!("{range:?} is not a port range like 50000-50100")),
    }
}

pub(crate) fn parse_backend(name: &str) -> Result<MatchBackend, String> {
    MatchBackend::parse(name)
        .ok_or_else(|| format!("unknown backend {name:?}: use auto, local, rekognition or off"))
}

#[cfg(unix)]
async fn wait_for_shutdown_signal() -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}

#[cfg(not(unix))]
async fn wait_for_shutdown_signal() -> Result<()> {
    tokio::signal::ctrl_c()
        .await
        .context("cannot listen for Ctrl-C")
}
