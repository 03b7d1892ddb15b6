//! The domain's keys, each a type with one rule, parsed once where it enters (a
//! URI, a CLI argument, an IPC argument, a wire body) and passed as the type inside.
//!
//! - [`PhotoKey`]: a photo's SHA-256, 64 lower-case hex digits. It names cache
//!   files and server objects, so nothing else (upper case, `..`, slashes) ever
//!   gets through.
//! - [`EventId`], [`ParticipantId`] and [`CameraAccount`]: 1-64 ASCII letters, digits, `-` and `_`.
//!   Ids go unescaped into URL paths and collection names, and the event server
//!   protocol uses this same rule, so an id the app accepts can always be synced.
//! - [`RenditionKind`]: which cached picture of a photo (thumb, preview).
//!
//! Every key serialises as its plain string and refuses a bad one when
//! deserialised, so a wire type holding a key is valid by construction.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A key is its string on the wire; deserialising checks the key's rule.
macro_rules! plain_string_serde {
    ($name:ident) => {
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $name::try_from(String::deserialize(deserializer)?)
                    .map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Why a key was refused, in words for whoever typed or sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("{0:?} is not a photo key (64 lower-case hex digits, the SHA-256 of the photo)")]
    PhotoKey(String),
    #[error("the {what} {value:?} must be 1-64 letters, digits, '-' or '_'")]
    Id { what: &'static str, value: String },
    #[error("{0:?} is not a rendition kind (thumb or preview)")]
    RenditionKind(String),
}

/// A photo's identity: the SHA-256 of its bytes, as 64 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct PhotoKey(String);

plain_string_serde!(PhotoKey);

impl PhotoKey {
    /// True for exactly 64 lower-case hex digits.
    pub fn is_valid(s: &str) -> bool {
        s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }

    pub fn parse(s: &str) -> Result<PhotoKey, KeyError> {
        if PhotoKey::is_valid(s) {
            Ok(PhotoKey(s.to_owned()))
        } else {
            Err(KeyError::PhotoKey(s.to_owned()))
        }
    }

    /// The key of a digest (lower-case hex).
    pub fn from_digest(digest: &[u8; 32]) -> PhotoKey {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(64);
        for b in digest {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        PhotoKey(out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first `n` hex digits (cache fan-out folders, short tags).
    pub fn prefix(&self, n: usize) -> &str {
        &self.0[..n.min(64)]
    }
}

/// The one rule for event and participant ids.
fn is_valid_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
        pub struct $name(String);

        plain_string_serde!($name);

        impl $name {
            /// True if `s` follows the id rule (1-64 of `[A-Za-z0-9_-]`).
            pub fn is_valid(s: &str) -> bool {
                is_valid_id(s)
            }

            pub fn parse(s: &str) -> Result<$name, KeyError> {
                if is_valid_id(s) {
                    Ok($name(s.to_owned()))
                } else {
                    Err(KeyError::Id { what: $what, value: s.to_owned() })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = KeyError;
            fn from_str(s: &str) -> Result<Self, KeyError> {
                $name::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = KeyError;
            fn try_from(s: String) -> Result<Self, KeyError> {
                if is_valid_id(&s) {
                    Ok($name(s))
                } else {
                    Err(KeyError::Id { what: $what, value: s })
                }
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id_type!(
    /// An event's id: the same in the catalog, on the event server and in the
    /// face collection's name.
    EventId,
    "event id"
);
id_type!(
    /// A participant's id within an event (the guest registered on the server, or
    /// a selfie's file stem).
    ParticipantId,
    "participant id"
);
id_type!(
    /// A camera body's FTP account: the user name typed into the camera and the
    /// folder its photos land in (`<library>/<date>/<account>/`), so the id rule
    /// keeps it a safe file name.
    CameraAccount,
    "camera account name"
);

impl fmt::Display for PhotoKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PhotoKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        PhotoKey::parse(s)
    }
}

impl TryFrom<String> for PhotoKey {
    type Error = KeyError;
    fn try_from(s: String) -> Result<Self, KeyError> {
        if PhotoKey::is_valid(&s) {
            Ok(PhotoKey(s))
        } else {
            Err(KeyError::PhotoKey(s))
        }
    }
}

impl From<PhotoKey> for String {
    fn from(key: PhotoKey) -> String {
        key.0
    }
}

impl AsRef<str> for PhotoKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Which cached picture of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum RenditionKind {
    /// ≈320 px, for the grid.
    Thumb,
    /// ≈2048 px, for the detail view.
    Preview,
}

impl RenditionKind {
    pub const ALL: [RenditionKind; 2] = [RenditionKind::Thumb, RenditionKind::Preview];

    /// The name in URIs, the catalog's index and file names.
    pub fn as_str(self) -> &'static str {
        match self {
            RenditionKind::Thumb => "thumb",
            RenditionKind::Preview => "preview",
        }
    }
}

impl fmt::Display for RenditionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RenditionKind {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        RenditionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| KeyError::RenditionKind(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn a_photo_key_is_exactly_64_lower_case_hex_digits() {
        assert_eq!(
            PhotoKey::parse(SHA).map(|k| k.to_string()),
            Ok(SHA.to_owned())
        );
        assert!(PhotoKey::parse(&"0".repeat(64)).is_ok());
        for bad in [
            SHA.to_uppercase(),
            SHA[..63].to_owned(),
            format!("{SHA}a"),
            format!("{}..", &SHA[..62]),
            format!("{}/a", &SHA[..62]),
            format!("{}é", &SHA[..62]),
            String::new(),
        ] {
            assert_eq!(
                PhotoKey::parse(&bad),
                Err(KeyError::PhotoKey(bad.clone())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_digest_becomes_its_hex_key() {
        let mut digest = [0u8; 32];
        digest[0] = 0xab;
        digest[31] = 0x0f;
        let key = PhotoKey::from_digest(&digest);
        assert!(key.as_str().starts_with("ab00"));
        assert!(key.as_str().ends_with("0f"));
        assert_eq!(key.prefix(2), "ab");
        assert!(PhotoKey::is_valid(key.as_str()));
    }

    #[test]
    fn ids_follow_the_protocols_rule() {
        for good in ["a", "gala-2026", "P_01", &"x".repeat(64)] {
            assert!(EventId::parse(good).is_ok(), "{good}");
            assert!(ParticipantId::parse(good).is_ok(), "{good}");
        }
        // The app once accepted '.' and 100 characters, which the server refuses.
        for bad in ["", "a.b", &"x".repeat(65), "a b", "a/b", "é", "../x"] {
            assert!(EventId::parse(bad).is_err(), "{bad}");
            assert!(ParticipantId::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            EventId::parse("a.b").unwrap_err().to_string(),
            "the event id \"a.b\" must be 1-64 letters, digits, '-' or '_'"
        );
    }

    #[test]
    fn keys_are_plain_strings_on_the_wire_and_refused_when_bad() {
        let id = EventId::parse("gala").expect("valid");
        assert_eq!(serde_json::to_string(&id).expect("json"), "\"gala\"");
        assert_eq!(
            serde_json::from_str::<EventId>("\"gala\"").expect("json"),
            id
        );
        assert!(serde_json::from_str::<EventId>("\"a.b\"").is_err());
        assert!(serde_json::from_str::<PhotoKey>("\"ABC\"").is_err());
        assert_eq!(
            serde_json::from_str::<PhotoKey>(&format!("\"{SHA}\""))
                .expect("json")
                .as_str(),
            SHA
        );
        assert_eq!(
            serde_json::to_string(&RenditionKind::Preview).expect("json"),
            "\"preview\""
        );
    }

    #[test]
    fn rendition_kinds_parse_from_their_names_only() {
        assert_eq!("thumb".parse(), Ok(RenditionKind::Thumb));
        assert_eq!("preview".parse(), Ok(RenditionKind::Preview));
        assert!("Thumb".parse::<RenditionKind>().is_err());
        assert!("".parse::<RenditionKind>().is_err());
    }
}
