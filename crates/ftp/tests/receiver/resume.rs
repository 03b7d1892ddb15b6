//! Cut transfers: nothing half-written reaches the library, the camera can
//! resume, and what is never resumed is swept.

use std::fs;
use std::process::{Command, Stdio};
use std::time::Duration;

use findme_ftp::ReceiverEvent;

use crate::support::{code, files_under, jpeg, put, sha256, until, Venue};

#[tokio::test]
async fn a_killed_upload_reaches_nothing_and_a_rest_resume_completes_it() {
    let mut venue = Venue::start().await;
    let bytes = jpeg(42, 900, 600);
    let source = venue.dir.path().join("IMG_0100.JPG");
    fs::write(&source, &bytes).unwrap();
    let mut curl = Command::new("curl")
        .args(["-sS", "--limit-rate", "50k", "-T"])
        .arg(&source)
        .arg(format!(
            "ftp://canon-r5:pw-canon@127.0.0.1:{}/DCIM/100CANON/",
            venue.port()
        ))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let staged = venue.staged("canon-r5", "IMG_0100.JPG");
    until("the upload to start", || {
        fs::metadata(&staged).is_ok_and(|m| m.len() > 0)
    })
    .await;
    curl.kill().unwrap();
    curl.wait().unwrap();

    // The closed data connection looks like the end of the file: only the
    // completeness check tells this photo is cut.
    let events = venue
        .wait_for(|e| matches!(e, ReceiverEvent::Failed { .. }))
        .await;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ReceiverEvent::Received(_))),
        "{events:?}"
    );
    let Some(ReceiverEvent::Failed { file, reason, .. }) = events.last() else {
        unreachable!()
    };
    assert_eq!(file, "IMG_0100.JPG");
    assert!(reason.contains("kept for 10 minutes"), "{reason}");
    assert_eq!(files_under(&venue.root), std::slice::from_ref(&staged));
    let kept = fs::metadata(&staged).unwrap().len() as usize;
    assert!(0 < kept && kept < bytes.len(), "{kept} of {}", bytes.len());

    // The camera comes back: SIZE tells it what was kept, REST + STOR sends the rest.
    let mut ftp = venue.login("canon-r5").await;
    ftp.cwd("/DCIM/100CANON").await.unwrap();
    assert_eq!(ftp.size("IMG_0100.JPG").await.unwrap(), kept);
    ftp.resume_transfer(kept).await.unwrap();
    put(&mut ftp, "IMG_0100.JPG", &bytes[kept..]).await.unwrap();

    let arrival = venue.next_arrival().await;
    let landed = venue.landed("canon-r5").join("IMG_0100.JPG");
    assert_eq!(arrival.path, landed);
    assert_eq!(arrival.size, bytes.len() as u64);
    assert_eq!(sha256(&fs::read(&landed).unwrap()), sha256(&bytes));
    assert_eq!(arrival.inspection.sha256.0, sha256(&bytes));
    assert_eq!(files_under(&venue.root), [landed]);
    // Nothing is kept any more, so there is nothing to resume.
    assert_eq!(code(ftp.size("IMG_0100.JPG").await), 550);
}

#[tokio::test]
async fn a_fresh_upload_replaces_a_kept_partial() {
    let mut venue = Venue::start().await;
    let bytes = jpeg(8, 300, 200);
    let mut ftp = venue.login("canon-r5").await;
    // A camera that closes the data connection early.
    assert_eq!(
        code(put(&mut ftp, "IMG_0008.JPG", &bytes[..1000]).await),
        426
    );
    let staged = venue.staged("canon-r5", "IMG_0008.JPG");
    assert_eq!(fs::metadata(&staged).unwrap().len(), 1000);
    assert_eq!(ftp.size("IMG_0008.JPG").await.unwrap(), 1000);
    // It starts over from byte 0 instead of resuming.
    put(&mut ftp, "IMG_0008.JPG", &bytes).await.unwrap();
    let landed = venue.landed("canon-r5").join("IMG_0008.JPG");
    assert_eq!(fs::read(&landed).unwrap(), bytes);
    assert_eq!(files_under(&venue.root), [landed]);
    // A resume past what is kept is refused, not padded.
    put(&mut ftp, "IMG_0009.JPG", &bytes[..500])
        .await
        .unwrap_err();
    ftp.resume_transfer(900).await.unwrap();
    assert_eq!(
        code(put(&mut ftp, "IMG_0009.JPG", &bytes[900..]).await),
        550
    );
    let failed: Vec<_> = venue
        .drain()
        .into_iter()
        .filter_map(|e| match e {
            ReceiverEvent::Failed { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    assert!(
        failed
            .last()
            .unwrap()
            .contains("resume at byte 900 but only 500"),
        "{failed:?}"
    );
}

#[tokio::test]
async fn curl_resumes_a_kept_partial_with_appe() {
    let mut venue = Venue::start().await;
    let bytes = jpeg(12, 400, 300);
    let mut ftp = venue.login("canon-r5").await;
    assert_eq!(
        code(put(&mut ftp, "IMG_0012.JPG", &bytes[..3000]).await),
        426
    );
    let source = venue.dir.path().join("IMG_0012.JPG");
    fs::write(&source, &bytes).unwrap();
    // `curl -C -` asks SIZE, then appends the rest (APPE) from that offset.
    let out = tokio::process::Command::new("curl")
        .args(["-sS", "-C", "-", "-T"])
        .arg(&source)
        .arg(format!(
            "ftp://canon-r5:pw-canon@127.0.0.1:{}/DCIM/100CANON/",
            venue.port()
        ))
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let arrival = venue.next_arrival().await;
    assert_eq!(fs::read(&arrival.path).unwrap(), bytes);
    assert_eq!(
        files_under(&venue.root),
        std::slice::from_ref(&arrival.path)
    );
}

#[tokio::test]
async fn partials_not_resumed_in_time_are_swept_at_start() {
    let mut venue = Venue::start().await;
    let mut ftp = venue.login("canon-r5").await;
    let bytes = jpeg(9, 200, 200);
    assert_eq!(
        code(put(&mut ftp, "IMG_0010.JPG", &bytes[..2000]).await),
        426
    );
    let staged = venue.staged("canon-r5", "IMG_0010.JPG");
    // Within its time it stays.
    assert_eq!(venue.receiver.sweep_partials().await, 0);
    assert!(staged.exists());
    venue.drain();
    let Venue {
        dir,
        root,
        receiver,
        ..
    } = venue;
    drop(ftp);
    receiver.stop().await;

    // Restarted with a time already past: swept before anything is served.
    let venue = Venue::start_in(dir, root, |c| c.partial_ttl = Duration::ZERO).await;
    assert!(!staged.exists());
    let mut ftp = venue.login("canon-r5").await;
    assert_eq!(code(ftp.size("IMG_0010.JPG").await), 550);
    assert!(files_under(&venue.root).is_empty());
}

#[tokio::test]
async fn partials_not_resumed_in_time_are_swept_by_the_timer() {
    let venue = Venue::start_with(|c| c.partial_ttl = Duration::ZERO).await;
    let mut ftp = venue.login("canon-r5").await;
    let bytes = jpeg(11, 200, 200);
    assert_eq!(
        code(put(&mut ftp, "IMG_0011.JPG", &bytes[..2000]).await),
        426
    );
    let staged = venue.staged("canon-r5", "IMG_0011.JPG");
    until("the timer to sweep the partial", || !staged.exists()).await;
    assert!(files_under(&venue.root).is_empty());
}
