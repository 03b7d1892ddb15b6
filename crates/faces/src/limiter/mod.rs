//! One rate limiter shared by every Rekognition call of the process: a cap on
//! calls in flight plus a token bucket whose rate adapts to the account's quota
//! (AIMD). AWS does not tell us the quota (5 TPS on a fresh account, often 50
//! after a raise), so the rate is learnt from the throttles.
//!
//! The numbers, and why:
//! - **Burst**: a quarter second's worth of tokens, at least 1. A full second's
//!   worth, spent at once after a quiet spell, overruns a server bucket the size
//!   of ours; while busy the bucket is empty anyway, so this costs no throughput.
//! - **Slow start** (until the first throttle): +1 TPS per success, so the rate
//!   doubles per second of successes (5 → 10 → 20 → 40 …) up to `max_tps`.
//! - **Throttle**: the rate halves (not below `min_tps`) at most once per
//!   `hold_off` — the throttles of calls already in flight are the same news —
//!   and the bucket is emptied. The *ceiling* becomes the calls that succeeded in
//!   the last second (what the server really accepted; the rate itself may have
//!   overshot the quota twofold during slow start), at least the halved rate.
//! - **Recovery** (below 90 % of the ceiling): +0.5 TPS per success, +50 % per
//!   second of successes: back near the ceiling in about 1.5 s.
//! - **Probing** (from 90 % of the ceiling): additive, +2 % of the ceiling per
//!   second of successes (at least +0.05 TPS/s): 5 s from 90 % to the ceiling,
//!   and past the quota the server's own burst drains slowly. One cycle is about
//!   1.5 s at ~70 % + 5 s at ~95 % + several seconds at 100 % with one or two
//!   throttles, ≥ 90 % of the quota on average at 5 or 50 TPS.
//! - **Background throttling** (a fixed share of calls refused whatever our
//!   rate) is told apart from the quota by judging each cut on the calls sent
//!   after it, see [`background`]: cuts that do not help are undone, so the rate
//!   does not collapse to `min_tps`.
//! - The rate grows only while the limiter is the bottleneck (a caller waited for
//!   a token in the last second): a quiet spell must not inflate it untested.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

mod background;

use background::{Evidence, Verdict};

const BURST_SECONDS: f64 = 0.25;
const SLOW_START_STEP: f64 = 1.0;
const RECOVERY_STEP: f64 = 0.5;
const RECOVERY_TARGET: f64 = 0.9;
const PROBE_FRACTION: f64 = 0.02;
const MIN_PROBE: f64 = 0.05;
/// How recently a caller must have waited for a token for successes to count.
const BUSY_WINDOW: Duration = Duration::from_secs(1);
/// The slowest rate the limiter accepts, whatever the config says.
const FLOOR_TPS: f64 = 0.01;

/// Tuning of the [`RateLimiter`].
#[derive(Debug, Clone)]
pub struct LimiterConfig {
    /// Calls in flight at once (default 64: at 50 TPS and a 1 s call, 50 are in
    /// flight; the rate, not this cap, is what keeps us within the quota).
    pub max_concurrent: usize,
    /// Calls per second before anything is known about the quota.
    pub start_tps: f64,
    pub min_tps: f64,
    pub max_tps: f64,
    /// After a halving, further throttles within this window are ignored.
    pub hold_off: Duration,
}

impl Default for LimiterConfig {
    fn default() -> Self {
        LimiterConfig {
            max_concurrent: 64,
            start_tps: 5.0,
            min_tps: 0.5,
            max_tps: 100.0,
            hold_off: Duration::from_secs(1),
        }
    }
}

impl LimiterConfig {
    /// The defaults, with `AWS_CONCURRENT_REQUESTS` (calls in flight) and
    /// `FINDME_REKOGNITION_TPS` (starting rate, for accounts with a raised quota)
    /// from `get` (the binaries pass the environment: `EngineConfig::from_env`).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> LimiterConfig {
        let mut config = LimiterConfig::default();
        if let Some(raw) = get("AWS_CONCURRENT_REQUESTS") {
            match raw.trim().parse::<usize>() {
                Ok(n) if n > 0 => config.max_concurrent = n,
                _ => {
                    tracing::warn!(value = %raw, "ignoring AWS_CONCURRENT_REQUESTS: not a positive whole number")
                }
            }
        }
        if let Some(raw) = get("FINDME_REKOGNITION_TPS") {
            match raw.trim().parse::<f64>() {
                Ok(tps) if tps.is_finite() && tps > 0.0 => {
                    config.start_tps = tps;
                    // A raised quota may be above the default ceiling.
                    config.max_tps = config.max_tps.max(tps);
                    config.min_tps = config.min_tps.min(tps);
                }
                _ => {
                    tracing::warn!(value = %raw, "ignoring FINDME_REKOGNITION_TPS: not a positive number")
                }
            }
        }
        config
    }
}

/// A slot for one call in flight; the slot is freed when this is dropped.
#[must_use = "the call slot is released as soon as the permit is dropped"]
#[derive(Debug)]
pub struct Permit<'a> {
    _slot: Option<SemaphorePermit<'a>>,
    granted: Instant,
}

impl Permit<'_> {
    /// When the call was allowed to go (its answer is news about this moment's rate).
    pub fn granted(&self) -> Instant {
        self.granted
    }
}

/// The limiter shared by every call (see the module doc for the numbers).
#[derive(Debug)]
pub struct RateLimiter {
    config: LimiterConfig,
    slots: Semaphore,
    /// Token waiters queue here one at a time (FIFO), so they do not stampede.
    line: tokio::sync::Mutex<()>,
    state: Mutex<State>,
    /// From a call's permit to its answer.
    call_time: crate::RunningAverage,
}

#[derive(Debug)]
struct State {
    rate: f64,
    tokens: f64,
    refilled: Instant,
    /// None until the first throttle (slow start).
    ceiling: Option<f64>,
    last_cut: Option<Instant>,
    /// Last time a caller had to wait for a token.
    waited: Option<Instant>,
    /// Successes in the current one-second window and in the one before.
    window_start: Instant,
    window_ok: u32,
    last_window_ok: u32,
    evidence: Evidence,
}

impl State {
    fn burst(&self) -> f64 {
        (self.rate * BURST_SECONDS).max(1.0)
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst());
        self.refilled = now;
    }

    fn roll_window(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.window_start);
        if elapsed >= Duration::from_secs(2) {
            (self.last_window_ok, self.window_ok, self.window_start) = (0, 0, now);
        } else if elapsed >= Duration::from_secs(1) {
            self.last_window_ok = self.window_ok;
            self.window_ok = 0;
            self.window_start += Duration::from_secs(1);
        }
    }
}

impl RateLimiter {
    pub fn new(config: LimiterConfig) -> RateLimiter {
        let mut config = config;
        config.max_concurrent = config.max_concurrent.clamp(1, Semaphore::MAX_PERMITS);
        config.min_tps = config.min_tps.max(FLOOR_TPS);
        config.max_tps = config.max_tps.max(config.min_tps);
        let rate = config.start_tps.clamp(config.min_tps, config.max_tps);
        let now = Instant::now();
        RateLimiter {
            slots: Semaphore::new(config.max_concurrent),
            line: tokio::sync::Mutex::new(()),
            state: Mutex::new(State {
                rate,
                tokens: 1.0,
                refilled: now,
                ceiling: None,
                last_cut: None,
                waited: None,
                window_start: now,
                window_ok: 0,
                last_window_ok: 0,
                evidence: Evidence::new(now),
            }),
            call_time: Default::default(),
            config,
        }
    }

    /// Waits for a call slot, then for a token. Cancel-safe: dropping the future
    /// gives back the slot and takes no token.
    pub async fn acquire(&self) -> Permit<'_> {
        // The semaphore is never closed, so this cannot fail.
        let slot = self.slots.acquire().await.ok();
        let _line = self.line.lock().await;
        while let Some(wait) = self.take_token() {
            tokio::time::sleep(wait).await;
        }
        Permit {
            _slot: slot,
            granted: Instant::now(),
        }
    }

    /// Takes a token, or says how long until one is there.
    fn take_token(&self) -> Option<Duration> {
        let now = Instant::now();
        let mut s = self.state();
        s.refill(now);
        // Tolerate float rounding: a sleep of exactly the computed time must do.
        if s.tokens >= 1.0 - 1e-9 {
            s.tokens -= 1.0;
            return None;
        }
        s.waited = Some(now);
        Some(Duration::from_secs_f64((1.0 - s.tokens) / s.rate))
    }

    /// A call sent just now was throttled (see [`throttled_since`](Self::throttled_since)).
    pub fn throttled(&self) {
        self.throttled_since(Instant::now());
    }

    /// A call granted at `granted` was throttled: halve the rate, at most once per
    /// `hold_off`, unless the throttle is old news (sent before the last cut) or
    /// background (see [`background`]).
    pub fn throttled_since(&self, granted: Instant) {
        let now = Instant::now();
        self.call_time
            .record(now.saturating_duration_since(granted).as_secs_f64());
        let mut s = self.state();
        s.evidence.record(granted, true);
        if s.last_cut
            .is_some_and(|t| granted < t || now.saturating_duration_since(t) < self.config.hold_off)
        {
            return;
        }
        match s.evidence.judge(now) {
            Verdict::Cut => {}
            Verdict::Ignore => return,
            Verdict::Undo { rate, ceiling } => {
                s.refill(now);
                s.rate = rate;
                s.ceiling = ceiling;
                return;
            }
        }
        s.refill(now);
        s.roll_window(now);
        let before = s.rate;
        let cut = (before / 2.0).max(self.config.min_tps);
        // What the server accepted, plus what background throttling refused of it.
        let background = s.evidence.noise(now).min(0.9);
        let accepted = f64::from(s.last_window_ok.max(s.window_ok)) / (1.0 - background);
        let ceiling_before = s.ceiling;
        s.ceiling = Some(accepted.min(before).max(cut));
        s.rate = cut;
        s.tokens = s.tokens.min(0.0);
        s.last_cut = Some(now);
        s.evidence.cut_made(now, before, ceiling_before);
        tracing::info!(
            from = before,
            to = cut,
            "face service throttled us: slowing down"
        );
    }

    /// A call sent just now got an answer that was not a throttle.
    pub fn succeeded(&self) {
        self.succeeded_since(Instant::now());
    }

    /// A call granted at `granted` got an answer that was not a throttle: creep
    /// the rate up.
    pub fn succeeded_since(&self, granted: Instant) {
        let now = Instant::now();
        self.call_time
            .record(now.saturating_duration_since(granted).as_secs_f64());
        let mut s = self.state();
        s.evidence.record(granted, false);
        s.roll_window(now);
        s.window_ok += 1;
        if s.waited
            .is_none_or(|t| now.saturating_duration_since(t) > BUSY_WINDOW)
        {
            return; // not the bottleneck: the current rate is untested
        }
        s.refill(now);
        let step = match s.ceiling {
            None => SLOW_START_STEP,
            Some(c) if s.rate < RECOVERY_TARGET * c => RECOVERY_STEP,
            Some(c) => (PROBE_FRACTION * c).max(MIN_PROBE) / s.rate,
        };
        s.rate = (s.rate + step).min(self.config.max_tps);
    }

    /// The current rate, in calls per second.
    pub fn rate(&self) -> f64 {
        self.state().rate
    }

    /// How long a call takes from its permit to its answer (running average,
    /// seconds); None before the first answer.
    pub fn call_seconds(&self) -> Option<f64> {
        self.call_time.get()
    }

    /// Go on at `rate` (within the configured bounds), e.g. the rate an earlier
    /// run of the app had reached, instead of climbing again from `start_tps`.
    pub fn resume_at(&self, rate: f64) {
        if rate.is_finite() && rate > 0.0 {
            self.state().rate = rate.clamp(self.config.min_tps, self.config.max_tps);
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state stays consistent at every step, so a panic elsewhere is harmless.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;
