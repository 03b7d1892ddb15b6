// Items per second over a sliding window, and the time left at that rate.

export interface Sample {
  /** ms (performance.now() or Date.now()). */
  t: number;
  /** Items done so far (monotonic while a run lasts). */
  done: number;
}

export const RATE_WINDOW_MS = 10_000;
/** Below this span the rate is noise: say nothing yet. */
const MIN_SPAN_MS = 900;

export class RateMeter {
  #samples: Sample[] = [];
  readonly #windowMs: number;

  constructor(windowMs = RATE_WINDOW_MS) {
    this.#windowMs = windowMs;
  }

  /** Records progress. A count going backwards starts a new run. */
  add(t: number, done: number): void {
    const last = this.#samples[this.#samples.length - 1];
    if (last && (done < last.done || t < last.t)) this.#samples = [];
    this.#samples.push({ t, done });
    // Keep one sample older than the window so the span covers all of it.
    while (this.#samples.length > 2 && (this.#samples[1] as Sample).t <= t - this.#windowMs) this.#samples.shift();
  }

  reset(): void {
    this.#samples = [];
  }

  /** Items per second over the window, or null while there is too little to tell. */
  rate(): number | null {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (!first || !last || last.t - first.t < MIN_SPAN_MS) return null;
    return ((last.done - first.done) * 1000) / (last.t - first.t);
  }

  /** Seconds until `remaining` more items are done at the current rate, or null. */
  eta(remaining: number): number | null {
    if (remaining <= 0) return 0;
    const rate = this.rate();
    return rate !== null && rate > 0 ? remaining / rate : null;
  }
}

/** 0.4 → "0.4/s", 37.2 → "37/s". */
export function formatRate(rate: number | null): string {
  if (rate === null) return '…';
  return `${rate < 10 ? rate.toFixed(1) : Math.round(rate).toLocaleString('en-US')}/s`;
}

/** 75 → "1 min 15 s left". */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'estimating…';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s left`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s left`;
  return `${Math.floor(m / 60)} h ${m % 60} min left`;
}
