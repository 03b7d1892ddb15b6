//! v11: the faces found in a participant's selfie, and which one is indexed.

/// A selfie's faces are kept as boxes (fractions of the upright selfie, `n` 0
/// the largest) so the app can draw them over the selfie and the photographer
/// can pick one when there are several; `face_pick` is that choice (the
/// index-participant job indexes that face only), `face_used` the face indexed.
/// Selfies refused earlier with "several faces" never had their boxes kept:
/// their index-participant job runs again to find them (one IndexFaces each on
/// Rekognition; no face is left indexed, as before).
pub(crate) const V11: &str = r#"
    CREATE TABLE selfie_faces (
        event_id       TEXT    NOT NULL,
        participant_id TEXT    NOT NULL,
        n              INTEGER NOT NULL,
        box_left       REAL    NOT NULL,
        box_top        REAL    NOT NULL,
        box_width      REAL    NOT NULL,
        box_height     REAL    NOT NULL,
        PRIMARY KEY (event_id, participant_id, n),
        FOREIGN KEY (event_id, participant_id) REFERENCES participants (event_id, id)
            ON DELETE CASCADE
    );
    ALTER TABLE participants ADD COLUMN face_pick INTEGER;
    ALTER TABLE participants ADD COLUMN face_used INTEGER;

    UPDATE jobs SET status = 'pending', attempts = 0, last_error = NULL
     WHERE kind = 'index-participant' AND status <> 'running'
       AND subject IN (SELECT event_id || '/' || id FROM participants
                        WHERE index_error LIKE 'several faces%' AND removed_ms IS NULL
                          AND consent = 1 AND selfie_sha256 IS NOT NULL);
"#;
