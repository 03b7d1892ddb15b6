//! Where a copy goes inside the library: `{date}/{name}` by default.

use std::path::{Path, PathBuf};

use findme_media::Inspection;
use jiff::tz::TimeZone;

pub const DEFAULT_LAYOUT: &str = "{date}/{name}";

const TOKENS: [&str; 8] = [
    "{date}", "{year}", "{month}", "{day}", "{camera}", "{name}", "{stem}", "{ext}",
];

/// A layout must name each file uniquely per folder and stay inside the library.
pub(crate) fn validate(layout: &str) -> Result<(), String> {
    if !(layout.contains("{name}") || layout.contains("{stem}")) {
        return Err(format!(
            "the layout \"{layout}\" must contain {{name}} or {{stem}}"
        ));
    }
    if layout.starts_with('/') || layout.split('/').any(|part| part == "..") {
        return Err(format!(
            "the layout \"{layout}\" must stay inside the library folder"
        ));
    }
    let mut rest = layout;
    while let Some(open) = rest.find('{') {
        let tail = rest.get(open..).unwrap_or_default();
        match TOKENS.iter().find(|t| tail.starts_with(*t)) {
            Some(token) => rest = tail.get(token.len()..).unwrap_or_default(),
            None => {
                return Err(format!(
                    "unknown token in layout \"{layout}\"; use {}",
                    TOKENS.join(" ")
                ))
            }
        }
    }
    Ok(())
}

/// The library-relative path for a card file. The date is the capture date as
/// the camera recorded it, or the file's date when it has no EXIF time.
pub(crate) fn relative_path(
    layout: &str,
    source: &Path,
    inspection: &Inspection,
    source_mtime_ns: i64,
) -> PathBuf {
    let date = inspection
        .metadata
        .captured_at
        .as_ref()
        .map(|c| c.local.date())
        .or_else(|| {
            jiff::Timestamp::from_nanosecond(i128::from(source_mtime_ns))
                .ok()
                .map(|ts| ts.to_zoned_datetime(TimeZone::system()).date())
        })
        .unwrap_or_else(|| jiff::civil::date(1970, 1, 1));
    let name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = source
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = source
        .extension()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let camera = inspection
        .metadata
        .camera_model
        .clone()
        .unwrap_or_else(|| "unknown-camera".into());
    let text = layout
        .replace(
            "{date}",
            &format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day()),
        )
        .replace("{year}", &format!("{:04}", date.year()))
        .replace("{month}", &format!("{:02}", date.month()))
        .replace("{day}", &format!("{:02}", date.day()))
        .replace("{camera}", &sanitize(&camera))
        .replace("{name}", &sanitize(&name))
        .replace("{stem}", &sanitize(&stem))
        .replace("{ext}", &sanitize(&ext));
    text.split('/')
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .collect()
}

/// Values substituted into a layout never add folders or climb out of one.
fn sanitize(value: &str) -> String {
    let cleaned: String = value
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    match cleaned.trim() {
        "" | "." | ".." => "_".to_string(),
        s => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_are_checked() {
        assert!(validate(DEFAULT_LAYOUT).is_ok());
        assert!(validate("{year}/{month}/{camera}/{stem}.{ext}").is_ok());
        assert!(validate("{date}").is_err(), "must name files");
        assert!(validate("../{name}").is_err());
        assert!(validate("/abs/{name}").is_err());
        assert!(validate("{nmae}/{name}").is_err());
    }

    #[test]
    fn substituted_values_cannot_escape() {
        assert_eq!(sanitize("../.."), ".._..");
        assert_eq!(sanitize("EOS R5/C"), "EOS R5_C");
        assert_eq!(sanitize(".."), "_");
    }
}
