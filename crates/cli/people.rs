//! `findme events …`, `findme participants …` and `findme match`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use findme_engine::{
    Engine, EventChoice, EventId, MatchBackend, ParticipantId, PhotoKey, PublishChoice, Selection,
};

use crate::output;

#[derive(Subcommand)]
pub enum EventsCommand {
    /// Create an event (the first one becomes the active event).
    Create {
        #[arg(long)]
        id: EventId,
        #[arg(long)]
        name: Option<String>,
        /// The similarity a face needs to count as a participant, in the
        /// matcher's scale: 0-1 (cosine) with --backend local, else 0-100.
        #[arg(long)]
        threshold: Option<f32>,
        /// Which matcher matches this event: local (on this computer) or
        /// rekognition (AWS). Default: the first one that indexes a face.
        #[arg(long, value_parser = crate::parse_backend)]
        backend: Option<MatchBackend>,
        /// Which photos its server shows: matched (only photos with a matched
        /// participant, the default) or all.
        #[arg(long, value_parser = parse_publish)]
        publish: Option<PublishChoice>,
        #[arg(long)]
        json: bool,
    },
    /// Add photos of the catalog to an event: every one, those taken in a time
    /// range, or the ones named by SHA-256. They are matched against it next.
    Assign {
        #[arg(long)]
        event: EventId,
        /// Every photo of the catalog.
        #[arg(long, conflicts_with_all = ["taken_from", "photos"])]
        all: bool,
        /// Taken at or after this instant (RFC 3339, e.g. 2026-06-01T14:00:00+02:00).
        #[arg(long, requires = "taken_to", conflicts_with = "photos")]
        taken_from: Option<String>,
        /// Taken at or before this instant (RFC 3339).
        #[arg(long, requires = "taken_from")]
        taken_to: Option<String>,
        #[arg(long)]
        json: bool,
        /// SHA-256s of the photos (as `findme photos --json` lists them).
        #[arg(value_name = "SHA256")]
        photos: Vec<PhotoKey>,
    },
    /// Remove photos from an event: its faces of them (here and in its
    /// Rekognition collection) and its matches go, and its server withdraws them.
    Unassign {
        #[arg(long)]
        event: EventId,
        #[arg(long)]
        json: bool,
        /// SHA-256s of the photos.
        #[arg(value_name = "SHA256", required = true)]
        photos: Vec<PhotoKey>,
    },
    /// Unpublish photos from an event's server: withdrawn, and never pushed
    /// there again until published again (their matches stay).
    Unpublish {
        #[arg(long)]
        event: EventId,
        #[arg(long)]
        json: bool,
        #[arg(value_name = "SHA256", required = true)]
        photos: Vec<PhotoKey>,
    },
    /// Publish unpublished photos to the event's server again.
    Publish {
        #[arg(long)]
        event: EventId,
        #[arg(long)]
        json: bool,
        #[arg(value_name = "SHA256", required = true)]
        photos: Vec<PhotoKey>,
    },
    /// Choose which photos an event's server shows: matched (only photos with
    /// a matched participant) or all. Photos now left out are withdrawn from
    /// it, photos now included are sent.
    Publishing {
        id: EventId,
        #[arg(value_parser = parse_publish)]
        choice: PublishChoice,
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
    /// Guests registering themselves on the event server's page: show it, open
    /// or close it, set the event code and the short text, save the link's QR
    /// code (--qr) or the printable card (--card a6|a4).
    Registration(crate::registration::RegistrationArgs),
    /// Close an event: nothing more is matched against it; its face data and
    /// selfies are deleted (matches found so far stay). Closed events cannot be
    /// reopened.
    Close {
        id: EventId,
        /// Also take the event's photos off its event server (by default they
        /// stay there for the guests).
        #[arg(long)]
        withdraw_photos: bool,
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
    /// Use face N of a participant's selfie (0 = the largest, as `faces` in
    /// `list --json`) when it shows several: that face alone is indexed.
    PickFace {
        #[arg(long)]
        event: EventId,
        #[arg(long)]
        id: ParticipantId,
        #[arg(long)]
        face: u32,
        #[arg(long)]
        json: bool,
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
            backend,
            publish,
            json,
        } => {
            let name = name.unwrap_or_else(|| id.to_string());
            let mut event = engine
                .create_event_with(&id, &name, backend, threshold)
                .await?;
            if let Some(choice) = publish {
                event = engine.set_publish_choice(&id, choice).await?;
            }
            output::events(std::slice::from_ref(&event), json)
        }
        EventsCommand::Publishing { id, choice, json } => {
            let event = engine.set_publish_choice(&id, choice).await?;
            output::events(std::slice::from_ref(&event), json)
        }
        EventsCommand::Assign {
            event,
            all,
            taken_from,
            taken_to,
            json,
            photos,
        } => {
            let selection = match (all, taken_from, taken_to) {
                (true, _, _) => Selection::All,
                (false, Some(from), Some(to)) => Selection::TakenBetween {
                    from_ms: instant_ms(&from, "--taken-from")?,
                    to_ms: instant_ms(&to, "--taken-to")?,
                },
                _ if !photos.is_empty() => Selection::Photos(photos),
                _ => {
                    return Err(findme_engine::EngineError::Invalid(
                        "say which photos: --all, --taken-from/--taken-to, or their SHA-256s"
                            .into(),
                    )
                    .into())
                }
            };
            output::assignment(&engine.assign(&event, selection).await?, json)
        }
        EventsCommand::Unassign {
            event,
            json,
            photos,
        } => output::unassignment(&engine.unassign(&event, photos).await?, json),
        EventsCommand::Unpublish {
            event,
            json,
            photos,
        } => output::publish_change(&engine.set_published(&event, photos, false).await?, json),
        EventsCommand::Publish {
            event,
            json,
            photos,
        } => output::publish_change(&engine.set_published(&event, photos, true).await?, json),
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
        EventsCommand::Registration(args) => crate::registration::run(engine, args).await,
        EventsCommand::Close {
            id,
            withdraw_photos,
            json,
        } => {
            let event = engine.close_event_with(&id, withdraw_photos).await?;
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
        ParticipantsCommand::PickFace {
            event,
            id,
            face,
            json,
        } => {
            let p = engine.pick_participant_face(&event, &id, face).await?;
            output::participants(std::slice::from_ref(&p), json)
        }
        ParticipantsCommand::Consent { event, id, give } => {
            engine.set_consent(&event, &id, give).await?;
            Ok(())
        }
    }
}

/// Unix milliseconds of an RFC 3339 instant given to `flag`.
fn instant_ms(text: &str, flag: &str) -> Result<i64> {
    let at: jiff::Timestamp = text.parse().map_err(|e| {
        findme_engine::EngineError::Invalid(format!(
            "{flag} {text:?} is not an RFC 3339 instant (e.g. 2026-06-01T14:00:00+02:00): {e}"
        ))
    })?;
    Ok(at.as_millisecond())
}

/// `--event E` / `--no-event` of the commands that bring photos in.
#[derive(clap::Args, Debug, Clone)]
pub struct EventArgs {
    /// The event the photos found join (default: the active event, if any).
    #[arg(long, conflicts_with = "no_event")]
    event: Option<EventId>,
    /// Catalogue only: join no event.
    #[arg(long)]
    no_event: bool,
}

impl EventArgs {
    /// The choice only if one was made on the command line.
    pub fn explicit_choice(&self) -> Option<EventChoice> {
        (self.event.is_some() || self.no_event).then(|| self.choice())
    }

    pub fn choice(&self) -> EventChoice {
        match (&self.event, self.no_event) {
            (Some(event), _) => EventChoice::Event(event.clone()),
            (None, true) => EventChoice::NoEvent,
            (None, false) => EventChoice::Active,
        }
    }
}

fn parse_publish(name: &str) -> Result<PublishChoice, String> {
    match name {
        "matched" => Ok(PublishChoice::Matched),
        "all" => Ok(PublishChoice::All),
        _ => Err(format!(
            "unknown publishing choice {name:?}: use matched or all"
        )),
    }
}
