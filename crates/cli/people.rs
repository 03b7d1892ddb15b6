//! `findme events …`, `findme participants …` and `findme match`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use findme_engine::{Engine, EventId, ParticipantId};

use crate::output;

#[derive(Subcommand)]
pub enum EventsCommand {
    /// Create an event (the first one becomes the active event).
    Create {
        #[arg(long)]
        id: EventId,
        #[arg(long)]
        name: Option<String>,
        /// Minimum similarity (0-100) for a face to count as a participant.
        #[arg(long)]
        threshold: Option<f32>,
        #[arg(long)]
        json: bool,
    },
    List {
        #[arg(long)]
        json: bool,
    },
    /// Match new photos against this event from now on.
    Use { id: EventId },
    /// Set the on-device matcher's threshold (cosine similarity 0-1, default 0.40)
    /// for an event: matches below it go, matches above it are found again from
    /// the stored face signatures (no photo is decoded again).
    Threshold {
        id: EventId,
        threshold: f32,
        #[arg(long)]
        json: bool,
    },
    /// Close an event: its face collection is deleted and nothing more is matched
    /// against it (matches found so far stay). Closed events cannot be reopened.
    Close {
        id: EventId,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ParticipantsCommand {
    /// Add (or update) a participant with their selfie.
    Add {
        #[arg(long)]
        event: EventId,
        #[arg(long)]
        id: ParticipantId,
        #[arg(long)]
        name: String,
        #[arg(long)]
        selfie: PathBuf,
        /// Keep the participant out of matching (never indexed).
        #[arg(long)]
        no_consent: bool,
        #[arg(long)]
        json: bool,
    },
    /// Add every photo of DIR as a selfie: the file stem is the participant id.
    Import {
        #[arg(long)]
        event: EventId,
        /// CSV lines `id,name` giving display names.
        #[arg(long)]
        names: Option<PathBuf>,
        #[arg(long)]
        json: bool,
        dir: PathBuf,
    },
    List {
        #[arg(long)]
        event: EventId,
        #[arg(long)]
        json: bool,
    },
    /// Remove a participant: their matches go, their face leaves the index.
    Remove {
        #[arg(long)]
        event: EventId,
        #[arg(long)]
        id: ParticipantId,
    },
    /// Withdraw (or with --give, give back) a participant's consent.
    Consent {
        #[arg(long)]
        event: EventId,
        #[arg(long)]
        id: ParticipantId,
        #[arg(long)]
        give: bool,
    },
}

pub async fn events(engine: &Engine, command: EventsCommand) -> Result<()> {
    match command {
        EventsCommand::Create {
            id,
            name,
            threshold,
            json,
        } => {
            let name = name.unwrap_or_else(|| id.to_string());
            let event = engine.create_event(&id, &name, threshold).await?;
            output::events(std::slice::from_ref(&event), json)
        }
        EventsCommand::List { json } => output::events(&engine.events().await?, json),
        EventsCommand::Use { id } => Ok(engine.use_event(&id).await?),
        EventsCommand::Threshold {
            id,
            threshold,
            json,
        } => {
            let event = engine.set_local_threshold(&id, threshold).await?;
            output::events(std::slice::from_ref(&event), json)
        }
        EventsCommand::Close { id, json } => {
            let event = engine.close_event(&id).await?;
            output::events(std::slice::from_ref(&event), json)
        }
    }
}

pub async fn participants(engine: &Engine, command: ParticipantsCommand) -> Result<()> {
    match command {
        ParticipantsCommand::Add {
            event,
            id,
            name,
            selfie,
            no_consent,
            json,
        } => {
            let p = engine
                .add_participant(&event, &id, &name, Some(selfie), !no_consent)
                .await?;
            output::participants(std::slice::from_ref(&p), json)
        }
        ParticipantsCommand::Import {
            event,
            names,
            json,
            dir,
        } => {
            let report = engine
                .import_participants(&event, &dir, names.as_deref())
                .await?;
            output::participant_import(&report, json)
        }
        ParticipantsCommand::List { event, json } => {
            output::participants(&engine.participants(&event).await?, json)
        }
        ParticipantsCommand::Remove { event, id } => {
            Ok(engine.remove_participant(&event, &id).await?)
        }
        ParticipantsCommand::Consent { event, id, give } => {
            engine.set_consent(&event, &id, give).await?;
            Ok(())
        }
    }
}
