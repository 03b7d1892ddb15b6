//! `findme-event-server`: serve protocol v1, or manage events and participants.
//! Argument parsing and printing only; the work is in the library.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use findme_event_server::{serve_with_shutdown, Admin, ServerConfig};
use serde_json::json;

#[derive(Parser)]
#[command(version, about = "The reference FindMe event server (protocol v1)")]
struct Cli {
    /// Folder holding the database and the images (created if missing).
    #[arg(long, env = "FINDME_EVENT_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Address to serve on (port 0 picks a free port; the chosen one is printed).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: String,
    /// Largest accepted image upload in bytes (413 above).
    #[arg(long, default_value_t = findme_protocol::DEFAULT_MAX_IMAGE_BYTES)]
    max_image_bytes: usize,
    /// Seed the `demo` event with the selfies in --demo-dir and print their tokens.
    #[arg(long)]
    demo: bool,
    /// Selfies for --demo (file stem = participant id).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/demo"))]
    demo_dir: PathBuf,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Create an event; prints its id and the photographer token (shown only once).
    CreateEvent {
        #[arg(long)]
        name: String,
        /// Event id (default: random `ev_…`).
        #[arg(long)]
        id: Option<String>,
    },
    /// Add (or replace) a participant; prints the attendee token (shown only once).
    AddParticipant {
        #[arg(long)]
        event: String,
        #[arg(long)]
        name: String,
        /// JPEG or PNG selfie.
        #[arg(long)]
        selfie: PathBuf,
        /// Participant id (default: random `p_…`).
        #[arg(long)]
        id: Option<String>,
    },
    /// Withdraw (default) or give back a participant's consent.
    SetConsent {
        #[arg(long)]
        event: String,
        #[arg(long)]
        id: String,
        #[arg(long)]
        give: bool,
    },
    /// Delete a participant (their attendee token stops working).
    RemoveParticipant {
        #[arg(long)]
        event: String,
        #[arg(long)]
        id: String,
    },
    /// Mint another photographer token for an event.
    PhotographerToken {
        #[arg(long)]
        event: String,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let data_dir = cli
        .data_dir
        .clone()
        .context("--data-dir (or FINDME_EVENT_DATA_DIR) is required")?;
    match &cli.command {
        None => serve(&cli, data_dir),
        Some(cmd) => admin(cmd, &data_dir, cli.json),
    }
}

fn admin(cmd: &Command, data_dir: &std::path::Path, json: bool) -> Result<()> {
    let admin = Admin::open(data_dir)?;
    match cmd {
        Command::CreateEvent { name, id } => {
            let ev = admin.create_event(name, id.as_deref())?;
            if json {
                println!("{}", serde_json::to_string(&ev)?);
            } else {
                println!(
                    "event: {}\nphotographer token: {}",
                    ev.event, ev.photographer_token
                );
            }
        }
        Command::AddParticipant {
            event,
            name,
            selfie,
            id,
        } => {
            let p = admin.add_participant_file(event, name, selfie, id.as_deref())?;
            if json {
                println!("{}", serde_json::to_string(&p)?);
            } else {
                println!(
                    "participant: {}\nattendee token: {}",
                    p.participant, p.attendee_token
                );
            }
        }
        Command::SetConsent { event, id, give } => admin.set_consent(event, id, *give)?,
        Command::RemoveParticipant { event, id } => admin.remove_participant(event, id)?,
        Command::PhotographerToken { event } => {
            let token = admin.photographer_token(event)?;
            if json {
                println!("{}", json!({ "event": event, "photographer_token": token }));
            } else {
                println!("photographer token: {token}");
            }
        }
    }
    Ok(())
}

fn serve(cli: &Cli, data_dir: PathBuf) -> Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&cli.listen)
            .await
            .with_context(|| format!("binding {}", cli.listen))?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        if cli.demo {
            let (dir, data) = (cli.demo_dir.clone(), data_dir.clone());
            let (token, people) =
                tokio::task::spawn_blocking(move || Admin::open(&data)?.seed_demo(&dir)).await??;
            print_demo(&base, &token, &people, cli.json)?;
        }
        if cli.json {
            println!("{}", json!({ "listening": base }));
        } else {
            println!("listening on {base}");
        }
        let mut config = ServerConfig::new(data_dir);
        config.max_image_bytes = cli.max_image_bytes;
        serve_with_shutdown(listener, config, shutdown_signal()).await?;
        Ok(())
    })
}

fn print_demo(
    base: &str,
    token: &str,
    people: &[findme_event_server::NewParticipant],
    json: bool,
) -> Result<()> {
    if json {
        let list: Vec<_> = people
            .iter()
            .map(|p| {
                json!({ "participant": p.participant, "display_name": p.display_name,
                        "attendee_token": p.attendee_token,
                        "page": format!("{base}/?token={}", p.attendee_token) })
            })
            .collect();
        let demo = json!({ "event": "demo", "photographer_token": token, "participants": list });
        println!("{}", json!({ "demo": demo }));
    } else {
        println!("demo event: demo\nphotographer token: {token}");
        for p in people {
            println!(
                "participant {} ({}): {base}/?token={}",
                p.participant, p.display_name, p.attendee_token
            );
        }
    }
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish in-flight requests.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down");
}
