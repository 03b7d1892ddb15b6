//! Test 6, the scaled-out deployment of docs/event-server.md ("Several instances"):
//! two `findme-event-server` processes on one PostgreSQL database and one S3
//! bucket, started with exactly the commands that page shows (read from it),
//! behind a load balancer (the fault proxy with failover, as nginx's
//! `proxy_next_upstream` would do). The app pushes through the balancer while a
//! guest reads through instance 2; instance 1 is killed with SIGKILL while a
//! photo's metadata is on its way (its image already stored through instance 1):
//! every photo arrives exactly once, a later metadata revision is applied, and
//! no instance keeps an image byte on its disk.
//!
//! Needs the test services (`eval "$(scripts/services.sh start)"`; scripts/test.sh
//! starts them) and the event server's binary beside `findme` (a workspace build).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use findme_event_server::store::{Images, S3Options, StoreConfig};
use findme_testkit::services;

use super::*;

const DOC: &str = include_str!("../../../docs/event-server.md");
const BEGIN: &str = "<!-- scale-out commands: begin -->";
const END: &str = "<!-- scale-out commands: end -->";

/// The deployment's commands as docs/event-server.md shows them.
fn documented_commands() -> Vec<String> {
    let block = DOC
        .split(BEGIN)
        .nth(1)
        .and_then(|rest| rest.split(END).next())
        .expect("docs/event-server.md marks the scale-out commands");
    block
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("findme-event-server "))
        .map(String::from)
        .collect()
}

/// A documented command as arguments, with `$NAME` (quoted or not) replaced by
/// its value: the page's commands only quote with `"`.
fn arguments(line: &str, vars: &[(&str, String)]) -> Vec<String> {
    let (mut args, mut word, mut quoted, mut in_word) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        match c {
            '"' => (quoted, in_word) = (!quoted, true),
            ' ' if !quoted => {
                if in_word {
                    args.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            _ => (word.push(c), in_word = true).1,
        }
    }
    if in_word {
        args.push(word);
    }
    let substitute = |arg: String| {
        vars.iter().fold(arg, |arg, (name, value)| {
            arg.replace(&format!("${name}"), value)
        })
    };
    args.into_iter().skip(1).map(substitute).collect()
}

/// One deployment: its variables, the S3 settings, and a working directory the
/// instances run in (it must stay empty: nothing is kept on an instance's disk).
struct Deployment {
    vars: Vec<(&'static str, String)>,
    aws: Vec<(String, String)>,
    workdir: tempfile::TempDir,
}

struct Instance {
    child: Child,
    addr: SocketAddr,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Deployment {
    fn new() -> Deployment {
        Deployment {
            vars: vec![
                ("DATABASE", services::fresh_database_url()),
                ("STORAGE", services::fresh_storage_url()),
                ("LISTEN", "127.0.0.1:0".to_string()),
                ("PROXY", "127.0.0.1".to_string()),
            ],
            aws: services::s3_env(&services::s3_endpoint()),
            workdir: tempfile::tempdir().expect("workdir"),
        }
    }

    fn var(&self, name: &str) -> &str {
        let found = self.vars.iter().find(|(n, _)| *n == name);
        &found.expect("a deployment variable").1
    }

    fn command(&self, args: &[String]) -> Command {
        let bin = Path::new(env!("CARGO_BIN_EXE_findme")).with_file_name("findme-event-server");
        assert!(
            bin.is_file(),
            "{} is not built (build the workspace)",
            bin.display()
        );
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .envs(self.aws.iter().map(|(k, v)| (k, v)))
            .current_dir(self.workdir.path())
            .env("RUST_LOG", "warn");
        cmd
    }

    /// Runs an admin command; its stdout.
    fn run(&self, args: &[String]) -> String {
        let out = self.command(args).output().expect("findme-event-server");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {err}");
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Starts an instance; returns when it listens.
    fn start(&self, args: &[String]) -> Instance {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("an instance");
        let stdout = child.stdout.take().expect("stdout");
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("instance output");
            if let Some(base) = line.strip_prefix("listening on ") {
                let addr = base.trim_start_matches("http://").parse().expect("address");
                let base = base.to_string();
                return Instance { child, addr, base };
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("an instance exited before listening");
    }

    fn store(&self) -> StoreConfig {
        StoreConfig {
            data_dir: None,
            database: Some(self.var("DATABASE").parse().expect("database URL")),
            storage: Some(self.var("STORAGE").parse().expect("storage URL")),
            s3: S3Options {
                vars: self.aws.clone(),
            },
        }
    }
}

/// The value after `key` in a command's text output.
fn field(text: &str, key: &str) -> String {
    let line = text.lines().find_map(|l| l.strip_prefix(key));
    line.unwrap_or_else(|| panic!("no {key:?} in {text}"))
        .trim()
        .to_string()
}

async fn outbox_pending(engine: &Engine, event: &str) -> findme_catalog::OutboxTotals {
    let event = event.to_string();
    let read = engine
        .catalog()
        .read(move |r| r.outbox_totals(Some(&event), i64::MAX));
    read.await.expect("outbox totals")
}

/// Waits (woken by the engine's notices, bounded) until nothing is left to push.
async fn drained(engine: &Engine, event: &str) {
    let mut events = engine.subscribe();
    let done = tokio::time::timeout(Duration::from_secs(90), async {
        while outbox_pending(engine, event).await.pending > 0 {
            let _ = events.recv().await;
        }
    })
    .await;
    let left = outbox_pending(engine, event).await;
    assert!(done.is_ok(), "not drained: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_mid_push_fails_over_and_every_photo_lands_once() {
    let commands = documented_commands();
    let [create, listen] = commands.as_slice() else {
        panic!("expected create-event and serve in the documented block: {commands:?}");
    };
    let deployment = Deployment::new();
    let created = deployment.run(&arguments(create, &deployment.vars));
    let event = field(&created, "event:");
    let token = field(&created, "photographer token:");
    let tmp = tempfile::tempdir().expect("tempdir");
    let selfie = tmp.path().join("p00.jpg");
    std::fs::write(&selfie, synth::selfie(0)).expect("selfie");
    let mut add = arguments(listen, &deployment.vars);
    add.truncate(4); // --database … --storage …: what every admin command takes
    let selfie_arg = selfie.to_string_lossy().into_owned();
    add.extend(
        [
            "add-participant",
            "--event",
            &event,
            "--name",
            "P0",
            "--id",
            "p00",
        ]
        .map(String::from),
    );
    add.extend(["--selfie".to_string(), selfie_arg]);
    let guest_token = field(&deployment.run(&add), "attendee token:");

    let one = deployment.start(&arguments(listen, &deployment.vars));
    let two = deployment.start(&arguments(listen, &deployment.vars));
    let mut proxy = FaultProxy::start_with_failover(vec![one.addr, two.addr]).await;
    proxy.inject(Some(Route::MetadataPut), Fault::Hold, 1);
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let target = SyncTarget {
        server: proxy.base_url(),
        event: ev(&event),
        token: Token::new(token.clone()),
    };
    let (engine, truth) = matched_catalog_of(&event, tmp.path(), &mock, Some(target)).await;

    engine.start_workers();
    let held = |e: &Event| {
        matches!(
            e,
            Event::Arrived {
                fault: Some(Fault::Hold),
                ..
            }
        )
    };
    proxy.wait_for("a photo's metadata", held).await;
    let mut one = one;
    one.child.kill().expect("SIGKILL instance 1");
    one.child.wait().expect("instance 1 gone");
    proxy.heal(); // the held metadata now finds instance 1 dead and goes to 2
    drained(&engine, &event).await;

    // Everything, once, read through instance 2.
    let photographer = EventClient::new(&two.base, Token::new(token.clone())).expect("client");
    let stats = photographer.stats(&event).await.expect("stats");
    assert_eq!(stats.photos, truth.len() as u64, "{stats:?}");
    let (_, images): (_, Images) = findme_event_server::open_stores(&deployment.store())
        .await
        .expect("the deployment's stores");
    for (sha, people) in &truth {
        let state = photographer.photo_state(&event, sha).await.expect("state");
        assert!(state.visible, "{state:?}");
        let faces = state.metadata.expect("metadata").faces;
        let mut got: Vec<String> = faces
            .iter()
            .filter_map(|f| f.participant_id.clone())
            .collect();
        got.sort();
        assert_eq!(&got, people, "people of {sha}");
        let image = photographer.photo_image(sha).await.expect("served image");
        image::load_from_memory(&image).expect("a whole, decodable JPEG");
        let stored = support::sha256_hex(&image);
        assert!(
            images.exists(&stored).await.expect("S3 head"),
            "{stored} not in the bucket"
        );
    }
    let guest = EventClient::new(&two.base, Token::new(guest_token)).expect("guest");
    let mine = guest.my_photos().await.expect("the guest's photos");
    let expected = truth
        .values()
        .filter(|p| p.contains(&"p00".to_string()))
        .count();
    assert_eq!(mine.photos.len(), expected);
    let totals = outbox_pending(&engine, &event).await;
    assert_eq!(
        (totals.sent, totals.failed),
        (truth.len() as u64, 0),
        "{totals:?}"
    );
    let stats = engine.stats().await.expect("engine stats");
    assert_eq!(stats.queue.failed, 0, "a job was quarantined: {stats:?}");

    // A later revision (p01 leaves: their matches go) reaches the survivor.
    let (with_p01, _) = truth
        .iter()
        .find(|(_, p)| p.contains(&"p01".to_string()))
        .expect("a photo of p01");
    let before = photographer
        .photo_state(&event, with_p01)
        .await
        .expect("state");
    engine
        .remove_participant(&ev(&event), &pid("p01"))
        .await
        .expect("remove p01");
    drained(&engine, &event).await;
    let after = photographer
        .photo_state(&event, with_p01)
        .await
        .expect("state");
    assert!(after.revision > before.revision, "{before:?} -> {after:?}");
    let faces = after.metadata.expect("metadata").faces;
    assert!(faces
        .iter()
        .all(|f| f.participant_id.as_deref() != Some("p01")));

    assert_eq!(
        walk(deployment.workdir.path()),
        Vec::<PathBuf>::new(),
        "an instance kept files on its disk"
    );
    engine.shutdown().await;
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}
