use std::sync::Mutex;

use super::*;

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// Answers from a fixed table and records every call, so the tests can check that
/// nothing unvalidated ever reaches the engine.
#[derive(Default)]
struct Fake {
    calls: Mutex<Vec<(String, RenditionKind)>>,
}

impl RenditionSource for Fake {
    fn rendition(
        &self,
        key: &PhotoKey,
        kind: RenditionKind,
    ) -> impl Future<Output = Result<Vec<u8>, RenditionError>> + Send {
        self.calls
            .lock()
            .expect("calls lock")
            .push((key.to_string(), kind));
        let answer = match key.as_str() {
            SHA => Ok(b"\xff\xd8jpeg\xff\xd9".to_vec()),
            s if s.starts_with("00") => Err(RenditionError::Internal("disk on fire".into())),
            _ => Err(RenditionError::NotFound("no such photo".into())),
        };
        async move { answer }
    }

    fn selfie(
        &self,
        event: &EventId,
        participant: &ParticipantId,
    ) -> impl Future<Output = Result<Vec<u8>, RenditionError>> + Send {
        self.calls.lock().expect("calls lock").push((
            format!("selfie {event}/{participant}"),
            RenditionKind::Thumb,
        ));
        let answer = match participant.as_str() {
            "anna" => Ok(b"\xff\xd8selfie\xff\xd9".to_vec()),
            _ => Err(RenditionError::NotFound(
                "no participant with a selfie".into(),
            )),
        };
        async move { answer }
    }
}

fn get(uri: &str) -> Request<Vec<u8>> {
    Request::builder()
        .method(Method::GET)
        .uri(uri)
        .body(Vec::new())
        .expect("valid test request")
}

async fn status_of(fake: &Fake, uri: &str) -> StatusCode {
    respond(fake, &get(uri)).await.status()
}

#[tokio::test]
async fn serves_a_thumbnail_as_an_immutable_jpeg() {
    let fake = Fake::default();
    let response = respond(&fake, &get(&format!("thumb://localhost/{SHA}/thumb"))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response.body(), b"\xff\xd8jpeg\xff\xd9");
    assert_eq!(
        *fake.calls.lock().unwrap(),
        vec![(SHA.to_owned(), RenditionKind::Thumb)]
    );
}

#[tokio::test]
async fn serves_previews_and_the_windows_url_form() {
    let fake = Fake::default();
    let preview = format!("http://thumb.localhost/{SHA}/preview");
    assert_eq!(status_of(&fake, &preview).await, StatusCode::OK);
    assert_eq!(
        *fake.calls.lock().unwrap(),
        vec![(SHA.to_owned(), RenditionKind::Preview)]
    );
}

#[tokio::test]
async fn maps_engine_errors_to_statuses() {
    let fake = Fake::default();
    let missing = "a".repeat(64);
    let broken = format!("00{}", "b".repeat(62));
    assert_eq!(
        status_of(&fake, &format!("thumb://localhost/{missing}/thumb")).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status_of(&fake, &format!("thumb://localhost/{broken}/preview")).await,
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

#[tokio::test]
async fn refuses_other_methods() {
    let fake = Fake::default();
    for method in [Method::POST, Method::PUT, Method::DELETE, Method::HEAD] {
        let request = Request::builder()
            .method(method.clone())
            .uri(format!("thumb://localhost/{SHA}/thumb"))
            .body(Vec::<u8>::new())
            .unwrap();
        let response = respond(&fake, &request).await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
        assert_eq!(response.headers()[header::ALLOW], "GET");
    }
    assert!(fake.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn refuses_traversal_and_malformed_uris_without_asking_the_engine() {
    let fake = Fake::default();
    let upper = SHA.to_uppercase();
    let short = &SHA[..63];
    let long = format!("{SHA}0");
    let uris = [
        "thumb://localhost/../../etc/passwd".to_owned(),
        "thumb://localhost/etc/passwd".to_owned(),
        "thumb://localhost//etc/passwd".to_owned(),
        "thumb://localhost/%2e%2e%2f%2e%2e%2fetc%2fpasswd".to_owned(),
        format!("thumb://localhost/{SHA}%2Fthumb"),
        format!("thumb://localhost/{SHA}%2fthumb"),
        format!("thumb://localhost/..%5c..%5c{SHA}/thumb"),
        format!("thumb://localhost/{SHA}/..%5cthumb"),
        format!("thumb://localhost/{SHA}/../thumb"),
        format!("thumb://localhost/../{SHA}/thumb"),
        format!("thumb://localhost/{SHA}/./thumb"),
        format!("thumb://localhost//{SHA}/thumb"),
        format!("thumb://localhost/{SHA}//thumb"),
        format!("thumb://localhost/{SHA}/thumb/"),
        format!("thumb://localhost/{SHA}/thumb/extra"),
        format!("thumb://localhost/{SHA}"),
        format!("thumb://localhost/{SHA}/"),
        "thumb://localhost/".to_owned(),
        format!("thumb://localhost/{upper}/thumb"),
        format!("thumb://localhost/{short}/thumb"),
        format!("thumb://localhost/{long}/thumb"),
        format!("thumb://localhost/{}/thumb", "g".repeat(64)),
        format!("thumb://localhost/{SHA}/original"),
        format!("thumb://localhost/{SHA}/THUMB"),
        format!("thumb://localhost/{SHA}/thumb?size=9999"),
        format!("thumb://localhost/{SHA}/thumb?"),
        format!("thumb://localhost/{SHA}/%74humb"),
        format!("thumb://localhost/%39{}/thumb", &SHA[1..]),
        format!("http://thumb.localhost/{SHA}/../../etc/passwd"),
    ];
    for uri in &uris {
        let status = status_of(&fake, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
    }
    assert!(
        fake.calls.lock().unwrap().is_empty(),
        "the engine was asked about {:?}",
        fake.calls.lock().unwrap()
    );
}

#[test]
fn path_parser_refuses_what_no_uri_parser_lets_through() {
    for path in [
        format!("/..\\..\\{SHA}\\thumb"),
        format!("/{SHA}\\thumb"),
        format!("\\{SHA}/thumb"),
        format!("{SHA}/thumb"),
        "/etc/passwd".to_owned(),
        "//etc/passwd".to_owned(),
        "/../../etc/passwd".to_owned(),
        format!("/{SHA}/thumb\0"),
        format!("/{SHA} /thumb"),
        String::new(),
    ] {
        assert!(
            matches!(parse_path(&path), Err(Refusal::Malformed(_))),
            "{path:?}"
        );
    }
    assert_eq!(
        parse_path(&format!("/{SHA}/preview")),
        Ok(Wanted::Rendition {
            key: PhotoKey::parse(SHA).expect("a key"),
            kind: RenditionKind::Preview
        })
    );
}

/// A selfie is served by event and participant id, parsed by their rules, and
/// never cached; anything else under /selfie/ never reaches the engine.
#[tokio::test]
async fn serves_selfies_by_ids_and_refuses_anything_else() {
    let fake = Fake::default();
    let response = respond(&fake, &get("thumb://localhost/selfie/gala-1/anna")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    assert_eq!(response.body(), b"\xff\xd8selfie\xff\xd9");
    assert_eq!(
        status_of(&fake, "thumb://localhost/selfie/gala-1/ben").await,
        StatusCode::NOT_FOUND
    );
    let asked = fake.calls.lock().unwrap().len();
    for uri in [
        "thumb://localhost/selfie/gala-1",
        "thumb://localhost/selfie/gala-1/anna/x",
        "thumb://localhost/selfie/gala-1/",
        "thumb://localhost/selfie//anna",
        "thumb://localhost/selfie/../anna",
        "thumb://localhost/selfie/gala.1/anna",
        "thumb://localhost/selfie/gala-1/an%2fna",
        "thumb://localhost/selfie/gala-1/anna?x=1",
        "thumb://localhost/selfie",
    ] {
        assert_eq!(
            status_of(&fake, uri).await,
            StatusCode::BAD_REQUEST,
            "{uri}"
        );
    }
    assert_eq!(fake.calls.lock().unwrap().len(), asked);
}

/// The real engine behind the protocol: a photo is served; a symlink planted in
/// the cache (for that photo, or for a hash the catalog doesn't know) never leaks
/// the file it points to.
mod with_engine {
    use std::path::{Path, PathBuf};

    use findme_engine::{EngineConfig, TileQuery};

    use super::*;

    const TINY_JPEG: &[u8] = include_bytes!("testdata/tiny.jpg");
    const SECRET: &[u8] = b"root:x:0:0:not-a-thumbnail\n";

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let dir = std::env::temp_dir().join(format!(
                "findme-studio-{name}-{}-{nanos}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir).expect("temp dir");
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn find(dir: &Path, name: &str) -> Option<PathBuf> {
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            let path = entry.path();
            if entry.file_name().to_string_lossy() == name {
                return Some(path);
            }
            if entry.file_type().ok()?.is_dir() {
                if let Some(found) = find(&path, name) {
                    return Some(found);
                }
            }
        }
        None
    }

    fn assert_no_leak(response: &Response<Vec<u8>>) {
        let body = response.body();
        assert!(
            !body.windows(SECRET.len()).any(|w| w == SECRET),
            "the symlink target leaked"
        );
        if response.status() == StatusCode::OK {
            assert_eq!(&body[..2], b"\xff\xd8", "200 only for a JPEG");
        } else {
            assert!(
                response.status() == StatusCode::NOT_FOUND
                    || response.status() == StatusCode::INTERNAL_SERVER_ERROR,
                "{}",
                response.status()
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn symlinks_in_the_cache_never_leak_their_target() {
        let root = TempDir::new("protocol");
        let photos = root.0.join("photos");
        std::fs::create_dir_all(&photos).unwrap();
        std::fs::write(photos.join("tiny.jpg"), TINY_JPEG).unwrap();
        let secret = root.0.join("secret.txt");
        std::fs::write(&secret, SECRET).unwrap();
        let data = root.0.join("data");
        let engine = Engine::open(EngineConfig::new(&data))
            .await
            .expect("engine");
        let report = engine.import(vec![photos]).await.expect("import");
        assert_eq!(report.imported, 1, "{report:?}");
        let page = engine.tiles(TileQuery::default()).await.expect("tiles");
        let sha = page.tiles[0].sha256.clone();

        let uri = format!("thumb://localhost/{sha}/thumb");
        let first = respond(&engine, &get(&uri)).await;
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(&first.body()[..2], b"\xff\xd8");

        // Replace the cached thumbnail with a symlink to another file.
        let cached = find(&data, &format!("{sha}.thumb.jpg")).expect("the thumbnail is cached");
        std::fs::remove_file(&cached).unwrap();
        std::os::unix::fs::symlink(&secret, &cached).unwrap();
        assert_no_leak(&respond(&engine, &get(&uri)).await);
        assert_no_leak(&respond(&engine, &get(&uri)).await);

        // A valid-looking hash the catalog doesn't know, with a link where its
        // thumbnail would be.
        let unknown = "e".repeat(64);
        let planted = cached
            .parent()
            .and_then(Path::parent)
            .expect("cache root")
            .join(&unknown[..2])
            .join(format!("{unknown}.thumb.jpg"));
        std::fs::create_dir_all(planted.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&secret, &planted).unwrap();
        let response = respond(&engine, &get(&format!("thumb://localhost/{unknown}/thumb"))).await;
        assert_no_leak(&response);
        assert_ne!(response.status(), StatusCode::OK);

        engine.shutdown().await;
    }
}
