//! From catalog and ingest records to wire types.

use std::path::PathBuf;

use findme_catalog::{CatalogCounts, FaceRow, PhotoRow, QueueCounts};
use findme_ingest::{CardOptions, CardSummary, ImportSummary};
use findme_thumbs::{PhotoKey, RenditionKind, ThumbnailCache};

use crate::api::*;

pub(crate) fn photo_dto(row: PhotoRow, thumbs: &ThumbnailCache) -> PhotoDto {
    // The catalog computed the hash, so it is a key; a damaged row just shows no files.
    let key = PhotoKey::parse(&row.sha256).ok();
    let cached = |kind: RenditionKind| {
        let key = key.as_ref()?;
        row.renditions
            .iter()
            .any(|k| k == kind.as_str())
            .then(|| thumbs.path_of(key, kind).to_string_lossy().into_owned())
    };
    let (thumbnail, preview) = (cached(RenditionKind::Thumb), cached(RenditionKind::Preview));
    let camera = camera_name(row.camera_make.as_deref(), row.camera_model.as_deref());
    PhotoDto {
        id: row.id,
        sha256: row.sha256,
        paths: row
            .paths
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect(),
        captured_at: row.captured_at,
        camera,
        camera_serial: row.camera_serial,
        lens: row.lens,
        width: row.width,
        height: row.height,
        orientation: row.orientation,
        format: row.format,
        size: row.size,
        status: row.status.as_str().to_string(),
        // The contract has one reason field: the photo's failure, else why it has
        // no thumbnail.
        error: row.error.or(row.preview_error),
        group: row.group_id,
        thumbnail,
        preview,
        // Filled in by the caller when an event is active.
        faces: Vec::new(),
        events: Vec::new(),
        imported_at: jiff::Timestamp::from_millisecond(row.imported_ms)
            .map(|t| t.to_string())
            .unwrap_or_default(),
    }
}

/// "Canon EOS R5", "NIKON Z 9", "OLYMPUS E-M1": the maker's first word (without
/// "CORPORATION", "IMAGING CORP." and the like) unless the model already says it.
fn camera_name(make: Option<&str>, model: Option<&str>) -> Option<String> {
    let brand = make
        .and_then(|m| m.split_whitespace().next())
        .map(|w| w.trim_end_matches([',', '.']));
    match (brand, model) {
        (Some(brand), Some(model)) if model.to_lowercase().starts_with(&brand.to_lowercase()) => {
            Some(model.to_string())
        }
        (Some(brand), Some(model)) => Some(format!("{brand} {model}")),
        (brand, model) => model.or(brand).map(str::to_string),
    }
}

fn failures(list: Vec<(PathBuf, String)>) -> Vec<FailureDto> {
    list.into_iter()
        .map(|(path, reason)| FailureDto {
            path: path.to_string_lossy().into_owned(),
            reason,
        })
        .collect()
}

pub(crate) fn import_report(s: ImportSummary) -> ImportReport {
    ImportReport {
        scanned: s.scanned,
        imported: s.imported,
        duplicates: s.duplicates,
        unchanged: s.unchanged,
        failed: s.failed,
        failures: failures(s.failures),
        skipped: s.skipped,
        card: None,
        event: None,
        joined: 0,
        joined_photos: Vec::new(),
    }
}

pub(crate) fn card_report(s: CardSummary, options: &CardOptions) -> ImportReport {
    let card = CardReport {
        destination: options.destination.to_string_lossy().into_owned(),
        backup: options
            .backup
            .as_ref()
            .map(|b| b.to_string_lossy().into_owned()),
        copied: s.copied,
        already_present: s.already_present,
        not_copied: failures(s.not_copied),
        safe_to_format: s.safe_to_format,
        verdict: s.verdict,
    };
    ImportReport {
        card: Some(card),
        ..import_report(s.import)
    }
}

pub(crate) fn stats(
    counts: CatalogCounts,
    queue: QueueCounts,
    rekognition: RekognitionStats,
    sync: SyncStats,
) -> Stats {
    Stats {
        catalog: CatalogStats {
            photos: counts.photos,
            locations: counts.locations,
            failed: counts.failed,
        },
        queue: queue_stats(queue),
        rekognition,
        sync,
        events: Vec::new(),
        deletions: DeletionStats::default(),
        ftp: FtpStats::default(),
        live: LiveStats::default(),
    }
}

pub(crate) fn queue_stats(queue: QueueCounts) -> QueueStats {
    QueueStats {
        total_enqueued: queue.total_enqueued,
        total_processed: queue.total_processed,
        pending: queue.pending,
        running: queue.running,
        failed: queue.failed,
        workers_active: queue.workers_active,
    }
}

/// A face of `photos --json`: matched participant's similarity, else the
/// detection confidence.
pub(crate) fn photo_face(face: FaceRow) -> PhotoFaceDto {
    let face = face_dto(face);
    PhotoFaceDto {
        face_box: face.face_box,
        participant: face.participant,
        confidence: face.confidence,
    }
}

/// A face of the detail view: the matched participant's id, name and
/// similarity, else the detection confidence.
pub(crate) fn face_dto(face: FaceRow) -> FaceDto {
    let (participant, name, confidence) = match face.participant {
        Some((id, name, similarity)) => (Some(id), Some(name), similarity),
        None => (None, None, face.confidence),
    };
    FaceDto {
        face_box: FaceBoxDto {
            left: face.left,
            top: face.top,
            width: face.width,
            height: face.height,
        },
        participant,
        name,
        confidence,
    }
}

/// The face-service call counters the matching stages persist.
pub(crate) fn rekognition_stats(
    r: &findme_catalog::Reader<'_>,
) -> Result<RekognitionStats, findme_catalog::CatalogError> {
    Ok(RekognitionStats {
        calls: r.counters("rekognition.calls.")?.into_iter().collect(),
        throttled: r
            .counters("rekognition.throttled")?
            .iter()
            .map(|(_, n)| n)
            .sum(),
    })
}

/// What is still to be deleted (`stats.deletions`, the activity panel).
pub(crate) fn deletion_stats(
    r: &findme_catalog::Reader<'_>,
) -> findme_catalog::Result<DeletionStats> {
    let t = r.deletion_totals()?;
    Ok(DeletionStats {
        pending: t.pending,
        failed: t.failed,
        rekognition_faces: t.rekognition_faces,
        rekognition_collections: t.rekognition_collections,
        reason: t.last_error,
    })
}
