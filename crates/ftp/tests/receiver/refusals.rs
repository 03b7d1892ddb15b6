//! What is refused: odd paths and names, files that are not photos, and bytes
//! that are not what their name says.

use findme_ftp::ReceiverEvent;

use crate::support::{code, files_under, jpeg, put, Venue};

fn failures(events: &[ReceiverEvent]) -> Vec<(String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            ReceiverEvent::Failed {
                account,
                file,
                reason,
            } => {
                assert_eq!(account, "canon-r5");
                Some((file.clone(), reason.clone()))
            }
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn odd_paths_and_names_are_refused_before_any_byte_is_stored() {
    let mut venue = Venue::start().await;
    let mut ftp = venue.login("canon-r5").await;
    ftp.mkdir("DCIM").await.unwrap();
    ftp.cwd("DCIM").await.unwrap();
    let long = format!("{}.JPG", "A".repeat(252));
    let bad = [
        "../IMG_0001.JPG",
        "../../etc/IMG_0001.JPG",
        "/etc/IMG_0001.JPG",
        "sub/IMG_0001.JPG",
        ".IMG_0001.JPG",
        "IMG\\0001.JPG",
        "C:IMG_0001.JPG",
        long.as_str(),
    ];
    for name in bad {
        assert_eq!(
            code(put(&mut ftp, name, b"never read").await),
            553,
            "{name}"
        );
    }
    let failed = failures(&venue.drain());
    assert_eq!(failed.len(), bad.len(), "{failed:?}");
    assert!(
        failed[2].1.contains("never created or entered"),
        "{failed:?}"
    );
    assert!(failed[0].1.contains("'..'"), "{failed:?}");
    assert!(
        files_under(&venue.root).is_empty(),
        "{:?}",
        files_under(&venue.root)
    );

    // An absolute path into the folder the camera is in is the same request as
    // the bare name (libunftp joins both to one path): accepted.
    let bytes = jpeg(5, 100, 100);
    put(&mut ftp, "/DCIM/IMG_0005.JPG", &bytes).await.unwrap();
    assert_eq!(
        files_under(&venue.root),
        [venue.landed("canon-r5").join("IMG_0005.JPG")]
    );
}

#[tokio::test]
async fn files_that_are_not_photos_are_refused_with_a_5xx_and_logged() {
    let mut venue = Venue::start().await;
    let mut ftp = venue.login("canon-r5").await;
    for name in ["notes.txt", "CLIP0001.MOV", "IMG_0001"] {
        assert_eq!(code(put(&mut ftp, name, b"anything").await), 553, "{name}");
    }
    let failed = failures(&venue.drain());
    assert_eq!(
        failed,
        [
            ("notes.txt".into(), "unsupported file type (.txt)".into()),
            (
                "CLIP0001.MOV".into(),
                "video files (.mov) are not catalogued".into()
            ),
            (
                "IMG_0001".into(),
                "files without an extension are not catalogued".into()
            ),
        ]
    );
    assert!(files_under(&venue.root).is_empty());
}

#[tokio::test]
async fn a_jpg_whose_bytes_are_not_a_jpeg_is_refused_and_deleted() {
    let mut venue = Venue::start().await;
    let mut ftp = venue.login("canon-r5").await;
    let not_a_photo = b"<html><body>this is a web page, not a photo</body></html>";
    assert_eq!(code(put(&mut ftp, "IMG_0007.JPG", not_a_photo).await), 551);
    let failed = failures(&venue.drain());
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "IMG_0007.JPG");
    assert!(
        failed[0].1.starts_with("not a usable JPEG photo"),
        "{failed:?}"
    );
    assert!(!venue.staged("canon-r5", "IMG_0007.JPG").exists());
    assert!(files_under(&venue.root).is_empty());
    // The name is free for the real photo afterwards.
    let bytes = jpeg(7, 90, 60);
    put(&mut ftp, "IMG_0007.JPG", &bytes).await.unwrap();
    assert_eq!(
        std::fs::read(venue.landed("canon-r5").join("IMG_0007.JPG")).unwrap(),
        bytes
    );
}
