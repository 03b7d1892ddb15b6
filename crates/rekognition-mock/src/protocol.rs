//! HTTP front: the AWS JSON 1.1 envelope (`POST /`, `X-Amz-Target`, SigV4 header present)
//! and the admin endpoints under `/__admin/`.
//!
//! Order per call, as on AWS: target → authentication → (latency) → throttling → faults →
//! the operation → (stall). Injected faults happen *before* the operation (no side
//! effect); a stall happens *after* it (the side effect is there, the answer is late).

use crate::error::{ApiError, ErrorKind};
use crate::knobs::{MockConfig, Stats};
use crate::ops;
use crate::App;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use std::time::Duration;

/// Largest request body read (base64 inflates a 5 MB image to ~6.7 MB; the headroom lets
/// `max_image_bytes` be raised and still answer ImageTooLargeException past it).
const MAX_BODY: usize = 64 * 1024 * 1024;

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", post(rekognition).fallback(fallback))
        .route("/__admin/config", get(get_config).post(post_config))
        .route("/__admin/stats", get(get_stats))
        .route("/__admin/reset", post(reset))
        .route("/__admin/reset-stats", post(reset_stats))
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

/// Sleeps, but wakes early when the server shuts down (so stalls never block shutdown).
async fn pause(app: &App, d: Duration) {
    if d.is_zero() {
        return;
    }
    let mut closing = app.closing.clone();
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = closing.wait_for(|c| *c) => {}
    }
}

/// Region from the SigV4 credential scope (`Credential=AKID/DATE/REGION/rekognition/...`).
fn region(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(2))
        .filter(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or("us-east-1")
        .to_string()
}

async fn rekognition(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request_id = app.next_request_id();
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let op = target
        .strip_prefix("RekognitionService.")
        .filter(|op| ops::OPERATIONS.contains(op));
    app.knobs.count_call(op.unwrap_or("Unknown"));

    let result = match (op, body) {
        (None, _) => Err(ops::unknown_operation(target)),
        (Some(_), Err(e)) => Err(ApiError::new(
            ErrorKind::RequestEntityTooLarge,
            format!("Request body rejected: {e}"),
        )),
        (Some(op), Ok(body)) => call(&app, op, &headers, &body).await,
    };
    match result {
        Ok(value) => {
            let mut resp = (StatusCode::OK, value.to_string()).into_response();
            let h = resp.headers_mut();
            h.insert(
                "content-type",
                HeaderValue::from_static("application/x-amz-json-1.1"),
            );
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                h.insert("x-amzn-RequestId", v);
            }
            resp
        }
        Err(e) => {
            tracing::debug!(error = %e, "answering with an error");
            app.knobs.count_error(e.kind);
            e.into_response_with_id(&request_id)
        }
    }
}

async fn call(
    app: &Arc<App>,
    op: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Value, ApiError> {
    if !headers.contains_key("authorization") {
        return Err(ApiError::new(
            ErrorKind::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        ));
    }
    app.knobs.credentials()?;
    pause(app, app.knobs.latency()).await;
    let plan = app.knobs.plan();
    if let Some(fault) = plan.fault {
        return Err(fault);
    }
    let result = ops::dispatch(app, op, body, &region(headers)).await;
    if let Some(stall) = plan.stall {
        pause(app, stall).await;
    }
    result
}

fn admin_json<T: serde::Serialize>(v: &T) -> Response {
    match serde_json::to_string(v) {
        Ok(s) => (StatusCode::OK, [("content-type", "application/json")], s).into_response(),
        Err(e) => admin_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

fn admin_error(status: StatusCode, msg: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        serde_json::json!({ "error": msg }).to_string(),
    )
        .into_response()
}

async fn get_config(State(app): State<Arc<App>>) -> Response {
    admin_json::<MockConfig>(&app.knobs.config())
}

/// `POST /__admin/config` with a partial config; answers the config now in force.
async fn post_config(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let patch: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return admin_error(StatusCode::BAD_REQUEST, &format!("invalid JSON: {e}")),
    };
    match app.knobs.config().patched(patch) {
        Ok(cfg) => {
            tracing::info!(?cfg, "config changed");
            app.knobs.set_config(cfg.clone());
            admin_json(&cfg)
        }
        Err(e) => admin_error(StatusCode::BAD_REQUEST, &e),
    }
}

async fn get_stats(State(app): State<Arc<App>>) -> Response {
    admin_json::<Stats>(&app.stats())
}

/// Forgets every collection and the stats (config stays).
async fn reset(State(app): State<Arc<App>>) -> Response {
    app.store.clear();
    app.knobs.reset_stats();
    admin_json(&serde_json::json!({"ok": true}))
}

async fn reset_stats(State(app): State<Arc<App>>) -> Response {
    app.knobs.reset_stats();
    admin_json(&serde_json::json!({"ok": true}))
}

/// Any other path or method: AWS answers such requests with an error too.
async fn fallback(State(app): State<Arc<App>>) -> Response {
    let e = ApiError::new(ErrorKind::UnknownOperation, "Unsupported path or method");
    app.knobs.count_error(e.kind);
    e.into_response_with_id(&app.next_request_id())
}
