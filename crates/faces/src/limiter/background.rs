//! Telling quota throttles from background throttles.
//!
//! A quota throttle answers our rate: halve the rate and it (nearly) stops. A
//! background throttle does not (a busy region, a shared account, a test server
//! refusing a fixed share of calls): halving again and again only starves the
//! queue. So every cut is judged on the calls sent after it: if the throttled
//! share did not fall as a quota predicts, the cut is undone and that share
//! becomes the *background level*, which later throttles must clearly exceed to
//! count. The level halves every [`NOISE_HALF_LIFE`], so a passing disturbance
//! is forgotten and relearnt if it returns.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// Outcomes the throttled share is measured over.
const RECENT: usize = 40;
/// Answers to calls sent after a cut before the cut is judged (no further cut
/// meanwhile: the evidence is not in yet).
const MIN_SAMPLES: u32 = 12;
/// Throttles among them before a cut can be called useless.
const MIN_THROTTLES: u32 = 3;
const NOISE_HALF_LIFE: Duration = Duration::from_secs(120);

/// What to do about a throttle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Verdict {
    /// The quota is exceeded: cut the rate.
    Cut,
    /// Background throttling, or a cut still being judged: keep the rate.
    Ignore,
    /// The last cut did not help: go back to this rate and ceiling.
    Undo { rate: f64, ceiling: Option<f64> },
}

#[derive(Debug)]
struct Cut {
    at: Instant,
    from_rate: f64,
    from_ceiling: Option<f64>,
    ratio_before: f64,
    ok: u32,
    throttled: u32,
}

#[derive(Debug)]
pub(super) struct Evidence {
    /// True for a throttled call, false for any other answer.
    recent: VecDeque<bool>,
    cut: Option<Cut>,
    noise: f64,
    noise_at: Instant,
}

impl Evidence {
    pub fn new(now: Instant) -> Evidence {
        Evidence {
            recent: VecDeque::with_capacity(RECENT),
            cut: None,
            noise: 0.0,
            noise_at: now,
        }
    }

    /// An answer to a call granted at `granted`.
    pub fn record(&mut self, granted: Instant, throttled: bool) {
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(throttled);
        if let Some(cut) = self.cut.as_mut().filter(|c| granted >= c.at) {
            if throttled {
                cut.throttled += 1;
            } else {
                cut.ok += 1;
            }
        }
    }

    fn ratio(&self) -> f64 {
        if self.recent.is_empty() {
            return 0.0;
        }
        self.recent.iter().filter(|t| **t).count() as f64 / self.recent.len() as f64
    }

    /// The background level now (decayed since it was learnt).
    pub fn noise(&self, now: Instant) -> f64 {
        let age = now.saturating_duration_since(self.noise_at).as_secs_f64();
        self.noise * 0.5f64.powf(age / NOISE_HALF_LIFE.as_secs_f64())
    }

    /// A throttle arrived (of a call sent after the last cut): what now?
    pub fn judge(&mut self, now: Instant) -> Verdict {
        if let Some(cut) = &self.cut {
            let samples = cut.ok + cut.throttled;
            if samples < MIN_SAMPLES {
                return Verdict::Ignore;
            }
            let after = f64::from(cut.throttled) / f64::from(samples);
            let verdict = self.judge_cut(cut, after, now);
            if let Verdict::Undo { .. } = verdict {
                tracing::info!(
                    share = after,
                    "throttles do not follow our rate: treating them as background"
                );
                self.noise = after;
                self.noise_at = now;
            }
            self.cut = None;
            if verdict != Verdict::Cut {
                return verdict;
            }
        }
        let noise = self.noise(now);
        if noise > 0.0 && self.ratio() <= noise + (0.5 * noise).max(0.1) {
            return Verdict::Ignore;
        }
        Verdict::Cut
    }

    /// Did halving the rate lower the throttled share as a quota would? At a rate
    /// R over a quota Q the share of the excess is 1 - Q/R; at R/2 it becomes
    /// 2·share - 1 (or nothing). Background throttling keeps the share as it was.
    /// Shares are counted above the known background level.
    fn judge_cut(&self, cut: &Cut, after: f64, now: Instant) -> Verdict {
        let noise = self.noise(now).min(0.9);
        let excess = |share: f64| ((share - noise) / (1.0 - noise)).max(0.0);
        let (before, after_excess) = (excess(cut.ratio_before), excess(after));
        let quota_predicts = (2.0 * before - 1.0).max(0.0);
        let useless =
            cut.throttled >= MIN_THROTTLES && after_excess > (before + quota_predicts) / 2.0;
        if useless {
            Verdict::Undo {
                rate: cut.from_rate,
                ceiling: cut.from_ceiling,
            }
        } else {
            Verdict::Cut
        }
    }

    /// The rate was just cut from `from_rate`: judge the cut on what follows.
    pub fn cut_made(&mut self, now: Instant, from_rate: f64, from_ceiling: Option<f64>) {
        self.cut = Some(Cut {
            at: now,
            from_rate,
            from_ceiling,
            ratio_before: self.ratio(),
            ok: 0,
            throttled: 0,
        });
    }
}
