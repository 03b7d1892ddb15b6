//! v8: the event is the unit of work (issue 15). A photo is a member of zero or
//! more events; matching, pushing and the gallery's per-stage state are per event.

/// The migration. Existing photos join the events they were already indexed,
/// matched or queued for publishing in; every other photo joins no event. The one
/// match job per photo (against whichever event was active) becomes one per
/// member and event, done where the photo is already indexed for that event.
pub(crate) const V8: &str = r#"
    CREATE TABLE event_photos (
        event_id TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        photo_id INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
        added_ms INTEGER NOT NULL,
        PRIMARY KEY (event_id, photo_id)
    ) WITHOUT ROWID;
    CREATE INDEX event_photos_by_photo ON event_photos (photo_id, event_id);

    -- New photos in a watched folder join this event (NULL: catalogue only).
    ALTER TABLE watched_folders ADD COLUMN event_id TEXT REFERENCES events (id) ON DELETE SET NULL;

    -- The event a match or push job works for (NULL for the other kinds).
    ALTER TABLE jobs ADD COLUMN event_id TEXT;
    CREATE INDEX jobs_by_event ON jobs (event_id, kind, status) WHERE event_id IS NOT NULL;

    -- The tile's match and push state is the active event's.
    DROP TRIGGER jobs_changed;
    DROP TRIGGER jobs_added;
    DROP TRIGGER jobs_removed;
    CREATE TRIGGER jobs_changed AFTER UPDATE OF status ON jobs
        WHEN NEW.photo_id IS NOT NULL AND NEW.status <> OLD.status BEGIN
        UPDATE change_counter SET seq = seq + 1;
        UPDATE photos SET change_seq = (SELECT seq FROM change_counter),
            thumbnail_job = CASE NEW.kind WHEN 'thumbnail' THEN NEW.status ELSE thumbnail_job END,
            match_job = CASE WHEN NEW.kind = 'match'
                    AND NEW.event_id IS (SELECT value FROM settings WHERE key = 'active_event')
                THEN NEW.status ELSE match_job END,
            push_job = CASE WHEN NEW.kind = 'push'
                    AND NEW.event_id IS (SELECT value FROM settings WHERE key = 'active_event')
                    AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.photo_id = NEW.photo_id
                        AND j.kind = 'push' AND j.event_id IS NEW.event_id AND j.id > NEW.id)
                THEN NEW.status ELSE push_job END
         WHERE id = NEW.photo_id;
    END;
    CREATE TRIGGER jobs_added AFTER INSERT ON jobs
        WHEN NEW.photo_id IS NOT NULL AND NEW.kind IN ('thumbnail', 'match', 'push') BEGIN
        UPDATE photos SET
            thumbnail_job = CASE NEW.kind WHEN 'thumbnail' THEN NEW.status ELSE thumbnail_job END,
            match_job = CASE WHEN NEW.kind = 'match'
                    AND NEW.event_id IS (SELECT value FROM settings WHERE key = 'active_event')
                THEN NEW.status ELSE match_job END,
            push_job = CASE WHEN NEW.kind = 'push'
                    AND NEW.event_id IS (SELECT value FROM settings WHERE key = 'active_event')
                    AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.photo_id = NEW.photo_id
                        AND j.kind = 'push' AND j.event_id IS NEW.event_id AND j.id > NEW.id)
                THEN NEW.status ELSE push_job END
         WHERE id = NEW.photo_id;
    END;
    CREATE TRIGGER jobs_removed AFTER DELETE ON jobs
        WHEN OLD.photo_id IS NOT NULL AND OLD.kind IN ('thumbnail', 'match', 'push') BEGIN
        UPDATE photos SET
            thumbnail_job = CASE OLD.kind WHEN 'thumbnail' THEN NULL ELSE thumbnail_job END,
            match_job = CASE WHEN OLD.kind = 'match'
                    AND OLD.event_id IS (SELECT value FROM settings WHERE key = 'active_event')
                THEN NULL ELSE match_job END,
            push_job = CASE WHEN OLD.kind = 'push'
                    AND OLD.event_id IS (SELECT value FROM settings WHERE key = 'active_event')
                THEN (SELECT status FROM jobs j WHERE j.photo_id = OLD.photo_id AND j.kind = 'push'
                        AND j.event_id IS OLD.event_id ORDER BY j.id DESC LIMIT 1)
                ELSE push_job END
         WHERE id = OLD.photo_id;
    END;

    -- Members: photos indexed, matched or queued for publishing in an event.
    INSERT OR IGNORE INTO event_photos (event_id, photo_id, added_ms)
        SELECT event_id, photo_id, indexed_ms FROM photo_matching;
    INSERT OR IGNORE INTO event_photos (event_id, photo_id, added_ms)
        SELECT event_id, photo_id, matched_ms FROM matches;
    INSERT OR IGNORE INTO event_photos (event_id, photo_id, added_ms)
        SELECT o.event_id, p.id, o.created_ms FROM outbox o
          JOIN photos p ON p.id = CAST(o.subject AS INTEGER)
          JOIN events e ON e.id = o.event_id
         WHERE o.kind = 'photo';

    -- Push jobs belong to their outbox row's event, selfie jobs to their
    -- participant's ('<event>/<participant>').
    UPDATE jobs SET event_id = (SELECT o.event_id FROM outbox o WHERE o.id = CAST(jobs.subject AS INTEGER))
     WHERE kind = 'push';
    UPDATE jobs SET event_id = substr(subject, 1, instr(subject, '/') - 1)
     WHERE kind = 'index-participant' AND instr(subject, '/') > 0;

    -- One match job per member and event (subject '<event>/<sha256>'), done where
    -- the photo is indexed for that event. Closed events match nothing more.
    DELETE FROM jobs WHERE kind = 'match';
    INSERT INTO jobs (kind, subject, photo_id, event_id, status, run_after_ms, created_ms, updated_ms)
        SELECT 'match', ep.event_id || '/' || p.sha256, p.id, ep.event_id,
               CASE WHEN pm.photo_id IS NULL THEN 'pending' ELSE 'done' END,
               ep.added_ms, ep.added_ms, ep.added_ms
          FROM event_photos ep
          JOIN photos p ON p.id = ep.photo_id AND p.status = 'ok'
          JOIN events e ON e.id = ep.event_id AND e.closed_ms IS NULL
          LEFT JOIN photo_matching pm ON pm.event_id = ep.event_id AND pm.photo_id = ep.photo_id;

    UPDATE photos SET
        match_job = (SELECT status FROM jobs j WHERE j.photo_id = photos.id AND j.kind = 'match'
                      AND j.event_id IS (SELECT value FROM settings WHERE key = 'active_event')),
        push_job = (SELECT status FROM jobs j WHERE j.photo_id = photos.id AND j.kind = 'push'
                      AND j.event_id IS (SELECT value FROM settings WHERE key = 'active_event')
                    ORDER BY j.id DESC LIMIT 1);
"#;
