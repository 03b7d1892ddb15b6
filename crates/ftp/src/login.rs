//! Who is at the other end: camera accounts checked through the engine's
//! [`AccountCheck`], and logins/logouts turned into [`ReceiverEvent`]s.

use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use libunftp::notification::{EventMeta, PresenceEvent, PresenceListener};
use unftp_core::auth::{
    AuthenticationError, Authenticator, Credentials, Principal, UserDetail, UserDetailError,
    UserDetailProvider,
};

use crate::backend::Shared;
use crate::{names, AccountCheck, ReceiverEvent};

/// A logged-in camera: its account name is its folder under each day.
#[derive(Debug)]
pub(crate) struct Camera {
    pub account: String,
}

impl UserDetail for Camera {}

impl fmt::Display for Camera {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.account)
    }
}

#[derive(Debug)]
pub(crate) struct CameraProvider;

#[async_trait]
impl UserDetailProvider for CameraProvider {
    type User = Camera;
    async fn provide_user_detail(&self, principal: &Principal) -> Result<Camera, UserDetailError> {
        Ok(Camera {
            account: principal.username.clone(),
        })
    }
}

/// USER/PASS through the engine's [`AccountCheck`], every refusal logged.
#[derive(Debug)]
pub(crate) struct Accounts(pub Arc<dyn AccountCheck>);

#[async_trait]
impl Authenticator for Accounts {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> Result<Principal, AuthenticationError> {
        if let Err(reason) = names::check_account(username) {
            tracing::warn!(account = username, %reason, source = %creds.source_ip, "FTP login refused");
            return Err(AuthenticationError::BadUser);
        }
        let password = creds.password.as_deref().unwrap_or_default();
        match self.0.verify(username, password).await {
            Ok(true) => Ok(Principal {
                username: username.to_string(),
            }),
            Ok(false) => {
                tracing::warn!(account = username, source = %creds.source_ip, "FTP login refused: wrong password or unknown account");
                Err(AuthenticationError::BadPassword)
            }
            Err(message) => {
                tracing::error!(account = username, %message, "FTP login could not be checked");
                Err(AuthenticationError::new(message))
            }
        }
    }
}

/// One per connection: turns libunftp's presence into LoggedIn/LoggedOut, the
/// latter only for a connection that had logged in.
#[derive(Debug)]
pub(crate) struct Presence {
    shared: Arc<Shared>,
    account: Mutex<Option<String>>,
}

impl Presence {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Presence {
            shared,
            account: Mutex::new(None),
        }
    }
}

#[async_trait]
impl PresenceListener for Presence {
    async fn receive_presence_event(&self, event: PresenceEvent, meta: EventMeta) {
        let Ok(mut account) = self.account.lock() else {
            return;
        };
        match event {
            PresenceEvent::LoggedIn => {
                tracing::info!(account = %meta.username, "camera connected");
                *account = Some(meta.username.clone());
                self.shared.emit(ReceiverEvent::LoggedIn {
                    account: meta.username,
                });
            }
            PresenceEvent::LoggedOut => {
                if let Some(name) = account.take() {
                    tracing::info!(account = %name, "camera disconnected");
                    self.shared.emit(ReceiverEvent::LoggedOut { account: name });
                }
            }
        }
    }
}
