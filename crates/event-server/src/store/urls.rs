//! The two scaled-out locations as types, parsed once at the command line.

use std::fmt;
use std::str::FromStr;

/// Why a `--database` or `--storage` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UrlError(String);

/// A PostgreSQL connection URL (`postgres://USER[:PASSWORD]@HOST:PORT/DB[?…]`).
/// Shown without its password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for DatabaseUrl {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<Self, UrlError> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Self(s.to_string()))
        } else {
            Err(UrlError(format!(
                "--database: expected postgres://USER@HOST:PORT/DATABASE, got {:?}",
                redact(s)
            )))
        }
    }
}

/// `user:secret@host` → `user:***@host`, so a password never reaches a log.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((auth, host)) => match auth.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", redact(&self.0))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

/// `s3://BUCKET[/PREFIX]`: where the images go in an S3-compatible store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageUrl {
    pub bucket: String,
    /// Without leading or trailing `/`; empty for the bucket's root.
    pub prefix: String,
}

impl FromStr for StorageUrl {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<Self, UrlError> {
        let bad = || UrlError(format!("--storage: expected s3://BUCKET/PREFIX, got {s:?}"));
        let rest = s.strip_prefix("s3://").ok_or_else(bad)?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        let prefix = prefix.trim_matches('/');
        let prefix_ok = prefix
            .split('/')
            .all(|part| part != ".." && part != "." && !part.contains('\\'))
            && !prefix.contains("//");
        if !bucket_ok || !prefix_ok {
            return Err(bad());
        }
        Ok(Self {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }
}

impl fmt::Display for StorageUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_once_and_never_show_a_password() {
        let db: DatabaseUrl = "postgres://findme:s3cret@db:5432/findme".parse().unwrap();
        assert_eq!(db.to_string(), "postgres://findme:***@db:5432/findme");
        assert!(!format!("{db:?}").contains("s3cret"));
        assert!("mysql://x@y/z".parse::<DatabaseUrl>().is_err());
        let s: StorageUrl = "s3://race-photos/findme/2026/".parse().unwrap();
        assert_eq!(
            (s.bucket.as_str(), s.prefix.as_str()),
            ("race-photos", "findme/2026")
        );
        let root: StorageUrl = "s3://race-photos".parse().unwrap();
        assert_eq!(root.prefix, "");
        for bad in [
            "s3://",
            "s3://A_B/x",
            "file:///tmp",
            "s3://bucket/../x",
            "s3://bucket/a//b",
        ] {
            assert!(bad.parse::<StorageUrl>().is_err(), "{bad}");
        }
    }
}
