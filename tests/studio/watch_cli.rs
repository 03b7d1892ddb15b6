//! `findme watch` ingests continuously and stops cleanly on SIGTERM / SIGINT.

use crate::support;

use std::time::{Duration, Instant};

use support::exif::Exif;
use support::{findme, run_json};

fn photos_now(data: &std::path::Path) -> u64 {
    run_json(findme(data).args(["stats", "--json"]))["catalog"]["photos"]
        .as_u64()
        .unwrap()
}

#[test]
fn watch_ingests_until_sigterm_then_exits_cleanly() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, data) = (tmp.path().join("tether"), tmp.path().join("data"));
        std::fs::create_dir_all(&dir).unwrap();
        let child = findme(&data)
            .args(["watch", "--stable-for", "0.2"])
            .arg(&dir)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        for i in 0..5u32 {
            support::write_jpeg(
                &dir.join(format!("IMG_{i}.JPG")),
                i,
                &Exif::camera("Canon", "Canon EOS R3", "2026:01:01 12:00:00"),
            );
        }
        // Wait for the condition (the CLI is another process: poll its catalog).
        let start = Instant::now();
        while photos_now(&data) < 5 {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "watch did not ingest 5 photos"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "watch exited with {} after signal {signal}",
            out.status
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("stopping"));
        let stats = run_json(findme(&data).args(["stats", "--json"]));
        assert_eq!(stats["queue"]["running"], 0, "a job was left half-done");
        assert_eq!(stats["catalog"]["photos"], 5);
        assert_eq!(support::integrity_check(&data), "ok");
        // The folder stays watched for next time.
        let folders = run_json(findme(&data).args(["folders", "list", "--json"]));
        assert_eq!(folders.as_array().unwrap().len(), 1);
    }
}
