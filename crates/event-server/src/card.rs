//! `GET /api/v1/events/{event}/registration/card?size=a6|a4` (photographer): a
//! printable card for the venue's tables or walls: the event's name, the
//! photographer's short text, a QR code of the guests' registration page and
//! the event code in large type.
//!
//! The page is self-contained (inline SVG, inline CSS) and locked down: every
//! string is HTML-escaped, and its Content-Security-Policy allows no script,
//! no fetch and no framing, so text a photographer typed can never run.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Response};
use findme_protocol::{paths, CardSize};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use crate::attendee::escape_html;
use crate::error::ApiError;
use crate::extract::{photographer, Params};
use crate::AppState;

/// What the card may load: inline styles and `data:` images, nothing else.
pub const CARD_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

/// The same policy inside the page, for the copy the app saves and opens from
/// a file (no headers there); `frame-ancestors` only works as a header.
const META_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// What the card shows of an event.
pub struct CardText {
    pub name: String,
    pub intro: String,
    pub code: Option<String>,
}

pub(crate) async fn card(
    State(st): State<AppState>,
    headers: HeaderMap,
    Params(event): Params<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    photographer(&st, &headers, &event).await?;
    let size = match q.get("size").map(String::as_str) {
        None | Some("") => CardSize::A6,
        Some(name) => {
            CardSize::parse(name).ok_or_else(|| ApiError::bad_request("size: a6 or a4"))?
        }
    };
    let link = format!("{}{}", origin(&headers)?, paths::guest_page(&event));
    let text = st
        .meta
        .card_text(&event)
        .await?
        .ok_or_else(|| ApiError::not_found("no such event"))?;
    let qr = qr_svg(&link)?;
    Ok((
        [
            (header::CONTENT_SECURITY_POLICY, CARD_CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(render(&text, &link, &qr, size)),
    )
        .into_response())
}

/// `scheme://host[:port]` the guests reach this server at, by the guest pages'
/// rule (`X-Forwarded-Proto` from a proxy, else http on loopback and https
/// elsewhere); the `Host` header must be a plain host name or address.
fn origin(headers: &HeaderMap) -> Result<String, ApiError> {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .ok_or_else(|| ApiError::bad_request("the request has no usable Host header"))?;
    Ok(crate::guest::me::base(host, headers))
}

/// The QR code of `text` as inline SVG (no XML declaration).
fn qr_svg(text: &str) -> Result<String, ApiError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| ApiError::internal("QR code", e))?;
    let svg = code
        .render::<svg::Color<'_>>()
        .module_dimensions(8, 8)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg").unwrap_or(0);
    Ok(svg[start..].to_string())
}

fn render(text: &CardText, link: &str, qr: &str, size: CardSize) -> String {
    let (page, scale) = match size {
        CardSize::A6 => ("A6", 1.0),
        CardSize::A4 => ("A4", 2.0),
    };
    let intro = if text.intro.trim().is_empty() {
        String::new()
    } else {
        format!("<p class=\"intro\">{}</p>", escape_html(text.intro.trim()))
    };
    let code = match text.code.as_deref().filter(|c| !c.is_empty()) {
        Some(code) => format!(
            "<p class=\"label\">Event code</p><p class=\"code\">{}</p>",
            escape_html(code)
        ),
        None => String::new(),
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"referrer\" content=\"no-referrer\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"{META_CSP}\">\
<title>{title} — find your photos</title><style>\
@page {{ size: {page}; margin: 8mm; }}\
body{{font-family:system-ui,sans-serif;color:#111;text-align:center;margin:0;font-size:{base}pt}}\
h1{{font-size:{h1}pt;margin:0 0 .4em}}\
.intro{{margin:0 0 .6em;white-space:pre-wrap}}\
.qr svg{{width:{qr}mm;height:{qr}mm}}\
.link{{font-size:{small}pt;word-break:break-all}}\
.label{{margin:.6em 0 0;font-size:{small}pt;text-transform:uppercase;letter-spacing:.1em}}\
.code{{font-size:{code_pt}pt;font-weight:700;letter-spacing:.15em;margin:0}}\
@media screen{{body{{margin:2rem}}}}\
</style></head><body>\
<h1>{title}</h1>{intro}\
<p>Scan to register and find the photos you are in.</p>\
<div class=\"qr\">{qr_svg}</div>\
<p class=\"link\">{link}</p>{code}\
</body></html>",
        title = escape_html(&text.name),
        base = 10.0 * scale,
        h1 = 16.0 * scale,
        small = 8.0 * scale,
        code_pt = 28.0 * scale,
        qr = 60.0 * scale,
        qr_svg = qr,
        link = escape_html(link),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_origin_comes_from_the_host_and_the_proxy() {
        let mut headers = HeaderMap::new();
        assert!(origin(&headers).is_err());
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8787"));
        assert_eq!(origin(&headers).unwrap(), "http://127.0.0.1:8787");
        headers.insert(header::HOST, HeaderValue::from_static("ev.example:8443"));
        assert_eq!(origin(&headers).unwrap(), "https://ev.example:8443");
        headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
        assert_eq!(origin(&headers).unwrap(), "http://ev.example:8443");
        headers.insert(header::HOST, HeaderValue::from_static("ev.example/\"x"));
        assert!(origin(&headers).is_err());
    }

    #[test]
    fn the_card_prints_at_its_size_and_escapes_what_was_typed() {
        let text = CardText {
            name: "<b>Ada & Ben</b>".into(),
            intro: "\"Smile\" <script>".into(),
            code: Some("<1234>".into()),
        };
        let html = render(&text, "http://h/e/x", "<svg></svg>", CardSize::A4);
        assert!(html.contains("@page { size: A4;"), "{html}");
        assert!(html.contains("&lt;b&gt;Ada &amp; Ben&lt;/b&gt;"));
        assert!(html.contains("&quot;Smile&quot; &lt;script&gt;"));
        assert!(html.contains("&lt;1234&gt;"));
        assert!(!html.contains("<script>") && !html.contains("<b>"));
        let a6 = render(&text, "http://h/e/x", "<svg></svg>", CardSize::A6);
        assert!(a6.contains("@page { size: A6;"));
    }
}
