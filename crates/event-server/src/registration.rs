//! An event's guest registration settings (SQL and rules only; called on blocking
//! threads). Shared by the photographer endpoint, the admin CLI and the guest pages,
//! so all three read and change the same state under the same rules.

use findme_protocol::{paths, Matcher, Registration, RegistrationUpdate};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::db::DbError;

/// Longest event code guests type (printed under the QR code).
pub const MAX_CODE_CHARS: usize = 32;
/// Longest photographer text on the registration page.
pub const MAX_INTRO_CHARS: usize = 500;
/// Longest promised retention after the event closes.
pub const MAX_RETENTION_DAYS: u32 = 365;

/// Why an update is refused; the message is meant for the photographer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidRegistration(pub String);

/// Checks an update against the rules (absent fields always pass; `code: ""` is
/// the way to remove the code).
pub fn validate(update: &RegistrationUpdate) -> Result<(), InvalidRegistration> {
    if let Some(code) = update.code.as_deref().filter(|c| !c.is_empty()) {
        let ok_chars = code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if code.chars().count() > MAX_CODE_CHARS || !ok_chars {
            return Err(InvalidRegistration(format!(
                "code: use 1-{MAX_CODE_CHARS} letters, digits or '-' (or \"\" to remove the code)"
            )));
        }
    }
    if let Some(intro) = &update.intro {
        let n = intro.chars().count();
        if n > MAX_INTRO_CHARS {
            return Err(InvalidRegistration(format!(
                "intro: at most {MAX_INTRO_CHARS} characters (got {n})"
            )));
        }
    }
    if let Some(days) = update.retention_days {
        if days > MAX_RETENTION_DAYS {
            return Err(InvalidRegistration(format!(
                "retention_days: 0-{MAX_RETENTION_DAYS} (got {days})"
            )));
        }
    }
    Ok(())
}

pub(crate) fn matcher_from_sql(s: &str) -> Result<Matcher, DbError> {
    match s {
        "device" => Ok(Matcher::Device),
        "rekognition" => Ok(Matcher::Rekognition),
        other => Err(DbError::Corrupt(format!("events.matcher = {other:?}"))),
    }
}

fn matcher_to_sql(m: Matcher) -> &'static str {
    match m {
        Matcher::Device => "device",
        Matcher::Rekognition => "rekognition",
    }
}

/// Guests of `event` who registered themselves and are still on the roster.
pub fn registered_count(conn: &Connection, event: &str) -> Result<u64, DbError> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM participants
          WHERE event_id = ?1 AND self_registered = 1 AND deleted = 0",
        [event],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The registration state of `event`; `None` if there is no such event.
pub fn registration(conn: &Connection, event: &str) -> Result<Option<Registration>, DbError> {
    let row = conn
        .query_row(
            "SELECT registration_open, registration_code, intro, matcher, retention_days,
                    ended_ms
               FROM events WHERE id = ?1",
            [event],
            |r| {
                Ok((
                    r.get::<_, bool>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((open, code, intro, matcher, retention, ended_ms)) = row else {
        return Ok(None);
    };
    Ok(Some(Registration {
        open,
        code,
        intro,
        matcher: matcher_from_sql(&matcher)?,
        retention_days: u32::try_from(retention)
            .map_err(|_| DbError::Corrupt(format!("events.retention_days = {retention}")))?,
        registered: registered_count(conn, event)?,
        page_path: paths::guest_page(event),
        ended_ms,
    }))
}

/// Applies a [`validate`]d update (absent fields unchanged) and returns the new
/// state; `None` if there is no such event. Run it in a transaction.
pub fn update_registration(
    tx: &Transaction<'_>,
    event: &str,
    update: &RegistrationUpdate,
) -> Result<Option<Registration>, DbError> {
    if crate::roster::event(tx, event)?.is_none() {
        return Ok(None);
    }
    if let Some(open) = update.open {
        tx.execute(
            "UPDATE events SET registration_open = ?2 WHERE id = ?1",
            params![event, open],
        )?;
    }
    if let Some(code) = &update.code {
        let code = (!code.is_empty()).then_some(code.as_str());
        tx.execute(
            "UPDATE events SET registration_code = ?2 WHERE id = ?1",
            params![event, code],
        )?;
    }
    if let Some(intro) = &update.intro {
        tx.execute(
            "UPDATE events SET intro = ?2 WHERE id = ?1",
            params![event, intro],
        )?;
    }
    if let Some(matcher) = update.matcher {
        tx.execute(
            "UPDATE events SET matcher = ?2 WHERE id = ?1",
            params![event, matcher_to_sql(matcher)],
        )?;
    }
    if let Some(days) = update.retention_days {
        tx.execute(
            "UPDATE events SET retention_days = ?2 WHERE id = ?1",
            params![event, days],
        )?;
    }
    if update.ended == Some(true) {
        tx.execute(
            "UPDATE events SET ended_ms = COALESCE(ended_ms, ?2) WHERE id = ?1",
            params![event, crate::db::now_ms()],
        )?;
    }
    // An ended event never takes registrations again.
    tx.execute(
        "UPDATE events SET registration_open = 0 WHERE id = ?1 AND ended_ms IS NOT NULL",
        [event],
    )?;
    registration(tx, event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(f: impl FnOnce(&mut RegistrationUpdate)) -> RegistrationUpdate {
        let mut u = RegistrationUpdate::default();
        f(&mut u);
        u
    }

    #[test]
    fn the_rules_accept_the_edges_and_refuse_past_them() {
        assert!(validate(&update(|u| u.code = Some(String::new()))).is_ok());
        assert!(validate(&update(|u| u.code = Some("A-9".repeat(10) + "xy"))).is_ok());
        assert!(validate(&update(|u| u.code = Some("x".repeat(33)))).is_err());
        assert!(validate(&update(|u| u.code = Some("no space".into()))).is_err());
        assert!(validate(&update(|u| u.code = Some("café".into()))).is_err());
        assert!(validate(&update(|u| u.intro = Some("é".repeat(500)))).is_ok());
        assert!(validate(&update(|u| u.intro = Some("x".repeat(501)))).is_err());
        assert!(validate(&update(|u| u.retention_days = Some(365))).is_ok());
        assert!(validate(&update(|u| u.retention_days = Some(366))).is_err());
    }
}
