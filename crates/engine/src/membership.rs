//! Which event photos join, and how. Every way in (an import, a card, a watched
//! folder, a selection) names an [`EventChoice`]; joining queues the photo's match
//! job for that event and nothing else. See docs/decisions.md, "Events".

use std::path::PathBuf;

use findme_catalog::Joined;
use findme_keys::{EventId, PhotoKey};

use crate::{Engine, EngineError};

/// Which event the photos of an import, a card or a watched folder join.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum EventChoice {
    /// The active event at the time (none if there is none).
    #[default]
    Active,
    Event(EventId),
    /// Catalogue only.
    NoEvent,
}

/// Which photos an assignment takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every photo of the catalog.
    All,
    /// Taken from `from_ms` to `to_ms` (inclusive, Unix milliseconds).
    TakenBetween {
        from_ms: i64,
        to_ms: i64,
    },
    Photos(Vec<PhotoKey>),
}

/// What an assignment did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    /// Photos that joined now.
    pub added: u64,
    /// Photos that were members already.
    pub already: u64,
    /// Keys the catalog does not know.
    pub unknown: Vec<String>,
}

/// What removing photos from an event did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unassignment {
    /// Photos that were members and left.
    pub removed: u64,
    /// Keys the catalog does not know.
    pub unknown: Vec<String>,
}

/// What unpublishing or publishing photos again did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishChange {
    /// Photos whose state changed (the others were so already, or no members).
    pub changed: u64,
    /// Keys the catalog does not know.
    pub unknown: Vec<String>,
}

impl From<Joined> for Assignment {
    fn from(joined: Joined) -> Assignment {
        Assignment {
            added: joined.added,
            already: joined.already,
            unknown: Vec::new(),
        }
    }
}

/// A catalog refusal to take photos into an event (none such, closed) is the
/// photographer's to fix.
fn refused(e: findme_catalog::CatalogError) -> EngineError {
    match e {
        findme_catalog::CatalogError::Invalid(reason) if reason.starts_with("no event") => {
            EngineError::NotFound(reason)
        }
        findme_catalog::CatalogError::Invalid(reason) => EngineError::Conflict(reason),
        other => EngineError::Catalog(other),
    }
}

impl Engine {
    /// The event `choice` names now (None: no event).
    pub(crate) async fn resolve(
        &self,
        choice: &EventChoice,
    ) -> Result<Option<EventId>, EngineError> {
        match choice {
            EventChoice::NoEvent => Ok(None),
            EventChoice::Event(id) => {
                if self.event(id).await?.closed {
                    return Err(EngineError::Conflict(format!(
                        "the event {id} is closed: it takes no more photos"
                    )));
                }
                Ok(Some(id.clone()))
            }
            // A closed active event takes no more photos: they are catalogued only.
            EventChoice::Active => match self.catalog().read(|r| r.active_event()).await? {
                Some(event) if event.closed_ms.is_none() => Ok(Some(EventId::parse(&event.id)?)),
                _ => Ok(None),
            },
        }
    }

    /// How many photos are members of `event` (0 without one).
    pub(crate) async fn member_count(&self, event: Option<&EventId>) -> Result<u64, EngineError> {
        let Some(event) = event else { return Ok(0) };
        let ev = event.to_string();
        Ok(self
            .catalog()
            .read(move |r| r.event_member_count(&ev))
            .await?)
    }

    /// Photos join `event` (their match jobs for it are queued).
    pub async fn assign(
        &self,
        event: &EventId,
        selection: Selection,
    ) -> Result<Assignment, EngineError> {
        let ev = event.to_string();
        let assignment = match selection {
            Selection::All => self
                .catalog()
                .write(move |w| w.join_event_everything(&ev))
                .await
                .map_err(refused)?
                .into(),
            Selection::TakenBetween { from_ms, to_ms } => self
                .catalog()
                .write(move |w| w.join_event_taken(&ev, from_ms, to_ms))
                .await
                .map_err(refused)?
                .into(),
            Selection::Photos(keys) => {
                let shas: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
                let (joined, unknown) = self
                    .catalog()
                    .write(move |w| w.join_event_by_sha(&ev, &shas))
                    .await
                    .map_err(refused)?;
                Assignment {
                    unknown,
                    ..joined.into()
                }
            }
        };
        self.joined(assignment.added);
        Ok(assignment)
    }

    /// Photos leave `event`: what the event derived from them goes (its faces,
    /// here and in its Rekognition collection, its matches) and the event's
    /// server is told to withdraw them. Nothing else about the photos changes.
    pub async fn unassign(
        &self,
        event: &EventId,
        photos: Vec<PhotoKey>,
    ) -> Result<Unassignment, EngineError> {
        self.event(event).await?;
        let ev = event.to_string();
        let shas: Vec<String> = photos.iter().map(|k| k.to_string()).collect();
        let (removed, unknown) = self
            .catalog()
            .write(move |w| w.leave_event_by_sha(&ev, &shas))
            .await?;
        if removed > 0 {
            self.inner.workers.wake();
            self.inner.workers.deletions_written();
        }
        Ok(Unassignment { removed, unknown })
    }

    /// Change which photos of `event` its server shows: photos now left out are
    /// withdrawn from it, photos now included are sent. Returns the event.
    pub async fn set_publish_choice(
        &self,
        event: &EventId,
        choice: crate::PublishChoice,
    ) -> Result<crate::EventDto, EngineError> {
        self.event(event).await?;
        let ev = event.to_string();
        let changed = self
            .catalog()
            .write(move |w| w.set_publish_policy(&ev, choice.into()))
            .await?;
        if changed {
            tracing::info!(event = %event, ?choice, "publishing choice changed");
            self.inner.workers.wake();
        }
        self.event(event).await
    }

    /// Unpublish (`published` false) photos of `event` — withdrawn from its
    /// server and never pushed there again — or publish them again. Their faces
    /// and matches in the event stay. Returns how many changed.
    pub async fn set_published(
        &self,
        event: &EventId,
        photos: Vec<PhotoKey>,
        published: bool,
    ) -> Result<PublishChange, EngineError> {
        self.event(event).await?;
        let ev = event.to_string();
        let shas: Vec<String> = photos.iter().map(|k| k.to_string()).collect();
        let (changed, unknown) = self
            .catalog()
            .write(move |w| w.set_published_by_sha(&ev, &shas, published))
            .await?;
        if changed > 0 {
            self.inner.workers.wake();
        }
        Ok(PublishChange { changed, unknown })
    }

    /// Every photo at or under these roots joins `event`.
    pub(crate) async fn join_under(
        &self,
        event: &EventId,
        roots: &[PathBuf],
    ) -> Result<Joined, EngineError> {
        let (ev, roots) = (event.to_string(), roots.to_vec());
        let joined = self
            .catalog()
            .write(move |w| {
                let mut all = Joined::default();
                for root in &roots {
                    let j = w.join_event_under(&ev, root)?;
                    all.added += j.added;
                    all.already += j.already;
                }
                Ok(all)
            })
            .await
            .map_err(refused)?;
        self.joined(joined.added);
        Ok(joined)
    }

    /// The photos at or under `roots` that joined `event` since `since_ms`.
    pub(crate) async fn joined_since(
        &self,
        event: &EventId,
        since_ms: i64,
        roots: &[PathBuf],
    ) -> Result<Vec<String>, EngineError> {
        let (ev, roots) = (event.to_string(), roots.to_vec());
        Ok(self
            .catalog()
            .read(move |r| {
                let roots: Vec<&std::path::Path> = roots.iter().map(PathBuf::as_path).collect();
                r.joined_under_since(&ev, since_ms, &roots)
            })
            .await?)
    }

    /// New members mean new match jobs.
    fn joined(&self, added: u64) {
        if added > 0 {
            self.inner.workers.wake();
        }
    }
}
