//! Misbehaviour on demand: latency, a TPS quota, random throttles, 5xx, stalls and
//! credential rejection — settable at start and at runtime — plus the call statistics.
//!
//! All randomness comes from one seeded RNG, and every call draws the same number of
//! values whatever the config, so a sequential run is reproducible from `seed`.

use crate::error::{ApiError, ErrorKind};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// AWS's limit on `Image.Bytes`.
pub const DEFAULT_MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// How to refuse credentials while `reject_credentials` is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CredentialRejection {
    /// Accept every signed request.
    #[default]
    Off,
    /// 403 `ExpiredTokenException` ("The security token included in the request is expired").
    ExpiredToken,
    /// 403 `UnrecognizedClientException` ("The security token included in the request is invalid.").
    UnrecognizedClient,
}

/// The knobs. `Default` is a well-behaved AWS: no latency, no quota, no faults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MockConfig {
    /// Added to every Rekognition call (not to admin calls).
    pub latency_ms: u64,
    /// Per-server quota in calls per second; 0 = unlimited. Above it: 400 ThrottlingException.
    pub tps: f64,
    /// Token-bucket size; 0 = automatic (max(1, ceil(tps / 4))).
    pub tps_burst: f64,
    /// Probability of a spontaneous throttle: ThrottlingException (400 or 500) or
    /// ProvisionedThroughputExceededException (400), in equal parts.
    pub throttle_rate: f64,
    /// Probability of InternalServerError (500) or ServiceUnavailable (503), in equal parts.
    pub error_5xx_rate: f64,
    /// Probability that a call's answer is held back `stall_ms` *after* the operation ran
    /// (the client times out, but the side effect happened — like a lost response).
    pub stall_rate: f64,
    pub stall_ms: u64,
    /// Refuse every call with a credentials error until set back to `off`.
    pub reject_credentials: CredentialRejection,
    /// Largest accepted `Image.Bytes` (decoded); above: ImageTooLargeException.
    pub max_image_bytes: usize,
    /// Seed of the fault RNG and of the generated FaceIds/ImageIds.
    pub seed: u64,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            tps: 0.0,
            tps_burst: 0.0,
            throttle_rate: 0.0,
            error_5xx_rate: 0.0,
            stall_rate: 0.0,
            stall_ms: 0,
            reject_credentials: CredentialRejection::Off,
            max_image_bytes: DEFAULT_MAX_IMAGE_BYTES,
            seed: 0x00FD_3E00,
        }
    }
}

impl MockConfig {
    /// Applies an admin patch: `{"tps": 5, "reject_credentials": "expired_token"}`. Unknown
    /// keys are refused so a typo cannot silently leave a knob off.
    pub fn patched(&self, patch: serde_json::Value) -> Result<MockConfig, String> {
        let serde_json::Value::Object(patch) = patch else {
            return Err("config patch must be a JSON object".into());
        };
        let mut merged = match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => return Err("config is not an object".into()),
        };
        for (k, v) in patch {
            // Convenience: `true` = expired token, `false` = off.
            let v = match (k.as_str(), v) {
                ("reject_credentials", serde_json::Value::Bool(b)) => {
                    serde_json::json!(if b { "expired_token" } else { "off" })
                }
                (_, v) => v,
            };
            merged.insert(k, v);
        }
        serde_json::from_value(serde_json::Value::Object(merged)).map_err(|e| e.to_string())
    }

    fn burst(&self) -> f64 {
        if self.tps_burst > 0.0 {
            self.tps_burst
        } else {
            (self.tps / 4.0).ceil().max(1.0)
        }
    }
}

/// Call statistics, as returned by `GET /__admin/stats` and `MockServer::stats()`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Every Rekognition call received (including refused ones).
    pub total_calls: u64,
    /// Calls per operation name (`"Unknown"` for a missing or unknown target).
    pub calls: BTreeMap<String, u64>,
    /// Throttling answers of any origin (quota or random).
    pub throttled: u64,
    /// Of which refused by the `tps` quota.
    pub throttled_by_quota: u64,
    /// Random 5xx answers injected by `error_5xx_rate`.
    pub errors_injected: u64,
    /// Answers held back by `stall_rate`.
    pub stalled: u64,
    /// Calls refused by `reject_credentials`.
    pub credentials_rejected: u64,
    /// Every error answer by code (injected or genuine).
    pub errors: BTreeMap<String, u64>,
    /// Faces currently stored, per collection.
    pub faces_per_collection: BTreeMap<String, usize>,
}

/// What the knobs decided for one call.
pub(crate) struct Plan {
    /// Refuse the call with this error before running it.
    pub fault: Option<ApiError>,
    /// Hold the answer this long after running the call.
    pub stall: Option<Duration>,
}

struct Bucket {
    tokens: f64,
    last: Instant,
    key: (f64, f64),
}

/// Runtime state of the knobs.
pub(crate) struct Knobs {
    config: Mutex<MockConfig>,
    rng: Mutex<StdRng>,
    bucket: Mutex<Bucket>,
    stats: Mutex<Stats>,
}

/// Locks even after a panic elsewhere: the mock must keep serving.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Knobs {
    pub fn new(config: MockConfig) -> Self {
        Self {
            rng: Mutex::new(StdRng::seed_from_u64(config.seed)),
            bucket: Mutex::new(Bucket {
                tokens: config.burst(),
                last: Instant::now(),
                key: (config.tps, config.burst()),
            }),
            config: Mutex::new(config),
            stats: Mutex::new(Stats::default()),
        }
    }

    pub fn config(&self) -> MockConfig {
        lock(&self.config).clone()
    }

    pub fn set_config(&self, new: MockConfig) {
        let mut cfg = lock(&self.config);
        if new.seed != cfg.seed {
            *lock(&self.rng) = StdRng::seed_from_u64(new.seed);
        }
        *cfg = new;
    }

    pub fn reset_stats(&self) {
        *lock(&self.stats) = Stats::default();
    }

    pub fn stats(&self) -> Stats {
        lock(&self.stats).clone()
    }

    pub fn count_call(&self, op: &str) {
        let mut s = lock(&self.stats);
        s.total_calls += 1;
        *s.calls.entry(op.to_string()).or_default() += 1;
    }

    pub fn count_error(&self, kind: ErrorKind) {
        let mut s = lock(&self.stats);
        *s.errors.entry(kind.code().to_string()).or_default() += 1;
        if kind.is_throttling() {
            s.throttled += 1;
        }
    }

    /// The credentials check, before anything else (AWS authenticates first).
    pub fn credentials(&self) -> Result<(), ApiError> {
        let err = match lock(&self.config).reject_credentials {
            CredentialRejection::Off => return Ok(()),
            CredentialRejection::ExpiredToken => ApiError::new(
                ErrorKind::ExpiredToken,
                "The security token included in the request is expired",
            ),
            CredentialRejection::UnrecognizedClient => ApiError::new(
                ErrorKind::UnrecognizedClient,
                "The security token included in the request is invalid.",
            ),
        };
        lock(&self.stats).credentials_rejected += 1;
        Err(err)
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(lock(&self.config).latency_ms)
    }

    /// Quota, random throttle, random 5xx, and the stall decision for one call.
    pub fn plan(&self) -> Plan {
        let cfg = self.config();
        let rolls: [f64; 5] = {
            let mut rng = lock(&self.rng);
            std::array::from_fn(|_| rng.random::<f64>())
        };
        let mut plan = Plan {
            fault: None,
            stall: None,
        };
        if !self.take_token(&cfg) {
            lock(&self.stats).throttled_by_quota += 1;
            plan.fault = Some(ApiError::new(
                ErrorKind::Throttling,
                "Slow down; sudden increase in rate of requests.",
            ));
        } else if rolls[0] < cfg.throttle_rate {
            plan.fault = Some(match (rolls[1] * 3.0) as u32 {
                0 => ApiError::new(
                    ErrorKind::Throttling,
                    "Slow down; sudden increase in rate of requests.",
                ),
                1 => ApiError::new(ErrorKind::ThrottlingServer, "Service Unavailable"),
                _ => ApiError::new(
                    ErrorKind::ProvisionedThroughputExceeded,
                    "Provisioned Rate exceeded.",
                ),
            });
        } else if rolls[2] < cfg.error_5xx_rate {
            lock(&self.stats).errors_injected += 1;
            plan.fault = Some(if rolls[3] < 0.5 {
                ApiError::new(ErrorKind::InternalServerError, "Internal server error")
            } else {
                ApiError::new(ErrorKind::ServiceUnavailable, "Service Unavailable")
            });
        }
        if plan.fault.is_none() && rolls[4] < cfg.stall_rate && cfg.stall_ms > 0 {
            lock(&self.stats).stalled += 1;
            plan.stall = Some(Duration::from_millis(cfg.stall_ms));
        }
        plan
    }

    fn take_token(&self, cfg: &MockConfig) -> bool {
        if cfg.tps <= 0.0 {
            return true;
        }
        let burst = cfg.burst();
        let now = Instant::now();
        let mut b = lock(&self.bucket);
        if b.key != (cfg.tps, burst) {
            *b = Bucket {
                tokens: burst,
                last: now,
                key: (cfg.tps, burst),
            };
        }
        let elapsed = now.duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * cfg.tps).min(burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_merges_and_refuses_typos() {
        let c = MockConfig::default();
        let p = c
            .patched(serde_json::json!({"tps": 5, "reject_credentials": true}))
            .unwrap();
        assert_eq!(p.tps, 5.0);
        assert_eq!(p.reject_credentials, CredentialRejection::ExpiredToken);
        assert_eq!(p.max_image_bytes, DEFAULT_MAX_IMAGE_BYTES);
        assert!(c.patched(serde_json::json!({"tsp": 5})).is_err());
        assert!(c.patched(serde_json::json!([1])).is_err());
    }

    #[test]
    fn same_seed_same_faults() {
        let cfg = MockConfig {
            throttle_rate: 0.3,
            error_5xx_rate: 0.3,
            ..MockConfig::default()
        };
        let run = || {
            let k = Knobs::new(cfg.clone());
            (0..50)
                .map(|_| k.plan().fault.map(|e| e.kind))
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        assert!(a.iter().any(Option::is_some) && a.iter().any(Option::is_none));
    }

    #[test]
    fn quota_refuses_above_burst() {
        let k = Knobs::new(MockConfig {
            tps: 2.0,
            tps_burst: 2.0,
            ..MockConfig::default()
        });
        let faults: Vec<bool> = (0..5).map(|_| k.plan().fault.is_some()).collect();
        assert_eq!(faults, [false, false, true, true, true]);
        assert_eq!(k.stats().throttled_by_quota, 3);
    }
}
