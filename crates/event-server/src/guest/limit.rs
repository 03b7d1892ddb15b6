//! Per-client-address rate limits for the guest pages (registrations and token
//! lookups). A refused request costs one mutex and a hash lookup, never the
//! database, so a flood cannot slow the photographer's pushes.
//!
//! In memory first, per process; on PostgreSQL an allowed request then also takes
//! from the address's shared bucket ([`GuestLimits::allow`]), so several
//! instances hold one limit. Behind a reverse proxy `--trusted-proxy` makes the
//! address the forwarded one; the limits stay generous anyway: a venue's Wi-Fi
//! puts hundreds of guests behind one NAT address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::now_ms;
use crate::store::Meta;

/// A token bucket per address: `burst` requests at once, refilled at `per_minute`.
#[derive(Debug)]
pub struct RateLimit {
    per_minute: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets idle this long are full again and can be forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(600);
/// Prune when the map grows past this many addresses.
const PRUNE_AT: usize = 10_000;

impl RateLimit {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_minute: f64::from(per_minute.max(1)),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `addr` at `now`; `false` = refuse this request.
    pub fn allow_at(&self, addr: IpAddr, now: Instant) -> bool {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= PRUNE_AT {
            buckets.retain(|_, b| now.saturating_duration_since(b.at) < FORGET_AFTER);
        }
        let bucket = buckets.entry(addr).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_minute / 60.0).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    pub fn allow(&self, addr: IpAddr) -> bool {
        self.allow_at(addr, Instant::now())
    }
}

/// The guest pages' limits.
#[derive(Debug)]
pub struct GuestLimits {
    /// Registration attempts (accepted or refused by validation).
    pub register: RateLimit,
    /// Token and session lookups: personal-link exchanges and unknown cookies.
    pub lookup: RateLimit,
    register_rate: (u32, u32),
    lookup_rate: (u32, u32),
}

/// Which of the guest pages' limits a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Register,
    Lookup,
}

impl GuestLimits {
    pub fn new(register_per_minute: u32, lookup_per_minute: u32) -> Self {
        let register_rate = (register_per_minute, register_per_minute.div_ceil(3));
        let lookup_rate = (lookup_per_minute, lookup_per_minute.div_ceil(2));
        Self {
            register: RateLimit::new(register_rate.0, register_rate.1),
            lookup: RateLimit::new(lookup_rate.0, lookup_rate.1),
            register_rate,
            lookup_rate,
        }
    }

    /// Whether `addr` may make one more request of `limit`. This instance's own
    /// bucket first: its refusal costs no query, so a flood never reaches the
    /// database. On PostgreSQL (several instances may share it) an allowed
    /// request then takes from the address's shared bucket, so the limit holds
    /// for the whole deployment, not per instance. A database error lets the
    /// request through: the limits protect the service, the request's own
    /// queries meet the same database.
    pub async fn allow(&self, meta: &Meta, limit: Limit, addr: IpAddr) -> bool {
        let (local, (per_minute, burst), name) = match limit {
            Limit::Register => (&self.register, self.register_rate, "register"),
            Limit::Lookup => (&self.lookup, self.lookup_rate, "lookup"),
        };
        if !local.allow(addr) {
            return false;
        }
        if !matches!(meta, Meta::Postgres(_)) {
            return true; // one instance: its own bucket is the whole limit
        }
        let key = format!("{name}:{addr}");
        match meta.take_token(&key, per_minute, burst, now_ms()).await {
            Ok(allowed) => allowed,
            Err(e) => {
                tracing::warn!(error = %e, "shared rate limit unavailable; allowing");
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_then_refilled_per_address() {
        let limit = RateLimit::new(60, 3);
        let t0 = Instant::now();
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        assert!((0..3).all(|_| limit.allow_at(a, t0)));
        assert!(!limit.allow_at(a, t0));
        assert!(limit.allow_at(b, t0), "another address has its own bucket");
        assert!(!limit.allow_at(a, t0 + Duration::from_millis(500)));
        assert!(limit.allow_at(a, t0 + Duration::from_millis(1600)));
        assert!(!limit.allow_at(a, t0 + Duration::from_millis(1600)));
    }
}
