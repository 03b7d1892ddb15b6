import { describe, expect, it } from 'vitest';
import { tile, tiles } from '../tests/fixtures';
import type { TileDto } from './bindings/TileDto';
import { compareTiles, cursorOf, DEFAULT_VIEW, matchesFilter, TileStore, type View } from './tiles';

const NEWEST: View = DEFAULT_VIEW;
const OLDEST: View = { ...DEFAULT_VIEW, newestFirst: false };

function storeOf(view: View, list: TileDto[]): TileStore {
  const store = new TileStore(view);
  store.reset(view);
  store.appendPage([...list].sort((a, b) => compareTiles(a, b, view)));
  return store;
}

const ids = (store: TileStore) => store.tiles.map((t) => t.id);

describe('ordering', () => {
  it('orders by (key, id), both descending when newest first', () => {
    const a = tile(1, { taken_ms: 100 });
    const b = tile(2, { taken_ms: 100 });
    const c = tile(3, { taken_ms: 50 });
    expect([a, b, c].sort((x, y) => compareTiles(x, y, NEWEST)).map((t) => t.id)).toEqual([2, 1, 3]);
    expect([a, b, c].sort((x, y) => compareTiles(x, y, OLDEST)).map((t) => t.id)).toEqual([3, 1, 2]);
  });

  it('sorts by import time when asked', () => {
    const view: View = { ...OLDEST, sort: 'imported' };
    const a = tile(1, { taken_ms: 1, imported_ms: 30 });
    const b = tile(2, { taken_ms: 2, imported_ms: 10 });
    expect([a, b].sort((x, y) => compareTiles(x, y, view)).map((t) => t.id)).toEqual([2, 1]);
    expect(cursorOf(a, 'imported')).toEqual({ key: 30, id: 1 });
    expect(cursorOf(a, 'captured')).toEqual({ key: 1, id: 1 });
  });
});

describe('matchesFilter', () => {
  it('re-applies the catalog filters to a tile', () => {
    expect(matchesFilter(tile(1), { kind: 'all' })).toBe(true);
    expect(matchesFilter(tile(1), { kind: 'failed' })).toBe(false);
    expect(matchesFilter(tile(1, { status: 'failed' }), { kind: 'failed' })).toBe(true);
    expect(matchesFilter(tile(1, { push: 'failed' }), { kind: 'failed' })).toBe(true);
    expect(matchesFilter(tile(1, { matching: 'running' }), { kind: 'unmatched' })).toBe(true);
    expect(matchesFilter(tile(1, { matching: 'done' }), { kind: 'unmatched' })).toBe(false);
    expect(matchesFilter(tile(1, { push: 'done' }), { kind: 'not_pushed' })).toBe(false);
    expect(matchesFilter(tile(1), { kind: 'participant', id: 'p1' })).toBeNull();
  });
});

describe('TileStore.applyChanges', () => {
  it('inserts new tiles in capture order, newest first', () => {
    const store = storeOf(NEWEST, [tile(10), tile(20), tile(30)]);
    const r = store.applyChanges({ changed: [tile(25), tile(5), tile(40)], removed: [] }, null);
    expect(ids(store)).toEqual([40, 30, 25, 20, 10, 5]);
    expect(r).toEqual({ inserted: 3, removed: 0, updated: 0, unknown: 0 });
    expect(store.indexOf(25)).toBe(2);
  });

  it('inserts a large burst with one merge, still in order', () => {
    const store = storeOf(OLDEST, tiles(1000).filter((t) => t.id % 2 === 0));
    const burst = tiles(1000).filter((t) => t.id % 2 === 1);
    const r = store.applyChanges({ changed: burst.reverse(), removed: [] }, null);
    expect(r.inserted).toBe(500);
    expect(ids(store)).toEqual(tiles(1000).map((t) => t.id));
    for (const id of [1, 2, 501, 1000]) expect(store.indexOf(id)).toBe(id - 1);
  });

  it('updates a tile in place when its sort key is unchanged', () => {
    const store = storeOf(NEWEST, tiles(3));
    const before = store.tiles;
    const r = store.applyChanges({ changed: [tile(2, { thumb: 'ready', people: ['Ana'] })], removed: [] }, null);
    expect(r).toEqual({ inserted: 0, removed: 0, updated: 1, unknown: 0 });
    expect(store.tiles).toBe(before); // no reshuffle
    expect(store.get(2)?.people).toEqual(['Ana']);
    expect(store.at(1)?.people).toEqual(['Ana']);
  });

  it('moves a tile whose sort key changed', () => {
    const store = storeOf(OLDEST, tiles(4));
    const r = store.applyChanges({ changed: [tile(1, { taken_ms: tile(4).taken_ms + 1 })], removed: [] }, null);
    expect(ids(store)).toEqual([2, 3, 4, 1]);
    expect(r).toEqual({ inserted: 0, removed: 0, updated: 1, unknown: 0 });
  });

  it('drops removed ids and tiles that no longer match the filter', () => {
    const view: View = { ...NEWEST, filter: { kind: 'unmatched' } };
    const store = storeOf(view, tiles(5));
    const r = store.applyChanges({ changed: [tile(2, { matching: 'done' })], removed: [4, 99] }, null);
    expect(ids(store)).toEqual([5, 3, 1]);
    expect(r.removed).toBe(2);
    expect(store.get(4)).toBeUndefined();
    expect(store.indexOf(4)).toBe(-1);
  });

  it('ignores new tiles that do not match the filter', () => {
    const view: View = { ...NEWEST, filter: { kind: 'failed' } };
    const store = storeOf(view, [tile(1, { status: 'failed' })]);
    store.applyChanges({ changed: [tile(2), tile(3, { status: 'failed' })], removed: [] }, null);
    expect(ids(store)).toEqual([3, 1]);
  });

  it('a removal wins over a change in the same answer', () => {
    const store = storeOf(NEWEST, tiles(2));
    store.applyChanges({ changed: [tile(3)], removed: [3, 1] }, null);
    expect(ids(store)).toEqual([2]);
  });

  it('leaves tiles beyond the loaded pages to the pages still to come', () => {
    const store = storeOf(OLDEST, tiles(3)); // ids 1..3 loaded, more pages to come
    const bound = store.lastCursor();
    const r = store.applyChanges({ changed: [tile(0), tile(7)], removed: [] }, bound);
    expect(ids(store)).toEqual([0, 1, 2, 3]);
    expect(r.inserted).toBe(1);
    // A loaded tile that moves past the bound leaves; its page will bring it back.
    store.applyChanges({ changed: [tile(2, { taken_ms: tile(9).taken_ms })], removed: [] }, bound);
    expect(ids(store)).toEqual([0, 1, 3]);
  });

  it('counts tiles it cannot place under a participant filter', () => {
    const view: View = { ...NEWEST, filter: { kind: 'participant', id: 'p1' } };
    const store = storeOf(view, [tile(1, { people: ['Ana'] })]);
    const r = store.applyChanges({ changed: [tile(2), tile(1, { people: ['Ana', 'Ben'] })], removed: [] }, null);
    expect(r).toEqual({ inserted: 0, removed: 0, updated: 1, unknown: 1 });
  });

  it('appending a page replaces a tile it already had', () => {
    const store = storeOf(OLDEST, tiles(2));
    store.appendPage([tile(2, { name: 'again' }), tile(3)]);
    expect(ids(store)).toEqual([1, 2, 3]);
    expect(store.get(2)?.name).toBe('again');
  });
});
