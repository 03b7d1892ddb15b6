//! How a photo reached the laptop: its source and the moment it arrived. The
//! first arrival of a content is kept on its photo row; it decides the priority
//! of the photo's jobs (live sources first) and the shutter-to-guest figures.

use rusqlite::params;

use crate::jobs::parse_column;
use crate::{Reader, Result};

/// Where a photo came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArrivalSource {
    /// Files or folders imported by hand (drag-and-drop, `findme import`).
    Import,
    /// A card copied into the library.
    Card,
    /// A watched (tethering) folder.
    Watch,
    /// A camera sending over FTP.
    Ftp,
}

impl ArrivalSource {
    pub const ALL: [ArrivalSource; 4] = [
        ArrivalSource::Ftp,
        ArrivalSource::Watch,
        ArrivalSource::Card,
        ArrivalSource::Import,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ArrivalSource::Import => "import",
            ArrivalSource::Card => "card",
            ArrivalSource::Watch => "watch",
            ArrivalSource::Ftp => "ftp",
        }
    }

    pub fn parse(s: &str) -> Option<ArrivalSource> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Live sources are shot now and looked at now: their jobs go first.
    pub fn is_live(self) -> bool {
        matches!(self, ArrivalSource::Watch | ArrivalSource::Ftp)
    }
}

/// A file's arrival: its source and when it arrived (None: when recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    pub source: ArrivalSource,
    pub at_ms: Option<i64>,
}

impl Arrival {
    /// Arrived when it is recorded.
    pub fn now(source: ArrivalSource) -> Arrival {
        Arrival {
            source,
            at_ms: None,
        }
    }

    pub fn at(source: ArrivalSource, at_ms: i64) -> Arrival {
        Arrival {
            source,
            at_ms: Some(at_ms),
        }
    }
}

/// Job priority of a live photo; everything else is 0.
pub(crate) const LIVE_PRIORITY: i64 = 1;

/// One photo's first push: its source, arrival → acknowledged and import →
/// acknowledged (ms), and when the server acknowledged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrivalLatency {
    pub source: ArrivalSource,
    pub latency_ms: i64,
    pub since_import_ms: i64,
    pub acknowledged_ms: i64,
}

impl Reader<'_> {
    /// How long a guest waited for each of the `limit` photos most recently
    /// pushed for the first time (later re-pushes, e.g. changed matches, do not
    /// count), newest first. Photos from before v12 count as imports that
    /// arrived when they were catalogued.
    pub fn arrival_latencies(&self, limit: u32) -> Result<Vec<ArrivalLatency>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT coalesce(p.arrival, 'import'),
                    max(0, first.sent - coalesce(p.arrived_ms, p.imported_ms)),
                    max(0, first.sent - p.imported_ms), first.sent
               FROM (SELECT CAST(subject AS INTEGER) AS photo_id, min(sent_ms) AS sent
                       FROM outbox WHERE kind = 'photo' AND sent_ms IS NOT NULL
                      GROUP BY event_id, subject) AS first
               JOIN photos p ON p.id = first.photo_id
              ORDER BY first.sent DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map(params![limit], |r| {
                Ok(ArrivalLatency {
                    source: parse_column(0, r.get(0)?, ArrivalSource::parse)?,
                    latency_ms: r.get(1)?,
                    since_import_ms: r.get(2)?,
                    acknowledged_ms: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}
