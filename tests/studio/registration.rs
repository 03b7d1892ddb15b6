//! Guest registration through the engine and the CLI against the REAL
//! reference event server on 127.0.0.1: opening it, the link and its QR code,
//! the matcher the consent text names (always the event's own), the count of
//! registered guests, the printable card saved in the data folder, and the
//! errors when no server is set up or it cannot be reached. Also: a plain
//! http server off this computer is refused unless allowed.

use crate::support;

use std::path::Path;
use std::sync::Arc;

use findme_engine::secrets::MemorySecrets;
use findme_engine::{
    CardSize, Engine, EngineConfig, ErrorKind, MatchBackend, RegistrationChangeDto,
    SyncSettingsInput, SyncTarget, Token,
};
use findme_event_server::Admin;
use findme_protocol::{EventClient, Matcher};
use findme_rekognition_mock::synth;
use findme_testkit::ev;
use support::venue::serve_on_any_port;
use tokio::sync::oneshot;

const EVENT: &str = "gala";

/// The reference server with the event; (server data dir, base URL, token, stop).
async fn server(root: &Path) -> (std::path::PathBuf, String, String, oneshot::Sender<()>) {
    let data = root.join("server");
    let admin = Admin::open(&data).unwrap();
    let token = admin
        .create_event("Ada & Ben's <gala>", Some(EVENT))
        .unwrap()
        .photographer_token;
    let (base, stop) = serve_on_any_port(&data).await;
    (data, base, token, stop)
}

/// An engine that matches nothing, with `server` as its event's server.
async fn engine(data: &Path, server: Option<(&str, &str)>) -> Engine {
    let mut config = EngineConfig::new(data);
    config.matching.backend = MatchBackend::Off;
    config.secrets = Arc::new(MemorySecrets::default());
    config.sync = server.map(|(base, token)| SyncTarget {
        server: base.into(),
        event: ev(EVENT),
        token: Token::new(token),
    });
    Engine::open(config).await.expect("engine")
}

/// Runs SQL on the server's database (what the guests' page would write).
fn server_sql(data: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(data.join("event-server.sqlite3")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    conn.execute_batch(sql).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_registration_names_the_events_matcher_and_counts_the_guests() {
    let tmp = tempfile::tempdir().unwrap();
    let (server_data, base, token, _stop) = server(tmp.path()).await;
    let engine = engine(&tmp.path().join("data"), Some((&base, &token))).await;
    engine
        .choose_backend(&ev(EVENT), MatchBackend::Rekognition)
        .await
        .unwrap();

    let opened = engine
        .set_registration(
            &ev(EVENT),
            RegistrationChangeDto {
                open: Some(true),
                code: Some(" ROSE42 ".into()),
                intro: Some("Find your photos of the evening.".into()),
                retention_days: Some(14),
            },
        )
        .await
        .unwrap();
    assert!(opened.open);
    assert_eq!(opened.code.as_deref(), Some("ROSE42"));
    assert_eq!(opened.intro, "Find your photos of the evening.");
    assert_eq!(opened.retention_days, 14);
    assert_eq!(opened.matcher, "rekognition");
    assert_eq!(opened.url, format!("{base}/e/{EVENT}"));
    assert!(opened.qr_svg.contains("<svg"), "{}", opened.qr_svg);
    assert_eq!(opened.registered, 0);
    // What the server holds, not what the engine believes it sent.
    let held = EventClient::new(&base, findme_protocol::Token::new(token.clone()))
        .unwrap()
        .registration(EVENT)
        .await
        .unwrap();
    assert!(held.open);
    assert_eq!(held.matcher, Matcher::Rekognition);

    // A guest signs up on the page (written as the page would).
    let admin = Admin::open(&server_data).unwrap();
    admin
        .add_participant(EVENT, "Ada", &synth::selfie(0), Some("ada"))
        .unwrap();
    server_sql(
        &server_data,
        "UPDATE participants SET self_registered = 1, registered_ms = 1 WHERE id = 'ada'",
    );
    let now = engine.registration(&ev(EVENT)).await.unwrap();
    assert_eq!(now.registered, 1);
    assert_eq!(now.code.as_deref(), Some("ROSE42"));

    let closed = engine
        .set_registration(
            &ev(EVENT),
            RegistrationChangeDto {
                open: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!closed.open);
    assert_eq!(closed.code.as_deref(), Some("ROSE42"), "absent fields stay");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_without_a_matcher_is_tied_to_this_computer_before_guests_are_told() {
    let tmp = tempfile::tempdir().unwrap();
    let (_server_data, base, token, _stop) = server(tmp.path()).await;
    let engine = engine(&tmp.path().join("data"), Some((&base, &token))).await;
    assert_eq!(engine.event(&ev(EVENT)).await.unwrap().backend, None);

    let dto = engine
        .set_registration(
            &ev(EVENT),
            RegistrationChangeDto {
                open: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(dto.matcher, "device");
    assert_eq!(
        engine.event(&ev(EVENT)).await.unwrap().backend.as_deref(),
        Some("local"),
        "the event now stays on this computer, as the guests were told"
    );
    let other = engine
        .choose_backend(&ev(EVENT), MatchBackend::Rekognition)
        .await
        .unwrap_err();
    assert_eq!(other.kind(), ErrorKind::Conflict);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_server_or_with_it_down_the_error_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let alone = engine(&tmp.path().join("data"), None).await;
    alone.create_event(&ev(EVENT), "Gala", None).await.unwrap();
    let none = alone.registration(&ev(EVENT)).await.unwrap_err();
    assert_eq!(none.kind(), ErrorKind::NotFound);
    assert!(
        none.to_string()
            .contains("no event server is set up for the event gala"),
        "{none}"
    );
    let unknown = alone.registration(&ev("nope")).await.unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::NotFound);
    alone.shutdown().await;

    // A server that is not listening: nothing answers on a port just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = format!("http://127.0.0.1:{port}");
    let engine = engine(&tmp.path().join("data2"), Some((&down, "fmp_x"))).await;
    let err = engine
        .set_registration(
            &ev(EVENT),
            RegistrationChangeDto {
                open: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    let err = engine.registration(&ev(EVENT)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printable_card_is_saved_in_the_data_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let (server_data, base, token, _stop) = server(tmp.path()).await;
    server_sql(
        &server_data,
        "UPDATE events SET registration_code = 'ROSE42', intro = 'Hello <b>guests</b>'",
    );
    let data = tmp.path().join("data");
    let engine = engine(&data, Some((&base, &token))).await;
    for (size, name, page) in [
        (CardSize::A6, "gala-a6.html", "size: A6"),
        (CardSize::A4, "gala-a4.html", "size: A4"),
    ] {
        let card = engine
            .save_registration_card(&ev(EVENT), size)
            .await
            .unwrap();
        let path = data.join("cards").join(name);
        assert_eq!(Path::new(&card.path), path);
        let html = std::fs::read_to_string(&path).unwrap();
        assert!(html.contains(page), "{html}");
        assert!(html.contains(">ROSE42<"));
        assert!(html.contains("Ada &amp; Ben&#39;s &lt;gala&gt;"));
        assert!(html.contains("Hello &lt;b&gt;guests&lt;/b&gt;"));
        assert!(html.contains(&format!("{base}/e/{EVENT}")));
    }
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_opens_registration_and_writes_the_qr_code() {
    let tmp = tempfile::tempdir().unwrap();
    let (_server_data, base, token, _stop) = server(tmp.path()).await;
    let data = tmp.path().join("data");
    let qr = tmp.path().join("gala.svg");
    let (b, t) = (base.clone(), token.clone());
    let with_server = move |cmd: &mut std::process::Command| {
        cmd.env("FINDME_SERVER_URL", &b)
            .env("FINDME_SYNC_EVENT", EVENT)
            .env("FINDME_TOKEN", &t)
            .env("FINDME_MATCH_BACKEND", "off");
    };
    let (json, text) = {
        let (data, qr) = (data.clone(), qr.clone());
        tokio::task::spawn_blocking(move || {
            let mut open = support::findme(&data);
            open.args([
                "events",
                "registration",
                EVENT,
                "--open",
                "--code",
                "ROSE42",
            ])
            .args([
                "--intro",
                "Hello",
                "--retention-days",
                "7",
                "--json",
                "--qr",
            ])
            .arg(&qr);
            with_server(&mut open);
            let json = support::run_json(&mut open);
            let mut show = support::findme(&data);
            show.args(["events", "registration", EVENT, "--card", "a4"]);
            with_server(&mut show);
            let text = String::from_utf8(support::run_ok(&mut show).stdout).unwrap();
            (json, text)
        })
        .await
        .unwrap()
    };
    assert_eq!(json["open"], true);
    assert_eq!(json["code"], "ROSE42");
    assert_eq!(json["intro"], "Hello");
    assert_eq!(json["retention_days"], 7);
    assert_eq!(json["url"], format!("{base}/e/{EVENT}"));
    assert_eq!(json["registered"], 0);
    assert_eq!(
        std::fs::read_to_string(&qr).unwrap(),
        json["qr_svg"].as_str().unwrap(),
        "--qr writes the link's QR code"
    );
    assert!(text.contains("registration: open"), "{text}");
    assert!(text.contains(&format!("link: {base}/e/{EVENT}")), "{text}");
    assert!(text.contains("registered: 0"), "{text}");
    assert!(text.contains("code: ROSE42"), "{text}");
    let card = data.join("cards").join("gala-a4.html");
    assert!(
        text.contains(&format!("card (a4): {}", card.display())),
        "{text}"
    );
    let html = std::fs::read_to_string(&card).unwrap();
    assert!(
        html.contains(">ROSE42<") && html.contains("size: A4"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_off_this_computer_is_refused_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = engine(&tmp.path().join("data"), None).await;
    let input = |allow: Option<bool>| SyncSettingsInput {
        server_url: "http://192.0.2.10:8787".into(),
        event: EVENT.into(),
        token: Some("fmp_token".into()),
        allow_plain_http: allow,
    };
    let refused = engine.save_sync_settings(input(None)).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Invalid);
    assert!(refused.to_string().contains("in clear"), "{refused}");
    assert_eq!(
        engine.sync_settings().await.unwrap().server_url,
        None,
        "nothing saved"
    );
    let test = engine.test_sync_connection(input(None)).await.unwrap();
    assert!(
        !test.ok && test.message.contains("in clear"),
        "{}",
        test.message
    );

    let saved = engine.save_sync_settings(input(Some(true))).await.unwrap();
    assert_eq!(saved.server_url.as_deref(), Some("http://192.0.2.10:8787"));
    assert!(saved.allow_plain_http);
    // Saving again without the permission is refused and keeps the old setting.
    assert!(engine.save_sync_settings(input(Some(false))).await.is_err());
    assert!(engine.sync_settings().await.unwrap().allow_plain_http);
    // https needs no permission.
    let https = SyncSettingsInput {
        server_url: "https://photos.example.com".into(),
        ..input(None)
    };
    let saved = engine.save_sync_settings(https).await.unwrap();
    assert!(!saved.allow_plain_http);
    engine.shutdown().await;

    // The CLI's sync: refused before anything is sent, exit code 2 (invalid).
    let data = tmp.path().join("cli");
    let out = tokio::task::spawn_blocking(move || {
        support::findme(&data)
            .args([
                "sync",
                "--server",
                "http://192.0.2.10:8787",
                "--event",
                EVENT,
            ])
            .env("FINDME_TOKEN", "fmp_token")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("in clear"), "{stderr}");
}

/// Closing the event ends it on its server (registration shut for good, the
/// guests' retention starts): at once when the server is reachable, else at the
/// next connection (the reconcile of `sync`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_event_ends_it_on_its_server_now_or_at_the_next_connection() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, base, token, _stop) = server(tmp.path()).await;
    let held = || {
        let (base, token) = (base.clone(), token.clone());
        async move {
            EventClient::new(&base, findme_protocol::Token::new(token))
                .unwrap()
                .registration(EVENT)
                .await
                .unwrap()
        }
    };
    let open = RegistrationChangeDto {
        open: Some(true),
        ..Default::default()
    };

    // Reachable: the close says it at once.
    let online = engine(&tmp.path().join("data"), Some((&base, &token))).await;
    online
        .set_registration(&ev(EVENT), open.clone())
        .await
        .unwrap();
    assert_eq!(held().await.ended_ms, None);
    online.close_event(&ev(EVENT)).await.unwrap();
    let ended = held().await;
    assert!(ended.ended_ms.is_some() && !ended.open, "{ended:?}");
    online.shutdown().await;

    // Unreachable at the close: the next sync's reconcile says it.
    let tmp2 = tempfile::tempdir().unwrap();
    let (_, base2, token2, _stop2) = server(tmp2.path()).await;
    let offline = engine(
        &tmp2.path().join("data"),
        Some(("http://127.0.0.1:9", &token2)),
    )
    .await;
    offline.close_event(&ev(EVENT)).await.unwrap();
    offline
        .sync(&base2, &ev(EVENT), Token::new(token2.clone()))
        .await
        .unwrap();
    let told = EventClient::new(&base2, findme_protocol::Token::new(token2))
        .unwrap()
        .registration(EVENT)
        .await
        .unwrap();
    assert!(told.ended_ms.is_some(), "{told:?}");
    offline.shutdown().await;
}
