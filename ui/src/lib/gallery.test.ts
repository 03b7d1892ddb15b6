// The keyset loader and the live merge, over the real api wrapper with the IPC mocked.
import { mockIPC } from '@tauri-apps/api/mocks';
import { describe, expect, it, vi } from 'vitest';
import { pageOf, tile, tiles } from '../tests/fixtures';
import { api } from './api';
import type { TileChanges } from './bindings/TileChanges';
import type { TileDto } from './bindings/TileDto';
import type { TileQuery } from './bindings/TileQuery';
import { FIRST_PAGE, Gallery, PAGE_SIZE } from './gallery.svelte';

interface Shell {
  all: TileDto[];
  seq: number;
  changes: TileChanges[];
  queries: TileQuery[];
  since: number[];
  /** Runs before each `tiles` answer (to change the catalog mid-load). */
  beforePage?: (n: number) => void;
}

function shell(all: TileDto[]): Shell {
  const s: Shell = { all, seq: 7, changes: [], queries: [], since: [] };
  mockIPC((cmd, payload) => {
    const args = payload as Record<string, unknown>;
    if (cmd === 'tiles') {
      const query = args.query as TileQuery;
      s.beforePage?.(s.queries.length);
      s.queries.push(query);
      return pageOf(s.all, query, s.seq);
    }
    if (cmd === 'tile_changes') {
      s.since.push(args.since as number);
      return s.changes.shift() ?? { changed: [], removed: [], seq: s.seq, more: false };
    }
    throw new Error(`unexpected ${cmd}`);
  });
  return s;
}

describe('Gallery keyset loader', () => {
  it('loads a small first page, then full pages with each cursor, until the end', async () => {
    const s = shell(tiles(2500));
    const gallery = new Gallery(api);
    await gallery.reload();
    expect(s.queries.map((q) => q.limit)).toEqual([FIRST_PAGE, PAGE_SIZE, PAGE_SIZE, PAGE_SIZE]);
    expect(s.queries[0]?.after).toBeNull();
    // Newest first: each page resumes after the previous page's last (key, id).
    const newest = [...s.all].reverse();
    const boundaries = [FIRST_PAGE, FIRST_PAGE + PAGE_SIZE, FIRST_PAGE + 2 * PAGE_SIZE];
    boundaries.forEach((n, i) => {
      const last = newest[n - 1] as TileDto;
      expect(s.queries[i + 1]?.after).toEqual({ key: last.taken_ms, id: last.id });
    });
    expect(gallery.store.length).toBe(2500);
    expect(gallery.total).toBe(2500);
    expect(gallery.complete).toBe(true);
    expect(gallery.loading).toBe(false);
    expect(gallery.store.at(0)?.id).toBe(2500);
  });

  it('is ready after the first page, with placeholders counted for the rest', async () => {
    const all = tiles(5000);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let pages = 0;
    mockIPC(async (cmd, payload) => {
      if (cmd !== 'tiles') throw new Error(`unexpected ${cmd}`);
      if (pages++ > 0) await gate; // later pages wait until the test lets them go
      return pageOf(all, (payload as { query: TileQuery }).query, 1);
    });
    const gallery = new Gallery(api);
    const loading = gallery.reload();
    await expect.poll(() => gallery.ready).toBe(true);
    expect(gallery.store.length).toBe(FIRST_PAGE);
    expect(gallery.loaded).toBe(FIRST_PAGE);
    expect(gallery.total).toBe(5000);
    expect(gallery.loading).toBe(true);
    release();
    await loading;
    expect(gallery.store.length).toBe(5000);
    expect(gallery.loading).toBe(false);
  });

  it('holds the background pages back until the first thumbnail is painted (or a timeout)', async () => {
    vi.useFakeTimers();
    try {
      const s = shell(tiles(2000));
      const gallery = new Gallery(api, { firstPaintWaitMs: 500 });
      let painted = false;
      void gallery.firstPaint.then(() => (painted = true));
      const loading = gallery.reload();
      await vi.advanceTimersByTimeAsync(0);
      expect(s.queries).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(499);
      expect(s.queries).toHaveLength(1);
      expect(painted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(painted).toBe(true);
      await vi.advanceTimersByTimeAsync(100);
      await loading;
      expect(s.queries.length).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends the view (sort, order, filter) with every page and reloads on change', async () => {
    const s = shell([...tiles(3), tile(4, { status: 'failed' })]);
    const gallery = new Gallery(api);
    await gallery.reload();
    await gallery.setView({ sort: 'imported', newestFirst: false, filter: { kind: 'failed' } });
    expect(s.queries.at(-1)).toEqual({
      after: null,
      limit: FIRST_PAGE,
      sort: 'imported',
      newest_first: false,
      filter: { kind: 'failed' },
    });
    expect(gallery.store.tiles.map((t) => t.id)).toEqual([4]);
    expect(gallery.total).toBe(1);
  });

  it('drops the pages of a view that was replaced meanwhile', async () => {
    shell(tiles(3000));
    const gallery = new Gallery(api);
    const first = gallery.reload();
    const second = gallery.setView({ filter: { kind: 'failed' } });
    await Promise.all([first, second]);
    expect(gallery.store.length).toBe(0);
    expect(gallery.total).toBe(0);
  });
});

describe('Gallery live changes', () => {
  it('asks from the first page sequence, loops while more, merges in order', async () => {
    const s = shell(tiles(10));
    const gallery = new Gallery(api);
    await gallery.reload();
    s.changes = [
      { changed: [tile(11), tile(12)], removed: [], seq: 9, more: true },
      { changed: [tile(3, { people: ['Ana'] })], removed: [1], seq: 12, more: false },
    ];
    let merges = 0;
    gallery.onMerge = () => (merges += 1);
    const version = gallery.version;
    await gallery.syncChanges();
    expect(s.since).toEqual([7, 9]);
    expect(gallery.store.tiles.map((t) => t.id)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
    expect(gallery.store.get(3)?.people).toEqual(['Ana']);
    expect(gallery.total).toBe(11);
    expect(merges).toBe(1);
    expect(gallery.version).toBe(version + 1); // one UI update for the whole burst
    await gallery.syncChanges();
    expect(s.since).toEqual([7, 9, 12]);
  });

  it('merges a burst of 500 new photos as one update', async () => {
    const s = shell(tiles(1000));
    const gallery = new Gallery(api);
    await gallery.reload();
    const burst = tiles(500, 1001);
    s.changes = [{ changed: burst, removed: [], seq: 20, more: false }];
    const version = gallery.version;
    await gallery.syncChanges();
    expect(gallery.version).toBe(version + 1);
    expect(gallery.total).toBe(1500);
    expect(gallery.store.at(0)?.id).toBe(1500);
  });

  it('keeps changes and pages consistent while pages are still loading', async () => {
    const s = shell(tiles(2000));
    const gallery = new Gallery(api);
    // After the first page, a photo older than everything loaded arrives (it
    // belongs to a later page) and one newer than everything (it goes on top).
    s.beforePage = (n) => {
      if (n === 1) {
        s.all = [...s.all, tile(0), tile(5000)];
        s.changes = [{ changed: [tile(0), tile(5000)], removed: [], seq: 8, more: false }];
        void gallery.syncChanges();
      }
    };
    await gallery.reload();
    await gallery.syncChanges();
    const got = gallery.store.tiles.map((t) => t.id);
    expect(got.length).toBe(2002);
    expect(new Set(got).size).toBe(2002);
    expect(got[0]).toBe(5000);
    expect(got.at(-1)).toBe(0);
    expect(gallery.total).toBe(2002);
  });

  it('counts once per view: later pages leave the total to the merged changes', async () => {
    const all = tiles(5000);
    const gate = () => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    };
    const gates = [gate(), gate()];
    const totals: (number | null)[] = [];
    let changes: TileChanges[] = [];
    mockIPC(async (cmd, payload) => {
      if (cmd === 'tile_changes') return changes.shift() ?? { changed: [], removed: [], seq: 2, more: false };
      if (cmd !== 'tiles') throw new Error(`unexpected ${cmd}`);
      const n = totals.length;
      const page = pageOf(all, (payload as { query: TileQuery }).query, 1);
      totals.push(page.total);
      if (n >= 1 && n <= 2) await gates[n - 1]?.promise;
      return page;
    });
    const gallery = new Gallery(api);
    const loading = gallery.reload();
    await expect.poll(() => totals.length).toBe(2); // the second page is held
    // A new photo arrives on top while the second page is on its way.
    all.push(tile(9000));
    changes = [{ changed: [tile(9000)], removed: [], seq: 2, more: false }];
    const merged = gallery.syncChanges();
    gates[0]?.resolve();
    await merged;
    await expect.poll(() => totals.length).toBe(3); // the third page is held
    expect(gallery.store.length).toBe(FIRST_PAGE + PAGE_SIZE + 1);
    expect(gallery.total).toBe(5001);
    gates[1]?.resolve();
    await loading;
    expect(totals.slice(0, 3)).toEqual([5000, null, null]);
    expect(gallery.total).toBe(5001);
    expect(gallery.store.length).toBe(5001);
  });

  it('reloads when a participant filter cannot place changed tiles', async () => {
    const s = shell([]);
    const gallery = new Gallery(api);
    await gallery.setView({ filter: { kind: 'participant', id: 'p1' } });
    const pages = s.queries.length;
    s.changes = [{ changed: [tile(1, { people: ['Ana'] })], removed: [], seq: 9, more: false }];
    await gallery.syncChanges();
    await expect.poll(() => s.queries.length).toBe(pages + 1);
  });
});
