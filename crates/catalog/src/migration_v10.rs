//! v10: publishing is per event and the sync state per event and server
//! (issue 15). `events.publish` says which members the event's server gets:
//! 'matched' (only photos with a matched participant, the default of a new
//! event) or 'all'. `events.sent_to` is the server the event's sent outbox rows
//! were sent to: pointing the event at another server sends its photos again.

/// The migration. Events made before v10 published every searched member, and
/// their servers show those photos: they keep 'all' (switching them to
/// 'matched' would withdraw photos guests already see). Their sent rows were
/// sent to the saved sync server if the event is the saved sync event; other
/// events' rows stay without a server, and the first server they are pointed at
/// is reconciled photo by photo (photos it lacks are sent again).
pub(crate) const V10: &str = r#"
    ALTER TABLE events ADD COLUMN publish TEXT NOT NULL DEFAULT 'matched'
        CHECK (publish IN ('matched', 'all'));
    ALTER TABLE events ADD COLUMN sent_to TEXT;
    UPDATE events SET publish = 'all';
    UPDATE events SET sent_to = (SELECT rtrim(value, '/') FROM settings WHERE key = 'sync.server_url')
     WHERE id = (SELECT value FROM settings WHERE key = 'sync.event');
"#;
