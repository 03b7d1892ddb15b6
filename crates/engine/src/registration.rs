//! Guest registration: guests sign themselves up on the event server's page
//! (`/e/{event}`); the photographer opens and closes it, sets the event code and
//! the short text, prints the card with its QR code. Everything goes through
//! the event's configured event server (the sync target).
//!
//! The matcher the consent text names is never chosen by hand: every change
//! sends the event's own matcher, and an event not yet tied to one is tied
//! here to the matcher this process runs, so what guests read stays true.

use findme_keys::EventId;
use findme_sync::{CardSize, EventClient, Matcher, Registration, RegistrationUpdate};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use crate::sync_settings::saved_target;
use crate::{CardFileDto, Engine, EngineError, RegistrationChangeDto, RegistrationDto, SyncTarget};

/// The longest short text the server takes.
const INTRO_MAX_CHARS: usize = 500;
/// The longest retention the server takes.
const RETENTION_MAX_DAYS: u32 = 365;

impl Engine {
    /// The event's guest registration on its event server.
    pub async fn registration(&self, event: &EventId) -> Result<RegistrationDto, EngineError> {
        let target = self.event_server(event).await?;
        let client = EventClient::new(&target.server, target.token.clone())?;
        let registration = client.registration(event.as_str()).await?;
        registration_dto(event, &target.server, registration)
    }

    /// Change the event's guest registration (absent fields stay) and say what
    /// it is now. The matcher named to guests is the event's own.
    pub async fn set_registration(
        &self,
        event: &EventId,
        change: RegistrationChangeDto,
    ) -> Result<RegistrationDto, EngineError> {
        check_change(&change)?;
        let target = self.event_server(event).await?;
        let matcher = self.event_matcher(event).await?;
        let update = RegistrationUpdate {
            open: change.open,
            code: change.code.map(|c| c.trim().to_string()),
            intro: change.intro.map(|t| t.trim().to_string()),
            matcher: Some(matcher),
            retention_days: change.retention_days,
            ended: None,
        };
        let client = EventClient::new(&target.server, target.token.clone())?;
        let registration = client.set_registration(event.as_str(), &update).await?;
        registration_dto(event, &target.server, registration)
    }

    /// Fetch the printable registration card from the event server and save it
    /// as `<data>/cards/<event>-<size>.html`, for the system browser to print.
    pub async fn save_registration_card(
        &self,
        event: &EventId,
        size: CardSize,
    ) -> Result<CardFileDto, EngineError> {
        let target = self.event_server(event).await?;
        let client = EventClient::new(&target.server, target.token.clone())?;
        let html = client.registration_card(event.as_str(), size).await?;
        let dir = self.inner.data.cards();
        let path = dir.join(format!("{event}-{}.html", size.as_str()));
        let written = path.clone();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir).map_err(|e| EngineError::io("create", &dir, e))?;
            std::fs::write(&written, html).map_err(|e| EngineError::io("write", &written, e))
        })
        .await
        .map_err(|e| EngineError::task("saving the card", e))??;
        Ok(CardFileDto {
            path: path.to_string_lossy().into_owned(),
            size: size.as_str().into(),
            opened: false,
        })
    }

    /// Tells the event's server, if one is set up, that the event is over (the
    /// photographer closed it): registration closes for good and the guests'
    /// retention starts. Best effort: unreachable now, the next connection's
    /// reconcile says it (findme_sync::reconcile).
    pub(crate) async fn end_on_server(&self, event: &EventId) {
        let Ok(target) = self.event_server(event).await else {
            return;
        };
        let ended = RegistrationUpdate {
            ended: Some(true),
            ..RegistrationUpdate::default()
        };
        let told = match EventClient::new(&target.server, target.token.clone()) {
            Ok(client) => client
                .set_registration(event.as_str(), &ended)
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        };
        match told {
            Ok(()) => tracing::info!(event = %event, "event ended on its server"),
            Err(e) => {
                tracing::info!(event = %event, error = %e, "the server learns the event ended at the next connection")
            }
        }
    }

    /// The event server set up for `event`: the running sync target, else the
    /// saved settings (with the token from the keyring).
    async fn event_server(&self, event: &EventId) -> Result<SyncTarget, EngineError> {
        self.event(event).await?;
        if let Some(target) = self.sync_target().filter(|t| &t.event == event) {
            return Ok(target);
        }
        let saved = saved_target(self.catalog(), self.inner.secrets.clone()).await?;
        saved.filter(|t| &t.event == event).ok_or_else(|| {
            EngineError::NotFound(format!(
                "no event server is set up for the event {event}: save its server, event and \
                 photographer token in the Event server settings (or set FINDME_SERVER_URL, \
                 FINDME_SYNC_EVENT and FINDME_TOKEN)"
            ))
        })
    }

    /// The matcher that processes the event's faces: the one it is tied to, else
    /// the one this process runs (on-device when none), which the event is then
    /// tied to, so guests are never told one thing while another matches.
    async fn event_matcher(&self, event: &EventId) -> Result<Matcher, EngineError> {
        let tied = self.event(event).await?.backend;
        let backend = match tied {
            Some(backend) => backend,
            None => {
                let name = self.inner.matcher.unwrap_or("local");
                let ev = event.to_string();
                self.catalog()
                    .write(move |w| w.claim_event_backend(&ev, name))
                    .await?
                    .unwrap_or_else(|| name.to_string())
            }
        };
        matcher_of(&backend)
    }
}

/// The protocol's name for an event's backend.
fn matcher_of(backend: &str) -> Result<Matcher, EngineError> {
    match backend {
        "local" => Ok(Matcher::Device),
        "rekognition" => Ok(Matcher::Rekognition),
        other => Err(EngineError::Internal(format!(
            "the event's matcher {other:?} is unknown to this build"
        ))),
    }
}

fn check_change(change: &RegistrationChangeDto) -> Result<(), EngineError> {
    if let Some(intro) = &change.intro {
        let chars = intro.trim().chars().count();
        if chars > INTRO_MAX_CHARS {
            return Err(EngineError::Invalid(format!(
                "the short text is {chars} characters; at most {INTRO_MAX_CHARS} fit on the page"
            )));
        }
    }
    if let Some(days) = change.retention_days.filter(|d| *d > RETENTION_MAX_DAYS) {
        return Err(EngineError::Invalid(format!(
            "guests' data is kept 0 to {RETENTION_MAX_DAYS} days after the event, not {days}"
        )));
    }
    Ok(())
}

fn registration_dto(
    event: &EventId,
    server: &str,
    r: Registration,
) -> Result<RegistrationDto, EngineError> {
    let url = page_url(server, &r.page_path)?;
    Ok(RegistrationDto {
        event: event.to_string(),
        open: r.open,
        code: r.code.filter(|c| !c.is_empty()),
        intro: r.intro,
        retention_days: r.retention_days,
        matcher: match r.matcher {
            Matcher::Device => "device",
            Matcher::Rekognition => "rekognition",
        }
        .into(),
        registered: r.registered,
        qr_svg: qr_svg(&url)?,
        url,
    })
}

/// The page's address: the server's base URL + the path it answered. A path
/// that is not one on this server is refused (the QR code must point there).
fn page_url(server: &str, page_path: &str) -> Result<String, EngineError> {
    let plain = page_path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b));
    if !page_path.starts_with('/') || page_path.starts_with("//") || !plain {
        return Err(EngineError::Unavailable(format!(
            "unexpected answer from the event server: page path {page_path:?}"
        )));
    }
    Ok(format!("{}{page_path}", server.trim_end_matches('/')))
}

/// Pixels per QR module: an even size the card and the screen scale cleanly.
const QR_MODULE_PX: u32 = 8;

/// A QR code of `text` as an SVG document (black on white, with its quiet zone).
pub fn qr_svg(text: &str) -> Result<String, EngineError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| EngineError::Invalid(format!("no QR code for {text:?}: {e}")))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .module_dimensions(QR_MODULE_PX, QR_MODULE_PX)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a QR code back from the SVG `qr_svg` drew: its rectangles become
    /// a bitmap, which rqrr decodes.
    fn decode(svg: &str) -> String {
        let size = |attr: &str| -> usize {
            let at = svg.find(&format!(" {attr}=\"")).expect(attr) + attr.len() + 3;
            svg[at..].split('"').next().unwrap().parse().unwrap()
        };
        let (w, h) = (size("width"), size("height"));
        let mut dark = vec![false; w * h];
        let d = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        for rect in d.split('M').filter(|r| !r.is_empty()) {
            let nums: Vec<usize> = rect
                .split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .map(|n| n.parse().unwrap())
                .collect();
            let (left, top, width, height) = (nums[0], nums[1], nums[2], nums[3]);
            for y in top..top + height {
                for x in left..left + width {
                    dark[y * w + x] = true;
                }
            }
        }
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            if dark[y * w + x] {
                0
            } else {
                255
            }
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code");
        grids[0].decode().expect("decodes").1
    }

    #[test]
    fn the_qr_code_reads_back_as_the_registration_link() {
        for url in [
            "https://events.example.com/e/smith-wedding",
            "http://127.0.0.1:8787/e/gala_2026",
        ] {
            let svg = qr_svg(url).unwrap();
            assert!(svg.contains("<svg"), "{svg}");
            assert_eq!(decode(&svg), url);
        }
    }

    #[test]
    fn the_link_is_the_server_and_the_page_path_and_nothing_else() {
        assert_eq!(
            page_url("https://ev.example/", "/e/gala").unwrap(),
            "https://ev.example/e/gala"
        );
        for bad in [
            "e/gala",
            "//evil.example/e",
            "/e/<script>",
            "/e/a b",
            "/e?x=1",
        ] {
            assert!(page_url("https://ev.example", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_consent_text_names_the_events_matcher() {
        assert_eq!(matcher_of("local").unwrap(), Matcher::Device);
        assert_eq!(matcher_of("rekognition").unwrap(), Matcher::Rekognition);
        assert!(matcher_of("other").is_err());
    }

    #[test]
    fn changes_out_of_range_are_refused_before_sending() {
        let long = RegistrationChangeDto {
            intro: Some("x".repeat(501)),
            ..Default::default()
        };
        assert!(matches!(check_change(&long), Err(EngineError::Invalid(_))));
        let days = RegistrationChangeDto {
            retention_days: Some(366),
            ..Default::default()
        };
        assert!(matches!(check_change(&days), Err(EngineError::Invalid(_))));
        let fine = RegistrationChangeDto {
            intro: Some("é".repeat(500)),
            retention_days: Some(365),
            ..Default::default()
        };
        assert!(check_change(&fine).is_ok());
    }
}
