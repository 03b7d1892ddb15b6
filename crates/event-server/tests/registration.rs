//! `GET`/`PUT …/registration` over real HTTP: auth, validation, partial updates and
//! the count of self-registered guests.

mod common;

use common::*;
use findme_protocol::{ClientError, Matcher, RegistrationUpdate};

fn rejected_message(e: ClientError) -> String {
    match e {
        ClientError::Rejected {
            status: 400,
            message,
        } => message,
        other => panic!("expected a 400, got {other:?}"),
    }
}

#[tokio::test]
async fn get_and_put_registration_with_partial_updates() {
    let s = TestServer::start().await;
    let ph = s.photographer();
    let reg = ph.registration("ev1").await.unwrap();
    assert!(!reg.open, "registration starts closed");
    assert_eq!(reg.code, None);
    assert_eq!(reg.matcher, Matcher::Device);
    assert_eq!(reg.retention_days, 30);
    assert_eq!(reg.registered, 0);
    assert_eq!(reg.page_path, "/e/ev1");

    let open = RegistrationUpdate {
        open: Some(true),
        code: Some("SMITH-2026".into()),
        intro: Some("Welcome! ".repeat(50)),
        ..Default::default()
    };
    let reg = ph.set_registration("ev1", &open).await.unwrap();
    assert!(reg.open);
    assert_eq!(reg.code.as_deref(), Some("SMITH-2026"));
    assert_eq!(reg.intro.chars().count(), 450);

    // Absent fields keep their value.
    let more = RegistrationUpdate {
        matcher: Some(Matcher::Rekognition),
        retention_days: Some(0),
        ..Default::default()
    };
    let reg = ph.set_registration("ev1", &more).await.unwrap();
    assert!(reg.open);
    assert_eq!(reg.code.as_deref(), Some("SMITH-2026"));
    assert_eq!(reg.matcher, Matcher::Rekognition);
    assert_eq!(reg.retention_days, 0);
    // "" removes the code; GET sees what PUT answered.
    let reg = ph
        .set_registration(
            "ev1",
            &RegistrationUpdate {
                code: Some(String::new()),
                open: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(reg.code, None);
    assert!(!reg.open);
    assert_eq!(ph.registration("ev1").await.unwrap(), reg);
}

#[tokio::test]
async fn bad_values_are_400_with_the_reason_and_change_nothing() {
    let s = TestServer::start().await;
    let ph = s.photographer();
    let before = ph.registration("ev1").await.unwrap();
    let cases: Vec<(RegistrationUpdate, &str)> = vec![
        (
            RegistrationUpdate {
                code: Some("has space".into()),
                open: Some(true),
                ..Default::default()
            },
            "code: use 1-32 letters, digits or '-'",
        ),
        (
            RegistrationUpdate {
                code: Some("x".repeat(33)),
                ..Default::default()
            },
            "code: use 1-32",
        ),
        (
            RegistrationUpdate {
                intro: Some("x".repeat(501)),
                ..Default::default()
            },
            "intro: at most 500 characters (got 501)",
        ),
        (
            RegistrationUpdate {
                retention_days: Some(366),
                ..Default::default()
            },
            "retention_days: 0-365 (got 366)",
        ),
    ];
    for (update, expected) in cases {
        let msg = rejected_message(ph.set_registration("ev1", &update).await.unwrap_err());
        assert!(msg.contains(expected), "{msg:?} lacks {expected:?}");
    }
    // An unknown matcher or a malformed body is refused by the parser.
    let http = reqwest::Client::new();
    for body in [
        r#"{"matcher":"cloud"}"#,
        "{not json",
        r#"{"retention_days":-1}"#,
    ] {
        let resp = http
            .put(format!("{}/api/v1/events/ev1/registration", s.base))
            .bearer_auth(&s.photographer)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{body}");
        let err: serde_json::Value = resp.json().await.unwrap();
        assert!(
            err["error"]
                .as_str()
                .unwrap()
                .starts_with("malformed registration JSON"),
            "{err}"
        );
    }
    assert_eq!(ph.registration("ev1").await.unwrap(), before);
}

#[tokio::test]
async fn only_the_events_photographer_may_read_or_change_it() {
    let s = TestServer::start().await;
    let attendee = s.participant("ada");
    let other = s.admin.create_event("Other", Some("ev2")).unwrap();
    let update = RegistrationUpdate {
        open: Some(true),
        ..Default::default()
    };
    for (token, want) in [
        ("fmp_".to_string() + &"0".repeat(64), 401),
        (attendee, 403),
        (other.photographer_token, 403),
    ] {
        let c = s.client(&token);
        assert_eq!(status(&c.registration("ev1").await.unwrap_err()), want);
        assert_eq!(
            status(&c.set_registration("ev1", &update).await.unwrap_err()),
            want
        );
    }
    let resp = reqwest::get(format!("{}/api/v1/events/ev1/registration", s.base))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert!(!s.photographer().registration("ev1").await.unwrap().open);
}

#[tokio::test]
async fn registered_counts_live_self_registered_guests_of_the_event() {
    let s = TestServer::start().await;
    s.participant("chloe");
    s.admin.create_event("Other", Some("ev2")).unwrap();
    // Guests signing up on their own (what the guest pages store): ada and ben
    // in ev1, zed in ev2; chloe was added by the photographer.
    let (meta, _) = findme_event_server::open_stores(&s.stores.config)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (event, name, seed) in [("ev1", "Ada", 5), ("ev1", "Ben", 6), ("ev2", "Zed", 7)] {
        let selfie = findme_event_server::store::NewImage {
            sha256: findme_protocol::sha256_hex(&jpeg(seed)),
            size: jpeg(seed).len(),
            content_type: "image/jpeg",
        };
        ids.push(
            meta.register_guest(event, name, &selfie)
                .await
                .unwrap()
                .participant,
        );
    }
    let ben = ids[1].clone();
    let ph = s.photographer();
    assert_eq!(ph.registration("ev1").await.unwrap().registered, 2);
    s.admin.remove_participant("ev1", &ben).unwrap();
    assert_eq!(ph.registration("ev1").await.unwrap().registered, 1);
    assert_eq!(s.admin.registration("ev1").unwrap().registered, 1);
}

/// The consent text's promise: `retention_days` after the photographer closed the
/// event, its guests' data goes; not a day before.
#[tokio::test]
async fn guests_data_goes_when_the_retention_after_the_close_runs_out() {
    let s = TestServer::start().await;
    let token = s.participant("ada");
    let sha = findme_protocol::sha256_hex(&common::jpeg("ada".len() as u64 + 1000));
    assert!(s.image_stored(&sha));
    let ph = s.photographer();
    assert_eq!(
        s.admin.purge_expired(i64::MAX).unwrap(),
        0,
        "an open event keeps everyone"
    );

    let ended = ph
        .set_registration(
            "ev1",
            &RegistrationUpdate {
                open: Some(true),
                retention_days: Some(2),
                ended: Some(true),
                ..RegistrationUpdate::default()
            },
        )
        .await
        .unwrap();
    assert!(!ended.open, "an ended event takes no registrations");
    let at = ended.ended_ms.unwrap();
    let reopen = RegistrationUpdate {
        open: Some(true),
        ..RegistrationUpdate::default()
    };
    assert!(!ph.set_registration("ev1", &reopen).await.unwrap().open);
    let again = RegistrationUpdate {
        ended: Some(true),
        ..RegistrationUpdate::default()
    };
    assert_eq!(
        ph.set_registration("ev1", &again).await.unwrap().ended_ms,
        Some(at)
    );

    let day = 24 * 60 * 60 * 1000;
    assert_eq!(s.admin.purge_expired(at + 2 * day - 1).unwrap(), 0);
    assert_eq!(s.client(&token).my_photos().await.unwrap().photos.len(), 0);
    assert_eq!(s.admin.purge_expired(at + 2 * day).unwrap(), 1);
    assert!(!s.image_stored(&sha), "the selfie bytes are deleted");
    let roster = ph.participants("ev1", None).await.unwrap();
    assert!(roster.participants.iter().all(|p| p.deleted), "{roster:?}");
    assert!(
        s.client(&token).my_photos().await.is_err(),
        "the token is revoked"
    );
}
