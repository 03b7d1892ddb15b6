//! Managing events and participants outside HTTP (the CLI, `--demo`, tests).
//! Blocking (like `reqwest::blocking`: its own small runtime drives the async
//! stores, so it also works from inside another runtime); safe to use on stores a
//! running server also uses (each change is one transaction).

use std::future::Future;
use std::path::{Path, PathBuf};

use findme_protocol::{is_valid_id, sha256_hex, Registration, RegistrationUpdate};
use serde::Serialize;

use crate::auth::{new_token, TokenKind};
use crate::db::DbError;
use crate::files::sniff_image;
use crate::removal::RemovalError;
use crate::store::{Images, Meta, NewImage, StoreConfig};
use crate::tokens::{Revoked, TokenInfo, TokenRef, MIN_ID_PREFIX};
use crate::{open_stores, registration, removal, ServerError};

/// What can go wrong managing a data directory.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Removal(#[from] RemovalError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// `create-event` output: the token is shown only here, never stored in clear.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedEvent {
    pub event: String,
    pub name: String,
    pub photographer_token: String,
}

/// `add-participant` output.
#[derive(Debug, Clone, Serialize)]
pub struct NewParticipant {
    pub event: String,
    pub participant: String,
    pub display_name: String,
    pub selfie_sha256: String,
    pub attendee_token: String,
}

/// Admin handle on the stores.
pub struct Admin {
    /// Always `Some` until [`Drop`] takes it to shut it down without blocking.
    runtime: Option<tokio::runtime::Runtime>,
    meta: Meta,
    images: Images,
}

/// "ada lovelace" -> "Ada Lovelace" (demo display names from file stems).
fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        })
        .collect::<Vec<String>>()
        .join(" ")
}

fn random_id(prefix: &str) -> String {
    let n: u64 = rand::random();
    format!("{prefix}{:012x}", n >> 16)
}

impl Admin {
    /// The embedded stores of a data directory (SQLite and the image folder).
    pub fn open(data_dir: &Path) -> Result<Self, AdminError> {
        Self::open_store(&StoreConfig::local(data_dir))
    }

    /// The configured stores (PostgreSQL and S3 when given).
    pub fn open_store(config: &StoreConfig) -> Result<Self, AdminError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("findme-admin")
            .enable_all()
            .build()
            .map_err(|source| AdminError::Io {
                path: config.data_dir.clone(),
                source,
            })?;
        let (meta, images) = on(&runtime, open_stores(config))?;
        Ok(Self {
            runtime: Some(runtime),
            meta,
            images,
        })
    }

    /// Runs `work` to completion on the admin's runtime.
    fn block<T: Send>(&self, work: impl Future<Output = T> + Send) -> T {
        match &self.runtime {
            Some(runtime) => on(runtime, work),
            None => unreachable!("the runtime is only taken by Drop"),
        }
    }

    /// Removes the participants of closed events whose retention ran out by
    /// `now_ms` (the server also does this hourly); returns how many.
    pub fn purge_expired(&self, now_ms: i64) -> Result<usize, AdminError> {
        self.block(crate::retention::purge_expired(
            &self.meta,
            &self.images,
            now_ms,
        ))
        .map_err(|e| AdminError::Invalid(e.to_string()))
    }

    /// Creates an event (id random unless given) and its photographer token.
    pub fn create_event(&self, name: &str, id: Option<&str>) -> Result<CreatedEvent, AdminError> {
        let id = id.map(str::to_string).unwrap_or_else(|| random_id("ev_"));
        if !is_valid_id(&id) {
            return Err(AdminError::Invalid(format!(
                "event id {id:?}: use 1-64 letters, digits, '-' or '_'"
            )));
        }
        let (token, hash) = new_token(TokenKind::Photographer);
        let created = self.block(self.meta.create_event(&id, name, &hash))?;
        if !created {
            return Err(AdminError::Invalid(format!("event {id:?} already exists")));
        }
        Ok(CreatedEvent {
            event: id,
            name: name.to_string(),
            photographer_token: token,
        })
    }

    /// A further photographer token for an existing event (the first is shown once).
    pub fn photographer_token(&self, event: &str) -> Result<String, AdminError> {
        let (token, hash) = new_token(TokenKind::Photographer);
        self.block(
            self.meta
                .add_token(TokenKind::Photographer, &hash, event, None),
        )?
        .then_some(token)
        .ok_or_else(|| AdminError::Invalid(format!("no event {event:?}")))
    }

    /// Adds (or replaces, with consent given again) a participant with a JPEG/PNG
    /// selfie, and mints an attendee token.
    pub fn add_participant(
        &self,
        event: &str,
        name: &str,
        selfie: &[u8],
        id: Option<&str>,
    ) -> Result<NewParticipant, AdminError> {
        let id = id.map(str::to_string).unwrap_or_else(|| random_id("p_"));
        if !is_valid_id(&id) {
            return Err(AdminError::Invalid(format!(
                "participant id {id:?}: use 1-64 letters, digits, '-' or '_'"
            )));
        }
        let ctype = sniff_image(selfie)
            .ok_or_else(|| AdminError::Invalid("the selfie must be a JPEG or PNG".into()))?;
        let sha = sha256_hex(selfie);
        let image = NewImage {
            sha256: sha.clone(),
            size: selfie.len(),
            content_type: ctype,
        };
        self.block(self.images.put(&sha, bytes::Bytes::copy_from_slice(selfie)))
            .map_err(|source| AdminError::Io {
                path: PathBuf::from("images"),
                source,
            })?;
        let (token, hash) = new_token(TokenKind::Attendee);
        let ok = self.block(self.meta.add_participant(event, &id, name, &image, &hash))?;
        if !ok {
            return Err(AdminError::Invalid(format!("no event {event:?}")));
        }
        Ok(NewParticipant {
            event: event.to_string(),
            participant: id,
            display_name: name.to_string(),
            selfie_sha256: sha,
            attendee_token: token,
        })
    }

    /// Reads a selfie file and adds the participant.
    pub fn add_participant_file(
        &self,
        event: &str,
        name: &str,
        selfie: &Path,
        id: Option<&str>,
    ) -> Result<NewParticipant, AdminError> {
        let bytes = std::fs::read(selfie).map_err(|source| AdminError::Io {
            path: selfie.to_path_buf(),
            source,
        })?;
        self.add_participant(event, name, &bytes, id)
    }

    /// Gives or withdraws a participant's consent.
    pub fn set_consent(&self, event: &str, id: &str, consent: bool) -> Result<(), AdminError> {
        self.block(self.meta.set_consent(event, id, consent))?
            .then_some(())
            .ok_or_else(|| AdminError::Invalid(format!("no participant {id:?} in event {event:?}")))
    }

    /// Deletes a participant (tombstone; their attendee tokens are revoked, so
    /// re-adding the id never revives them) and their selfie bytes unless another
    /// row uses the same image.
    pub fn remove_participant(&self, event: &str, id: &str) -> Result<(), AdminError> {
        self.block(removal::remove_participant(
            &self.meta,
            &self.images,
            event,
            id,
        ))?
        .then_some(())
        .ok_or_else(|| AdminError::Invalid(format!("no participant {id:?} in event {event:?}")))
    }

    /// The guests' registration of an event.
    pub fn registration(&self, event: &str) -> Result<Registration, AdminError> {
        self.block(self.meta.registration(event))?
            .ok_or_else(|| AdminError::Invalid(format!("no event {event:?}")))
    }

    /// Changes the fields of the registration that are set (the same rules as the
    /// HTTP `PUT`) and returns the new state.
    pub fn set_registration(
        &self,
        event: &str,
        update: &RegistrationUpdate,
    ) -> Result<Registration, AdminError> {
        registration::validate(update).map_err(|e| AdminError::Invalid(e.0))?;
        self.block(self.meta.update_registration(event, update))?
            .ok_or_else(|| AdminError::Invalid(format!("no event {event:?}")))
    }

    /// The tokens of an event, oldest first (ids and state, never the tokens).
    pub fn list_tokens(&self, event: &str) -> Result<Vec<TokenInfo>, AdminError> {
        self.block(self.meta.list_tokens(event))?
            .ok_or_else(|| AdminError::Invalid(format!("no event {event:?}")))
    }

    /// Revokes a token, named by itself or by its id (a hash prefix); a running
    /// server refuses it from its next request. Returns it and whether it had been
    /// revoked before.
    pub fn revoke_token(&self, which: TokenRef<'_>) -> Result<(TokenInfo, bool), AdminError> {
        match which {
            TokenRef::Token(t) if !(t.starts_with("fmp_") || t.starts_with("fma_")) => {
                return Err(AdminError::Invalid(
                    "not a token (expected fmp_… or fma_…)".into(),
                ));
            }
            TokenRef::Id(id)
                if id.len() < MIN_ID_PREFIX
                    || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
            {
                return Err(AdminError::Invalid(format!(
                    "token id {id:?}: give at least {MIN_ID_PREFIX} lower-case hex characters (list-tokens shows ids)"
                )));
            }
            _ => {}
        }
        match self.block(self.meta.revoke_token(which))? {
            Revoked::Done { token, already } => Ok((token, already)),
            Revoked::NotFound => Err(AdminError::Invalid("no such token".into())),
            Revoked::Ambiguous(n) => Err(AdminError::Invalid(format!(
                "the id matches {n} tokens; give more characters"
            ))),
        }
    }

    /// Seeds the `demo` event from a folder of selfies (file stem = participant id
    /// and name). Re-seeding refreshes the selfies and prints fresh tokens (old
    /// ones keep working; tokens are never stored in clear, so cannot be re-shown).
    pub fn seed_demo(&self, dir: &Path) -> Result<(String, Vec<NewParticipant>), AdminError> {
        let exists = self.block(self.meta.event("demo"))?.is_some();
        let token = if exists {
            self.photographer_token("demo")?
        } else {
            self.create_event("Demo event", Some("demo"))?
                .photographer_token
        };
        let io = |source| AdminError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("jpg" | "jpeg" | "png")
                )
            })
            .collect();
        files.sort();
        let mut people = Vec::new();
        for path in files {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            if !is_valid_id(&stem) {
                continue;
            }
            let name = title_case(&stem.replace(['-', '_'], " "));
            people.push(self.add_participant_file("demo", &name, &path, Some(&stem))?);
        }
        Ok((token, people))
    }
}

/// Dropping a runtime blocks until its workers stop, which tokio refuses inside
/// another runtime (an `Admin` dropped at the end of an async test or handler):
/// shut it down in the background instead.
impl Drop for Admin {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Runs `work` on `runtime` from a thread of its own, so a caller inside another
/// runtime (an async test, an embedding app) does not trip tokio's "runtime within
/// a runtime" check.
fn on<T: Send>(runtime: &tokio::runtime::Runtime, work: impl Future<Output = T> + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| runtime.block_on(work))
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
