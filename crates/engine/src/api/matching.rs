//! Wire types of events, participants and matching. Same contract rules as the
//! rest of `api`: add fields, never rename or remove them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::FaceBoxDto;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EventDto {
    pub id: String,
    pub name: String,
    /// The Rekognition collection of the event (`findme-<id>`).
    pub collection: String,
    /// Minimum similarity (0-100) for a face to count as a participant
    /// (Rekognition).
    pub threshold: f32,
    /// Minimum cosine similarity (0-1) of the on-device matcher.
    pub local_threshold: f32,
    /// The backend the event's faces are indexed with ("rekognition", "local");
    /// null until the first face is indexed. An event stays with its backend.
    pub backend: Option<String>,
    /// New photos are matched against this event.
    pub active: bool,
    pub closed: bool,
    /// Which of its photos the event's server shows.
    pub publish: PublishChoice,
    /// The server the event's photos were sent to (its sync state refers to
    /// it), if any yet.
    pub server: Option<String>,
}

/// Which photos of an event its server shows: only those with a matched
/// participant (`"matched"`, the default of a new event) or every photo of the
/// event (`"all"`). Unpublished photos are never shown.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum PublishChoice {
    #[default]
    Matched,
    All,
}

impl From<findme_catalog::PublishPolicy> for PublishChoice {
    fn from(p: findme_catalog::PublishPolicy) -> PublishChoice {
        match p {
            findme_catalog::PublishPolicy::Matched => PublishChoice::Matched,
            findme_catalog::PublishPolicy::All => PublishChoice::All,
        }
    }
}

impl From<PublishChoice> for findme_catalog::PublishPolicy {
    fn from(p: PublishChoice) -> findme_catalog::PublishPolicy {
        match p {
            PublishChoice::Matched => findme_catalog::PublishPolicy::Matched,
            PublishChoice::All => findme_catalog::PublishPolicy::All,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ParticipantDto {
    pub id: String,
    pub name: String,
    pub consent: bool,
    /// The selfie's face is in the event's index.
    pub indexed: bool,
    /// Why the selfie cannot be used ("no face found in the selfie", "several faces …").
    pub error: Option<String>,
    /// Photos the participant was found in.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub photos: u64,
    /// The participant has a selfie; a small JPEG of it is served at
    /// `thumb://localhost/selfie/<event>/<id>` (the app's participant list).
    pub selfie: bool,
    /// The faces found in the selfie, largest first, as fractions of the
    /// upright selfie: one when it could be used, several when the
    /// photographer must pick one (`error` says so), none before it was looked at.
    pub faces: Vec<FaceBoxDto>,
    /// The face of `faces` that is indexed (null while none is).
    pub face: Option<u32>,
}

/// `findme participants import`: who was added, and which files were not usable.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ParticipantImportReport {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub added: u64,
    pub skipped: Vec<super::FailureDto>,
}

/// One face of a photo in `photos --json` (active event).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PhotoFaceDto {
    #[serde(rename = "box")]
    pub face_box: FaceBoxDto,
    /// The participant found in this face, or null.
    pub participant: Option<String>,
    /// Match similarity when matched, detection confidence otherwise (0-100).
    pub confidence: f32,
}

/// Face-service calls, persisted across processes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RekognitionStats {
    #[cfg_attr(feature = "ts", ts(type = "Record<string, number>"))]
    pub calls: BTreeMap<String, u64>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub throttled: u64,
}

/// `findme match --json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct MatchReport {
    /// Photos of the catalog considered (good photos).
    pub photos: u64,
    /// Photos in which at least one participant was found.
    pub matched: u64,
    /// Faces found in all photos.
    pub faces: u64,
    /// (photo, participant) matches.
    pub matches: u64,
    /// Photos whose matching was quarantined.
    pub failed: u64,
    pub calls: BTreeMap<String, u64>,
    pub throttled: u64,
}

/// Biometric data and selfie files still to be deleted (`stats.deletions`).
/// Nothing here is ever dropped unfinished: a deletion stays until the holder
/// of the data (AWS Rekognition, this computer's data folder) confirmed it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DeletionStats {
    /// Not tried yet, or waiting for what this process lacks (AWS sign-in).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub pending: u64,
    /// The last try failed; FindMe tries again later.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub failed: u64,
    /// Faces among them waiting to leave AWS Rekognition.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    #[serde(default)]
    pub rekognition_faces: u64,
    /// Collections among them (closed events) waiting to leave AWS Rekognition.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    #[serde(default)]
    pub rekognition_collections: u64,
    /// What the newest unfinished one waits for or failed on, for the
    /// photographer ("AWS sign-in needed: …").
    #[serde(default)]
    pub reason: Option<String>,
}

/// `findme deletions run --json`: deletions carried out now, and what is left.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DeletionReport {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub done: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub pending: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub failed: u64,
}

/// The matcher an event is created with in the app: on this computer or with
/// AWS Rekognition (`"local"`, `"rekognition"`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum EventMatcher {
    Local,
    Rekognition,
}

impl From<EventMatcher> for crate::MatchBackend {
    fn from(m: EventMatcher) -> crate::MatchBackend {
        match m {
            EventMatcher::Local => crate::MatchBackend::Local,
            EventMatcher::Rekognition => crate::MatchBackend::Rekognition,
        }
    }
}

/// Which event the photos of a watched folder, a card or a drop join, as the
/// app says it: `{"kind":"active"}` (the active event when they arrive; none if
/// there is none), `{"kind":"event","id":"gala"}`, `{"kind":"none"}` (catalogue
/// only).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventChoiceDto {
    Active,
    Event {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        id: findme_keys::EventId,
    },
    None,
}

impl From<EventChoiceDto> for crate::EventChoice {
    fn from(choice: EventChoiceDto) -> crate::EventChoice {
        match choice {
            EventChoiceDto::Active => crate::EventChoice::Active,
            EventChoiceDto::Event { id } => crate::EventChoice::Event(id),
            EventChoiceDto::None => crate::EventChoice::NoEvent,
        }
    }
}

/// Photos added to an event from the gallery (`events assign` says the same).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AssignmentDto {
    /// Joined now.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub added: u64,
    /// Members already.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub already: u64,
    /// Keys the catalog does not know.
    pub unknown: Vec<String>,
}

impl From<crate::Assignment> for AssignmentDto {
    fn from(a: crate::Assignment) -> AssignmentDto {
        AssignmentDto {
            added: a.added,
            already: a.already,
            unknown: a.unknown,
        }
    }
}

/// Photos removed from an event from the gallery (`events unassign`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UnassignmentDto {
    /// Were members and left.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub removed: u64,
    /// Keys the catalog does not know.
    pub unknown: Vec<String>,
}

impl From<crate::Unassignment> for UnassignmentDto {
    fn from(u: crate::Unassignment) -> UnassignmentDto {
        UnassignmentDto {
            removed: u.removed,
            unknown: u.unknown,
        }
    }
}
