//! Where the event server token lives: the OS keyring, never the catalog, a
//! settings file or a log line.
//!
//! On Linux the keyring is the Secret Service (GNOME Keyring, KWallet), with the
//! kernel keyring as the fallback when no Secret Service runs (the token then
//! lasts until the computer restarts, and the settings screen says so). macOS
//! and Windows use their native stores.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The keyring "service" every FindMe token is filed under.
const SERVICE: &str = "findme-studio";

/// A place for secrets. Errors are messages for the photographer.
pub trait SecretStore: Send + Sync + std::fmt::Debug {
    fn get(&self, account: &str) -> Result<Option<String>, String>;
    fn set(&self, account: &str, secret: &str) -> Result<(), String>;
    fn delete(&self, account: &str) -> Result<(), String>;
    /// Where secrets go, for the settings screen ("system keyring", ...).
    fn describe(&self) -> String;
}

/// The keyring account of the token for `event` on `server`.
pub fn token_account(server: &str, event: &str) -> String {
    format!("{event}@{}", server.trim_end_matches('/'))
}

/// The operating system's keyring (blocking calls: run off the async threads).
#[derive(Debug, Default)]
pub struct OsKeyring;

impl OsKeyring {
    /// The entries to try, best first.
    fn entries(account: &str) -> Vec<(&'static str, keyring::Entry)> {
        let mut entries = Vec::new();
        #[cfg(target_os = "linux")]
        {
            use keyring::{keyutils::KeyutilsCredential, secret_service::SsCredential};
            if let Ok(c) = SsCredential::new_with_target(None, SERVICE, account) {
                entries.push((
                    "the system keyring",
                    keyring::Entry::new_with_credential(Box::new(c)),
                ));
            }
            if let Ok(c) = KeyutilsCredential::new_with_target(None, SERVICE, account) {
                entries.push((
                    "the kernel keyring (kept until the computer restarts: no system keyring is running)",
                    keyring::Entry::new_with_credential(Box::new(c)),
                ));
            }
        }
        #[cfg(not(target_os = "linux"))]
        if let Ok(entry) = keyring::Entry::new(SERVICE, account) {
            entries.push(("the system keyring", entry));
        }
        entries
    }
}

impl SecretStore for OsKeyring {
    fn get(&self, account: &str) -> Result<Option<String>, String> {
        let mut last = "no keyring is available".to_string();
        for (_, entry) in Self::entries(account) {
            match entry.get_password() {
                Ok(secret) => return Ok(Some(secret)),
                Err(keyring::Error::NoEntry) => return Ok(None),
                Err(e) => last = e.to_string(),
            }
        }
        Err(format!("cannot read the keyring: {last}"))
    }

    fn set(&self, account: &str, secret: &str) -> Result<(), String> {
        let mut last = "no keyring is available".to_string();
        for (_, entry) in Self::entries(account) {
            // Twice: in a process started without a session keyring, the kernel
            // keyring refuses the first write of each thread (keyring 3.6,
            // seen under tauri-driver); the second one is kept.
            for _ in 0..2 {
                // Read back: some stores accept a write they cannot keep.
                match entry
                    .set_password(secret)
                    .and_then(|()| entry.get_password())
                {
                    Ok(read) if read == secret => return Ok(()),
                    Ok(_) => last = "the keyring did not keep the token".into(),
                    Err(e) => last = e.to_string(),
                }
            }
        }
        Err(format!(
            "cannot store the token in the keyring: {last}. Start FindMe with \
             FINDME_SERVER_URL, FINDME_SYNC_EVENT and FINDME_TOKEN set instead."
        ))
    }

    fn delete(&self, account: &str) -> Result<(), String> {
        for (_, entry) in Self::entries(account) {
            match entry.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => {}
                Err(e) => tracing::debug!(error = %e, "keyring delete"),
            }
        }
        Ok(())
    }

    /// The first store that keeps a probe secret (written, read back, deleted),
    /// found once per process: a locked keyring asks to unlock once, not every
    /// time the settings open, and a store that cannot keep a token is never named.
    fn describe(&self) -> String {
        static FOUND: OnceLock<String> = OnceLock::new();
        FOUND
            .get_or_init(|| {
                for (name, entry) in Self::entries("probe") {
                    let kept = entry
                        .set_password("probe")
                        .and_then(|()| entry.get_password())
                        .is_ok_and(|read| read == "probe");
                    let _ = entry.delete_credential();
                    if kept {
                        return name.to_string();
                    }
                }
                "no keyring (set FINDME_TOKEN)".into()
            })
            .clone()
    }
}

/// Secrets in memory, for tests and for a session that must not touch the
/// keyring.
#[derive(Debug, Default)]
pub struct MemorySecrets {
    secrets: Mutex<HashMap<String, String>>,
}

impl SecretStore for MemorySecrets {
    fn get(&self, account: &str) -> Result<Option<String>, String> {
        let secrets = self.secrets.lock().map_err(|e| e.to_string())?;
        Ok(secrets.get(account).cloned())
    }

    fn set(&self, account: &str, secret: &str) -> Result<(), String> {
        let mut secrets = self.secrets.lock().map_err(|e| e.to_string())?;
        secrets.insert(account.to_string(), secret.to_string());
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), String> {
        let mut secrets = self.secrets.lock().map_err(|e| e.to_string())?;
        secrets.remove(account);
        Ok(())
    }

    fn describe(&self) -> String {
        "memory (this session only)".into()
    }
}
