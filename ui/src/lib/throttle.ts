// Trailing-edge throttle for re-fetches: the first request starts a timer, later
// requests before it fires are merged into the same run. Unlike a debounce it cannot
// starve while the engine keeps reporting changes (it does, during a long ingest).

export interface Throttled<K extends string> {
  /** Asks for a run covering `keys`; runs at most once per `delayMs`. */
  request(...keys: K[]): void;
  /** Runs now if anything is pending (e.g. before tests assert). */
  flush(): Promise<void>;
  /** Drops pending work and the timer. */
  cancel(): void;
}

export function throttle<K extends string>(
  delayMs: number,
  run: (keys: Set<K>) => Promise<void> | void,
): Throttled<K> {
  let pending = new Set<K>();
  let timer: ReturnType<typeof setTimeout> | null = null;

  async function fire(): Promise<void> {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (pending.size === 0) return;
    const keys = pending;
    pending = new Set<K>();
    await run(keys);
  }

  return {
    request(...keys: K[]) {
      for (const key of keys) pending.add(key);
      if (timer === null && pending.size > 0) {
        timer = setTimeout(() => void fire(), delayMs);
      }
    },
    flush: fire,
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      pending = new Set<K>();
    },
  };
}
