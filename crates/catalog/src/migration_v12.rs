//! v12: how each photo reached the laptop, and the cameras that send by FTP.

/// `photos.arrival` is the source of a photo's first arrival ('import', 'card',
/// 'watch', 'ftp'; NULL for photos catalogued before v12) and `arrived_ms` the
/// moment it arrived (an FTP transfer completed, a watched file held still),
/// which can be earlier than `imported_ms` (after hashing). Jobs of photos from
/// a live source (ftp, watch) are claimed before a card's or an import's
/// backlog (`jobs.priority`, already in the claim order since v1).
///
/// `ftp_accounts` are the camera bodies allowed to send: the password is kept
/// so the setup sheet can be shown again (docs/decisions.md, "Camera accounts");
/// the counters and last file are what the activity panel shows, written by the
/// receiver so a `findme stats` beside it sees them.
pub(crate) const V12: &str = r#"
    ALTER TABLE photos ADD COLUMN arrival TEXT
        CHECK (arrival IN ('import', 'card', 'watch', 'ftp'));
    ALTER TABLE photos ADD COLUMN arrived_ms INTEGER;

    CREATE TABLE ftp_accounts (
        name          TEXT    PRIMARY KEY,
        password      TEXT    NOT NULL,
        created_ms    INTEGER NOT NULL,
        connections   INTEGER NOT NULL DEFAULT 0,
        received      INTEGER NOT NULL DEFAULT 0,
        failed        INTEGER NOT NULL DEFAULT 0,
        last_file     TEXT,
        last_ms       INTEGER,
        last_error    TEXT,
        last_error_ms INTEGER
    );
"#;
