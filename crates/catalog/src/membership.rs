//! Which photos belong to which event. A photo joins an event explicitly (an
//! import, a card or a watched folder that names the event, or a selection in the
//! gallery); joining gives it its match job for that event. Nothing an event does
//! ever reads another event's members.

use std::path::Path;

use rusqlite::{params, OptionalExtension};

use crate::jobs::{insert_job, match_subject, JobKind};
use crate::paths::{subtree_range, to_bytes};
use crate::{CatalogError, Reader, Result, Writer};

/// Photos that joined, and photos that were members already.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Joined {
    pub added: u64,
    pub already: u64,
}

impl Writer<'_> {
    /// The event must exist and be open to take photos.
    fn open_event(&self, event: &str) -> Result<()> {
        let closed: Option<Option<i64>> = self
            .conn
            .query_row("SELECT closed_ms FROM events WHERE id = ?1", [event], |r| {
                r.get(0)
            })
            .optional()?;
        match closed {
            None => Err(CatalogError::Invalid(format!("no event {event}"))),
            Some(Some(_)) => Err(CatalogError::Invalid(format!(
                "the event {event} is closed: it takes no more photos"
            ))),
            Some(None) => Ok(()),
        }
    }

    /// One photo joins `event` (a no-op for a member); a good photo gets its
    /// match job for the event. Returns whether it joined now.
    fn join(&self, event: &str, photo_id: i64) -> Result<bool> {
        let added = self.conn.execute(
            "INSERT INTO event_photos (event_id, photo_id, added_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
            params![event, photo_id, self.now_ms],
        )? > 0;
        if added {
            let sha: Option<String> = self
                .conn
                .query_row(
                    "SELECT sha256 FROM photos WHERE id = ?1 AND status = 'ok'",
                    [photo_id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(sha) = sha {
                insert_job(
                    self.conn,
                    JobKind::Match,
                    &match_subject(event, &sha),
                    Some(photo_id),
                    Some(event),
                    self.now_ms,
                )?;
            }
        }
        Ok(added)
    }

    /// One photo joins `event` unless the event is closed (or gone).
    pub(crate) fn join_if_open(&self, event: &str, photo_id: i64) -> Result<bool> {
        match self.open_event(event) {
            Ok(()) => self.join(event, photo_id),
            Err(CatalogError::Invalid(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn join_all(&self, event: &str, photo_ids: impl IntoIterator<Item = i64>) -> Result<Joined> {
        self.open_event(event)?;
        let mut joined = Joined::default();
        for id in photo_ids {
            if self.join(event, id)? {
                joined.added += 1;
            } else {
                joined.already += 1;
            }
        }
        Ok(joined)
    }

    fn photo_ids(&self, sql: &str, args: impl rusqlite::Params) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let ids = stmt
            .query_map(args, |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// A photo recorded at `path` joins the event of every watched folder it is
    /// in that has one (and is open): a folder assigned to an event brings its
    /// new photos to it, however they arrived.
    pub(crate) fn join_folder_events(&self, path: &Path, photo_id: i64) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT w.path, w.event_id FROM watched_folders w JOIN events e ON e.id = w.event_id
              WHERE e.closed_ms IS NULL",
        )?;
        let folders: Vec<(Vec<u8>, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (folder, event) in folders {
            if path.starts_with(crate::paths::from_bytes(folder)) {
                self.join(&event, photo_id)?;
            }
        }
        Ok(())
    }

    /// These photos join `event`.
    pub fn join_event(&self, event: &str, photo_ids: &[i64]) -> Result<Joined> {
        self.join_all(event, photo_ids.iter().copied())
    }

    /// The photos of these SHA-256s join `event`; returns also the hashes the
    /// catalog does not know.
    pub fn join_event_by_sha(&self, event: &str, shas: &[String]) -> Result<(Joined, Vec<String>)> {
        let (ids, unknown) = self.ids_of(shas)?;
        Ok((self.join_all(event, ids)?, unknown))
    }

    /// The catalog's ids of these SHA-256s, and the hashes it does not know.
    pub(crate) fn ids_of(&self, shas: &[String]) -> Result<(Vec<i64>, Vec<String>)> {
        let mut ids = Vec::new();
        let mut unknown = Vec::new();
        for sha in shas {
            let id: Option<i64> = self
                .conn
                .query_row("SELECT id FROM photos WHERE sha256 = ?1", [sha], |r| {
                    r.get(0)
                })
                .optional()?;
            match id {
                Some(id) => ids.push(id),
                None => unknown.push(sha.clone()),
            }
        }
        Ok((ids, unknown))
    }

    /// Every photo with a file at `root` or under it joins `event` (an import or
    /// a watched folder's photos: new, duplicate and unchanged ones alike).
    pub fn join_event_under(&self, event: &str, root: &Path) -> Result<Joined> {
        let (lo, hi) = subtree_range(root);
        let ids = self.photo_ids(
            "SELECT DISTINCT photo_id FROM locations
              WHERE photo_id IS NOT NULL AND (path = ?1 OR (path >= ?2 AND path < ?3))
              ORDER BY photo_id",
            params![to_bytes(root), lo, hi],
        )?;
        self.join_all(event, ids)
    }

    /// Every photo taken in `[from_ms, to_ms]` joins `event`.
    pub fn join_event_taken(&self, event: &str, from_ms: i64, to_ms: i64) -> Result<Joined> {
        let ids = self.photo_ids(
            "SELECT id FROM photos WHERE taken_ms BETWEEN ?1 AND ?2 ORDER BY id",
            params![from_ms, to_ms],
        )?;
        self.join_all(event, ids)
    }

    /// Every photo of the catalog joins `event`.
    pub fn join_event_everything(&self, event: &str) -> Result<Joined> {
        let ids = self.photo_ids("SELECT id FROM photos ORDER BY id", [])?;
        self.join_all(event, ids)
    }
}

impl Writer<'_> {
    /// These photos leave `event`: what the event derived from them goes (its
    /// faces, here and, through deletion work, in a Rekognition collection; its
    /// matches; pending match and push work), and a photo the event's server may
    /// hold is withdrawn from it. Nothing else about the photo changes. Returns
    /// how many were members.
    pub fn leave_event(&self, event: &str, photo_ids: &[i64]) -> Result<u64> {
        let mut left = 0;
        for &photo in photo_ids {
            let n = self.conn.execute(
                "DELETE FROM event_photos WHERE event_id = ?1 AND photo_id = ?2",
                params![event, photo],
            )?;
            if n == 0 {
                continue;
            }
            left += 1;
            let faces: Vec<String> = self
                .conn
                .prepare_cached(
                    "DELETE FROM photo_faces WHERE event_id = ?1 AND photo_id = ?2
                     RETURNING face_id",
                )?
                .query_map(params![event, photo], |r| r.get::<_, Option<String>>(0))?
                .filter_map(|f| f.transpose())
                .collect::<rusqlite::Result<_>>()?;
            self.queue_face_deletion(event, faces, None, "photo removed from the event")?;
            for table in ["matches", "photo_matching"] {
                self.conn.execute(
                    &format!("DELETE FROM {table} WHERE event_id = ?1 AND photo_id = ?2"),
                    params![event, photo],
                )?;
            }
            self.conn.execute(
                "DELETE FROM jobs WHERE event_id = ?1 AND photo_id = ?2 AND kind = 'match'
                    AND status <> 'running'",
                params![event, photo],
            )?;
            self.withdraw_photo(event, photo)?;
        }
        Ok(left)
    }

    pub(crate) fn member(&self, event: &str, photo_id: i64) -> Result<bool> {
        is_member(self.conn, event, photo_id)
    }

    /// The photos of these SHA-256s leave `event`; returns how many were
    /// members and the hashes the catalog does not know.
    pub fn leave_event_by_sha(&self, event: &str, shas: &[String]) -> Result<(u64, Vec<String>)> {
        let (ids, unknown) = self.ids_of(shas)?;
        Ok((self.leave_event(event, &ids)?, unknown))
    }
}

/// An event's counts, over its members only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventCounts {
    pub event: String,
    /// Members.
    pub photos: u64,
    /// Members indexed for the event (their faces found).
    pub indexed: u64,
    /// Members with at least one participant found in them.
    pub matched: u64,
    /// Members whose match job has not run yet (or runs now).
    pub matching: u64,
    /// Members the event server has acknowledged.
    pub pushed: u64,
}

impl Reader<'_> {
    /// Every event's counts, in creation order.
    pub fn event_counts(&self) -> Result<Vec<EventCounts>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.id,
                    (SELECT count(*) FROM event_photos ep WHERE ep.event_id = e.id),
                    (SELECT count(*) FROM photo_matching pm WHERE pm.event_id = e.id),
                    (SELECT count(DISTINCT photo_id) FROM matches m WHERE m.event_id = e.id),
                    (SELECT count(*) FROM jobs j WHERE j.event_id = e.id AND j.kind = 'match'
                        AND j.status IN ('pending', 'running')),
                    (SELECT count(DISTINCT o.subject) FROM outbox o
                      WHERE o.event_id = e.id AND o.kind = 'photo' AND o.sent_ms IS NOT NULL)
               FROM events e ORDER BY e.created_ms, e.id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                let n =
                    |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(i)?.max(0) as u64) };
                Ok(EventCounts {
                    event: r.get(0)?,
                    photos: n(1)?,
                    indexed: n(2)?,
                    matched: n(3)?,
                    matching: n(4)?,
                    pushed: n(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The events a photo is a member of, oldest membership first.
    pub fn photo_events(&self, photo_id: i64) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT event_id FROM event_photos WHERE photo_id = ?1 ORDER BY added_ms, event_id",
        )?;
        let events = stmt
            .query_map([photo_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(events)
    }

    /// SHA-256s of the members of `event` that joined at or after `since_ms`
    /// and have a file at or under one of `roots`: what an import just added
    /// (and what its Undo removes again).
    pub fn joined_under_since(
        &self,
        event: &str,
        since_ms: i64,
        roots: &[&Path],
    ) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.sha256 FROM event_photos ep JOIN photos p ON p.id = ep.photo_id
              WHERE ep.event_id = ?1 AND ep.added_ms >= ?2
                AND EXISTS (SELECT 1 FROM locations l WHERE l.photo_id = p.id
                              AND (l.path = ?3 OR (l.path >= ?4 AND l.path < ?5)))
              ORDER BY p.id",
        )?;
        let mut keys = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for root in roots {
            let (lo, hi) = subtree_range(root);
            let rows = stmt.query_map(params![event, since_ms, to_bytes(root), lo, hi], |r| {
                r.get::<_, String>(0)
            })?;
            for key in rows {
                let key = key?;
                if seen.insert(key.clone()) {
                    keys.push(key);
                }
            }
        }
        Ok(keys)
    }

    /// How many photos are members of `event`.
    pub fn event_member_count(&self, event: &str) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM event_photos WHERE event_id = ?1",
            [event],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Whether the photo is a member of `event`.
    pub fn is_member(&self, event: &str, photo_id: i64) -> Result<bool> {
        is_member(self.conn, event, photo_id)
    }
}

fn is_member(conn: &rusqlite::Connection, event: &str, photo_id: i64) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM event_photos WHERE event_id = ?1 AND photo_id = ?2",
            params![event, photo_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}
