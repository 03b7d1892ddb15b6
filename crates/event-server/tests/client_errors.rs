//! EventClient error classification against tiny misbehaving servers.

use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, put};
use findme_protocol::{paths, ClientError, EventClient, GridOutcome, Token};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SECRET: &str = "fmp_this-secret-must-never-show-up";

fn client(base: &str, timeout: Duration) -> EventClient {
    EventClient::with_timeouts(base, Token::new(SECRET), timeout, Duration::from_secs(2)).unwrap()
}

/// Every error message and debug form is free of the token.
fn no_secret(e: &ClientError) {
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(SECRET), "token leaked: {shown}");
}

/// Answers `/api/v1/events/{status}` with that status and an error body.
async fn status_server() -> String {
    let app = axum::Router::new().route(
        "/api/v1/events/{event}",
        get(|Path(event): Path<String>| async move {
            let code: u16 = event.trim_start_matches('s').parse().unwrap_or(500);
            let status = StatusCode::from_u16(code).unwrap();
            match code {
                503 => (
                    status,
                    [("retry-after", "7")],
                    "{\"error\":\"maintenance\"}",
                )
                    .into_response(),
                404 => (status, "plain text not found").into_response(),
                200 => (status, "this is not json").into_response(),
                _ => (status, format!("{{\"error\":\"server says {code}\"}}")).into_response(),
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

#[tokio::test]
async fn statuses_are_classified_with_the_servers_message() {
    let base = status_server().await;
    let c = client(&base, Duration::from_secs(10));
    let err = c.event_info("s503").await.unwrap_err();
    match &err {
        ClientError::Retryable {
            status,
            retry_after,
            reason,
        } => {
            assert_eq!(*status, Some(503));
            assert_eq!(*retry_after, Some(Duration::from_secs(7)));
            assert!(reason.contains("maintenance"), "{reason}");
        }
        other => panic!("503 -> {other:?}"),
    }
    for code in [500u16, 502, 408, 429] {
        let e = c.event_info(&format!("s{code}")).await.unwrap_err();
        assert!(e.is_retryable(), "{code} -> {e:?}");
        no_secret(&e);
    }
    for code in [401u16, 403] {
        let e = c.event_info(&format!("s{code}")).await.unwrap_err();
        assert!(
            matches!(&e, ClientError::Unauthorized { status, .. } if *status == code),
            "{e:?}"
        );
        no_secret(&e);
    }
    for code in [400u16, 413, 415, 422] {
        let e = c.event_info(&format!("s{code}")).await.unwrap_err();
        match &e {
            ClientError::Rejected { status, message } => {
                assert_eq!(*status, code);
                assert_eq!(message, &format!("server says {code}"));
            }
            other => panic!("{code} -> {other:?}"),
        }
    }
    let e = c.event_info("s404").await.unwrap_err();
    assert!(
        matches!(&e, ClientError::Rejected { status: 404, message } if message == "plain text not found"),
        "{e:?}"
    );
    let e = c.event_info("s200").await.unwrap_err();
    assert!(matches!(e, ClientError::Protocol(_)), "{e:?}");
}

/// A v1 server from before the grid rendition: it knows the web image PUT, and
/// its fallback answers 404 to everything else, like the reference server's.
async fn old_server() -> String {
    let app = axum::Router::new()
        .route(
            paths::PHOTO_IMAGE,
            put(|Path((_, sha)): Path<(String, String)>| async move {
                let body =
                    format!("{{\"sha256\":\"{sha}\",\"image_sha256\":\"{sha}\",\"created\":true}}");
                (StatusCode::CREATED, body)
            }),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "{\"error\":\"no such endpoint\"}") });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

#[tokio::test]
async fn an_old_servers_404_for_the_grid_is_unsupported_not_an_error() {
    let c = client(&old_server().await, Duration::from_secs(10));
    let sha = "a".repeat(64);
    assert!(
        c.put_image("ev1", &sha, vec![0xFF, 0xD8, 0xFF])
            .await
            .unwrap()
            .created
    );
    let outcome = c.put_grid_image("ev1", &sha, vec![0xFF, 0xD8, 0xFF]).await;
    assert!(
        matches!(outcome, Ok(GridOutcome::Unsupported)),
        "{outcome:?}"
    );
    // Any other refusal of the grid stays an error, classified as usual.
    let strict = axum::Router::new().route(
        paths::PHOTO_GRID_IMAGE,
        put(|| async { (StatusCode::UNSUPPORTED_MEDIA_TYPE, "{\"error\":\"no\"}") }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let strict_base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, strict).await.unwrap() });
    let e = client(&strict_base, Duration::from_secs(10))
        .put_grid_image("ev1", &sha, vec![1])
        .await
        .unwrap_err();
    assert!(
        matches!(e, ClientError::Rejected { status: 415, .. }),
        "{e:?}"
    );
    // A server that is down is retryable, not "unsupported".
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let down = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let e = client(&down, Duration::from_secs(2))
        .put_grid_image("ev1", &sha, vec![1])
        .await
        .unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
}

#[tokio::test]
async fn a_stalled_server_times_out_as_retryable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // Accept and hold connections without ever answering.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let c = client(&base, Duration::from_millis(300));
    let start = Instant::now();
    let e = c.event_info("ev1").await.unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
    assert!(format!("{e}").contains("timed out"), "{e}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "timeout not applied"
    );
    no_secret(&e);
}

/// Serves one connection: reads the request head, sends headers promising 1000
/// bytes and a few of them, then closes — with an RST if `reset`.
async fn cut_short_server(reset: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match sock.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\":\"ev1\",")
                .await;
            let _ = sock.flush().await;
            if reset {
                let _ = sock.set_zero_linger();
            }
            drop(sock);
        }
    });
    base
}

#[tokio::test]
async fn a_connection_reset_mid_body_is_retryable() {
    let c = client(&cut_short_server(true).await, Duration::from_secs(10));
    let e = c.event_info("ev1").await.unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
    no_secret(&e);
    let e = c.photo_image(&"a".repeat(64)).await.unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
}

#[tokio::test]
async fn a_body_cut_short_is_retryable() {
    let c = client(&cut_short_server(false).await, Duration::from_secs(10));
    let e = c.event_info("ev1").await.unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
    assert!(format!("{e}").contains("connection lost"), "{e}");
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let e = client(&base, Duration::from_secs(5))
        .stats("ev1")
        .await
        .unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
    assert!(format!("{e}").contains("could not connect"), "{e}");
    no_secret(&e);
}

#[tokio::test]
async fn invalid_requests_are_never_sent() {
    let c = client("http://127.0.0.1:9", Duration::from_secs(1));
    assert!(matches!(
        c.put_image("ev1", "../x", vec![1]).await,
        Err(ClientError::Invalid(_))
    ));
    assert!(matches!(
        c.event_info("a/b").await,
        Err(ClientError::Invalid(_))
    ));
    assert!(matches!(
        c.selfie("http://elsewhere.example/selfie").await,
        Err(ClientError::Invalid(_))
    ));
    assert!(matches!(
        c.participants("ev1", Some("1&x=2")).await,
        Err(ClientError::Invalid(_))
    ));
}
