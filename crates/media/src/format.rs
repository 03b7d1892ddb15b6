//! File formats FindMe catalogues, decided from the file name first (cheap, used by
//! scans over thousands of files) and confirmed from the content by [`crate::inspect_file`].

use std::path::{Component, Path};

/// A camera RAW flavour. All are catalogued; thumbnails come from their embedded previews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RawKind {
    Cr2,
    Cr3,
    Nef,
    Arw,
    Dng,
    Raf,
    Orf,
}

/// A photo format FindMe catalogues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// JPEG, including MPO (multi-picture JPEG) files.
    Jpeg,
    Png,
    /// HEIC / HEIF (ISO-BMFF container).
    Heif,
    Raw(RawKind),
}

impl Format {
    /// Stable lower-case name stored in the catalog and shown in the UI ("jpeg", "cr2", ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Heif => "heif",
            Format::Raw(RawKind::Cr2) => "cr2",
            Format::Raw(RawKind::Cr3) => "cr3",
            Format::Raw(RawKind::Nef) => "nef",
            Format::Raw(RawKind::Arw) => "arw",
            Format::Raw(RawKind::Dng) => "dng",
            Format::Raw(RawKind::Raf) => "raf",
            Format::Raw(RawKind::Orf) => "orf",
        }
    }

    /// Inverse of [`Format::as_str`] (exact, lower-case names only).
    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name {
            "jpeg" => Format::Jpeg,
            "png" => Format::Png,
            "heif" => Format::Heif,
            "cr2" => Format::Raw(RawKind::Cr2),
            "cr3" => Format::Raw(RawKind::Cr3),
            "nef" => Format::Raw(RawKind::Nef),
            "arw" => Format::Raw(RawKind::Arw),
            "dng" => Format::Raw(RawKind::Dng),
            "raf" => Format::Raw(RawKind::Raf),
            "orf" => Format::Raw(RawKind::Orf),
            _ => return None,
        })
    }

    pub fn is_raw(self) -> bool {
        matches!(self, Format::Raw(_))
    }

    /// Name used in messages to photographers ("JPEG", "CR2", ...).
    pub(crate) fn display_name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Heif => "HEIF",
            Format::Raw(RawKind::Cr2) => "CR2",
            Format::Raw(RawKind::Cr3) => "CR3",
            Format::Raw(RawKind::Nef) => "NEF",
            Format::Raw(RawKind::Arw) => "ARW",
            Format::Raw(RawKind::Dng) => "DNG",
            Format::Raw(RawKind::Raf) => "RAF",
            Format::Raw(RawKind::Orf) => "ORF",
        }
    }
}

/// What a scan should do with a path, judged from its name alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classification {
    /// A photo format we catalogue (by extension, case-insensitive).
    Photo(Format),
    /// Not a photo we catalogue; the reason is readable by a photographer,
    /// e.g. "video files (.mov) are not catalogued".
    Skip(String),
    /// Hidden files and well-known card/OS clutter (".DS_Store", "._IMG_0001.JPG",
    /// files under ".Trashes"): ignored silently, never reported.
    Ignore,
}

/// Classify a path by its file name.
///
/// Pass the path relative to the scan root: any component starting with '.' makes
/// the path [`Classification::Ignore`], so an absolute path under a hidden folder
/// (e.g. `~/.cache/…`) would be ignored whole.
///
/// Works on the raw `OsStr` components, so non-UTF-8 names are classified like any
/// other (the lossy conversion is used only to word skip reasons). Any component
/// starting with '.' makes the path hidden clutter: camera cards and macOS are full
/// of `.Trashes`, `.Spotlight-V100` and AppleDouble `._IMG_0001.JPG` files.
pub fn classify_path(path: &Path) -> Classification {
    let hidden = path.components().any(|c| match c {
        Component::Normal(name) => name.as_encoded_bytes().first() == Some(&b'.'),
        _ => false,
    });
    if hidden {
        return Classification::Ignore;
    }
    let Some(name) = path.file_name() else {
        return Classification::Skip("not a file name".to_string());
    };
    let name_bytes = name.as_encoded_bytes();
    if name_bytes.eq_ignore_ascii_case(b"Thumbs.db")
        || name_bytes.eq_ignore_ascii_case(b"desktop.ini")
    {
        return Classification::Ignore;
    }
    let ext = match Path::new(name).extension() {
        Some(ext) if !ext.is_empty() => ext,
        _ => return Classification::Skip("files without an extension are not catalogued".into()),
    };
    // Extensions we know are ASCII; anything else is unsupported whatever it says.
    let lower = ext.as_encoded_bytes().to_ascii_lowercase();
    let lower = std::str::from_utf8(&lower).unwrap_or("");
    if let Some(format) = photo_format(lower) {
        return Classification::Photo(format);
    }
    let shown = ext.to_string_lossy().to_lowercase();
    Classification::Skip(skip_reason(lower, &shown))
}

/// Photo formats by lower-case extension.
fn photo_format(ext: &str) -> Option<Format> {
    Some(match ext {
        "jpg" | "jpeg" | "jpe" | "mpo" => Format::Jpeg,
        "png" => Format::Png,
        "heic" | "heif" | "hif" => Format::Heif,
        "cr2" => Format::Raw(RawKind::Cr2),
        "cr3" => Format::Raw(RawKind::Cr3),
        "nef" => Format::Raw(RawKind::Nef),
        "arw" => Format::Raw(RawKind::Arw),
        "dng" => Format::Raw(RawKind::Dng),
        "raf" => Format::Raw(RawKind::Raf),
        "orf" => Format::Raw(RawKind::Orf),
        _ => return None,
    })
}

/// A reason a photographer understands for a file we do not catalogue.
fn skip_reason(ext: &str, shown: &str) -> String {
    const VIDEO: &[&str] = &[
        "mov", "mp4", "m4v", "avi", "mts", "m2ts", "mkv", "wmv", "mpg", "mpeg", "3gp", "lrv",
        "insv", "webm",
    ];
    const SIDECAR: &[&str] = &["xmp", "thm", "aae", "pp3", "dop", "on1", "cos", "lrf"];
    const AUDIO: &[&str] = &["wav", "mp3", "m4a", "aac", "flac"];
    const OTHER_RAW: &[&str] = &[
        "rw2", "pef", "srw", "x3f", "3fr", "fff", "iiq", "mos", "mrw", "nrw", "sr2", "srf", "crw",
        "kdc", "dcr", "erf", "raw", "rwl",
    ];
    if VIDEO.contains(&ext) {
        format!("video files (.{shown}) are not catalogued")
    } else if SIDECAR.contains(&ext) {
        format!("sidecar files (.{shown}) are not catalogued")
    } else if AUDIO.contains(&ext) {
        format!("audio files (.{shown}) are not catalogued")
    } else if OTHER_RAW.contains(&ext) {
        format!("this RAW format (.{shown}) is not supported yet")
    } else {
        let image = match ext {
            "gif" => Some("GIF"),
            "webp" => Some("WebP"),
            "avif" => Some("AVIF"),
            "tif" | "tiff" => Some("TIFF"),
            "bmp" => Some("BMP"),
            "psd" | "psb" => Some("Photoshop"),
            "jxl" => Some("JPEG XL"),
            "svg" => Some("SVG"),
            "ico" => Some("icon"),
            _ => None,
        };
        match image {
            Some(kind) => format!("{kind} images are not catalogued"),
            None => format!("unsupported file type (.{shown})"),
        }
    }
}
