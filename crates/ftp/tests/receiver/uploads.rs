//! Photos arriving: where they land, who sent them, and what is never duplicated.

use std::fs;
use std::time::{SystemTime, UNIX_EPOCH};

use findme_ftp::{Arrival, ReceiverEvent};
use findme_media::{Completeness, Format};
use suppaftp::tokio::AsyncFtpStream;
use tokio::io::AsyncReadExt;

use crate::support::{code, files_under, jpeg, put, sha256, Venue};

fn arrivals(events: &[ReceiverEvent]) -> Vec<&Arrival> {
    events
        .iter()
        .filter_map(|e| match e {
            ReceiverEvent::Received(a) => Some(a),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn photos_land_in_todays_account_folder_and_nothing_stays_staged() {
    let mut venue = Venue::start().await;
    let before_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let mut ftp = venue.login("canon-r5").await;
    assert_eq!(ftp.pwd().await.unwrap(), "/");
    // What a Canon does: make and enter its card folders, which are virtual here.
    ftp.mkdir("DCIM").await.unwrap();
    ftp.cwd("DCIM").await.unwrap();
    ftp.mkdir("100CANON").await.unwrap();
    ftp.cwd("100CANON").await.unwrap();
    assert_eq!(ftp.pwd().await.unwrap(), "/DCIM/100CANON");
    ftp.noop().await.unwrap();
    let features = ftp.feat().await.unwrap();
    assert!(features.contains_key("REST"), "{features:?}");
    let photos = [
        ("IMG_0001.JPG", jpeg(1, 300, 200)),
        ("IMG_0002.JPG", jpeg(2, 320, 240)),
    ];
    for (name, bytes) in &photos {
        assert_eq!(
            put(&mut ftp, name, bytes).await.unwrap(),
            bytes.len() as u64
        );
    }
    assert!(ftp.list(None).await.unwrap().is_empty());
    ftp.quit().await.unwrap();

    let events = venue
        .wait_for(|e| matches!(e, ReceiverEvent::LoggedOut { .. }))
        .await;
    assert!(
        matches!(&events[0], ReceiverEvent::LoggedIn { account } if account == "canon-r5"),
        "{events:?}"
    );
    assert!(
        matches!(events.last(), Some(ReceiverEvent::LoggedOut { account }) if account == "canon-r5")
    );
    let got = arrivals(&events);
    assert_eq!(got.len(), 2, "{events:?}");
    let after_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    for (arrival, (name, bytes)) in got.iter().zip(&photos) {
        let expected = venue.landed("canon-r5").join(name);
        assert_eq!(arrival.path, expected);
        assert_eq!(arrival.account, "canon-r5");
        assert_eq!(fs::read(&arrival.path).unwrap(), *bytes);
        assert_eq!(arrival.size, bytes.len() as u64);
        assert_eq!(arrival.format, Format::Jpeg);
        assert_eq!(arrival.inspection.completeness, Completeness::Complete);
        assert_eq!(arrival.inspection.sha256.0, sha256(bytes));
        assert!((before_ms..=after_ms).contains(&arrival.arrived_ms));
        let mtime = fs::metadata(&arrival.path).unwrap().modified().unwrap();
        let mtime_ns = mtime.duration_since(UNIX_EPOCH).unwrap().as_nanos() as i64;
        assert_eq!(arrival.mtime_ns, mtime_ns);
    }
    // Only the two photos exist under the root: nothing left staged.
    let expected: Vec<_> = photos
        .iter()
        .map(|(n, _)| venue.landed("canon-r5").join(n))
        .collect();
    assert_eq!(files_under(&venue.root), expected);
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_writes_nothing() {
    let mut venue = Venue::start().await;
    let addr = venue.receiver.local_addr();
    let mut ftp = AsyncFtpStream::connect(addr).await.unwrap();
    assert_eq!(code(ftp.login("canon-r5", "pw-nikon").await), 530);
    assert_eq!(
        code(put(&mut ftp, "IMG_0001.JPG", &jpeg(1, 64, 64)).await),
        530
    );
    for (user, password) in [("stranger", "pw-canon"), ("../canon-r5", "pw-canon")] {
        let mut other = AsyncFtpStream::connect(addr).await.unwrap();
        assert_eq!(code(other.login(user, password).await), 530, "{user}");
    }
    assert!(files_under(&venue.root).is_empty());
    let events = venue.drain();
    assert!(events.is_empty(), "{events:?}");
}

#[tokio::test]
async fn one_name_from_two_cameras_is_two_files_and_a_resend_is_kept_once() {
    let mut venue = Venue::start().await;
    let (first, other_body, second) = (jpeg(10, 200, 150), jpeg(11, 200, 150), jpeg(12, 210, 150));
    let mut canon = venue.login("canon-r5").await;
    let mut nikon = venue.login("nikon-z9").await;
    put(&mut canon, "IMG_0001.JPG", &first).await.unwrap();
    put(&mut nikon, "IMG_0001.JPG", &other_body).await.unwrap();
    // The Canon's card was swapped: a new photo under a name it already used.
    put(&mut canon, "IMG_0001.JPG", &second).await.unwrap();
    // A camera that lost the reply sends both again: success, and no copies.
    put(&mut canon, "IMG_0001.JPG", &first).await.unwrap();
    put(&mut canon, "IMG_0001.JPG", &second).await.unwrap();

    let canon_dir = venue.landed("canon-r5");
    let nikon_dir = venue.landed("nikon-z9");
    assert_eq!(fs::read(canon_dir.join("IMG_0001.JPG")).unwrap(), first);
    assert_eq!(fs::read(canon_dir.join("IMG_0001-2.JPG")).unwrap(), second);
    assert_eq!(
        fs::read(nikon_dir.join("IMG_0001.JPG")).unwrap(),
        other_body
    );
    assert_eq!(
        files_under(&venue.root).len(),
        3,
        "{:?}",
        files_under(&venue.root)
    );
    // Events are sent before the transfer's reply, so they are all here now.
    let events = venue.drain();
    let paths: Vec<_> = arrivals(&events).iter().map(|a| a.path.clone()).collect();
    assert_eq!(
        paths,
        [
            canon_dir.join("IMG_0001.JPG"),
            nikon_dir.join("IMG_0001.JPG"),
            canon_dir.join("IMG_0001-2.JPG"),
        ]
    );
}

#[tokio::test]
async fn nothing_can_be_read_deleted_or_renamed() {
    let mut venue = Venue::start().await;
    let bytes = jpeg(3, 120, 80);
    let mut ftp = venue.login("canon-r5").await;
    put(&mut ftp, "IMG_0003.JPG", &bytes).await.unwrap();
    assert_eq!(code(ftp.rm("IMG_0003.JPG").await), 550);
    assert_eq!(code(ftp.rename("IMG_0003.JPG", "x.JPG").await), 550);
    ftp.mkdir("DCIM").await.unwrap();
    assert_eq!(code(ftp.rmdir("DCIM").await), 550);
    // RETR is answered "150" before the back end is asked, then refused: no byte comes.
    let mut download = ftp.retr_as_stream("IMG_0003.JPG").await.unwrap();
    let mut got = Vec::new();
    download.read_to_end(&mut got).await.unwrap();
    assert!(got.is_empty());
    assert_eq!(code(download.finish().await), 550);
    let landed = venue.landed("canon-r5").join("IMG_0003.JPG");
    assert_eq!(fs::read(&landed).unwrap(), bytes);
    assert_eq!(files_under(&venue.root), [landed]);
    assert_eq!(arrivals(&venue.drain()).len(), 1);
}

#[tokio::test]
async fn stop_logs_out_the_connected_cameras() {
    let mut venue = Venue::start().await;
    let _nikon = venue.login("nikon-z9").await;
    venue
        .wait_for(|e| matches!(e, ReceiverEvent::LoggedIn { account } if account == "nikon-z9"))
        .await;
    let Venue {
        receiver,
        mut events,
        ..
    } = venue;
    receiver.stop().await;
    let next = tokio::time::timeout(std::time::Duration::from_secs(20), events.recv())
        .await
        .unwrap();
    assert!(
        matches!(&next, Some(ReceiverEvent::LoggedOut { account }) if account == "nikon-z9"),
        "{next:?}"
    );
}
