//! v9: durable deletion work (issue 15). Biometric data held outside the
//! catalog and selfie files are deleted by rows of `deletions` that stay until
//! the holder confirmed (deletions.rs). And a photo can be unpublished from one
//! event (`event_photos.unpublished_ms`): withdrawn from its server, never
//! pushed there again until published again.

/// The migration. What a v8 catalog still owed becomes deletion work: the
/// Rekognition face of each removed or withdrawn participant (v8 deleted it from
/// a job of whichever matcher ran), the collection of every closed Rekognition
/// event (v8 deleted it once, at closing; asking again is harmless), and the
/// selfie files of removed, withdrawn and closed participants.
pub(crate) const V9: &str = r#"
    ALTER TABLE event_photos ADD COLUMN unpublished_ms INTEGER;

    CREATE TABLE deletions (
        id            INTEGER PRIMARY KEY,
        event_id      TEXT    NOT NULL,
        -- Who holds the data: 'rekognition' (needs AWS sign-in) or 'files'.
        holder        TEXT    NOT NULL,
        -- 'faces' (face_ids, space-separated, of collection_id, after the
        -- Rekognition user of participant `person`), 'collection', 'selfie' (path).
        target        TEXT    NOT NULL,
        collection_id TEXT,
        face_ids      TEXT,
        person        TEXT,
        path          BLOB,
        sha256        TEXT,
        -- Why it must go: 'consent withdrawn', 'participant removed', ...
        reason        TEXT    NOT NULL,
        -- 'pending' (not tried, or waiting for AWS sign-in) or 'failed' (tried again later).
        state         TEXT    NOT NULL DEFAULT 'pending',
        attempts      INTEGER NOT NULL DEFAULT 0,
        last_error    TEXT,
        run_after_ms  INTEGER NOT NULL,
        created_ms    INTEGER NOT NULL
    );

    INSERT INTO deletions (event_id, holder, target, collection_id, face_ids, person, reason,
                           run_after_ms, created_ms)
    SELECT p.event_id, 'rekognition', 'faces', e.collection_id, p.face_id, p.id,
           CASE WHEN p.removed_ms IS NOT NULL THEN 'participant removed' ELSE 'consent withdrawn' END,
           0, p.updated_ms
      FROM participants p JOIN events e ON e.id = p.event_id
     WHERE p.face_id IS NOT NULL AND (p.removed_ms IS NOT NULL OR p.consent = 0)
       AND e.backend = 'rekognition' AND e.closed_ms IS NULL;

    INSERT INTO deletions (event_id, holder, target, collection_id, reason, run_after_ms, created_ms)
    SELECT id, 'rekognition', 'collection', collection_id, 'event closed', 0, closed_ms
      FROM events WHERE closed_ms IS NOT NULL AND backend = 'rekognition';

    INSERT INTO deletions (event_id, holder, target, path, sha256, reason, run_after_ms, created_ms)
    SELECT p.event_id, 'files', 'selfie', p.selfie_path, p.selfie_sha256,
           CASE WHEN e.closed_ms IS NOT NULL THEN 'event closed'
                WHEN p.removed_ms IS NOT NULL THEN 'participant removed'
                ELSE 'consent withdrawn' END, 0, p.updated_ms
      FROM participants p JOIN events e ON e.id = p.event_id
     WHERE p.selfie_path IS NOT NULL AND p.selfie_sha256 IS NOT NULL
       AND (p.removed_ms IS NOT NULL OR p.consent = 0 OR e.closed_ms IS NOT NULL);

    UPDATE participants SET face_id = NULL, embedding = NULL, model_version = NULL,
           searched_ms = NULL, selfie_path = NULL, selfie_sha256 = NULL
     WHERE removed_ms IS NOT NULL OR consent = 0;
    UPDATE participants SET display_name = '' WHERE removed_ms IS NOT NULL;
    UPDATE participants SET selfie_path = NULL, selfie_sha256 = NULL
     WHERE event_id IN (SELECT id FROM events WHERE closed_ms IS NOT NULL);
"#;
