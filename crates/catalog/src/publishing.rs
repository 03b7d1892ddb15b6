//! Which members of an event its server may show. A photo is published to
//! its event's server once searched; the photographer can unpublish it (it is
//! withdrawn and never pushed there again) and publish it again.

use rusqlite::{params, OptionalExtension};

use crate::{Result, Writer};

impl Writer<'_> {
    /// These members of `event` leave its server and are not pushed there again
    /// (until [`publish_again`](Self::publish_again)); their faces and matches in
    /// the event stay. Returns how many were published members.
    pub fn unpublish(&self, event: &str, photo_ids: &[i64]) -> Result<u64> {
        let mut changed = 0;
        for &photo in photo_ids {
            let n = self.conn.execute(
                "UPDATE event_photos SET unpublished_ms = ?3
                  WHERE event_id = ?1 AND photo_id = ?2 AND unpublished_ms IS NULL",
                params![event, photo, self.now_ms],
            )?;
            if n > 0 {
                changed += 1;
                self.withdraw_photo(event, photo)?;
            }
        }
        Ok(changed)
    }

    /// Unpublished members of `event` are published again: those already
    /// searched are queued for its server now, the others when they are.
    pub fn publish_again(&self, event: &str, photo_ids: &[i64]) -> Result<u64> {
        let mut changed = 0;
        for &photo in photo_ids {
            let n = self.conn.execute(
                "UPDATE event_photos SET unpublished_ms = NULL
                  WHERE event_id = ?1 AND photo_id = ?2 AND unpublished_ms IS NOT NULL",
                params![event, photo],
            )?;
            if n == 0 {
                continue;
            }
            changed += 1;
            let searched: bool = self.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM photo_matching WHERE event_id = ?1 AND photo_id = ?2
                                  AND searched_ms IS NOT NULL)",
                params![event, photo],
                |r| r.get(0),
            )?;
            if searched {
                self.queue_photo_push(event, photo)?;
            }
        }
        Ok(changed)
    }

    pub(crate) fn unpublished(&self, event: &str, photo_id: i64) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT unpublished_ms IS NOT NULL FROM event_photos
                  WHERE event_id = ?1 AND photo_id = ?2",
                params![event, photo_id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false))
    }

    /// [`unpublish`](Self::unpublish) or [`publish_again`](Self::publish_again)
    /// the photos of these SHA-256s; returns how many changed and the hashes the
    /// catalog does not know.
    pub fn set_published_by_sha(
        &self,
        event: &str,
        shas: &[String],
        published: bool,
    ) -> Result<(u64, Vec<String>)> {
        let (ids, unknown) = self.ids_of(shas)?;
        let changed = if published {
            self.publish_again(event, &ids)?
        } else {
            self.unpublish(event, &ids)?
        };
        Ok((changed, unknown))
    }

    /// Every member of `event` leaves its server (closing an event whose photos
    /// should not stay online). Returns how many withdrawals were queued.
    pub fn withdraw_event_photos(&self, event: &str) -> Result<u64> {
        let photos: Vec<i64> = self
            .conn
            .prepare_cached("SELECT photo_id FROM event_photos WHERE event_id = ?1")?
            .query_map([event], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut withdrawn = 0;
        for photo in photos {
            if self.withdraw_photo(event, photo)? {
                withdrawn += 1;
            }
        }
        Ok(withdrawn)
    }

    /// Drop the photo's outbox rows of `event` (and their waiting pushes); if the
    /// event's server may have it (a row was ever queued), queue its withdrawal
    /// and return true.
    pub(crate) fn withdraw_photo(&self, event: &str, photo: i64) -> Result<bool> {
        let subject = photo.to_string();
        let rows: Vec<i64> = self
            .conn
            .prepare_cached(
                "DELETE FROM outbox WHERE event_id = ?1 AND kind = 'photo' AND subject = ?2
                 RETURNING id",
            )?
            .query_map(params![event, subject], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if rows.is_empty() {
            return Ok(false);
        }
        for id in &rows {
            self.conn.execute(
                "DELETE FROM jobs WHERE kind = 'push' AND subject = ?1 AND status <> 'running'",
                [id.to_string()],
            )?;
        }
        let sha: Option<String> = self
            .conn
            .query_row("SELECT sha256 FROM photos WHERE id = ?1", [photo], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(sha) = sha else { return Ok(false) };
        crate::outbox::insert_outbox(
            self.conn,
            event,
            "photo_withdrawn",
            &sha,
            Some(photo),
            self.now_ms,
        )?;
        Ok(true)
    }
}
