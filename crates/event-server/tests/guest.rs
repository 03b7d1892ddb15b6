//! The guests' pages over real HTTP: registration (open/closed, code, consent,
//! selfie checks), the cookie session, the personal link exchange, "my photos"
//! (list, images, zip), isolation between guests, withdrawal, rate limits.
//! The same flows in a real browser: tests/guest-browser (Chromium).

mod common;

use std::time::Duration;

use common::{push, TestServer};
use reqwest::header;
use reqwest::multipart::{Form, Part};
use reqwest::redirect::Policy;

fn demo_selfie(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../assets/demo/{name}.jpg",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Sets the registration of `ev1` straight in the database.
fn set_registration(s: &TestServer, open: bool, code: Option<&str>) {
    let update = findme_protocol::RegistrationUpdate {
        open: Some(open),
        code: Some(code.unwrap_or_default().into()),
        ..Default::default()
    };
    s.admin.set_registration("ev1", &update).unwrap();
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A browser without a cookie jar: the session cookie is carried by hand.
struct Guest {
    base: String,
    cookie: Option<String>,
}

impl Guest {
    fn new(s: &TestServer) -> Self {
        Self {
            base: s.base.clone(),
            cookie: None,
        }
    }

    fn form(name: &str, selfie: Vec<u8>, consent: bool, code: Option<&str>) -> Form {
        let mut form = Form::new()
            .text("name", name.to_string())
            .part("selfie", Part::bytes(selfie).file_name("me.jpg"));
        if consent {
            form = form.text("consent", "yes");
        }
        if let Some(code) = code {
            form = form.text("code", code.to_string());
        }
        form
    }

    async fn register(&mut self, form: Form) -> reqwest::Response {
        let resp = http()
            .post(format!("{}/e/ev1/register", self.base))
            .multipart(form)
            .send()
            .await
            .unwrap();
        if let Some(c) = resp.headers().get(header::SET_COOKIE) {
            let c = c.to_str().unwrap().to_string();
            self.cookie = Some(c.split(';').next().unwrap().to_string());
        }
        resp
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        let mut req = http().get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        req.send().await.unwrap()
    }

    async fn post(&self, path: &str, body: &'static str) -> reqwest::Response {
        let mut req = http()
            .post(format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        req.send().await.unwrap()
    }
}

/// The id of the only self-registered guest named `name`, from the roster the app pulls.
async fn roster_id(s: &TestServer, name: &str) -> (String, bool, Option<String>) {
    let page = s
        .photographer()
        .participants("ev1", Some("0"))
        .await
        .unwrap();
    let p = page
        .participants
        .iter()
        .rev()
        .find(|p| p.display_name == name)
        .unwrap_or_else(|| panic!("{name} not in the roster: {page:?}"));
    (p.id.clone(), p.deleted, p.selfie_url.clone())
}

#[tokio::test]
async fn a_guest_registers_sees_their_photos_and_withdraws() {
    let s = TestServer::start().await;
    set_registration(&s, true, None);
    let page = Guest::new(&s).get("/e/ev1").await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("<label for=\"name\">Name</label>"), "{html}");
    assert!(
        html.contains("capture=\"user\"") && !html.contains("Event code"),
        "{html}"
    );
    assert!(
        html.contains("on the photographer's own computer"),
        "{html}"
    );

    let mut ada = Guest::new(&s);
    let resp = ada
        .register(Guest::form("Ada <b>L</b>", demo_selfie("ada"), true, None))
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()[header::LOCATION], "/e/ev1/me");
    let set = resp.headers()[header::SET_COOKIE].to_str().unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/e/ev1"] {
        assert!(set.contains(attr), "{set}");
    }
    // The app sees the guest like any participant, with their selfie.
    let (id, deleted, selfie_url) = roster_id(&s, "Ada <b>L</b>").await;
    assert!(!deleted);
    let selfie_url = selfie_url.unwrap();
    let selfie = s.photographer().selfie(&selfie_url).await.unwrap();
    assert_eq!(selfie, demo_selfie("ada"));

    let me = ada.get("/e/ev1/me").await;
    assert_eq!(me.status(), 200);
    let html = me.text().await.unwrap();
    assert!(html.contains("Hello Ada &lt;b&gt;L&lt;/b&gt;"), "{html}");
    assert!(
        html.contains("Your photos appear here as the photographer finds you"),
        "{html}"
    );

    // The photographer pushes two photos; Ada is in one.
    let theirs = push(&s.photographer(), "ev1", 1, &[id.as_str()]).await;
    let other = push(&s.photographer(), "ev1", 2, &["someone"]).await;
    let list: serde_json::Value = ada.get("/e/ev1/me/photos.json").await.json().await.unwrap();
    let photos = list["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 1, "{list}");
    assert_eq!(photos[0]["sha256"], theirs.as_str());
    let grid = photos[0]["grid"].as_str().unwrap().to_string();
    assert!(!grid.contains("token") && !grid.contains("fma_"), "{grid}");

    // Images: by cookie, revalidated every time, never another's.
    let img = ada.get(&grid).await;
    assert_eq!(img.status(), 200);
    assert_eq!(img.headers()[header::CACHE_CONTROL], "private, no-cache");
    let etag = img.headers()[header::ETAG].to_str().unwrap().to_string();
    assert_eq!(img.bytes().await.unwrap().as_ref(), common::jpeg(1));
    let again = http()
        .get(format!("{}{grid}", s.base))
        .header(header::COOKIE, ada.cookie.clone().unwrap())
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(
        ada.get(&format!("/e/ev1/me/img/{other}")).await.status(),
        404
    );
    assert_eq!(Guest::new(&s).get(&grid).await.status(), 401);
    let download = ada.get(&format!("/e/ev1/me/img/{theirs}?download=1")).await;
    assert!(download.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment"));

    // All of them in one zip.
    let zip = ada.get("/e/ev1/me/photos.zip").await;
    assert_eq!(zip.status(), 200);
    let bytes = zip.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(archive.len(), 1);
    let mut entry = archive.by_index(0).unwrap();
    let mut content = Vec::new();
    std::io::Read::read_to_end(&mut entry, &mut content).unwrap();
    assert_eq!(content, common::jpeg(1));
    drop(entry);

    // Withdrawal: a confirmation first, then everything goes at once.
    let confirm = ada.post("/e/ev1/me/withdraw", "").await;
    assert!(confirm
        .text()
        .await
        .unwrap()
        .contains("Yes, delete my data"));
    let selfie_sha = findme_protocol::sha256_hex(&demo_selfie("ada"));
    assert!(s.image_stored(&selfie_sha));
    let done = ada.post("/e/ev1/me/withdraw", "confirm=yes").await;
    assert_eq!(done.status(), 200);
    assert!(done.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert!(
        !s.image_stored(&selfie_sha),
        "the selfie bytes are deleted at once"
    );
    assert_eq!(ada.get(&grid).await.status(), 401, "the session is gone");
    assert_eq!(ada.get("/e/ev1/me/photos.json").await.status(), 401);
    let (_, deleted, url) = roster_id(&s, "Ada <b>L</b>").await;
    assert!(
        deleted && url.is_none(),
        "the roster carries the tombstone the app acts on"
    );
    assert!(s.photographer().selfie(&selfie_url).await.is_err());
}

#[tokio::test]
async fn each_refusal_gets_its_message_and_stores_nothing() {
    let s = TestServer::start().await;
    let mut g = Guest::new(&s);
    let closed = g
        .register(Guest::form("Ben", demo_selfie("ben"), true, None))
        .await;
    assert_eq!(closed.status(), 403);
    assert!(closed
        .text()
        .await
        .unwrap()
        .contains("Registration for this event is closed"));

    set_registration(&s, true, Some("BLUE42"));
    let page = g.get("/e/ev1").await.text().await.unwrap();
    assert!(
        page.contains("<label for=\"code\">Event code</label>"),
        "{page}"
    );
    let cases: [(Form, u16, &str); 5] = [
        (
            Guest::form("Ben", demo_selfie("ben"), true, Some("RED")),
            403,
            "That event code is not right",
        ),
        (
            Guest::form("Ben", demo_selfie("ben"), false, Some("blue42")),
            400,
            "Please tick the box",
        ),
        (
            Guest::form(
                "Ben",
                b"%PDF-1.4 not a photo".to_vec(),
                true,
                Some("blue42"),
            ),
            415,
            "This file is not a photo we can use",
        ),
        (
            Guest::form("   ", demo_selfie("ben"), true, Some("blue42")),
            400,
            "Please type your name",
        ),
        (
            Guest::form(
                "Ben",
                demo_selfie("ben")[..300].to_vec(),
                true,
                Some("blue42"),
            ),
            415,
            "This file is not a photo we can use",
        ),
    ];
    for (form, status, message) in cases {
        let resp = g.register(form).await;
        assert_eq!(resp.status().as_u16(), status, "{message}");
        assert!(resp.headers().get(header::SET_COOKIE).is_none());
        let html = resp.text().await.unwrap();
        assert!(html.contains(message), "{message}: {html}");
        assert!(
            html.contains("value=\"Ben\"") || message.contains("name"),
            "the form keeps the name"
        );
    }
    let page = s
        .photographer()
        .participants("ev1", Some("0"))
        .await
        .unwrap();
    assert!(page.participants.is_empty(), "{page:?}");
    // The code is not case-sensitive, and the script's JSON answer has the link.
    let ok = http()
        .post(format!("{}/e/ev1/register", s.base))
        .header(header::ACCEPT, "application/json")
        .multipart(Guest::form("Ben", demo_selfie("ben"), true, Some("blue42")))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let answer: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(answer["me"], "/e/ev1/me");
    assert!(answer["link_path"]
        .as_str()
        .unwrap()
        .starts_with("/e/ev1/me?k=fma_"));
}

#[tokio::test]
async fn a_personal_link_becomes_a_cookie_and_leaves_the_address_bar() {
    let s = TestServer::start().await;
    let token = s.participant("ada");
    let k = push(&s.photographer(), "ev1", 1, &["ada"]).await;
    for link in [format!("/e/ev1/me?k={token}"), format!("/?token={token}")] {
        let resp = Guest::new(&s).get(&link).await;
        assert_eq!(resp.status(), 303, "{link}");
        assert_eq!(resp.headers()[header::LOCATION], "/e/ev1/me");
        let cookie = resp.headers()[header::SET_COOKIE].to_str().unwrap();
        let mut g = Guest::new(&s);
        g.cookie = Some(cookie.split(';').next().unwrap().to_string());
        let html = g.get("/e/ev1/me").await.text().await.unwrap();
        assert!(
            html.contains(&format!("/e/ev1/me/img/{k}?size=grid")),
            "{html}"
        );
        assert!(
            !html.contains(&token),
            "no token in the page or its image URLs"
        );
    }
    for bad in ["/e/ev1/me?k=fma_nope", "/?token=nope"] {
        assert_eq!(Guest::new(&s).get(bad).await.status(), 401, "{bad}");
    }
    // Another event's link does not open this one.
    s.admin.create_event("Other", Some("ev2")).unwrap();
    assert_eq!(
        Guest::new(&s)
            .get(&format!("/e/ev2/me?k={token}"))
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn a_registration_flood_is_refused_while_pushes_go_on() {
    let s = TestServer::start_with(|c| c.registrations_per_minute = 6).await;
    set_registration(&s, true, None);
    let selfie = demo_selfie("chloe");
    let photographer = s.photographer();
    let pushes = tokio::spawn(async move {
        for n in 0..40 {
            push(&photographer, "ev1", n, &["x"]).await;
        }
    });
    let mut statuses = Vec::new();
    for i in 0..60 {
        let mut g = Guest::new(&s);
        let resp = g
            .register(Guest::form(&format!("Bot {i}"), selfie.clone(), true, None))
            .await;
        statuses.push(resp.status().as_u16());
    }
    pushes.await.unwrap();
    let accepted = statuses.iter().filter(|s| **s == 303).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(accepted + refused, 60, "{statuses:?}");
    assert!(
        (2..=4).contains(&accepted),
        "burst of 2 plus refill: {statuses:?}"
    );
    let stats = s.photographer().stats("ev1").await.unwrap();
    assert_eq!(stats.photos, 40, "every push landed");
}
