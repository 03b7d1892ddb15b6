//! What an event's server gets, and which server its sync state refers to.
//!
//! An event publishes either only its photos with a matched participant (the
//! default) or every searched member ([`PublishPolicy`]); the push queue
//! follows the choice (`queue_photo_push`). The outbox's sent state is the
//! state of one server, `events.sent_to`: pointing the event at another server
//! queues its photos again, and [`Reader::sent_photos`] is what a reconnect
//! checks against the server's photo state.

use std::fmt;
use std::str::FromStr;

use rusqlite::{params, OptionalExtension};

use crate::{CatalogError, Reader, Result, Writer};

/// Which members of an event its server shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PublishPolicy {
    /// Photos with at least one face matched to a participant (the default:
    /// guests come for their own photos, and nobody else's crowd shots leave
    /// the laptop).
    #[default]
    Matched,
    /// Every searched member of the event.
    All,
}

impl PublishPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            PublishPolicy::Matched => "matched",
            PublishPolicy::All => "all",
        }
    }
}

impl fmt::Display for PublishPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PublishPolicy {
    type Err = CatalogError;

    fn from_str(s: &str) -> Result<PublishPolicy> {
        match s {
            "matched" => Ok(PublishPolicy::Matched),
            "all" => Ok(PublishPolicy::All),
            other => Err(CatalogError::Invalid(format!(
                "unknown publishing choice {other:?}"
            ))),
        }
    }
}

/// A photo whose latest change the event's server acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckedPhoto {
    pub photo_id: i64,
    pub sha256: String,
    /// The revision the server was sent (the outbox row id).
    pub revision: i64,
}

impl Writer<'_> {
    /// Change what `event`'s server shows. Members now left out are withdrawn
    /// from it, members now included are queued. Returns whether it changed.
    pub fn set_publish_policy(&self, event: &str, policy: PublishPolicy) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE events SET publish = ?2 WHERE id = ?1 AND publish <> ?2",
            params![event, policy.as_str()],
        )?;
        if n == 0 {
            return Ok(false);
        }
        let searched: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT photo_id FROM photo_matching WHERE event_id = ?1 AND searched_ms IS NOT NULL",
            )?
            .query_map([event], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for photo in searched {
            match policy {
                PublishPolicy::All => self.queue_photo_push(event, photo)?,
                // Matched members are on the server already; the others go.
                PublishPolicy::Matched => {
                    if !self.has_match(event, photo)? {
                        self.withdraw_photo(event, photo)?;
                    }
                }
            }
        }
        Ok(true)
    }

    /// The event's sync state now refers to `server` (a base URL without a
    /// trailing slash). If it referred to another server, every photo sent
    /// there is queued again for this one. Returns how many were queued.
    pub fn point_at_server(&self, event: &str, server: &str) -> Result<u64> {
        let before: Option<Option<String>> = self
            .conn
            .query_row("SELECT sent_to FROM events WHERE id = ?1", [event], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(before) = before else {
            return Ok(0);
        };
        if before.as_deref() == Some(server) {
            return Ok(0);
        }
        self.conn.execute(
            "UPDATE events SET sent_to = ?2 WHERE id = ?1",
            params![event, server],
        )?;
        if before.is_none() {
            // Never pointed anywhere: what was sent is checked photo by photo.
            return Ok(0);
        }
        let acked: Vec<i64> = self
            .reader()
            .sent_photos(event)?
            .into_iter()
            .map(|p| p.photo_id)
            .collect();
        self.resend(event, &acked)
    }

    /// Queue these photos of `event` for its server again (the server lacks
    /// them). Unpublished photos and photos the publishing choice leaves out
    /// are skipped. Returns how many were queued.
    pub fn resend(&self, event: &str, photo_ids: &[i64]) -> Result<u64> {
        let mut queued = 0;
        for &photo in photo_ids {
            if self.member(event, photo)? && self.publishable(event, photo)? {
                crate::outbox::queue_photo(self.conn, event, photo, self.now_ms)?;
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// Not unpublished, and included by the event's publishing choice.
    pub(crate) fn publishable(&self, event: &str, photo_id: i64) -> Result<bool> {
        Ok(!self.unpublished(event, photo_id)? && self.included_by_choice(event, photo_id)?)
    }

    /// Included by the event's publishing choice (unpublishing aside).
    pub(crate) fn included_by_choice(&self, event: &str, photo_id: i64) -> Result<bool> {
        Ok(match self.reader().publish_policy(event)? {
            PublishPolicy::All => true,
            PublishPolicy::Matched => self.has_match(event, photo_id)?,
        })
    }

    fn has_match(&self, event: &str, photo_id: i64) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM matches WHERE event_id = ?1 AND photo_id = ?2)",
            params![event, photo_id],
            |r| r.get(0),
        )?)
    }
}

impl Reader<'_> {
    /// The event's publishing choice (the default for an unknown event).
    pub fn publish_policy(&self, event: &str) -> Result<PublishPolicy> {
        let policy: Option<String> = self
            .conn
            .query_row("SELECT publish FROM events WHERE id = ?1", [event], |r| {
                r.get(0)
            })
            .optional()?;
        policy.map_or(Ok(PublishPolicy::default()), |p| p.parse())
    }

    /// The server the event's sent state refers to, if it was ever pointed at one.
    pub fn sent_to(&self, event: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT sent_to FROM events WHERE id = ?1", [event], |r| {
                r.get::<_, Option<String>>(0)
            })
            .optional()?
            .flatten())
    }

    /// Members of `event` whose latest change the server acknowledged and that
    /// have no newer change waiting: what the server should show now.
    pub fn sent_photos(&self, event: &str) -> Result<Vec<AckedPhoto>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, p.sha256, max(o.id) FROM outbox o
               JOIN photos p ON p.id = CAST(o.subject AS INTEGER)
              WHERE o.event_id = ?1 AND o.kind = 'photo'
              GROUP BY p.id
             HAVING count(o.sent_ms) = count(*)
              ORDER BY p.id",
        )?;
        let rows = stmt
            .query_map([event], |r| {
                Ok(AckedPhoto {
                    photo_id: r.get(0)?,
                    sha256: r.get(1)?,
                    revision: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}
