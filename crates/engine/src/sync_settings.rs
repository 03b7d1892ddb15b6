//! The settings screen's side of sync: which event server and event the app
//! syncs with (catalog settings) and its token (the keyring, see `secrets`).
//!
//! Precedence at start: `EngineConfig::sync` (from FINDME_SERVER_URL,
//! FINDME_SYNC_EVENT, FINDME_TOKEN) over the saved settings. Saving settings
//! takes effect at once, whatever the source was.

use std::sync::Arc;

use findme_sync::{ClientError, EventClient, Token};

use crate::secrets::{token_account, SecretStore};
use crate::{
    ConnectionTestDto, Engine, EngineError, EventId, SyncSettingsDto, SyncSettingsInput, SyncTarget,
};

const SERVER_KEY: &str = "sync.server_url";
const EVENT_KEY: &str = "sync.event";
/// "1" when the photographer allowed plain http off this computer.
const PLAIN_HTTP_KEY: &str = "sync.allow_plain_http";

/// Where the running sync target came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncSource {
    None,
    Environment,
    Settings,
}

impl SyncSource {
    fn name(self) -> &'static str {
        match self {
            SyncSource::None => "none",
            SyncSource::Environment => "environment",
            SyncSource::Settings => "settings",
        }
    }
}

/// The saved target, if server, event and token are all there. A keyring that
/// cannot be read is logged and means no target (the photographer sees it on
/// the settings screen).
pub(crate) async fn saved_target(
    catalog: &findme_catalog::Catalog,
    secrets: Arc<dyn SecretStore>,
) -> Result<Option<SyncTarget>, EngineError> {
    let (server, event) = catalog
        .read(|r| Ok((r.setting(SERVER_KEY)?, r.setting(EVENT_KEY)?)))
        .await?;
    let (Some(server), Some(event)) = (server, event) else {
        return Ok(None);
    };
    let event = match EventId::parse(&event) {
        Ok(event) => event,
        Err(e) => {
            tracing::warn!(error = %e, "saved sync settings unused");
            return Ok(None);
        }
    };
    let account = token_account(&server, event.as_str());
    let token = blocking(move || secrets.get(&account)).await;
    match token {
        Ok(Some(token)) => Ok(Some(SyncTarget {
            server,
            event,
            token: Token::new(token),
        })),
        Ok(None) => Ok(None),
        Err(e) => {
            tracing::warn!(error = %e, "saved sync settings unused");
            Ok(None)
        }
    }
}

impl Engine {
    /// What the settings screen shows.
    pub async fn sync_settings(&self) -> Result<SyncSettingsDto, EngineError> {
        let running = self.sync_target();
        let (saved_server, saved_event, plain) = self
            .catalog()
            .read(|r| {
                Ok((
                    r.setting(SERVER_KEY)?,
                    r.setting(EVENT_KEY)?,
                    r.setting(PLAIN_HTTP_KEY)?,
                ))
            })
            .await?;
        let secrets = self.inner.secrets.clone();
        let keyring = blocking(move || Ok::<_, String>(secrets.describe()))
            .await
            .unwrap_or_default();
        let source = self.sync_source();
        let (server_url, event, has_token) = match &running {
            Some(t) => (Some(t.server.clone()), Some(t.event.to_string()), true),
            None => {
                let has_token = match (&saved_server, &saved_event) {
                    (Some(s), Some(e)) => {
                        let (secrets, account) = (self.inner.secrets.clone(), token_account(s, e));
                        blocking(move || secrets.get(&account))
                            .await
                            .is_ok_and(|t| t.is_some())
                    }
                    _ => false,
                };
                (saved_server, saved_event, has_token)
            }
        };
        Ok(SyncSettingsDto {
            server_url,
            event,
            has_token,
            source: source.name().into(),
            running: running.is_some(),
            keyring,
            allow_plain_http: plain.as_deref() == Some("1"),
        })
    }

    /// Save the server, event and (if given) token, and sync with them from now
    /// on. Without a token, the one stored for this server and event is used.
    pub async fn save_sync_settings(
        &self,
        input: SyncSettingsInput,
    ) -> Result<SyncSettingsDto, EngineError> {
        let target = self.settings_target(&input).await?;
        if let Some(token) = input.token.as_deref().filter(|t| !t.trim().is_empty()) {
            let (secrets, account) = (
                self.inner.secrets.clone(),
                token_account(&target.server, target.event.as_str()),
            );
            let token = token.trim().to_string();
            blocking(move || secrets.set(&account, &token))
                .await
                .map_err(keyring_unavailable)?;
        }
        let (server, event) = (target.server.clone(), target.event.to_string());
        let plain = input.allow_plain_http == Some(true);
        let before = self
            .catalog()
            .write(move |w| {
                let r = w.reader();
                let before = (r.setting(SERVER_KEY)?, r.setting(EVENT_KEY)?);
                w.set_setting(SERVER_KEY, &server)?;
                w.set_setting(EVENT_KEY, &event)?;
                if plain {
                    w.set_setting(PLAIN_HTTP_KEY, "1")?;
                } else {
                    w.delete_setting(PLAIN_HTTP_KEY)?;
                }
                Ok(before)
            })
            .await?;
        // The token of the server or event set up before is no longer needed.
        if let (Some(old_server), Some(old_event)) = before {
            let old = token_account(&old_server, &old_event);
            if old != token_account(&target.server, target.event.as_str()) {
                let secrets = self.inner.secrets.clone();
                if let Err(e) = blocking(move || secrets.delete(&old)).await {
                    tracing::warn!(error = %e, "old token not removed from the keyring");
                }
            }
        }
        self.set_sync_source(SyncSource::Settings);
        self.set_sync_target(Some(target)).await?;
        self.sync_settings().await
    }

    /// Stop syncing and forget the saved server, event and token.
    pub async fn clear_sync_settings(&self) -> Result<SyncSettingsDto, EngineError> {
        let (server, event) = self
            .catalog()
            .read(|r| Ok((r.setting(SERVER_KEY)?, r.setting(EVENT_KEY)?)))
            .await?;
        if let (Some(server), Some(event)) = (server, event) {
            let (secrets, account) = (self.inner.secrets.clone(), token_account(&server, &event));
            blocking(move || secrets.delete(&account))
                .await
                .map_err(keyring_unavailable)?;
        }
        self.catalog()
            .write(|w| {
                w.delete_setting(SERVER_KEY)?;
                w.delete_setting(PLAIN_HTTP_KEY)?;
                w.delete_setting(EVENT_KEY)
            })
            .await?;
        self.set_sync_source(SyncSource::None);
        self.set_sync_target(None).await?;
        self.sync_settings().await
    }

    /// Check the server, event and token (the given one, else the stored one)
    /// without saving anything.
    pub async fn test_sync_connection(
        &self,
        input: SyncSettingsInput,
    ) -> Result<ConnectionTestDto, EngineError> {
        let target = match self.settings_target(&input).await {
            Ok(target) => target,
            Err(e) => {
                return Ok(ConnectionTestDto {
                    ok: false,
                    message: e.to_string(),
                    event_name: None,
                })
            }
        };
        let client = EventClient::new(&target.server, target.token)?;
        Ok(match client.event_info(target.event.as_str()).await {
            Ok(info) => ConnectionTestDto {
                ok: true,
                message: format!("Connected: {} ({})", info.name, info.id),
                event_name: Some(info.name),
            },
            Err(e @ ClientError::Retryable { .. }) => ConnectionTestDto {
                ok: false,
                message: format!("The server cannot be reached now: {e}"),
                event_name: None,
            },
            Err(e) => ConnectionTestDto {
                ok: false,
                message: e.to_string(),
                event_name: None,
            },
        })
    }

    /// The target `input` describes, with the stored token when it has none.
    async fn settings_target(&self, input: &SyncSettingsInput) -> Result<SyncTarget, EngineError> {
        let server = input.server_url.trim().trim_end_matches('/').to_string();
        let event = EventId::parse(input.event.trim())?;
        let client = EventClient::new(&server, Token::new(String::new()))?;
        check_plain_http(&client, input.allow_plain_http == Some(true))?;
        let token = match input.token.as_deref().map(str::trim) {
            Some(token) if !token.is_empty() => token.to_string(),
            _ => {
                let (secrets, account) = (
                    self.inner.secrets.clone(),
                    token_account(&server, event.as_str()),
                );
                blocking(move || secrets.get(&account))
                    .await
                    .map_err(keyring_unavailable)?
                    .ok_or_else(|| {
                        EngineError::Invalid(format!(
                            "no token is stored for event {event} on {server}: paste the photographer token"
                        ))
                    })?
            }
        };
        Ok(SyncTarget {
            server,
            event,
            token: Token::new(token),
        })
    }

    pub(crate) fn sync_source(&self) -> SyncSource {
        self.inner
            .sync_source
            .lock()
            .map_or(SyncSource::None, |s| *s)
    }

    fn set_sync_source(&self, source: SyncSource) {
        if let Ok(mut s) = self.inner.sync_source.lock() {
            *s = source;
        }
    }
}

/// Refuses a plain `http://` server off this computer unless the photographer
/// allowed it: the token and every photo would cross the venue's network in
/// clear, readable by anyone on it.
pub(crate) fn check_plain_http(client: &EventClient, allowed: bool) -> Result<(), EngineError> {
    if allowed || !client.is_plain_http_off_loopback() {
        return Ok(());
    }
    Err(EngineError::Invalid(format!(
        "{} is plain http on another computer: the photographer token and the photos would \
         cross the venue's network in clear. Use https, or allow plain http explicitly",
        client.base_url()
    )))
}

/// Keyring calls block (D-Bus): keep them off the async threads.
/// The OS keyring could not be used (no Secret Service on this desktop, locked).
fn keyring_unavailable(reason: String) -> EngineError {
    EngineError::Unavailable(reason)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("keyring task failed: {e}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, allowed: bool) -> Result<(), EngineError> {
        check_plain_http(&EventClient::new(url, Token::new("t")).unwrap(), allowed)
    }

    #[test]
    fn plain_http_off_this_computer_is_refused_unless_allowed() {
        let refused = check("http://192.168.1.20:8787", false).unwrap_err();
        assert_eq!(refused.kind(), crate::ErrorKind::Invalid);
        let message = refused.to_string();
        assert!(message.contains("in clear"), "{message}");
        assert!(message.contains("http://192.168.1.20:8787"), "{message}");
        assert!(check("http://photos.example.com", false).is_err());
        assert!(check("http://192.168.1.20:8787", true).is_ok());
    }

    #[test]
    fn https_and_this_computer_need_no_permission() {
        for url in [
            "https://photos.example.com",
            "http://127.0.0.1:8787",
            "http://localhost:8787",
            "http://[::1]:8787",
        ] {
            assert!(check(url, false).is_ok(), "{url}");
        }
    }
}
