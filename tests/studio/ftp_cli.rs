//! Cameras sending over FTP, through the real CLI (`findme watch --ftp`) and a
//! real FTP client (curl): photos land in <dir>/<date>/<account>/, join the
//! event once, get thumbnails, and every refusal loses nothing else.

use crate::support;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::exif::Exif;
use support::{findme, run_json};

/// A port nobody listens on now (the OS picks it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `cond` until it holds, failing after `secs` with `what`.
fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < Duration::from_secs(secs), "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn add_account(data: &Path, name: &str) -> (String, String) {
    let account = run_json(findme(data).args(["ftp", "accounts", "add", name, "--json"]));
    (
        account["user"].as_str().unwrap().to_string(),
        account["password"].as_str().unwrap().to_string(),
    )
}

/// `findme watch --ftp` on `port`, its photos under `lib`, joining `event`.
fn receiver(data: &Path, lib: &Path, port: u16, passive: &str, event: &str) -> Child {
    let child = findme(data)
        .args(["watch", "--ftp", "--ftp-port", &port.to_string()])
        .args([
            "--ftp-passive-ports",
            passive,
            "--event",
            event,
            "--ftp-dir",
        ])
        .arg(lib)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(30, "the FTP receiver did not start listening", || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    child
}

/// curl's exit code for one upload of `file` as `name` (0: the server took it).
fn upload(port: u16, user: &str, password: &str, file: &Path, name: &str) -> i32 {
    Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "30",
            "--user",
            &format!("{user}:{password}"),
        ])
        .arg("-T")
        .arg(file)
        .arg(format!("ftp://127.0.0.1:{port}/{name}"))
        .status()
        .unwrap()
        .code()
        .unwrap_or(-1)
}

fn stop(child: Child) {
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every file under `dir`, hidden staging folders included.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn event_photos(data: &Path, event: &str) -> Vec<Value> {
    run_json(findme(data).args(["photos", "--json", "--event", event]))
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn cameras_send_into_the_event_once_each_and_refusals_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, lib, shots) = (
        tmp.path().join("data"),
        tmp.path().join("lib"),
        tmp.path().join("shots"),
    );
    std::fs::create_dir_all(&shots).unwrap();
    run_json(findme(&data).args(["events", "create", "--id", "gala", "--json"]));
    let (a_user, a_pw) = add_account(&data, "body-a");
    let (b_user, b_pw) = add_account(&data, "body-b");
    assert_eq!(a_user, "body-a");
    assert_ne!(a_pw, b_pw);
    let exif = Exif::camera("Nikon", "NIKON Z 9", "2026:06:01 10:00:00");
    let a = shots.join("a.jpg");
    let b = shots.join("b.jpg");
    let a_bytes = support::write_jpeg(&a, 1, &exif);
    let b_bytes = support::write_jpeg(&b, 2, &exif);
    let notes = shots.join("notes.txt");
    std::fs::write(&notes, "not a photo").unwrap();

    let port = free_port();
    let watcher = receiver(&data, &lib, port, "51000-51019", "gala");
    // Two bodies, one file name (both counters at DSC_0001): two photos.
    assert_eq!(upload(port, &a_user, &a_pw, &a, "DSC_0001.JPG"), 0);
    assert_eq!(upload(port, &b_user, &b_pw, &b, "DSC_0001.JPG"), 0);
    // Body A resends the same frame (its answer was lost): no second copy.
    assert_eq!(upload(port, &a_user, &a_pw, &a, "DSC_0001.JPG"), 0);
    // A wrong password is refused at login (curl 67), nothing written.
    assert_eq!(upload(port, &a_user, "wrong", &b, "DSC_0002.JPG"), 67);
    // Not a photo: refused with an FTP error.
    assert_ne!(upload(port, &a_user, &a_pw, &notes, "notes.txt"), 0);

    wait_until(60, "the two photos did not join the event", || {
        event_photos(&data, "gala").len() == 2
    });
    let photos = event_photos(&data, "gala");
    let mut shas: Vec<&str> = photos
        .iter()
        .map(|p| p["sha256"].as_str().unwrap())
        .collect();
    shas.sort();
    let mut expected = vec![support::sha256_hex(&a_bytes), support::sha256_hex(&b_bytes)];
    expected.sort();
    assert_eq!(shas, expected);
    for (photo, account) in photos.iter().map(|p| {
        let path = PathBuf::from(p["paths"][0].as_str().unwrap());
        let account = path.parent().unwrap().file_name().unwrap().to_owned();
        (path, account)
    }) {
        assert!(photo.starts_with(&lib), "{photo:?}");
        assert_eq!(photo.file_name().unwrap(), "DSC_0001.JPG");
        assert!(account == "body-a" || account == "body-b", "{photo:?}");
        // <lib>/<date>/<account>/<name>
        let date = photo.parent().unwrap().parent().unwrap();
        assert_eq!(date.parent().unwrap(), lib.as_path());
    }
    // Thumbnails are made for them like for any other photo.
    for sha in &expected {
        let thumb = data
            .join("cache/renditions")
            .join(&sha[..2])
            .join(format!("{sha}.thumb.jpg"));
        wait_until(60, "no thumbnail for a received photo", || thumb.is_file());
    }
    stop(watcher);

    // On disk: the two photos and nothing else (no staged or partial file).
    let files = files_under(&lib);
    assert_eq!(files.len(), 2, "{files:?}");
    let stats = run_json(findme(&data).args(["stats", "--json"]));
    assert_eq!(stats["catalog"]["photos"], 2);
    assert!(stats["ftp"]["received"].as_u64().unwrap() >= 2, "{stats}");
    assert!(stats["ftp"]["failed"].as_u64().unwrap() >= 1, "{stats}");
    assert_eq!(stats["ftp"]["connected"], 0);
    let accounts = run_json(findme(&data).args(["ftp", "accounts", "list", "--json"]));
    let a = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["user"] == "body-a")
        .unwrap();
    assert_eq!(a["last_file"], "DSC_0001.JPG");
    assert!(
        a["last_error"].as_str().unwrap().contains("notes.txt"),
        "{a}"
    );

    // A revoked camera can no longer log in.
    support::run_ok(findme(&data).args(["ftp", "accounts", "remove", "body-b"]));
    let watcher = receiver(&data, &lib, port, "51000-51019", "gala");
    assert_eq!(upload(port, &b_user, &b_pw, &b, "DSC_0003.JPG"), 67);
    stop(watcher);
}

/// A 1 MB tmpfs as the library: a 2-3 MB frame does not fit. The camera gets an
/// error and nothing half-written stays. Runs the receiver in a private mount
/// namespace (`unshare`, no privileges; the network is shared, so curl outside
/// reaches it).
#[test]
fn a_full_disk_answers_the_camera_with_an_error_and_keeps_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, lib, out) = (
        tmp.path().join("data"),
        tmp.path().join("lib"),
        tmp.path().to_path_buf(),
    );
    std::fs::create_dir_all(&lib).unwrap();
    let (user, pw) = add_account(&data, "body-a");
    let big = tmp.path().join("big.jpg");
    std::fs::write(
        &big,
        support::jpeg_bytes(
            7,
            2400,
            1600,
            &Exif::camera("Canon", "Canon EOS R3", "2026:06:01 10:00:00"),
        ),
    )
    .unwrap();
    assert!(std::fs::metadata(&big).unwrap().len() > 1_200_000);
    let port = free_port();
    let script = r#"set -e
mount -t tmpfs -o size=1m tmpfs "$LIB"
"$FINDME" --data-dir "$DATA" watch --ftp --no-event --ftp-port "$PORT" \
  --ftp-passive-ports 51040-51059 --ftp-dir "$LIB" &
echo $! > "$OUT/pid"
wait $! || true
find "$LIB" -type f | wc -l > "$OUT/files"
"#;
    let child = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", script])
        .env("FINDME", env!("CARGO_BIN_EXE_findme"))
        .env("LIB", &lib)
        .env("DATA", &data)
        .env("PORT", port.to_string())
        .env("OUT", &out)
        .env("FINDME_LOG", "error")
        .spawn()
        .expect("run unshare");
    wait_until(30, "the FTP receiver did not start listening", || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert_ne!(upload(port, &user, &pw, &big, "IMG_0001.JPG"), 0);
    let pid: i32 = std::fs::read_to_string(out.join("pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: kill(2) on the receiver we started (same pid namespace).
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = child.wait_with_output().unwrap().status;
    assert!(status.success(), "{status}");
    let files = std::fs::read_to_string(out.join("files")).unwrap();
    assert_eq!(
        files.trim(),
        "0",
        "a half-written file stayed on the full disk"
    );
    let stats = run_json(findme(&data).args(["stats", "--json"]));
    assert_eq!(stats["catalog"]["photos"], 0);
    assert_eq!(stats["ftp"]["failed"], 1, "{stats}");
    let accounts = run_json(findme(&data).args(["ftp", "accounts", "list", "--json"]));
    let reason = accounts[0]["last_error"].as_str().unwrap().to_string();
    assert!(reason.contains("disk is full"), "{reason}");
}
