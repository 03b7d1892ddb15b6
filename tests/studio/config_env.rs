//! Only the binaries read the environment: an engine opened with
//! `EngineConfig::new` does exactly what its config says even when the shell
//! around it has a server, a token and AWS credentials set, and
//! `EngineConfig::from_env` (what `findme` and the app call) reads them all.
//!
//! The environment is process-wide, so the check runs in a child process of this
//! test binary with the variables set, once per way of making the config.

use std::process::Command;
use std::sync::Arc;

use findme_engine::secrets::MemorySecrets;
use findme_engine::{Engine, EngineConfig};

/// Set in the child: which config to open the engine with ("new" or "from_env").
const MODE: &str = "FINDME_TEST_CONFIG_MODE";

/// What a developer's or CI's shell might hold.
const ENVIRONMENT: &[(&str, &str)] = &[
    // A port nobody listens on: a background sync would only retry.
    ("FINDME_SERVER_URL", "http://127.0.0.1:9"),
    ("FINDME_SYNC_EVENT", "gala"),
    ("FINDME_TOKEN", "fm_secret"),
    ("FINDME_MATCH_BACKEND", "rekognition"),
    ("FINDME_WEB_LONG_EDGE", "1024"),
    ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE"),
    ("AWS_SECRET_ACCESS_KEY", "not-a-secret"),
    ("AWS_REGION", "eu-west-1"),
    ("AWS_ENDPOINT_URL_REKOGNITION", "http://127.0.0.1:9"),
];

#[test]
fn the_environment_is_read_only_when_from_env_is_called() {
    for mode in ["new", "from_env"] {
        let out = Command::new(std::env::current_exe().expect("this test binary"))
            .args([
                "--exact",
                "config_env::the_engine_opens_with_the_config_it_was_given",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(MODE, mode)
            .envs(ENVIRONMENT.iter().copied())
            .output()
            .expect("run the check in a child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "the check failed with the config made by {mode}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Opens an engine the way `FINDME_TEST_CONFIG_MODE` says (`new` when unset, as in
/// the normal run of this binary) and checks it did what that config says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_opens_with_the_config_it_was_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let from_env = std::env::var(MODE).is_ok_and(|m| m == "from_env");
    let mut config = if from_env {
        EngineConfig::from_env(dir.path())
    } else {
        EngineConfig::new(dir.path())
    };
    // Never the developer's keyring.
    config.secrets = Arc::new(MemorySecrets::default());
    let engine = Engine::open(config).await.expect("engine");
    let activity = engine.activity().await.expect("activity");
    let target = engine.sync_target();
    if from_env {
        let target = target.expect("the environment names a server, an event and a token");
        assert_eq!(target.server, "http://127.0.0.1:9");
        assert_eq!(target.event.as_str(), "gala");
        assert_eq!(activity.matcher.as_deref(), Some("rekognition"));
        let settings = engine.sync_settings().await.expect("settings");
        assert_eq!(settings.source, "environment");
    } else {
        assert!(target.is_none(), "a sync started from the environment");
        assert_eq!(
            activity.matcher.as_deref(),
            Some("local"),
            "the backend came from the environment"
        );
        assert!(
            engine.events().await.expect("events").is_empty(),
            "an event was made from the environment"
        );
        let settings = engine.sync_settings().await.expect("settings");
        assert_eq!(settings.source, "none");
    }
    engine.shutdown().await;
}
