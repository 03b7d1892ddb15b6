import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { activity, queueStats } from '../tests/fixtures';
import { Activity, POLL_BUSY_MS, idleNote } from './activity.svelte';
import type { Api } from './api';
import type { ActivityDto } from './bindings/ActivityDto';

function thumbs(enqueued: number, processed: number): ActivityDto {
  const pending = enqueued - processed;
  return activity({
    queues: [
      {
        kind: 'thumbnail',
        stats: queueStats({ total_enqueued: enqueued, total_processed: processed, pending, workers_active: pending > 0 ? 2 : 0 }),
        workers: 2,
        paused: null,
      },
    ],
  });
}

describe('Activity', () => {
  let clock = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function make(answers: ActivityDto[]) {
    const fn = vi.fn<Api['activity']>(async () => answers.shift() ?? thumbs(1500, 1500));
    const a = new Activity({ activity: fn } as unknown as Api, 300, () => clock);
    return { a, fn };
  }

  it('shows a bar relative to the run, with rate and ETA, and polls every second while busy', async () => {
    // 1,000 thumbnails were made in an earlier run; 500 more are queued now.
    const { a, fn } = make([thumbs(1500, 1000), thumbs(1500, 1100), thumbs(1500, 1200), thumbs(1500, 1500)]);
    await a.start();
    expect(a.progress).toEqual([{ key: 'thumbnail', label: 'Thumbnails', done: 0, total: 500, rate: null, eta: null }]);
    clock = 1000;
    await vi.advanceTimersByTimeAsync(POLL_BUSY_MS);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(a.progress[0]).toMatchObject({ done: 100, total: 500, rate: 100, eta: 4 });
    clock = 2000;
    await vi.advanceTimersByTimeAsync(POLL_BUSY_MS);
    expect(a.progress[0]).toMatchObject({ done: 200, rate: 100, eta: 3 });
    clock = 3000;
    await vi.advanceTimersByTimeAsync(POLL_BUSY_MS);
    expect(a.progress).toEqual([]); // idle: no bar, and polling stops
    await vi.advanceTimersByTimeAsync(10 * POLL_BUSY_MS);
    expect(fn).toHaveBeenCalledTimes(4);
    a.stop();
  });

  it('says why a queue with work is not moving, and does not poll for it', async () => {
    const { a, fn } = make([
      activity({
        queues: [
          { kind: 'match', stats: queueStats({ total_enqueued: 5, pending: 5 }), workers: 0, paused: null },
          { kind: 'push', stats: queueStats({ total_enqueued: 2, pending: 2 }), workers: 1, paused: 'No event server is set up.' },
        ],
      }),
    ]);
    await a.start();
    expect(a.progress.map((p) => [p.key, p.done, p.total, p.note])).toEqual([
      ['match', 0, 5, 'waiting: face matching is off in this app (restart it without FINDME_MATCH_BACKEND=off)'],
      ['push', 0, 2, 'paused: No event server is set up.'],
    ]);
    for (const kind of ['thumbnail', 'match', 'push']) expect(idleNote(kind)).not.toContain('no worker');
    expect(idleNote('push')).toContain('Event server…');
    await vi.advanceTimersByTimeAsync(10 * POLL_BUSY_MS);
    expect(fn).toHaveBeenCalledTimes(1);
    a.stop();
  });

  it('polls on queue_changed events, coalesced', async () => {
    const { a, fn } = make([]);
    for (let i = 0; i < 100; i++) a.handleEngineNotices([{ type: 'queue_changed' }]);
    await vi.advanceTimersByTimeAsync(300);
    expect(fn).toHaveBeenCalledTimes(1);
    a.stop();
  });

  it('turns import_progress events into a bar with rate and ETA', () => {
    const { a } = make([]);
    a.handleEngineNotices([{ type: 'import_progress', done: 0, total: 100 }]);
    clock = 2000;
    a.handleEngineNotices([{ type: 'import_progress', done: 40, total: 100 }]);
    expect(a.progress).toEqual([{ key: 'import', label: 'Importing', done: 40, total: 100, rate: 20, eta: 3 }]);
    a.handleEngineNotices([{ type: 'import_progress', done: 100, total: 100 }]);
    expect(a.progress).toEqual([]);
  });
});
