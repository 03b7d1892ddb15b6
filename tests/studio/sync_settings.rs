//! The settings screen's engine side against the REAL reference event server:
//! test the connection, save server + event + token, sync starts at once and
//! again after a restart, the token stays out of the catalog, clearing stops it.
//! The keyring is the real `OsKeyring`. CI has no Secret Service, so the token
//! must land in its fallback, the kernel keyring: the test runs in a throwaway
//! session keyring of its own (as `keyctl session -` would give it) and reads
//! the kernel store directly to see the token went there.

use crate::support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use findme_engine::secrets::{token_account, OsKeyring, SecretStore};
use findme_engine::{Engine, EngineConfig, EngineNotice, MatchBackend, SyncSettingsInput};
use findme_event_server::Admin;
use findme_rekognition_mock::synth;
use findme_testkit::ev;
use support::venue::serve_on_any_port;
use tokio::sync::oneshot;

const EVENT: &str = "gala";

async fn open(data: &Path, secrets: Arc<dyn SecretStore>) -> Engine {
    let mut config = EngineConfig::new(data);
    config.sync = None;
    config.resume_saved_sync = true;
    config.secrets = secrets;
    config.matching.backend = MatchBackend::Off;
    Engine::open(config).await.expect("engine")
}

/// The server with one event and one registered guest; (base URL, token, stop).
async fn server(root: &Path) -> (String, String, oneshot::Sender<()>) {
    let data = root.join("server");
    let admin = Admin::open(&data).unwrap();
    let token = admin
        .create_event("Spring Gala", Some(EVENT))
        .unwrap()
        .photographer_token;
    admin
        .add_participant(EVENT, "Ada", &synth::selfie(0), Some("ada"))
        .unwrap();
    let (base, stop) = serve_on_any_port(&data).await;
    (base, token, stop)
}

fn input(server: &str, event: &str, token: Option<&str>) -> SyncSettingsInput {
    SyncSettingsInput {
        server_url: server.into(),
        event: event.into(),
        token: token.map(String::from),
        ..Default::default()
    }
}

/// Wait (bounded) until the background roster pull brought the guest in.
async fn wait_for_guest(engine: &Engine) {
    let mut events = engine.subscribe();
    let arrived = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Ok(people) = engine.participants(&ev(EVENT)).await {
                if people.iter().any(|p| p.id == "ada") {
                    return;
                }
            }
            match events.recv().await {
                Ok(EngineNotice::QueueChanged) | Err(_) => {}
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(arrived.is_ok(), "the roster was not pulled");
}

/// Every byte of the catalog (database and write-ahead log).
fn catalog_bytes(data: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(data).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("catalog.sqlite") {
            all.extend(std::fs::read(entry.path()).unwrap());
        }
    }
    all
}

/// What the store holds for `account`, read off the async threads (the keyring's
/// calls block, and its D-Bus client starts a runtime of its own).
async fn stored(secrets: &Arc<dyn SecretStore>, account: String) -> Option<String> {
    let secrets = secrets.clone();
    tokio::task::spawn_blocking(move || secrets.get(&account))
        .await
        .unwrap()
        .unwrap()
}

/// keyctl(2) operation: join a new anonymous session keyring.
const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;

/// Puts this thread, and every thread it starts, in a new empty session keyring,
/// so the token never reaches the user's own keyring and nothing is left behind.
fn join_throwaway_session_keyring() {
    // SAFETY: keyctl with a null name only replaces this thread's session keyring.
    let joined = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    assert!(
        joined >= 0,
        "this machine refuses the kernel keyring (keyctl: {}); the sync settings \
         test needs it",
        std::io::Error::last_os_error()
    );
}

/// The kernel keyring's own copy of `account`'s token, bypassing the fallback order.
fn in_kernel_keyring(account: &str) -> Option<String> {
    use keyring::credential::CredentialApi;
    let credential =
        keyring::keyutils::KeyutilsCredential::new_with_target(None, "findme-studio", account)
            .unwrap();
    match credential.get_password() {
        Ok(token) => Some(token),
        Err(keyring::Error::NoEntry) => None,
        Err(e) => panic!("reading the kernel keyring: {e}"),
    }
}

#[test]
fn saved_settings_sync_at_once_and_after_a_restart_and_the_token_stays_in_the_keyring() {
    join_throwaway_session_keyring();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(saved_settings_round_trip());
}

async fn saved_settings_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let (base, token, _stop) = server(tmp.path()).await;
    let data = tmp.path().join("data");
    let secrets: Arc<dyn SecretStore> = Arc::new(OsKeyring);
    // The fallback order: with no Secret Service to talk to, the kernel keyring.
    let keyring = tokio::task::spawn_blocking(|| OsKeyring.describe())
        .await
        .unwrap();
    let no_secret_service = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none();
    if no_secret_service {
        assert!(keyring.starts_with("the kernel keyring"), "{keyring}");
    }
    eprintln!("# keyring: {keyring}");
    let engine = open(&data, secrets.clone()).await;
    engine.start_workers();

    let fresh = engine.sync_settings().await.unwrap();
    assert_eq!(
        (fresh.source.as_str(), fresh.running, fresh.has_token),
        ("none", false, false)
    );

    // The button: a wrong token and a wrong event are told apart from success.
    let refused = engine
        .test_sync_connection(input(&base, EVENT, Some("fm_wrong")))
        .await
        .unwrap();
    assert!(
        !refused.ok && refused.message.contains("refused"),
        "{refused:?}"
    );
    assert!(
        !refused.message.contains("fm_wrong"),
        "token echoed: {refused:?}"
    );
    let no_token = engine
        .test_sync_connection(input(&base, EVENT, None))
        .await
        .unwrap();
    assert!(
        !no_token.ok && no_token.message.contains("no token"),
        "{no_token:?}"
    );
    let ok = engine
        .test_sync_connection(input(&base, EVENT, Some(&token)))
        .await
        .unwrap();
    assert!(ok.ok, "{ok:?}");
    assert_eq!(ok.event_name.as_deref(), Some("Spring Gala"));
    assert!(
        !engine.sync_settings().await.unwrap().running,
        "testing saves nothing"
    );

    let saved = engine
        .save_sync_settings(input(&format!("{base}/"), EVENT, Some(&token)))
        .await
        .unwrap();
    assert_eq!(
        (saved.source.as_str(), saved.running, saved.has_token),
        ("settings", true, true)
    );
    assert_eq!(
        saved.server_url.as_deref(),
        Some(base.as_str()),
        "trailing slash dropped"
    );
    assert_eq!(
        stored(&secrets, token_account(&base, EVENT))
            .await
            .as_deref(),
        Some(token.as_str())
    );
    if no_secret_service {
        assert_eq!(
            in_kernel_keyring(&token_account(&base, EVENT)).as_deref(),
            Some(token.as_str()),
            "the token is not in the fallback store"
        );
    }
    wait_for_guest(&engine).await;
    engine.shutdown().await;
    let bytes = catalog_bytes(&data);
    assert!(!bytes.is_empty());
    assert!(
        !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
        "the token reached the catalog"
    );

    // A command that does not sync in the background (import, stats...) leaves
    // the saved sync alone and never reads the keyring for it.
    let mut config = EngineConfig::new(&data);
    config.sync = None;
    config.secrets = secrets.clone();
    config.matching.backend = MatchBackend::Off;
    let one_shot = Engine::open(config).await.unwrap();
    assert!(!one_shot.sync_settings().await.unwrap().running);
    one_shot.shutdown().await;

    // Restart: the saved settings and the keyring's token start the sync again.
    let engine = open(&data, secrets.clone()).await;
    let restarted = engine.sync_settings().await.unwrap();
    assert_eq!(
        (restarted.source.as_str(), restarted.running),
        ("settings", true)
    );
    // Saving without a token keeps the stored one; another event has none.
    let kept = engine
        .save_sync_settings(input(&base, EVENT, None))
        .await
        .unwrap();
    assert!(kept.running && kept.has_token, "{kept:?}");
    let other = engine
        .save_sync_settings(input(&base, "other-event", None))
        .await
        .unwrap_err();
    assert!(other.to_string().contains("no token"), "{other}");
    let bad_url = engine
        .save_sync_settings(input("ftp://example.com", EVENT, Some(&token)))
        .await
        .unwrap_err();
    assert!(bad_url.to_string().contains("http"), "{bad_url}");

    let debug = format!("{:?}", input(&base, EVENT, Some(&token)));
    assert!(!debug.contains(&token), "{debug}");
    // Moving to another event keeps no token of the old one.
    let moved = engine
        .save_sync_settings(input(&base, "other-event", Some("fm_other")))
        .await
        .unwrap();
    assert_eq!(moved.event.as_deref(), Some("other-event"));
    assert_eq!(stored(&secrets, token_account(&base, EVENT)).await, None);

    let cleared = engine.clear_sync_settings().await.unwrap();
    assert_eq!(
        stored(&secrets, token_account(&base, "other-event")).await,
        None
    );
    assert_eq!(
        (cleared.source.as_str(), cleared.running, cleared.has_token),
        ("none", false, false)
    );
    assert_eq!(stored(&secrets, token_account(&base, EVENT)).await, None);
    if no_secret_service {
        assert_eq!(
            in_kernel_keyring(&token_account(&base, "other-event")),
            None
        );
    }
    engine.shutdown().await;
    let engine = open(&data, secrets).await;
    assert!(
        !engine.sync_settings().await.unwrap().running,
        "cleared for good"
    );
    engine.shutdown().await;
}
