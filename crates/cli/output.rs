//! What the CLI prints: one JSON document with `--json`, short readable text without.

use anyhow::Result;
use findme_engine::{FailureDto, ImportReport, PhotoDto, Stats, WatchedFolderDto};
use serde::Serialize;

fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn import(report: &ImportReport, as_json: bool) -> Result<()> {
    if as_json {
        return json(report);
    }
    println!(
        "{} new photos, {} duplicates, {} unchanged, {} failed, {} skipped ({} files scanned)",
        report.imported,
        report.duplicates,
        report.unchanged,
        report.failed,
        report.skipped,
        report.scanned
    );
    for failure in &report.failures {
        println!("  failed: {}: {}", failure.path, failure.reason);
    }
    if let Some(event) = &report.event {
        println!("{} photos joined the event {event}", report.joined);
    }
    if let Some(card) = &report.card {
        println!("copied {} photos to {}", card.copied, card.destination);
        if let Some(backup) = &card.backup {
            println!("backed up to {backup}");
        }
        if card.already_present > 0 {
            println!("{} photos were already there", card.already_present);
        }
        for item in &card.not_copied {
            println!("  not copied: {}: {}", item.path, item.reason);
        }
        println!("{}", card.verdict);
    }
    Ok(())
}

pub fn photos(photos: &[PhotoDto], as_json: bool) -> Result<()> {
    if as_json {
        return json(photos);
    }
    for p in photos {
        let path = p.paths.first().map(String::as_str).unwrap_or("(no file)");
        let when = p.captured_at.as_deref().unwrap_or("-");
        let camera = p.camera.as_deref().unwrap_or("-");
        match &p.error {
            Some(error) => println!("{:>6}  FAILED  {path}  {error}", p.id),
            None => println!("{:>6}  {when}  {camera}  {path}", p.id),
        }
    }
    Ok(())
}

pub fn stats(stats: &Stats, as_json: bool) -> Result<()> {
    if as_json {
        return json(stats);
    }
    let (c, q) = (&stats.catalog, &stats.queue);
    println!(
        "photos {}  locations {}  failed {}",
        c.photos, c.locations, c.failed
    );
    println!(
        "queue: {} pending, {} running, {} failed, {} processed of {} enqueued",
        q.pending, q.running, q.failed, q.total_processed, q.total_enqueued
    );
    let s = &stats.sync;
    println!(
        "sync: {} pushed, {} pending, {} failed",
        s.pushed, s.pending, s.failed
    );
    let f = &stats.ftp;
    if f.received + f.failed + f.connected > 0 {
        println!(
            "cameras (FTP): {} received, {} failed, {} connected",
            f.received, f.failed, f.connected
        );
    }
    let l = &stats.live;
    for (source, s) in [
        ("ftp", &l.ftp),
        ("watch", &l.watch),
        ("card", &l.card),
        ("import", &l.import),
    ] {
        if let (Some(p50), Some(p95)) = (s.latency_p50_ms, s.latency_p95_ms) {
            println!(
                "arrival to guest ({source}): p50 {:.1} s, p95 {:.1} s over {} photos",
                p50 as f64 / 1000.0,
                p95 as f64 / 1000.0,
                s.photos
            );
        }
    }
    let d = &stats.deletions;
    if d.pending + d.failed > 0 {
        println!(
            "deletions: {} pending, {} failed{}",
            d.pending,
            d.failed,
            d.reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

pub fn sync_report(report: &findme_engine::SyncReport, as_json: bool) -> Result<()> {
    if as_json {
        return json(report);
    }
    let roster = &report.roster;
    println!(
        "roster: {} added, {} updated, {} removed",
        roster.added, roster.updated, roster.removed
    );
    for f in &roster.failed {
        println!("  participant {}: {}", f.participant, f.reason);
    }
    println!(
        "pushed {}  pending {}  failed {}  ({} bytes sent)",
        report.pushed, report.pending, report.failed, report.bytes
    );
    Ok(())
}

pub fn failures(failures: &[FailureDto], as_json: bool) -> Result<()> {
    if as_json {
        return json(failures);
    }
    for f in failures {
        println!("{}: {}", f.path, f.reason);
    }
    Ok(())
}

pub fn folders(folders: &[WatchedFolderDto], as_json: bool) -> Result<()> {
    if as_json {
        return json(folders);
    }
    for f in folders {
        let state = if f.online { "online" } else { "offline" };
        let mode = if f.poll { ", polling" } else { "" };
        let event = match &f.event {
            Some(event) => format!(", event {event}"),
            None => String::new(),
        };
        println!("{} ({state}{mode}{event})", f.path);
    }
    Ok(())
}

/// `events assign`: `{"added":N,"already":N,"unknown":[…]}`.
pub fn assignment(a: &findme_engine::Assignment, as_json: bool) -> Result<()> {
    if as_json {
        return json(&serde_json::json!({
            "added": a.added,
            "already": a.already,
            "unknown": a.unknown,
        }));
    }
    println!(
        "{} photos added ({} were already in the event)",
        a.added, a.already
    );
    for sha in &a.unknown {
        println!("  not in the catalog: {sha}");
    }
    Ok(())
}

/// `events unassign`: `{"removed":N,"unknown":[…]}`.
pub fn unassignment(u: &findme_engine::Unassignment, as_json: bool) -> Result<()> {
    if as_json {
        return json(&serde_json::json!({ "removed": u.removed, "unknown": u.unknown }));
    }
    println!("{} photos removed from the event", u.removed);
    for sha in &u.unknown {
        println!("  not in the catalog: {sha}");
    }
    Ok(())
}

/// `events unpublish` / `events publish`: `{"changed":N,"unknown":[…]}`.
pub fn publish_change(c: &findme_engine::PublishChange, as_json: bool) -> Result<()> {
    if as_json {
        return json(&serde_json::json!({ "changed": c.changed, "unknown": c.unknown }));
    }
    println!("{} photos changed", c.changed);
    for sha in &c.unknown {
        println!("  not in the catalog: {sha}");
    }
    Ok(())
}

/// `deletions run`: `{"done":N,"pending":N,"failed":N}`.
pub fn deletion_report(report: &findme_engine::DeletionReport, as_json: bool) -> Result<()> {
    if as_json {
        return json(report);
    }
    println!(
        "deletions: {} done, {} pending, {} failed",
        report.done, report.pending, report.failed
    );
    Ok(())
}

pub fn events(events: &[findme_engine::EventDto], as_json: bool) -> Result<()> {
    if as_json {
        return json(events);
    }
    for e in events {
        let active = if e.active { " (active)" } else { "" };
        let closed = if e.closed { " (closed)" } else { "" };
        let backend = e.backend.as_deref().unwrap_or("not matched yet");
        let publish = match e.publish {
            findme_engine::PublishChoice::Matched => "publishes matched photos",
            findme_engine::PublishChoice::All => "publishes every photo",
        };
        println!(
            "{}\t{}\t{backend}\tthreshold {} (on-device {})\t{publish}{active}{closed}",
            e.id, e.name, e.threshold, e.local_threshold
        );
    }
    Ok(())
}

pub fn participants(list: &[findme_engine::ParticipantDto], as_json: bool) -> Result<()> {
    if as_json {
        return json(list);
    }
    for p in list {
        let state = match (&p.error, p.consent, p.indexed) {
            (Some(error), _, _) => error.clone(),
            (None, false, _) => "no consent".into(),
            (None, true, true) => format!("in {} photos", p.photos),
            (None, true, false) => "waiting to be indexed".into(),
        };
        println!("{}\t{}\t{state}", p.id, p.name);
    }
    Ok(())
}

pub fn participant_import(
    report: &findme_engine::ParticipantImportReport,
    as_json: bool,
) -> Result<()> {
    if as_json {
        return json(report);
    }
    println!("{} participants added", report.added);
    for skipped in &report.skipped {
        println!("  skipped: {}: {}", skipped.path, skipped.reason);
    }
    Ok(())
}

pub fn match_report(report: &findme_engine::MatchReport, as_json: bool) -> Result<()> {
    if as_json {
        return json(report);
    }
    println!(
        "{} photos: {} with participants, {} faces, {} matches, {} failed; {} calls ({} throttled)",
        report.photos,
        report.matched,
        report.faces,
        report.matches,
        report.failed,
        report.calls.values().sum::<u64>(),
        report.throttled
    );
    Ok(())
}

pub fn face_evaluation(e: &findme_engine::FaceEvaluation, as_json: bool) -> Result<()> {
    let r = &e.result;
    if as_json {
        let dist = |d: &Option<findme_engine::Distribution>| {
            d.as_ref().map(|d| {
                serde_json::json!({"count": d.count, "min": d.min, "p5": d.p5, "p50": d.p50,
                                   "p95": d.p95, "max": d.max})
            })
        };
        let rates = |r: &findme_engine::Rates| {
            serde_json::json!({"threshold": r.threshold, "true_match_rate": r.true_match_rate,
                               "false_match_rate": r.false_match_rate,
                               "genuine_rejected": r.genuine_rejected,
                               "impostors_accepted": r.impostors_accepted})
        };
        let skipped: Vec<_> = e
            .skipped
            .iter()
            .map(|(p, why)| serde_json::json!({"path": p.to_string_lossy(), "reason": why}))
            .collect();
        return json(&serde_json::json!({
            "photos": e.photos, "people": r.labels, "skipped": skipped,
            "genuine": dist(&r.genuine), "impostor": dist(&r.impostor),
            "at_threshold": rates(&r.at_threshold), "best": r.best.as_ref().map(rates),
        }));
    }
    println!(
        "{} photos of {} people ({} skipped)",
        e.photos,
        r.labels,
        e.skipped.len()
    );
    for (path, why) in &e.skipped {
        println!("  skipped: {}: {why}", path.display());
    }
    println!("| pairs | count | min | p5 | p50 | p95 | max |");
    println!("|---|---|---|---|---|---|---|");
    for (name, d) in [
        ("same person", &r.genuine),
        ("different people", &r.impostor),
    ] {
        match d {
            Some(d) => println!(
                "| {name} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
                d.count, d.min, d.p5, d.p50, d.p95, d.max
            ),
            None => println!("| {name} | 0 | | | | | |"),
        }
    }
    let line = |label: &str, r: &findme_engine::Rates| {
        println!(
            "{label} {:.3}: {:.1} % of same-person pairs matched ({} missed), {:.2} % of different-people pairs matched ({})",
            r.threshold,
            100.0 * r.true_match_rate,
            r.genuine_rejected,
            100.0 * r.false_match_rate,
            r.impostors_accepted
        )
    };
    line("at threshold", &r.at_threshold);
    if let Some(best) = &r.best {
        line("best separating threshold", best);
    }
    Ok(())
}
