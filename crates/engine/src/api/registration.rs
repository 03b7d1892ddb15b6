//! Wire types of guest registration (guests sign themselves up on the event
//! server's page). Same contract rules as the rest of `api`: add fields, never
//! rename or remove them.

use serde::{Deserialize, Serialize};

/// An event's guest registration on its event server, as the app and
/// `findme events registration` show it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RegistrationDto {
    pub event: String,
    /// Guests can register themselves now.
    pub open: bool,
    /// The event code guests type on the page (printed on the card); null: none.
    pub code: Option<String>,
    /// The photographer's short text on the page.
    pub intro: String,
    /// Days the guests' data is kept after the event closes.
    pub retention_days: u32,
    /// Who processes the guests' faces, as the consent text names it: "device"
    /// (this computer) or "rekognition" (AWS). Set by the engine from the
    /// event's matcher, never chosen by hand.
    pub matcher: String,
    /// Guests registered and not withdrawn.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub registered: u64,
    /// The registration page: the server's base URL + the page path.
    pub url: String,
    /// A QR code of `url`, as an SVG document.
    pub qr_svg: String,
}

/// What to change in an event's registration; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RegistrationChangeDto {
    /// Open (true) or close (false) the registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub open: Option<bool>,
    /// The event code; "" removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub code: Option<String>,
    /// The short text on the page (at most 500 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub intro: Option<String>,
    /// Days the guests' data is kept after the event closes (0-365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub retention_days: Option<u32>,
}

/// The printable registration card, saved as a file in the data folder.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CardFileDto {
    /// Absolute path of the saved HTML page.
    pub path: String,
    /// "a6" or "a4".
    pub size: String,
    /// The app opened it in the system browser (false: open `path` by hand).
    #[serde(default)]
    pub opened: bool,
}
