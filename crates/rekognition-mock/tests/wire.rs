//! The raw wire, without the SDK: what malformed or unauthenticated requests get, the
//! error envelope itself, and the admin endpoints.

use findme_rekognition_mock::{start, MockConfig, MockServer};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request on a fresh connection.
async fn send(
    server: &MockServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let body = serde_json::from_str(body).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

const AUTH: (&str, &str) = (
    "authorization",
    "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/rekognition/aws4_request, SignedHeaders=host, Signature=00",
);
const JSON: (&str, &str) = ("content-type", "application/x-amz-json-1.1");

async fn rpc(server: &MockServer, op: &str, body: &str) -> Answer {
    let target = format!("RekognitionService.{op}");
    send(
        server,
        "POST",
        "/",
        &[AUTH, JSON, ("x-amz-target", &target)],
        body.as_bytes(),
    )
    .await
}

fn error_type(a: &Answer) -> &str {
    a.body["__type"].as_str().unwrap_or("")
}

#[tokio::test]
async fn malformed_requests_get_aws_errors_and_the_server_survives() {
    let server = start(MockConfig::default()).await;

    let a = rpc(&server, "CreateCollection", "{not json").await;
    assert_eq!(a.status, 400);
    assert!(
        error_type(&a).ends_with("#SerializationException"),
        "{:?}",
        a.body
    );
    assert_eq!(a.header("x-amzn-errortype"), Some("SerializationException"));
    assert_eq!(a.header("content-type"), Some("application/x-amz-json-1.1"));
    assert!(a.header("x-amzn-requestid").is_some());

    let a = rpc(&server, "CreateCollection", "[1, 2]").await;
    assert!(error_type(&a).ends_with("SerializationException"));
    let a = rpc(
        &server,
        "IndexFaces",
        r#"{"CollectionId": "c", "MaxFaces": "many"}"#,
    )
    .await;
    assert!(error_type(&a).ends_with("SerializationException"));
    let a = rpc(
        &server,
        "DetectFaces",
        r#"{"Image": {"Bytes": "!!!not base64!!!"}}"#,
    )
    .await;
    assert!(error_type(&a).ends_with("SerializationException"));
    let a = rpc(&server, "CreateCollection", "{}").await;
    assert!(
        error_type(&a).ends_with("ValidationException"),
        "missing CollectionId"
    );
    let a = rpc(
        &server,
        "DetectFaces",
        r#"{"Image": {"Bytes": "aGVsbG8="}}"#,
    )
    .await;
    assert_eq!(
        (a.status, error_type(&a)),
        (400, "InvalidImageFormatException")
    );
    assert_eq!(a.body["Code"], "InvalidImageFormatException");
    assert!(a.body["Message"].is_string() && a.body["Logref"].is_string());

    let a = rpc(&server, "StartFaceSearch", "{}").await;
    assert!(error_type(&a).ends_with("UnknownOperationException"));
    let a = send(&server, "GET", "/", &[], b"").await;
    assert_eq!(a.status, 400);

    // Garbage on the socket does not take the server down.
    let mut s = TcpStream::connect(server.addr()).await.unwrap();
    s.write_all(b"\x00\x01\x02 garbage\r\n\r\n").await.unwrap();
    drop(s);

    // Unknown fields are ignored, as AWS does.
    let a = rpc(
        &server,
        "CreateCollection",
        r#"{"CollectionId": "ok", "Tags": {"a": "b"}, "Future": 1}"#,
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["StatusCode"], 200);
    let stats = server.stats();
    assert_eq!(stats.calls["CreateCollection"], 4);
    assert_eq!(stats.errors["SerializationException"], 4);
    server.shutdown().await;
}

#[tokio::test]
async fn unsigned_requests_are_refused() {
    let server = start(MockConfig::default()).await;
    let a = send(
        &server,
        "POST",
        "/",
        &[JSON, ("x-amz-target", "RekognitionService.ListCollections")],
        b"{}",
    )
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.header("x-amzn-errortype"),
        Some("MissingAuthenticationTokenException")
    );
    assert!(error_type(&a).ends_with("MissingAuthenticationTokenException"));
    assert!(a.body["message"].is_string());
    server.shutdown().await;
}

#[tokio::test]
async fn admin_endpoints_set_knobs_and_report_stats() {
    let server = start(MockConfig::default()).await;
    let a = send(
        &server,
        "POST",
        "/__admin/config",
        &[],
        br#"{"tps": 3, "reject_credentials": "unrecognized_client"}"#,
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["tps"], 3.0);
    assert_eq!(server.config().tps, 3.0);

    let a = rpc(&server, "ListCollections", "{}").await;
    assert_eq!(
        (a.status, error_type(&a)),
        (403, "com.amazon.coral.service#UnrecognizedClientException")
    );

    let a = send(
        &server,
        "POST",
        "/__admin/config",
        &[],
        br#"{"reject_credentials": false, "latency_ms": 1}"#,
    )
    .await;
    assert_eq!(a.body["reject_credentials"], "off");
    assert_eq!(
        rpc(&server, "CreateCollection", r#"{"CollectionId":"c"}"#)
            .await
            .status,
        200
    );

    let a = send(&server, "POST", "/__admin/config", &[], br#"{"tsp": 3}"#).await;
    assert_eq!(a.status, 400, "typos are refused");
    let a = send(&server, "POST", "/__admin/config", &[], b"nope").await;
    assert_eq!(a.status, 400);

    let a = send(&server, "GET", "/__admin/stats", &[], b"").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["total_calls"], 2);
    assert_eq!(a.body["calls"]["ListCollections"], 1);
    assert_eq!(a.body["credentials_rejected"], 1);
    assert_eq!(a.body["faces_per_collection"]["c"], 0);
    let a = send(&server, "GET", "/__admin/config", &[], b"").await;
    assert_eq!(a.body["latency_ms"], 1);

    let a = send(&server, "POST", "/__admin/reset", &[], b"").await;
    assert_eq!(a.status, 200);
    assert!(server.collections().is_empty());
    assert_eq!(server.stats().total_calls, 0);
    server.shutdown().await;
}
