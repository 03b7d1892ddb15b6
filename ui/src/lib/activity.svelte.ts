// What the engine is busy with: import progress (from events) and the job queues
// (from `activity()`), each as a progress bar with a rate and an ETA. `activity()` is
// polled on queue_changed and cameras_changed events (coalesced) and every second
// while a queue is busy.
import { errorMessage, type Api } from './api';
import type { ActivityDto } from './bindings/ActivityDto';
import type { EngineNotice } from './bindings/EngineNotice';
import type { QueueActivity } from './bindings/QueueActivity';
import { RateMeter } from './rate';
import { throttle, type Throttled } from './throttle';

export const POLL_BUSY_MS = 1000;
export const EVENT_POLL_MS = 300;

/** One bar: items done out of total for the current run, with rate and ETA. */
export interface ProgressItem {
  key: string;
  label: string;
  done: number;
  total: number;
  /** Items per second over the sliding window, or null while unknown. */
  rate: number | null;
  /** Seconds left, or null while unknown. */
  eta: number | null;
  /** Why it is not moving (paused, no worker here); shown instead of rate and ETA. */
  note?: string;
}

/** The bars shown, in this order, and their labels. */
export const QUEUE_LABELS: Record<string, string> = {
  thumbnail: 'Thumbnails',
  match: 'Matching',
  push: 'Sync',
};

export function queueBusy(q: QueueActivity): boolean {
  return q.stats.pending + q.stats.running > 0;
}

/** Work is waiting but nothing here will do it now (paused, or no worker runs it). */
export function queueStalled(q: QueueActivity): boolean {
  return q.paused !== null || (q.workers === 0 && q.stats.workers_active === 0 && q.stats.running === 0);
}

/**
 * Why a queue with work has no worker in this app, and what the photographer can
 * do about it (never just "no worker": that says nothing to act on).
 */
export function idleNote(kind: string): string {
  switch (kind) {
    case 'push':
      return 'waiting: no event server is set up (Event server… sends them)';
    case 'match':
    case 'index-participant':
      return 'waiting: face matching is off in this app (restart it without FINDME_MATCH_BACKEND=off)';
    default:
      return 'waiting: starting';
  }
}

/** Tracks one queue's current run: counts relative to when it became busy. */
class QueueRun {
  readonly meter = new RateMeter();
  base: number | null = null;

  update(q: QueueActivity, now: number): ProgressItem | null {
    const { total_enqueued: enqueued, total_processed: processed } = q.stats;
    if (!queueBusy(q)) {
      this.base = null;
      this.meter.reset();
      return null;
    }
    if (this.base === null || processed < this.base) this.base = processed;
    const done = processed - this.base;
    const total = Math.max(done, enqueued - this.base);
    const item = { key: q.kind, label: QUEUE_LABELS[q.kind] ?? q.kind, done, total };
    if (queueStalled(q)) {
      this.meter.reset();
      return { ...item, rate: null, eta: null, note: q.paused ? `paused: ${q.paused}` : idleNote(q.kind) };
    }
    this.meter.add(now, done);
    return { ...item, rate: this.meter.rate(), eta: this.meter.eta(total - done) };
  }
}

export class Activity {
  /** The last answer of `activity()`. */
  data = $state.raw<ActivityDto | null>(null);
  /** Bars to show now (import first, then the queues that are busy). */
  progress = $state.raw<ProgressItem[]>([]);
  importing = $state.raw<ProgressItem | null>(null);
  error = $state<string | null>(null);

  readonly #api: Api;
  readonly #now: () => number;
  readonly #runs = new Map<string, QueueRun>();
  readonly #importMeter = new RateMeter();
  readonly #eventPoll: Throttled<'poll'>;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;
  #queueBars: ProgressItem[] = [];

  constructor(api: Api, eventPollMs = EVENT_POLL_MS, now: () => number = () => performance.now()) {
    this.#api = api;
    this.#now = now;
    this.#eventPoll = throttle<'poll'>(eventPollMs, () => this.poll());
  }

  start(): Promise<void> {
    this.#stopped = false;
    return this.poll();
  }

  stop(): void {
    this.#stopped = true;
    this.#eventPoll.cancel();
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  handleEngineNotices(batch: EngineNotice[]): void {
    for (const event of batch) {
      // A camera's photo or failure changes the FTP totals too.
      if (event.type === 'queue_changed' || event.type === 'photos_changed' || event.type === 'cameras_changed') {
        this.#eventPoll.request('poll');
      }
      else if (event.type === 'import_progress') this.importProgress(event.done, event.total);
    }
  }

  importProgress(done: number, total: number): void {
    if (done >= total) {
      this.importFinished();
      return;
    }
    this.#importMeter.add(this.#now(), done);
    this.importing = {
      key: 'import',
      label: 'Importing',
      done,
      total,
      rate: this.#importMeter.rate(),
      eta: this.#importMeter.eta(total - done),
    };
    this.#publish();
  }

  importFinished(): void {
    this.#importMeter.reset();
    if (this.importing !== null) {
      this.importing = null;
      this.#publish();
    }
  }

  /**
   * Reads the queues now; keeps polling every second while any is busy (less often
   * if an answer takes long: polling never keeps the catalog more than 1/3 busy).
   */
  async poll(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const started = this.#now();
    try {
      const data = await this.#api.activity();
      this.data = data;
      this.error = null;
      this.#track(data);
    } catch (err) {
      this.error = `Could not read the activity: ${errorMessage(err)}`;
    }
    const busy = this.data?.queues.some((q) => queueBusy(q) && !queueStalled(q)) ?? false;
    if (busy && !this.#stopped && this.#timer === null) {
      const took = Math.max(0, this.#now() - started);
      this.#timer = setTimeout(() => void this.poll(), Math.max(POLL_BUSY_MS, 3 * took));
    }
  }

  #track(data: ActivityDto): void {
    const now = this.#now();
    const bars: ProgressItem[] = [];
    for (const q of data.queues) {
      let run = this.#runs.get(q.kind);
      if (!run) this.#runs.set(q.kind, (run = new QueueRun()));
      const bar = run.update(q, now);
      if (bar && q.kind in QUEUE_LABELS) bars.push(bar);
    }
    const order = Object.keys(QUEUE_LABELS);
    bars.sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
    this.#queueBars = bars;
    this.#publish();
  }

  #publish(): void {
    this.progress = this.importing ? [this.importing, ...this.#queueBars] : this.#queueBars;
  }
}
