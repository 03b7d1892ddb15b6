//! Serde wire types of protocol v1 (see `docs/api/openapi.yaml`).
//!
//! Every struct ignores unknown fields on input (serde's default; never add
//! `deny_unknown_fields`), so a newer peer can add fields without breaking an older
//! one. Optional fields default when absent for the same reason.

use serde::{Deserialize, Serialize};

/// `GET /api/v1/events/{event}`: what the photographer's token is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventInfo {
    pub id: String,
    pub name: String,
    /// Always 1 for this protocol; lets the app refuse a server it cannot talk to.
    pub protocol_version: u32,
    /// The server's image body limit in bytes, so the app can size renditions.
    pub max_image_bytes: u64,
}

/// One roster entry in a participants delta.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    pub id: String,
    pub display_name: String,
    /// Server path (relative to the API base, starting with `/`) of the selfie;
    /// `null` when the participant is deleted or has withdrawn consent, so the app
    /// never indexes a face it may not use.
    #[serde(default)]
    pub selfie_url: Option<String>,
    /// Hex SHA-256 of the selfie bytes (lets the app skip re-downloading).
    #[serde(default)]
    pub selfie_sha256: Option<String>,
    pub consent: bool,
    /// A tombstone: the participant was removed; forget their face and matches.
    #[serde(default)]
    pub deleted: bool,
    /// The roster sequence number of this participant's last change: an integer
    /// that only grows (not wall-clock time), so a delta poll cannot miss a change.
    pub updated_at: u64,
}

/// `GET /api/v1/events/{event}/participants?since=<cursor>` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantsPage {
    /// Changes after the `since` cursor, oldest first; each participant at most once.
    pub participants: Vec<Participant>,
    /// Opaque; pass it as `since` on the next poll.
    pub cursor: String,
    /// `true` if the page was cut at the server's page limit: poll again at once.
    #[serde(default)]
    pub more: bool,
}

/// A face box as fractions (0-1) of the upright image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceBox {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

/// One detected face of a photo and who it is (`null`: nobody of the roster).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoFace {
    #[serde(default)]
    pub participant_id: Option<String>,
    /// Similarity 0-100 (Rekognition's scale).
    #[serde(default)]
    pub confidence: f64,
    #[serde(rename = "box")]
    pub face_box: FaceBox,
}

/// `PUT /api/v1/events/{event}/photos/{sha256}` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoMetadata {
    /// RFC 3339 capture time, if the camera recorded one.
    #[serde(default)]
    pub captured_at: Option<String>,
    pub width: u32,
    pub height: u32,
    #[serde(default)]
    pub camera: Option<String>,
    /// The client's change counter for this photo: the server keeps the highest, so
    /// a late retry of an older PUT cannot undo a newer one.
    pub revision: u64,
    #[serde(default)]
    pub faces: Vec<PhotoFace>,
}

/// `PUT …/photos/{sha256}/image` answer (201 when new, 200 when already there).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PutImageResponse {
    pub sha256: String,
    /// SHA-256 of the stored rendition (the `X-Content-SHA256` that was sent).
    pub image_sha256: String,
    /// `true` when this request stored a new rendition for the photo (HTTP 201).
    pub created: bool,
}

/// `PUT …/photos/{sha256}` answer (always 200).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PutMetadataResponse {
    pub sha256: String,
    /// The revision the server now holds (≥ the one sent).
    pub revision: u64,
    /// `false` if the sent revision was not newer than the server's (nothing changed).
    pub applied: bool,
    /// `true` while the photo is withdrawn (a DELETE at or after this revision).
    pub withdrawn: bool,
}

/// `DELETE …/photos/{sha256}[?revision=N]` answer (always 200).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeletePhotoResponse {
    pub sha256: String,
    pub revision: u64,
    /// `false` only if a newer metadata revision already superseded this DELETE.
    pub withdrawn: bool,
}

/// `GET …/photos/{sha256}` (photographer): the server's current state of a photo,
/// for reconciliation after a crash ("did my push arrive?").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoState {
    pub sha256: String,
    #[serde(default)]
    pub image_sha256: Option<String>,
    pub revision: u64,
    pub withdrawn: bool,
    #[serde(default)]
    pub metadata: Option<PhotoMetadata>,
    /// Image and metadata both present and not withdrawn: attendees can see it.
    pub visible: bool,
}

/// `GET /api/v1/events/{event}/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventStats {
    /// Photos visible to attendees (image + metadata, not withdrawn).
    pub photos: u64,
    /// Visible photos with at least one face matched to a participant.
    pub matched: u64,
    /// Participants not deleted.
    pub participants: u64,
    /// Unix milliseconds of the last accepted PUT or DELETE, `null` before any.
    #[serde(default)]
    pub last_push_ms: Option<i64>,
}

/// `GET /api/v1/my-photos` (attendee token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyPhotos {
    pub event: EventRef,
    pub participant: ParticipantRef,
    /// Visible photos in which this participant is matched, newest capture first.
    pub photos: Vec<MyPhoto>,
}

/// The event an attendee belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRef {
    pub id: String,
    pub name: String,
}

/// The attendee themself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantRef {
    pub id: String,
    pub display_name: String,
}

/// One photo of an attendee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyPhoto {
    pub sha256: String,
    /// Path of the image (`/api/v1/photos/{sha256}/image`).
    pub image_url: String,
    /// Path of the ~480 px grid rendition when the app sent one
    /// (`/api/v1/photos/{sha256}/image?size=grid`), else absent: use `image_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_url: Option<String>,
    #[serde(default)]
    pub captured_at: Option<String>,
    pub width: u32,
    pub height: u32,
    /// Where this participant is in the photo.
    pub faces: Vec<FaceBox>,
}

/// Which matcher an event's consent text names (who processes the guest's face).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Matcher {
    /// On the photographer's laptop (the app's on-device matcher).
    #[default]
    Device,
    /// AWS Rekognition, on the photographer's AWS account.
    Rekognition,
}

/// `PUT /api/v1/events/{event}/registration` (photographer): what the guests'
/// registration page says and whether it takes sign-ups. Every field is optional:
/// absent fields keep their current value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegistrationUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<bool>,
    /// The event code guests must type (printed under the QR code); `""` removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The photographer's short text on the page (plain text, at most 500 chars).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<Matcher>,
    /// Days the guest's data is kept after the event closes (0-365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// `true`: the photographer closed the event. Registration closes for good and
    /// the retention clock starts: `retention_days` later the server deletes every
    /// participant of the event (selfies, tokens, sessions). `false` changes nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<bool>,
}

/// `GET`/`PUT /api/v1/events/{event}/registration`: the registration's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub open: bool,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub intro: String,
    #[serde(default)]
    pub matcher: Matcher,
    pub retention_days: u32,
    /// Guests who registered themselves and have not withdrawn.
    pub registered: u64,
    /// Path of the registration page (`/e/{event}`), for the link and QR code.
    pub page_path: String,
    /// Unix ms when the photographer closed the event (`ended`), else absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_ms: Option<i64>,
}

/// The printed size of the registration card (`?size=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CardSize {
    /// A6 (105 × 148 mm), a table card; the default.
    #[default]
    A6,
    /// A4 (210 × 297 mm), a poster.
    A4,
}

impl CardSize {
    /// `a6` / `a4`, as in the query string.
    pub fn as_str(self) -> &'static str {
        match self {
            CardSize::A6 => "a6",
            CardSize::A4 => "a4",
        }
    }

    /// The size a query value names, if any.
    pub fn parse(name: &str) -> Option<CardSize> {
        match name {
            "a6" | "A6" => Some(CardSize::A6),
            "a4" | "A4" => Some(CardSize::A4),
            _ => None,
        }
    }
}

/// Every error answer: `{"error": "…"}`, a message meant for a human.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_ignores_unknown_fields_and_defaults_optional_ones() {
        let m: PhotoMetadata = serde_json::from_str(
            r#"{"width":10,"height":20,"revision":3,"future":{"x":1},
                "faces":[{"participant_id":"p1","confidence":99.5,
                          "box":{"left":0.1,"top":0.2,"width":0.3,"height":0.4},"extra":1}]}"#,
        )
        .unwrap();
        assert_eq!(m.revision, 3);
        assert_eq!(m.captured_at, None);
        assert_eq!(m.faces[0].participant_id.as_deref(), Some("p1"));
        let back = serde_json::to_value(&m).unwrap();
        assert!(back["faces"][0]["box"]["left"].is_number(), "{back}");
    }
}
