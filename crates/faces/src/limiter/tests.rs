use super::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn limiter(start_tps: f64) -> RateLimiter {
    RateLimiter::new(LimiterConfig {
        start_tps,
        ..LimiterConfig::default()
    })
}

/// `n` sequential calls, each reported as a success; returns the time taken.
async fn run(l: &RateLimiter, n: usize, succeed: bool) -> Duration {
    let t = Instant::now();
    for _ in 0..n {
        drop(l.acquire().await);
        if succeed {
            l.succeeded();
        }
    }
    t.elapsed()
}

#[tokio::test(start_paused = true)]
async fn the_rate_is_respected() {
    let l = limiter(5.0);
    // One token at start, then one every 200 ms.
    let took = run(&l, 21, false).await.as_secs_f64();
    assert!(
        (3.95..=4.05).contains(&took),
        "21 calls at 5/s took {took}s"
    );

    let l = limiter(40.0);
    let took = run(&l, 81, false).await.as_secs_f64();
    assert!(
        (1.95..=2.05).contains(&took),
        "81 calls at 40/s took {took}s"
    );
}

#[tokio::test(start_paused = true)]
async fn the_burst_after_a_quiet_spell_is_small() {
    let l = limiter(20.0);
    drop(l.acquire().await);
    tokio::time::advance(Duration::from_secs(10)).await;
    // A quarter second's worth (5) goes at once, the rest at the rate.
    let took = run(&l, 5, false).await;
    assert_eq!(took, Duration::ZERO);
    let took = run(&l, 1, false).await;
    assert!(took >= Duration::from_millis(49), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn concurrency_never_exceeds_the_cap() {
    let l = Arc::new(RateLimiter::new(LimiterConfig {
        max_concurrent: 3,
        start_tps: 100.0,
        ..LimiterConfig::default()
    }));
    let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (l, now, peak) = (l.clone(), now.clone(), peak.clone());
            tokio::spawn(async move {
                let _permit = l.acquire().await;
                let inside = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(inside, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(300)).await; // the "call"
                now.fetch_sub(1, Ordering::SeqCst);
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(peak.load(Ordering::SeqCst), 3);
    assert_eq!(now.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn throttles_halve_once_per_window_and_not_below_min() {
    let l = limiter(8.0);
    let granted = Instant::now();
    l.throttled();
    assert_eq!(l.rate(), 4.0);
    // The rest of a burst from calls already in flight: no further cut.
    l.throttled_since(granted);
    l.throttled();
    assert_eq!(l.rate(), 4.0);
    // Every call sent since the cut throttled too: the quota is lower still.
    for _ in 0..6 {
        for _ in 0..12 {
            l.throttled();
        }
        tokio::time::advance(Duration::from_millis(1001)).await;
        l.throttled();
    }
    assert_eq!(l.rate(), 0.5, "min_tps");
}

#[tokio::test(start_paused = true)]
async fn a_cut_waits_for_evidence_before_the_next() {
    let l = limiter(8.0);
    l.throttled();
    assert_eq!(l.rate(), 4.0);
    // Too few answers since the cut to judge it: no second cut yet.
    tokio::time::advance(Duration::from_millis(1001)).await;
    l.throttled();
    assert_eq!(l.rate(), 4.0);
}

#[tokio::test(start_paused = true)]
async fn a_throttle_empties_the_bucket() {
    let l = limiter(20.0);
    tokio::time::advance(Duration::from_secs(5)).await;
    l.throttled(); // 10/s now
    let took = run(&l, 1, false).await;
    assert!(took >= Duration::from_millis(99), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn slow_start_doubles_per_second_of_success() {
    let l = limiter(5.0);
    run(&l, 20, true).await;
    // Each success adds 1 (except the first: that call found a token ready,
    // so the rate was not tested yet): 24/s after 20 calls, in under 2 s.
    assert_eq!(l.rate(), 24.0);
    run(&l, 500, true).await;
    assert_eq!(l.rate(), 100.0, "max_tps");
}

#[tokio::test(start_paused = true)]
async fn success_creeps_back_up_after_a_throttle() {
    let l = RateLimiter::new(LimiterConfig {
        start_tps: 40.0,
        max_tps: 40.0,
        ..LimiterConfig::default()
    });
    // Saturated at 40/s for 2.5 s: the server accepted 40/s.
    run(&l, 100, true).await;
    l.throttled();
    assert_eq!(l.rate(), 20.0);

    // Recovery: +50 % per second of successes, up to 90 % of the 40/s accepted.
    let t = Instant::now();
    while l.rate() < 36.0 {
        run(&l, 1, true).await;
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "slow recovery: {} after {:?}",
            l.rate(),
            t.elapsed()
        );
    }
    assert!(l.rate() < 37.0, "{}", l.rate());

    // Probing: +2 % of the ceiling (0.8/s) per second of successes.
    let (t, start) = (Instant::now(), l.rate());
    while t.elapsed() < Duration::from_secs(5) {
        run(&l, 1, true).await;
    }
    let gained = l.rate() - start;
    assert!(
        (3.5..=4.5).contains(&gained),
        "probing gained {gained} in 5 s"
    );
}

#[tokio::test(start_paused = true)]
async fn an_idle_limiter_does_not_grow() {
    let l = limiter(5.0);
    for _ in 0..20 {
        tokio::time::advance(Duration::from_secs(2)).await;
        run(&l, 1, true).await;
    }
    assert_eq!(l.rate(), 5.0);
}

#[test]
fn environment_overrides() {
    let vars = |pairs: &'static [(&str, &str)]| {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        move |k: &str| map.get(k).map(|v| v.to_string())
    };
    let c = LimiterConfig::from_vars(vars(&[]));
    assert_eq!((c.max_concurrent, c.start_tps, c.max_tps), (64, 5.0, 100.0));

    let c = LimiterConfig::from_vars(vars(&[
        ("AWS_CONCURRENT_REQUESTS", " 4 "),
        ("FINDME_REKOGNITION_TPS", "50"),
    ]));
    assert_eq!((c.max_concurrent, c.start_tps, c.max_tps), (4, 50.0, 100.0));

    let c = LimiterConfig::from_vars(vars(&[("FINDME_REKOGNITION_TPS", "250.5")]));
    assert_eq!((c.start_tps, c.max_tps), (250.5, 250.5));

    for bad in ["", "ten", "0", "-3", "NaN", "inf"] {
        let c = LimiterConfig::from_vars(|k: &str| {
            matches!(k, "AWS_CONCURRENT_REQUESTS" | "FINDME_REKOGNITION_TPS")
                .then(|| bad.to_string())
        });
        assert_eq!((c.max_concurrent, c.start_tps), (64, 5.0), "{bad:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_nonsensical_config_is_made_usable() {
    let l = RateLimiter::new(LimiterConfig {
        max_concurrent: 0,
        start_tps: 0.0,
        min_tps: 0.0,
        max_tps: 0.0,
        hold_off: Duration::ZERO,
    });
    assert!(l.rate() > 0.0);
    drop(l.acquire().await); // does not hang
}

/// A simulated face service: a token bucket of `quota` calls per second (a
/// quarter second of burst), and a fixed share of calls refused whatever the
/// rate (`background_in_10` of every 10, spread evenly).
struct Service {
    quota: f64,
    tokens: f64,
    at: Instant,
    background_in_10: u64,
    calls: u64,
}

impl Service {
    fn new(quota: f64, background_in_10: u64) -> Service {
        Service {
            quota,
            tokens: quota / 4.0,
            at: Instant::now(),
            background_in_10,
            calls: 0,
        }
    }

    /// Whether a call arriving now is throttled.
    fn throttles(&mut self) -> bool {
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.quota).min(self.quota / 4.0);
        self.at = now;
        self.calls += 1;
        // Like the project's mock (and a busy AWS region): a refused call may
        // still have spent quota.
        if self.tokens < 1.0 {
            return true;
        }
        self.tokens -= 1.0;
        (self.calls * 7) % 10 < self.background_in_10
    }
}

/// Eight callers with 200 ms calls for `seconds` against `service`; returns the
/// calls it accepted per second and the limiter's final rate.
async fn saturate(l: Arc<RateLimiter>, service: Service, seconds: u64) -> (f64, f64) {
    let service = Arc::new(Mutex::new(service));
    let accepted = Arc::new(AtomicUsize::new(0));
    let end = Instant::now() + Duration::from_secs(seconds);
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let (l, service, accepted) = (l.clone(), service.clone(), accepted.clone());
            tokio::spawn(async move {
                while Instant::now() < end {
                    let permit = l.acquire().await;
                    let granted = permit.granted();
                    let throttled = service.lock().expect("service").throttles();
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    drop(permit);
                    if throttled {
                        l.throttled_since(granted);
                    } else {
                        accepted.fetch_add(1, Ordering::SeqCst);
                        l.succeeded_since(granted);
                    }
                }
            })
        })
        .collect();
    for c in callers {
        c.await.expect("caller");
    }
    let per_second = accepted.load(Ordering::SeqCst) as f64 / seconds as f64;
    eprintln!("accepted {per_second:.2}/s, rate {:.2}", l.rate());
    (per_second, l.rate())
}

#[tokio::test(start_paused = true)]
async fn a_quota_alone_is_used_almost_fully() {
    for quota in [5.0, 20.0] {
        let l = Arc::new(limiter(5.0));
        let (accepted, rate) = saturate(l, Service::new(quota, 0), 120).await;
        assert!(
            accepted >= 0.85 * quota,
            "quota {quota}: {accepted:.2} calls/s accepted"
        );
        assert!(rate < 2.0 * quota, "quota {quota}: rate ended at {rate:.2}");
    }
}

#[tokio::test(start_paused = true)]
async fn background_throttling_does_not_starve_the_queue() {
    // 30 % of calls refused whatever the rate, no quota in reach: halving on
    // every throttle would sink to min_tps (0.5/s).
    let l = Arc::new(limiter(5.0));
    let (accepted, rate) = saturate(l, Service::new(1000.0, 3), 120).await;
    assert!(rate >= 4.0, "rate collapsed to {rate:.2}");
    // Eight callers of 200 ms calls send at most 40/s, of which 70 % get through.
    assert!(accepted >= 0.8 * 28.0, "{accepted:.2} calls/s accepted");
}

#[tokio::test(start_paused = true)]
async fn a_quota_is_still_found_under_background_throttling() {
    let l = Arc::new(limiter(5.0));
    let (accepted, rate) = saturate(l, Service::new(5.0, 3), 180).await;
    // The service takes at most 5/s and answers 70 % of those: 3.5/s at best.
    assert!(accepted >= 0.8 * 3.5, "{accepted:.2} calls/s accepted");
    assert!(rate < 20.0, "rate ran away to {rate:.2}");
}

#[test]
fn resuming_stays_within_the_bounds() {
    let limiter = RateLimiter::new(LimiterConfig::default());
    limiter.resume_at(12.0);
    assert_eq!(limiter.rate(), 12.0);
    limiter.resume_at(1e9);
    assert_eq!(limiter.rate(), LimiterConfig::default().max_tps);
    limiter.resume_at(0.0001);
    assert_eq!(limiter.rate(), LimiterConfig::default().min_tps);
    limiter.resume_at(f64::NAN);
    limiter.resume_at(-3.0);
    assert_eq!(
        limiter.rate(),
        LimiterConfig::default().min_tps,
        "nonsense is ignored"
    );
}
