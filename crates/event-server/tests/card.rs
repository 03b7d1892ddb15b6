//! The printable registration card over real HTTP: the photographer of the
//! event gets the page (event name escaped, short text, event code, the QR
//! code inline, the print size, strict headers); nobody else does.

mod common;

use common::{status, TestServer};
use findme_protocol::CardSize;

/// Sets what the guests' page says (the card only reads these).
fn set_registration(s: &TestServer, intro: &str, code: &str) {
    let update = findme_protocol::RegistrationUpdate {
        intro: Some(intro.into()),
        code: Some(code.into()),
        ..Default::default()
    };
    s.admin.set_registration(&s.event, &update).unwrap();
}

const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

#[tokio::test]
async fn the_photographer_gets_a_printable_card_with_the_code_and_everything_escaped() {
    let s = TestServer::start_event("Ada & Ben's <wedding>", |_| {}).await;
    set_registration(&s, "Welcome! <script>alert(1)</script>", "ROSE42");
    let url = format!(
        "{}/api/v1/events/{}/registration/card?size=a4",
        s.base, s.event
    );
    let resp = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&s.photographer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    assert_eq!(header("content-security-policy").as_deref(), Some(CSP));
    assert!(header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"),
        "the saved copy keeps the policy: {html}"
    );
    assert!(
        html.contains("Ada &amp; Ben&#39;s &lt;wedding&gt;"),
        "{html}"
    );
    assert!(html.contains("Welcome! &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script"), "nothing typed becomes markup");
    assert!(html.contains(">ROSE42<"), "the event code is on the card");
    assert!(html.contains("@page { size: A4;"));
    assert!(html.contains("<svg"), "the QR code is inline");
    assert!(!html.contains("<?xml"));
    assert!(
        html.contains(&format!("{}/e/{}", s.base, s.event)),
        "the link is printed"
    );

    // The client's call, and the A6 default.
    let a6 = s
        .photographer()
        .registration_card(&s.event, CardSize::A6)
        .await
        .unwrap();
    assert!(a6.contains("@page { size: A6;"));
    assert!(a6.contains(">ROSE42<"));
}

#[tokio::test]
async fn a_card_without_a_code_has_no_code_line_and_a_bad_size_is_refused() {
    let s = TestServer::start().await;
    let html = s
        .photographer()
        .registration_card(&s.event, CardSize::A6)
        .await
        .unwrap();
    assert!(!html.contains("Event code"), "{html}");
    let resp = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/events/{}/registration/card?size=letter",
            s.base, s.event
        ))
        .bearer_auth(&s.photographer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn only_the_events_photographer_gets_its_card() {
    let s = TestServer::start().await;
    let anonymous = reqwest::get(format!(
        "{}/api/v1/events/{}/registration/card",
        s.base, s.event
    ))
    .await
    .unwrap();
    assert_eq!(anonymous.status(), 401);

    let other = s.admin.create_event("Other", Some("ev2")).unwrap();
    let err = s
        .client(&other.photographer_token)
        .registration_card(&s.event, CardSize::A6)
        .await
        .unwrap_err();
    assert_eq!(status(&err), 403);

    let guest = s.participant("ada");
    let err = s
        .client(&guest)
        .registration_card(&s.event, CardSize::A6)
        .await
        .unwrap_err();
    assert_eq!(status(&err), 403);
}
