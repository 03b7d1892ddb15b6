//! From what the media crate read to what the catalog stores.

use findme_catalog::{PhotoFacts, PhotoStatus};
use findme_media::{Completeness, Inspection};
use jiff::tz::TimeZone;

/// Catalog facts for an inspected file. `mtime_ms` sorts photos that carry no
/// capture time (screenshots, scans, stripped files) by when the file was written.
pub(crate) fn photo_facts(inspection: &Inspection, mtime_ms: i64) -> PhotoFacts {
    let meta = &inspection.metadata;
    let (status, error) = match &inspection.completeness {
        Completeness::Complete => (PhotoStatus::Ok, None),
        Completeness::Truncated(reason) | Completeness::Invalid(reason) => {
            (PhotoStatus::Failed, Some(reason.clone()))
        }
    };
    let (captured_at, offset_from_exif, taken_ms) = match &meta.captured_at {
        Some(capture) => match capture_instant(capture) {
            Some((text, from_exif, ms)) => (Some(text), from_exif, ms),
            None => (None, false, mtime_ms),
        },
        None => (None, false, mtime_ms),
    };
    PhotoFacts {
        sha256: inspection.sha256.to_hex(),
        size: inspection.size,
        format: inspection.format.as_str().to_string(),
        is_raw: inspection.format.is_raw(),
        status,
        error,
        captured_at,
        offset_from_exif,
        taken_ms,
        camera_make: meta.camera_make.clone(),
        camera_model: meta.camera_model.clone(),
        camera_serial: meta.camera_serial.clone(),
        lens: meta.lens.clone(),
        orientation: meta.orientation,
        width: meta.width,
        height: meta.height,
    }
}

/// RFC 3339 text, whether the offset came from EXIF, and the instant in ms.
/// Cameras without an offset tag record wall-clock time; at an event the laptop is
/// in the same time zone as the camera, so its zone is the best guess.
fn capture_instant(capture: &findme_media::CaptureTime) -> Option<(String, bool, i64)> {
    let (tz, from_exif) = match capture.offset {
        Some(offset) => (TimeZone::fixed(offset), true),
        None => (TimeZone::system(), false),
    };
    let zoned = capture.local.to_zoned_datetime(tz).ok()?;
    let ts = zoned.timestamp();
    let text = ts.display_with_offset(zoned.offset()).to_string();
    Some((text, from_exif, ts.as_millisecond()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use findme_media::CaptureTime;

    #[test]
    fn exif_offset_and_subseconds_survive_into_rfc3339() {
        let capture = CaptureTime {
            local: jiff::civil::date(2024, 6, 1).at(14, 3, 22, 120_000_000),
            offset: Some(jiff::tz::offset(2)),
        };
        let (text, from_exif, ms) = capture_instant(&capture).unwrap();
        assert_eq!(text, "2024-06-01T14:03:22.12+02:00");
        assert!(from_exif);
        assert_eq!(ms, 1_717_243_402_120);
    }
}
