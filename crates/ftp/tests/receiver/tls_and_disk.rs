//! Setting up: FTPS with the generated certificate, a port already taken, and a
//! disk that fills up during an upload.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use findme_ftp::{FtpError, Receiver, ReceiverConfig, ReceiverEvent};

use crate::support::{code, files_under, jpeg, put, Accounts, Venue};

#[tokio::test]
async fn a_camera_uploads_over_explicit_ftps_and_plain_ftp_still_works() {
    let certs = tempfile::tempdir().unwrap();
    let identity = findme_ftp::self_signed_identity(certs.path()).unwrap();
    let mut venue = Venue::start_with(|c| c.tls = Some(identity)).await;
    let bytes = jpeg(21, 400, 300);
    let source = venue.dir.path().join("DSC_0021.JPG");
    fs::write(&source, &bytes).unwrap();
    // --ssl-reqd: AUTH TLS must succeed and the data channel is protected (PROT P).
    let out = tokio::process::Command::new("curl")
        .args(["-sS", "--ssl-reqd", "-k", "-T"])
        .arg(&source)
        .arg(format!(
            "ftp://nikon-z9:pw-nikon@127.0.0.1:{}/DCIM/100NIKON/",
            venue.port()
        ))
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "curl over FTPS failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let arrival = venue.next_arrival().await;
    assert_eq!(arrival.path, venue.landed("nikon-z9").join("DSC_0021.JPG"));
    assert_eq!(fs::read(&arrival.path).unwrap(), bytes);

    let mut ftp = venue.login("canon-r5").await;
    put(&mut ftp, "IMG_0001.JPG", &bytes).await.unwrap();
    assert!(venue.landed("canon-r5").join("IMG_0001.JPG").is_file());
}

#[tokio::test]
async fn a_port_in_use_is_a_readable_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let root = tempfile::tempdir().unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let accounts = Arc::new(Accounts(Default::default()));
    let err = Receiver::start(ReceiverConfig::new(addr, root.path().into()), accounts, tx)
        .await
        .unwrap_err();
    assert!(matches!(err, FtpError::PortInUse { port } if port == addr.port()));
    assert_eq!(
        err.to_string(),
        format!(
            "port {} is in use by another program: choose another FTP port or close that program",
            addr.port()
        )
    );
}

/// Set in the child run of the full-disk test: the tmpfs library to use.
const FULL_DISK_ROOT: &str = "FINDME_FTP_TEST_FULL_DISK_ROOT";

/// Runs itself again under `unshare` with a 1 MB tmpfs as the library (a
/// private mount namespace: no root rights needed, nothing visible outside).
#[tokio::test]
async fn a_full_disk_answers_452_and_leaves_nothing_half_written() {
    let Some(root) = std::env::var_os(FULL_DISK_ROOT).map(PathBuf::from) else {
        let scratch = tempfile::tempdir().unwrap();
        let root = scratch.path().join("library");
        fs::create_dir_all(&root).unwrap();
        let script = r#"set -e
mount -t tmpfs -o size=1m tmpfs "$FINDME_FTP_TEST_FULL_DISK_ROOT"
exec "$TEST_EXE" --exact tls_and_disk::a_full_disk_answers_452_and_leaves_nothing_half_written --nocapture
"#;
        let status = Command::new("unshare")
            .args(["--user", "--map-root-user", "--mount", "sh", "-c", script])
            .env(FULL_DISK_ROOT, &root)
            .env("TEST_EXE", std::env::current_exe().unwrap())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "the test in the namespace failed: {status}"
        );
        return;
    };
    let mut venue = Venue::start_in(tempfile::tempdir().unwrap(), root, |_| {}).await;
    let big = jpeg(31, 1400, 1000);
    assert!(big.len() > 1 << 20, "{} bytes fit in 1 MB", big.len());
    let mut ftp = venue.login("canon-r5").await;
    assert_eq!(code(put(&mut ftp, "IMG_0031.JPG", &big).await), 452);
    let events = venue
        .wait_for(|e| matches!(e, ReceiverEvent::Failed { .. }))
        .await;
    assert!(
        matches!(events.last(), Some(ReceiverEvent::Failed { file, reason, .. })
            if file == "IMG_0031.JPG" && reason == "the disk is full"),
        "{events:?}"
    );
    assert!(
        files_under(&venue.root).is_empty(),
        "{:?}",
        files_under(&venue.root)
    );
    // The space the cut upload took is free again: a small photo still fits.
    let small = jpeg(32, 200, 150);
    put(&mut ftp, "IMG_0032.JPG", &small).await.unwrap();
    assert_eq!(
        fs::read(venue.landed("canon-r5").join("IMG_0032.JPG")).unwrap(),
        small
    );
}
