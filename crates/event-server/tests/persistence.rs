//! The real binary: CLI output, kill -9 and restart on the same data dir.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use common::cli::command;
use common::stores::Backend;
use common::{client, files_under, jpeg, meta, photo_key, Stores};
use findme_protocol::sha256_hex;

fn run(data: &Stores, args: &[&str]) -> String {
    let out = command(data).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A server child process, killed with SIGKILL (and reaped) when dropped, so a
/// failing test never leaves one running.
struct Server(Child);

impl Server {
    /// kill -9 and wait for it to be gone.
    fn kill9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Starts `serve` on a free port; returns the child and its base URL, read from
/// the "listening on" line (printed once the socket is bound, so no polling), and
/// the lines printed before it.
fn start(data: &Stores, extra: &[&str]) -> (Server, String, Vec<String>) {
    let child = command(data)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Server(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut before = Vec::new();
    loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if let Some(base) = line.strip_prefix("listening on ") {
            return (child, base.to_string(), before);
        }
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
            if let Some(base) = v["listening"].as_str() {
                return (child, base.to_string(), before);
            }
        }
        before.push(line);
    }
}

fn field<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key:?} in {text}"))
        .trim()
}

#[tokio::test]
async fn survives_kill_9_and_cli_output_parses() {
    let dir = tempfile::tempdir().unwrap();
    let data = Stores::new(dir.path());
    let selfie = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/ada.jpg");

    // Text and JSON forms of the admin commands.
    let text = run(&data, &["create-event", "--name", "Wedding", "--id", "wed"]);
    assert_eq!(field(&text, "event:"), "wed");
    let token = field(&text, "photographer token:").to_string();
    assert!(token.starts_with("fmp_") && token.len() == 68, "{token}");
    let json: serde_json::Value =
        serde_json::from_str(&run(&data, &["create-event", "--name", "Other", "--json"])).unwrap();
    assert!(json["event"].as_str().unwrap().starts_with("ev_"));
    assert!(json["photographer_token"]
        .as_str()
        .unwrap()
        .starts_with("fmp_"));
    let sel = selfie.to_str().unwrap();
    let added: serde_json::Value = serde_json::from_str(&run(
        &data,
        &[
            "add-participant",
            "--event",
            "wed",
            "--name",
            "Ada",
            "--selfie",
            sel,
            "--id",
            "ada",
            "--json",
        ],
    ))
    .unwrap();
    let ada = added["attendee_token"].as_str().unwrap().to_string();
    assert_eq!(added["participant"], "ada");
    assert_eq!(
        added["selfie_sha256"],
        sha256_hex(&std::fs::read(&selfie).unwrap())
    );
    let text = run(
        &data,
        &[
            "add-participant",
            "--event",
            "wed",
            "--name",
            "Ben",
            "--selfie",
            sel,
        ],
    );
    assert!(field(&text, "participant:").starts_with("p_"));
    assert!(field(&text, "attendee token:").starts_with("fma_"));
    // Tokens are stored only as hashes.
    let blob = data.database_contents();
    assert!(
        !blob.windows(ada.len()).any(|w| w == ada.as_bytes()),
        "attendee token stored in clear"
    );
    assert!(
        !blob.windows(token.len()).any(|w| w == token.as_bytes()),
        "photographer token stored in clear"
    );

    let (mut child, base, _) = start(&data, &[]);
    let ph = client(&base, &token);
    let k = photo_key(1);
    assert!(ph.put_image("wed", &k, jpeg(1)).await.unwrap().created);
    ph.put_metadata("wed", &k, &meta(2, &["ada"]))
        .await
        .unwrap();
    child.kill9();

    let (mut child, base, _) = start(&data, &[]);
    let ph = client(&base, &token);
    let state = ph.photo_state("wed", &k).await.unwrap();
    assert!(state.visible);
    assert_eq!(state.revision, 2);
    assert!(
        !ph.put_image("wed", &k, jpeg(1)).await.unwrap().created,
        "image still there"
    );
    let mine = client(&base, &ada).my_photos().await.unwrap();
    assert_eq!(mine.photos.len(), 1);
    assert_eq!(client(&base, &ada).photo_image(&k).await.unwrap(), jpeg(1));
    assert_eq!(
        ph.participants("wed", None)
            .await
            .unwrap()
            .participants
            .len(),
        2
    );
    child.kill9();
    match data.backend() {
        Backend::Local => assert!(
            std::fs::read_dir(data.data.join("tmp"))
                .unwrap()
                .next()
                .is_none(),
            "temp files left"
        ),
        // Nothing of the event on the instance's disk: no bytes, no database.
        Backend::PostgresS3 => assert_eq!(
            files_under_if_any(&data.data),
            Vec::<String>::new(),
            "files left on the instance"
        ),
    }
}

fn files_under_if_any(dir: &Path) -> Vec<String> {
    if dir.exists() {
        files_under(dir)
    } else {
        Vec::new()
    }
}

#[tokio::test]
async fn demo_seeds_an_event_with_working_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base, lines) = start(&Stores::new(dir.path()), &["--demo", "--json"]);
    let demo: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    let demo = &demo["demo"];
    let ph = client(&base, demo["photographer_token"].as_str().unwrap());
    assert_eq!(ph.event_info("demo").await.unwrap().id, "demo");
    let people = demo["participants"].as_array().unwrap();
    assert!(people.len() >= 3, "{demo}");
    let roster = ph.participants("demo", None).await.unwrap();
    assert_eq!(roster.participants.len(), people.len());
    let first = &roster.participants[0];
    let selfie = ph
        .selfie(first.selfie_url.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(Some(sha256_hex(&selfie)), first.selfie_sha256);
    let attendee = client(&base, people[0]["attendee_token"].as_str().unwrap());
    assert!(attendee.my_photos().await.unwrap().photos.is_empty());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http
        .get(people[0]["page"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status().as_u16(),
        303,
        "the link opens the guest's page"
    );
    assert_eq!(page.headers()["location"], "/e/demo/me");
    child.kill9();
}
