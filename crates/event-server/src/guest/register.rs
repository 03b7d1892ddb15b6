//! `GET /e/{event}` (the registration page) and `POST /e/{event}/register`.
//!
//! The page's script downscales the selfie to ≤ 1600 px and posts the same form
//! with `Accept: application/json`; without script the browser posts the form and
//! follows the 303. Both get the same checks and the same messages.

use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use findme_protocol::{is_valid_id, sha256_hex};

use super::limit::Limit;
use super::pages::{self, FormState};
use super::selfie::{check_selfie, SelfieRefusal, MAX_SELFIE_BYTES};
use super::store::EventPage;
use super::{html, session_cookie, set_session_cookie, wants_json, ClientAddr};
use crate::error::ApiError;
use crate::extract::Params;
use crate::store::NewImage;
use crate::AppState;

/// Loads the event's page data; a 404 page for an unknown or malformed id.
pub(super) async fn load_event(st: &AppState, event: &str) -> Result<EventPage, Response> {
    let not_found = || {
        html(
            StatusCode::NOT_FOUND,
            pages::message(
                "No such event",
                "Check the QR code or the link you were given.",
            ),
        )
    };
    if !is_valid_id(event) {
        return Err(not_found());
    }
    match st.meta.event_page(event).await {
        Ok(Some(ev)) => Ok(ev),
        Ok(None) => Err(not_found()),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

/// `GET /e/{event}`.
pub async fn page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Params(event): Params<String>,
) -> Response {
    let ev = match load_event(&st, &event).await {
        Ok(ev) => ev,
        Err(resp) => return resp,
    };
    let registered = match session_cookie(&headers) {
        Some(cookie) => {
            matches!(
                st.meta.session_participant(&event, &cookie).await,
                Ok(Some(_))
            )
        }
        None => false,
    };
    html(
        StatusCode::OK,
        pages::registration(&ev, &FormState::default(), registered),
    )
}

/// A refusal: the form again with the message, or `{"error"}` for the script.
struct Refusal {
    status: StatusCode,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl From<SelfieRefusal> for Refusal {
    fn from(r: SelfieRefusal) -> Self {
        let status = match r {
            SelfieRefusal::NotAnImage => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            SelfieRefusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(status, r.to_string())
    }
}

/// The form's fields.
#[derive(Default)]
struct Form {
    name: String,
    selfie: Vec<u8>,
    selfie_too_large: bool,
    code: String,
    consent: bool,
}

async fn read_form(mut multipart: Multipart) -> Result<Form, Refusal> {
    let unreadable = |_| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "The form did not arrive completely. Please try again.",
        )
    };
    let mut form = Form::default();
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or_default() {
            "selfie" => {
                // Read on past the limit (the route's body limit bounds it) so the
                // browser gets this answer instead of a reset connection.
                while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                    if form.selfie.len() + chunk.len() > MAX_SELFIE_BYTES {
                        form.selfie_too_large = true;
                    } else {
                        form.selfie.extend_from_slice(&chunk);
                    }
                }
            }
            name @ ("name" | "code" | "consent") => {
                let name = name.to_string();
                let text = field.text().await.map_err(unreadable)?;
                match name.as_str() {
                    "name" => form.name = text,
                    "code" => form.code = text,
                    _ => form.consent = text == "yes" || text == "on",
                }
            }
            _ => {}
        }
    }
    Ok(form)
}

/// A display name: trimmed, control characters dropped, at most 80 characters.
fn clean_name(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(80)
        .collect()
}

/// `POST /e/{event}/register`.
pub async fn submit(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Params(event): Params<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let json = wants_json(&headers);
    if !st.guest_limits.allow(&st.meta, Limit::Register, addr).await {
        let r = Refusal::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-ups from your network right now. Please wait a minute and try again.",
        );
        // The body is not read: say the connection ends here, so no client
        // reuses it for its next request.
        let mut resp = refuse(None, &FormState::default(), r, json);
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return resp;
    }
    let ev = match load_event(&st, &event).await {
        Ok(ev) => ev,
        Err(resp) => return resp,
    };
    let mut state = FormState::default();
    match register(&st, &ev, &headers, multipart, &mut state).await {
        Ok(done) => accepted(&ev, done, json),
        Err(r) => refuse(Some(&ev), &state, r, json),
    }
}

async fn register(
    st: &AppState,
    ev: &EventPage,
    headers: &HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
    state: &mut FormState,
) -> Result<super::store::Registered, Refusal> {
    if !super::same_origin(headers) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "Please register on the event's own page.",
        ));
    }
    if !ev.open {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "Registration for this event is closed. Please ask the photographer.",
        ));
    }
    let multipart = multipart.map_err(|_| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "Please fill in the form and send it again.",
        )
    })?;
    let form = read_form(multipart).await?;
    let name = clean_name(&form.name);
    state.name = name.clone();
    if name.is_empty() {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "Please type your name.",
        ));
    }
    if !form.consent {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "Please tick the box to agree, so that we can look for you in the photos.",
        ));
    }
    if let Some(code) = &ev.code {
        if !form.code.trim().eq_ignore_ascii_case(code) {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "That event code is not right. It is printed under the QR code.",
            ));
        }
    }
    if form.selfie_too_large {
        return Err(SelfieRefusal::TooLarge.into());
    }
    let ctype = check_selfie(&form.selfie)?;
    let sha = sha256_hex(&form.selfie);
    let selfie = NewImage {
        sha256: sha,
        size: form.selfie.len(),
        content_type: ctype,
    };
    crate::upload::store_image(st, &selfie, form.selfie.into(), |meta| {
        meta.register_guest(&ev.id, &name, &selfie)
    })
    .await
    .map_err(|e| server_trouble(&e))
}

fn server_trouble(e: &dyn std::fmt::Display) -> Refusal {
    tracing::error!(error = %e, "registration failed");
    Refusal::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Something went wrong on our side. Please try again in a moment.",
    )
}

fn accepted(ev: &EventPage, done: super::store::Registered, json: bool) -> Response {
    tracing::info!(event = %ev.id, participant = %done.participant, "guest registered");
    let me = format!("/e/{}/me", ev.id);
    let cookie = set_session_cookie(&ev.id, &done.session_token);
    let mut resp = if json {
        let link = format!("{me}?k={}", done.link_token);
        axum::Json(serde_json::json!({ "me": me, "link_path": link })).into_response()
    } else {
        let mut r = StatusCode::SEE_OTHER.into_response();
        if let Ok(v) = HeaderValue::from_str(&me) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        r
    };
    let h = resp.headers_mut();
    h.insert(header::SET_COOKIE, cookie);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn refuse(ev: Option<&EventPage>, state: &FormState, r: Refusal, json: bool) -> Response {
    if json {
        let body = axum::Json(serde_json::json!({ "error": r.message }));
        return (r.status, body).into_response();
    }
    let form = FormState {
        error: Some(r.message.clone()),
        name: state.name.clone(),
    };
    let body = match ev {
        Some(ev) => pages::registration(ev, &form, false),
        None => pages::message("Please wait", &r.message),
    };
    html(r.status, body)
}

#[cfg(test)]
mod tests {
    use super::clean_name;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(clean_name("  Ada \n  Lovelace\u{7}  "), "Ada Lovelace");
        assert_eq!(clean_name(&"x".repeat(200)).len(), 80);
        assert_eq!(clean_name(" \t "), "");
    }
}
