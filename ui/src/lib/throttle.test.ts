import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttle } from './throttle';

describe('throttle', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('merges a burst into one trailing run', async () => {
    const run = vi.fn();
    const t = throttle<'photos' | 'folders'>(300, run);
    for (let i = 0; i < 500; i++) t.request('photos');
    t.request('folders');
    expect(run).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(299);
    expect(run).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(run).toHaveBeenCalledTimes(1);
    expect(run).toHaveBeenCalledWith(new Set(['photos', 'folders']));
  });

  it('keeps running during a steady stream of changes (no starvation)', async () => {
    const run = vi.fn();
    const t = throttle<'photos'>(300, run);
    for (let ms = 0; ms < 3000; ms += 100) {
      t.request('photos');
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(run.mock.calls.length).toBeGreaterThanOrEqual(9);
    expect(run.mock.calls.length).toBeLessThanOrEqual(10);
  });

  it('flushes now and cancels pending work', async () => {
    const run = vi.fn();
    const t = throttle<'photos'>(300, run);
    t.request('photos');
    await t.flush();
    expect(run).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(run).toHaveBeenCalledTimes(1);
    t.request('photos');
    t.cancel();
    await vi.advanceTimersByTimeAsync(1000);
    expect(run).toHaveBeenCalledTimes(1);
    await t.flush();
    expect(run).toHaveBeenCalledTimes(1);
  });
});
