//! The pool-wide "server unreachable" backoff: one probe per delay instead of
//! every queued job knocking on a closed door.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// First delay after the server stopped answering.
const BASE: Duration = Duration::from_secs(1);
/// Longest delay: a venue's Wi-Fi that comes back is used within a minute.
const CAP: Duration = Duration::from_secs(60);

#[derive(Default)]
pub(crate) struct Offline {
    failures: AtomicU32,
    until: Mutex<Option<(Instant, String)>>,
}

impl Offline {
    /// While a backoff runs: how long is left and why (other jobs wait it out
    /// without sending anything).
    pub(crate) fn waiting(&self) -> Option<(Duration, String)> {
        let guard = self.until.lock().ok()?;
        let (until, reason) = guard.as_ref()?;
        let left = until.checked_duration_since(Instant::now())?;
        Some((jitter(left).min(CAP), reason.clone()))
    }

    /// The server could not be reached: the next delay, growing with each
    /// consecutive failure (or the server's Retry-After when longer).
    pub(crate) fn failed(&self, reason: &str, retry_after: Option<Duration>) -> Duration {
        let n = self.failures.fetch_add(1, Ordering::AcqRel).min(16);
        let grown = BASE.saturating_mul(1u32 << n).min(CAP);
        let delay = jitter(grown).max(retry_after.unwrap_or_default()).min(CAP);
        let Ok(mut until) = self.until.lock() else {
            return delay;
        };
        // A wait already running that ends later (a server's Retry-After) stands:
        // a plain failure of another job must not cut it short.
        let now = Instant::now();
        let later = until
            .as_ref()
            .filter(|(at, _)| *at > now + delay)
            .map(|(at, _)| *at);
        match later {
            Some(at) => at - now,
            None => {
                *until = Some((now + delay, reason.to_string()));
                delay
            }
        }
    }

    /// The server answered: back to normal.
    pub(crate) fn reached(&self) {
        self.failures.store(0, Ordering::Release);
        if let Ok(mut until) = self.until.lock() {
            *until = None;
        }
    }
}

/// ±50%, so that jobs deferred together do not all come due together.
fn jitter(d: Duration) -> Duration {
    d.mul_f64(rand::random_range(0.5..1.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_are_capped_and_reset() {
        let offline = Offline::default();
        let first = offline.failed("down", None);
        assert!(first <= BASE.mul_f64(1.5), "{first:?}");
        assert!(offline.waiting().is_some());
        for _ in 0..10 {
            offline.failed("down", None);
        }
        let late = offline.failed("down", None);
        assert!(late >= CAP / 2 && late <= CAP, "{late:?}");
        offline.reached();
        assert!(offline.waiting().is_none());
        assert!(offline.failed("down", None) <= BASE.mul_f64(1.5));
    }

    #[test]
    fn a_plain_failure_does_not_cut_a_servers_retry_after_short() {
        let offline = Offline::default();
        offline.failed("busy", Some(Duration::from_secs(10)));
        let next = offline.failed("down", None);
        assert!(next > Duration::from_secs(9), "{next:?}");
        let (left, reason) = offline.waiting().expect("still waiting");
        assert_eq!(reason, "busy");
        assert!(left > Duration::from_secs(4), "{left:?}");
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let offline = Offline::default();
        let d = offline.failed("busy", Some(Duration::from_secs(30)));
        assert!(d >= Duration::from_secs(30), "{d:?}");
        let d = offline.failed("busy", Some(Duration::from_secs(3600)));
        assert_eq!(d, CAP);
    }
}
