//! How to reach Rekognition, and whether an AWS configuration is visible at all.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::limiter::LimiterConfig;

/// How to reach Rekognition.
#[derive(Clone)]
pub struct RekognitionConfig {
    /// None: the aws-config chain (AWS_REGION, profile), else us-east-1.
    pub region: Option<String>,
    /// None: aws-config's AWS_ENDPOINT_URL_REKOGNITION / AWS_ENDPOINT_URL apply.
    pub endpoint: Option<String>,
    /// Per attempt: a stalled call frees its worker after this.
    pub call_timeout: Duration,
    /// (access key, secret) for tests and benchmarks; None: the standard chain
    /// (environment, profile including SSO, AWS_PROFILE).
    pub static_credentials: Option<(String, String)>,
    pub limiter: LimiterConfig,
}

impl Default for RekognitionConfig {
    fn default() -> Self {
        RekognitionConfig {
            region: None,
            endpoint: None,
            call_timeout: Duration::from_secs(20),
            static_credentials: None,
            limiter: LimiterConfig::default(),
        }
    }
}

impl RekognitionConfig {
    /// The defaults with the limiter tuned from `get` (the binaries pass the
    /// environment); region, endpoint and credentials come from aws-config's own
    /// environment handling when the client is built.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Self {
        RekognitionConfig {
            limiter: LimiterConfig::from_vars(get),
            ..Self::default()
        }
    }
}

/// Hand-written so the secret key never reaches a log.
impl std::fmt::Debug for RekognitionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RekognitionConfig")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("call_timeout", &self.call_timeout)
            .field(
                "static_credentials",
                &self.static_credentials.as_ref().map(|_| "<redacted>"),
            )
            .field("limiter", &self.limiter)
            .finish()
    }
}

/// True when an AWS configuration is visible in the variables `get` reads (the
/// binaries pass the environment), without touching the network: an access key, a
/// profile or endpoint variable, or `~/.aws/config` / `~/.aws/credentials` (or the
/// files `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE` name).
pub fn aws_configured_in(get: impl Fn(&str) -> Option<OsString>) -> bool {
    let set = |name: &str| get(name).is_some_and(|v| !v.is_empty());
    if [
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL_REKOGNITION",
        "AWS_ENDPOINT_URL",
    ]
    .into_iter()
    .any(set)
    {
        return true;
    }
    let home = get("HOME")
        .or_else(|| get("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .map(PathBuf::from);
    let file = |var: &str, name: &str| {
        get(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(name)))
    };
    [
        file("AWS_CONFIG_FILE", "config"),
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    ]
    .into_iter()
    .flatten()
    .any(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_configuration_is_seen_without_network() {
        let home = tempfile::tempdir().expect("tempdir");
        let home_os = OsString::from(home.path());
        let env = |pairs: Vec<(&'static str, OsString)>| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        };
        assert!(!aws_configured_in(env(vec![("HOME", home_os.clone())])));
        assert!(!aws_configured_in(env(vec![
            ("HOME", home_os.clone()),
            ("AWS_PROFILE", "".into())
        ])));
        assert!(aws_configured_in(env(vec![(
            "AWS_PROFILE",
            "studio".into()
        )])));
        assert!(aws_configured_in(env(vec![(
            "AWS_ENDPOINT_URL_REKOGNITION",
            "http://127.0.0.1:9".into()
        )])));
        std::fs::create_dir(home.path().join(".aws")).expect("mkdir");
        std::fs::write(home.path().join(".aws/credentials"), "[default]\n").expect("write");
        assert!(aws_configured_in(env(vec![("HOME", home_os.clone())])));
        let elsewhere = OsString::from(home.path().join("nowhere"));
        assert!(!aws_configured_in(env(vec![("HOME", elsewhere.clone())])));
        let file = OsString::from(home.path().join(".aws/credentials"));
        assert!(aws_configured_in(env(vec![
            ("HOME", elsewhere),
            ("AWS_SHARED_CREDENTIALS_FILE", file)
        ])));
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let config = RekognitionConfig {
            static_credentials: Some(("AKIDEXAMPLE".into(), "wJalrXUtnFEMI-secret".into())),
            ..RekognitionConfig::default()
        };
        assert!(!format!("{config:?}").contains("secret"));
    }
}
