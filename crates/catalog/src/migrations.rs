//! The catalog's schema, one migration per version. Append new ones, never edit
//! shipped ones: a photographer's catalog may be at any earlier version.

/// Migration `i` takes the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // v1: photos, locations, jobs, watched folders, settings.
    r#"
    CREATE TABLE photos (
        id            INTEGER PRIMARY KEY,
        sha256        TEXT    NOT NULL UNIQUE,
        size          INTEGER NOT NULL,
        format        TEXT    NOT NULL,
        is_raw        INTEGER NOT NULL DEFAULT 0,
        status        TEXT    NOT NULL CHECK (status IN ('ok', 'failed')),
        error         TEXT,
        -- RFC 3339; offset from EXIF when the camera recorded one, else local zone.
        captured_at   TEXT,
        offset_from_exif INTEGER NOT NULL DEFAULT 0,
        -- Sort key: capture instant, or file mtime when there is no EXIF time (ms).
        taken_ms      INTEGER NOT NULL,
        camera_make   TEXT,
        camera_model  TEXT,
        camera_serial TEXT,
        lens          TEXT,
        orientation   INTEGER,
        width         INTEGER,
        height        INTEGER,
        -- RAW+JPEG pairs share a group: the lowest photo id of the group.
        group_id      INTEGER,
        imported_ms   INTEGER NOT NULL
    );
    CREATE INDEX photos_by_taken ON photos (taken_ms, id);
    CREATE INDEX photos_by_status ON photos (status) WHERE status <> 'ok';

    -- Every place the bytes of a photo are stored. Paths are raw OS bytes (BLOB) so
    -- non-UTF-8 names round-trip. photo_id is NULL when the file could not be read.
    CREATE TABLE locations (
        id        INTEGER PRIMARY KEY,
        path      BLOB    NOT NULL UNIQUE,
        photo_id  INTEGER REFERENCES photos (id) ON DELETE CASCADE,
        size      INTEGER NOT NULL,
        mtime_ns  INTEGER NOT NULL,
        dir       BLOB    NOT NULL,
        stem      TEXT    NOT NULL,
        error     TEXT,
        seen_ms   INTEGER NOT NULL
    );
    CREATE INDEX locations_by_photo ON locations (photo_id);
    CREATE INDEX locations_by_stem ON locations (dir, stem);

    CREATE TABLE jobs (
        id            INTEGER PRIMARY KEY,
        kind          TEXT    NOT NULL,
        subject       TEXT    NOT NULL,
        photo_id      INTEGER REFERENCES photos (id) ON DELETE CASCADE,
        status        TEXT    NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'running', 'done', 'failed')),
        priority      INTEGER NOT NULL DEFAULT 0,
        attempts      INTEGER NOT NULL DEFAULT 0,
        max_attempts  INTEGER NOT NULL DEFAULT 5,
        run_after_ms  INTEGER NOT NULL,
        lease_owner   TEXT,
        lease_until_ms INTEGER,
        last_error    TEXT,
        created_ms    INTEGER NOT NULL,
        updated_ms    INTEGER NOT NULL,
        UNIQUE (kind, subject)
    );
    CREATE INDEX jobs_claimable ON jobs (kind, status, priority DESC, run_after_ms, id);
    CREATE INDEX jobs_by_photo ON jobs (photo_id);

    CREATE TABLE watched_folders (
        id        INTEGER PRIMARY KEY,
        path      BLOB    NOT NULL UNIQUE,
        poll      INTEGER NOT NULL DEFAULT 0,
        added_ms  INTEGER NOT NULL
    );

    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    "#,
    // v2: gallery support. A change sequence on photos (bumped by triggers whenever
    // a photo, its locations or its jobs change) so the UI can ask "what changed
    // since N"; tombstones for deleted photos; the thumbnail cache's LRU index;
    // why a photo has no preview.
    r#"
    CREATE TABLE change_counter (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
    INSERT INTO change_counter (id, seq) VALUES (1, 0);

    ALTER TABLE photos ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE photos ADD COLUMN preview_error TEXT;
    CREATE INDEX photos_by_change ON photos (change_seq);
    CREATE INDEX photos_by_imported ON photos (imported_ms, id);

    CREATE TABLE photo_tombstones (
        photo_id   INTEGER PRIMARY KEY,
        change_seq INTEGER NOT NULL
    );
    CREATE INDEX tombstones_by_change ON photo_tombstones (change_seq);

    CREATE TRIGGER photos_changed_on_insert AFTER INSERT ON photos BEGIN
        UPDATE change_counter SET seq = seq + 1;
        UPDATE photos SET change_seq = (SELECT seq FROM change_counter) WHERE id = NEW.id;
    END;
    CREATE TRIGGER photos_changed_on_update AFTER UPDATE ON photos
        WHEN NEW.change_seq = OLD.change_seq BEGIN
        UPDATE change_counter SET seq = seq + 1;
        UPDATE photos SET change_seq = (SELECT seq FROM change_counter) WHERE id = NEW.id;
    END;
    CREATE TRIGGER photos_changed_on_delete AFTER DELETE ON photos BEGIN
        UPDATE change_counter SET seq = seq + 1;
        INSERT OR REPLACE INTO photo_tombstones (photo_id, change_seq)
            VALUES (OLD.id, (SELECT seq FROM change_counter));
    END;
    CREATE TRIGGER locations_changed_on_insert AFTER INSERT ON locations
        WHEN NEW.photo_id IS NOT NULL BEGIN
        UPDATE change_counter SET seq = seq + 1;
        UPDATE photos SET change_seq = (SELECT seq FROM change_counter) WHERE id = NEW.photo_id;
    END;
    CREATE TRIGGER locations_changed_on_update AFTER UPDATE OF photo_id ON locations BEGIN
        UPDATE change_counter SET seq = seq + 1;
        UPDATE photos SET change_seq = (SELECT seq FROM change_counter)
         WHERE id IN (NEW.photo_id, OLD.photo_id);
    END;
    CREATE TRIGGER locations_changed_on_delete AFTER DELETE ON locations
        WHEN OLD.photo_id IS NOT NULL BEGIN
        UPDATE change_counter SET seq = seq + 1;
        UPDATE photos SET change_seq = (SELECT seq FROM change_counter) WHERE id = OLD.photo_id;
    END;
    CREATE TRIGGER jobs_changed AFTER UPDATE OF status ON jobs
        WHEN NEW.photo_id IS NOT NULL AND NEW.status <> OLD.status BEGIN
        UPDATE change_counter SET seq = seq + 1;
        UPDATE photos SET change_seq = (SELECT seq FROM change_counter) WHERE id = NEW.photo_id;
    END;

    -- Thumbnail cache index: one row per cached file, for LRU eviction.
    CREATE TABLE renditions (
        sha256       TEXT    NOT NULL,
        kind         TEXT    NOT NULL,
        bytes        INTEGER NOT NULL,
        width        INTEGER NOT NULL,
        height       INTEGER NOT NULL,
        last_used_ms INTEGER NOT NULL,
        PRIMARY KEY (sha256, kind)
    ) WITHOUT ROWID;
    CREATE INDEX renditions_lru ON renditions (last_used_ms);
    "#,
    // v3: events, participants, faces and matches (face matching), and the sync
    // outbox that reports match changes to the event server.
    r#"
    CREATE TABLE events (
        id              TEXT    PRIMARY KEY,
        name            TEXT    NOT NULL,
        -- Rekognition collection of the event: findme-<id>.
        collection_id   TEXT    NOT NULL,
        match_threshold REAL    NOT NULL DEFAULT 80,
        -- 'absent' until CreateCollection succeeded, 'ready', 'closed'.
        collection_state TEXT   NOT NULL DEFAULT 'absent',
        created_ms      INTEGER NOT NULL,
        closed_ms       INTEGER
    );

    CREATE TABLE participants (
        event_id      TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        id            TEXT    NOT NULL,
        display_name  TEXT    NOT NULL,
        -- The selfie, copied into the data folder (selfies/<sha256>.<ext>).
        selfie_sha256 TEXT,
        selfie_path   BLOB,
        consent       INTEGER NOT NULL DEFAULT 1,
        -- Rekognition FaceId of the indexed selfie; NULL until indexed.
        face_id       TEXT,
        -- Why the selfie cannot be used ("no face found", "several faces").
        index_error   TEXT,
        -- When every indexed photo was last searched for this participant.
        searched_ms   INTEGER,
        -- Removed by the photographer or the server: the row stays until the
        -- selfie's face is deleted from the collection.
        removed_ms    INTEGER,
        updated_ms    INTEGER NOT NULL,
        PRIMARY KEY (event_id, id)
    );

    -- Faces found in a photo, per event (each event has its own collection).
    CREATE TABLE photo_faces (
        id          INTEGER PRIMARY KEY,
        event_id    TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        photo_id    INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
        face_id     TEXT,
        -- Box as fractions of the upright photo.
        box_left    REAL    NOT NULL,
        box_top     REAL    NOT NULL,
        box_width   REAL    NOT NULL,
        box_height  REAL    NOT NULL,
        confidence  REAL    NOT NULL,
        UNIQUE (event_id, face_id)
    );
    CREATE INDEX photo_faces_by_photo ON photo_faces (event_id, photo_id);

    -- Per event and photo: indexed into the collection, and searched.
    CREATE TABLE photo_matching (
        event_id    TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        photo_id    INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
        indexed_ms  INTEGER NOT NULL,
        faces       INTEGER NOT NULL,
        searched_ms INTEGER,
        PRIMARY KEY (event_id, photo_id)
    );
    CREATE INDEX photo_matching_waiting ON photo_matching (event_id, searched_ms, indexed_ms);

    -- A participant appears at most once per photo (highest confidence kept).
    CREATE TABLE matches (
        event_id       TEXT    NOT NULL,
        photo_id       INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
        participant_id TEXT    NOT NULL,
        face_row       INTEGER REFERENCES photo_faces (id) ON DELETE SET NULL,
        confidence     REAL    NOT NULL,
        matched_ms     INTEGER NOT NULL,
        PRIMARY KEY (event_id, photo_id, participant_id),
        FOREIGN KEY (event_id, participant_id) REFERENCES participants (event_id, id) ON DELETE CASCADE
    );
    CREATE INDEX matches_by_participant ON matches (event_id, participant_id);

    CREATE TRIGGER matches_changed_on_insert AFTER INSERT ON matches BEGIN
        UPDATE change_counter SET seq = seq + 1;
        UPDATE photos SET change_seq = (SELECT seq FROM change_counter) WHERE id = NEW.photo_id;
    END;
    CREATE TRIGGER matches_changed_on_delete AFTER DELETE ON matches BEGIN
        UPDATE change_counter SET seq = seq + 1;
        UPDATE photos SET change_seq = (SELECT seq FROM change_counter) WHERE id = OLD.photo_id;
    END;
    CREATE TRIGGER matching_changed AFTER UPDATE OF searched_ms ON photo_matching BEGIN
        UPDATE change_counter SET seq = seq + 1;
        UPDATE photos SET change_seq = (SELECT seq FROM change_counter) WHERE id = NEW.photo_id;
    END;

    -- Changes the event server must hear about, written in the same transaction
    -- as the change itself; the sync stage drains it oldest first.
    CREATE TABLE outbox (
        id         INTEGER PRIMARY KEY,
        event_id   TEXT    NOT NULL,
        -- 'photo' (push rendition + metadata), 'photo_withdrawn', 'participant_removed'
        kind       TEXT    NOT NULL,
        subject    TEXT    NOT NULL,
        created_ms INTEGER NOT NULL,
        sent_ms    INTEGER
    );
    CREATE INDEX outbox_unsent ON outbox (sent_ms, id);

    -- Monotonic counters that outlive a process (calls per face-service
    -- operation, throttled calls), so `findme stats` in another process sees them.
    CREATE TABLE counters (
        name  TEXT    PRIMARY KEY,
        value INTEGER NOT NULL
    ) WITHOUT ROWID;
    "#,
    // v4: on-device matching. Each face's signature (embedding) and landmarks, and
    // the selfie's, stored with the model that made them, so late registrants and
    // threshold changes are matched from stored vectors without decoding a photo
    // again. Which backend an event is matched with (face ids of one backend mean
    // nothing to another), and the on-device matcher's own threshold.
    r#"
    ALTER TABLE photo_faces ADD COLUMN landmarks BLOB;
    ALTER TABLE photo_faces ADD COLUMN embedding BLOB;
    ALTER TABLE photo_faces ADD COLUMN model_version TEXT;
    CREATE INDEX photo_faces_with_embedding ON photo_faces (event_id, id) WHERE embedding IS NOT NULL;
    ALTER TABLE participants ADD COLUMN embedding BLOB;
    ALTER TABLE participants ADD COLUMN model_version TEXT;
    -- NULL until the first photo or selfie is indexed: 'rekognition' or 'local'.
    ALTER TABLE events ADD COLUMN backend TEXT;
    -- Cosine similarity (0-1) at which the on-device matcher calls two faces one person.
    ALTER TABLE events ADD COLUMN local_threshold REAL NOT NULL DEFAULT 0.40;
    "#,
    // v5: covering indexes for the gallery's tile query, which reads per photo
    // its thumbnail / match / newest push job and its first location. Without
    // them each of those is an index seek plus a table-row fetch; with them the
    // index alone answers (a 200-tile page at 100,000 photos: p50 10.2 → 8.3 ms
    // under load, docs/benchmarks.md). They replace the narrower ones.
    r#"
    CREATE INDEX jobs_by_photo_kind ON jobs (photo_id, kind, id, status);
    DROP INDEX jobs_by_photo;
    CREATE INDEX locations_by_photo_first ON locations (photo_id, id, path);
    DROP INDEX locations_by_photo;
    "#,
    // v6: the tile is one row. A gallery page read per photo its thumbnail /
    // match / newest push job, whether its thumbnail is cached and its first
    // location: five index seeks per tile, most of a page's time (p99 13 ms at
    // 100,000 photos). Triggers now keep those on the photo row, in the same
    // statement that bumps its change sequence, and the filters read them too.
    r#"
    ALTER TABLE photos ADD COLUMN thumbnail_job TEXT;
    ALTER TABLE photos ADD COLUMN match_job TEXT;
    ALTER TABLE photos ADD COLUMN push_job TEXT;
    ALTER TABLE photos ADD COLUMN thumbnail_cached INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE photos ADD COLUMN first_path BLOB;

    DROP TRIGGER jobs_changed;
    CREATE TRIGGER jobs_changed AFTER UPDATE OF status ON jobs
        WHEN NEW.photo_id IS NOT NULL AND NEW.status <> OLD.status BEGIN
        UPDATE change_counter SET seq = seq + 1;
        UPDATE photos SET change_seq = (SELECT seq FROM change_counter),
            thumbnail_job = CASE NEW.kind WHEN 'thumbnail' THEN NEW.status ELSE thumbnail_job END,
            match_job = CASE NEW.kind WHEN 'match' THEN NEW.status ELSE match_job END,
            push_job = CASE WHEN NEW.kind = 'push' AND NOT EXISTS (SELECT 1 FROM jobs j
                    WHERE j.photo_id = NEW.photo_id AND j.kind = 'push' AND j.id > NEW.id)
                THEN NEW.status ELSE push_job END
         WHERE id = NEW.photo_id;
    END;
    CREATE TRIGGER jobs_added AFTER INSERT ON jobs
        WHEN NEW.photo_id IS NOT NULL AND NEW.kind IN ('thumbnail', 'match', 'push') BEGIN
        UPDATE photos SET
            thumbnail_job = CASE NEW.kind WHEN 'thumbnail' THEN NEW.status ELSE thumbnail_job END,
            match_job = CASE NEW.kind WHEN 'match' THEN NEW.status ELSE match_job END,
            push_job = CASE WHEN NEW.kind = 'push' AND NOT EXISTS (SELECT 1 FROM jobs j
                    WHERE j.photo_id = NEW.photo_id AND j.kind = 'push' AND j.id > NEW.id)
                THEN NEW.status ELSE push_job END
         WHERE id = NEW.photo_id;
    END;
    CREATE TRIGGER jobs_removed AFTER DELETE ON jobs
        WHEN OLD.photo_id IS NOT NULL AND OLD.kind IN ('thumbnail', 'match', 'push') BEGIN
        UPDATE photos SET
            thumbnail_job = CASE OLD.kind WHEN 'thumbnail' THEN NULL ELSE thumbnail_job END,
            match_job = CASE OLD.kind WHEN 'match' THEN NULL ELSE match_job END,
            push_job = CASE OLD.kind WHEN 'push' THEN (SELECT status FROM jobs j
                    WHERE j.photo_id = OLD.photo_id AND j.kind = 'push' ORDER BY j.id DESC LIMIT 1)
                ELSE push_job END
         WHERE id = OLD.photo_id;
    END;

    CREATE TRIGGER thumbnail_cached AFTER INSERT ON renditions WHEN NEW.kind = 'thumb' BEGIN
        UPDATE photos SET thumbnail_cached = 1 WHERE sha256 = NEW.sha256;
    END;
    CREATE TRIGGER thumbnail_evicted AFTER DELETE ON renditions WHEN OLD.kind = 'thumb' BEGIN
        UPDATE photos SET thumbnail_cached = 0 WHERE sha256 = OLD.sha256;
    END;

    DROP TRIGGER locations_changed_on_insert;
    DROP TRIGGER locations_changed_on_update;
    DROP TRIGGER locations_changed_on_delete;
    CREATE TRIGGER locations_changed_on_insert AFTER INSERT ON locations
        WHEN NEW.photo_id IS NOT NULL BEGIN
        UPDATE change_counter SET seq = seq + 1;
        UPDATE photos SET change_seq = (SELECT seq FROM change_counter),
            first_path = (SELECT path FROM locations l WHERE l.photo_id = NEW.photo_id ORDER BY l.id LIMIT 1)
         WHERE id = NEW.photo_id;
    END;
    CREATE TRIGGER locations_changed_on_update AFTER UPDATE OF photo_id ON locations BEGIN
        UPDATE change_counter SET seq = seq + 1;
        UPDATE photos SET change_seq = (SELECT seq FROM change_counter),
            first_path = (SELECT path FROM locations l WHERE l.photo_id = photos.id ORDER BY l.id LIMIT 1)
         WHERE id IN (NEW.photo_id, OLD.photo_id);
    END;
    CREATE TRIGGER locations_changed_on_delete AFTER DELETE ON locations
        WHEN OLD.photo_id IS NOT NULL BEGIN
        UPDATE change_counter SET seq = seq + 1;
        UPDATE photos SET change_seq = (SELECT seq FROM change_counter),
            first_path = (SELECT path FROM locations l WHERE l.photo_id = OLD.photo_id ORDER BY l.id LIMIT 1)
         WHERE id = OLD.photo_id;
    END;

    -- What is there already.
    UPDATE photos SET
        thumbnail_job = (SELECT status FROM jobs j WHERE j.photo_id = photos.id AND j.kind = 'thumbnail'),
        match_job = (SELECT status FROM jobs j WHERE j.photo_id = photos.id AND j.kind = 'match'),
        push_job = (SELECT status FROM jobs j WHERE j.photo_id = photos.id AND j.kind = 'push'
                     ORDER BY j.id DESC LIMIT 1),
        thumbnail_cached = EXISTS (SELECT 1 FROM renditions r WHERE r.sha256 = photos.sha256 AND r.kind = 'thumb'),
        first_path = (SELECT path FROM locations l WHERE l.photo_id = photos.id ORDER BY l.id LIMIT 1);
    "#,
    // v7: the cache's size is kept, not summed. Writing a rendition checked the
    // size limit with a sum over every rendition: O(photos) in the writer for every
    // thumbnail made, which made a 20,000-photo import quadratic.
    r#"
    CREATE TABLE rendition_totals (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        files INTEGER NOT NULL,
        bytes INTEGER NOT NULL
    );
    INSERT INTO rendition_totals (id, files, bytes)
        SELECT 1, count(*), coalesce(sum(bytes), 0) FROM renditions;
    CREATE TRIGGER rendition_totals_on_insert AFTER INSERT ON renditions BEGIN
        UPDATE rendition_totals SET files = files + 1, bytes = bytes + NEW.bytes;
    END;
    CREATE TRIGGER rendition_totals_on_update AFTER UPDATE OF bytes ON renditions BEGIN
        UPDATE rendition_totals SET bytes = bytes - OLD.bytes + NEW.bytes;
    END;
    CREATE TRIGGER rendition_totals_on_delete AFTER DELETE ON renditions BEGIN
        UPDATE rendition_totals SET files = files - 1, bytes = bytes - OLD.bytes;
    END;
    "#,
    // v8: the event is the unit of work (migration_v8.rs).
    crate::migration_v8::V8,
    // v9: durable deletion work (migration_v9.rs).
    crate::migration_v9::V9,
    // v10: publishing per event, sync state per event and server (migration_v10.rs).
    crate::migration_v10::V10,
    // v11: a selfie's faces (migration_v11.rs).
    crate::migration_v11::V11,
    // v12: arrival source and time; camera accounts (migration_v12.rs).
    crate::migration_v12::V12,
];
