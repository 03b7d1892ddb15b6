// The gallery's tiles in display order: a plain (non-reactive) sorted array plus an
// id index, and the merge of the engine's change feed into it. Kept free of Svelte so
// 20,000 tiles cost no proxies, and so the ordering rules are unit-tested.
import type { SortOrder } from './bindings/SortOrder';
import type { TileChanges } from './bindings/TileChanges';
import type { TileCursor } from './bindings/TileCursor';
import type { TileDto } from './bindings/TileDto';
import type { TileFilter } from './bindings/TileFilter';

/** How the gallery is ordered and filtered (what a `tiles` query carries). */
export interface View {
  sort: SortOrder;
  newestFirst: boolean;
  filter: TileFilter;
}

export const DEFAULT_VIEW: View = { sort: 'captured', newestFirst: true, filter: { kind: 'all' } };

export function sortKey(tile: TileDto, sort: SortOrder): number {
  return sort === 'imported' ? tile.imported_ms : tile.taken_ms;
}

/** Orders (key, id) pairs the way the engine pages them: both ascending or both descending. */
export function comparePairs(aKey: number, aId: number, bKey: number, bId: number, newestFirst: boolean): number {
  const c = aKey !== bKey ? aKey - bKey : aId - bId;
  return newestFirst ? -c : c;
}

export function compareTiles(a: TileDto, b: TileDto, view: View): number {
  return comparePairs(sortKey(a, view.sort), a.id, sortKey(b, view.sort), b.id, view.newestFirst);
}

/** The keyset cursor that resumes after `tile`. */
export function cursorOf(tile: TileDto, sort: SortOrder): TileCursor {
  return { key: sortKey(tile, sort), id: tile.id };
}

/**
 * Whether a tile belongs under `filter`, re-applied to the (unfiltered) change feed.
 * Mirrors the catalog's SQL; `null` means "cannot tell from a tile" (participant
 * filters: tiles carry display names, not participant ids).
 */
export function matchesFilter(tile: TileDto, filter: TileFilter): boolean | null {
  switch (filter.kind) {
    case 'all':
      return true;
    case 'failed':
      return tile.status === 'failed' || tile.thumb === 'failed' || tile.matching === 'failed' || tile.push === 'failed';
    case 'unmatched':
      return tile.matching !== 'done';
    case 'not_pushed':
      return tile.push !== 'done';
    case 'participant':
      return null;
  }
}

/** What one merge did. */
export interface MergeResult {
  inserted: number;
  removed: number;
  updated: number;
  /** Changed tiles the store could not place (participant filter): reload to see them. */
  unknown: number;
}

/** First index whose tile sorts after (key, id), by binary search. */
function upperBound(tiles: readonly TileDto[], key: number, id: number, view: View): number {
  let lo = 0;
  let hi = tiles.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const t = tiles[mid] as TileDto;
    if (comparePairs(sortKey(t, view.sort), t.id, key, id, view.newestFirst) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class TileStore {
  /** The loaded tiles, in display order. Read it, never mutate it from outside. */
  tiles: TileDto[] = [];
  readonly #byId = new Map<number, TileDto>();
  #view: View;

  constructor(view: View = DEFAULT_VIEW) {
    this.#view = view;
  }

  get view(): View {
    return this.#view;
  }

  get length(): number {
    return this.tiles.length;
  }

  reset(view: View): void {
    this.#view = view;
    this.tiles = [];
    this.#byId.clear();
  }

  at(index: number): TileDto | undefined {
    return this.tiles[index];
  }

  get(id: number): TileDto | undefined {
    return this.#byId.get(id);
  }

  /** Index of the tile with this id, or -1 (O(log n): id -> tile -> binary search). */
  indexOf(id: number): number {
    const tile = this.#byId.get(id);
    if (!tile) return -1;
    const i = upperBound(this.tiles, sortKey(tile, this.#view.sort), tile.id, this.#view) - 1;
    return i >= 0 && this.tiles[i]?.id === id ? i : -1;
  }

  /** Cursor after the last loaded tile (null when empty). */
  lastCursor(): TileCursor | null {
    const last = this.tiles[this.tiles.length - 1];
    return last ? cursorOf(last, this.#view.sort) : null;
  }

  /** Appends a keyset page (already in order and after everything loaded). */
  appendPage(page: readonly TileDto[]): void {
    for (const tile of page) {
      if (this.#byId.has(tile.id)) this.#removeIds(new Set([tile.id]));
      this.tiles.push(tile);
      this.#byId.set(tile.id, tile);
    }
  }

  /**
   * Merges a change-feed answer. `bound` is the cursor of the last loaded tile while
   * more pages are still to come: a tile sorting after it is left to those pages.
   * O(n + m log m) whatever the batch size (one filter pass and one merge pass).
   */
  applyChanges(changes: Pick<TileChanges, 'changed' | 'removed'>, bound: TileCursor | null): MergeResult {
    const view = this.#view;
    const result: MergeResult = { inserted: 0, removed: 0, updated: 0, unknown: 0 };
    const drop = new Set<number>();
    const add = new Map<number, TileDto>();
    const beyond = (t: TileDto) =>
      bound !== null && comparePairs(sortKey(t, view.sort), t.id, bound.key, bound.id, view.newestFirst) > 0;
    for (const tile of changes.changed) {
      const old = this.#byId.get(tile.id);
      const fits = matchesFilter(tile, view.filter);
      if (old === undefined) {
        if (fits === null) result.unknown += 1;
        else if (fits && !beyond(tile)) add.set(tile.id, tile);
        continue;
      }
      if (fits === false || beyond(tile)) {
        drop.add(tile.id);
      } else if (sortKey(old, view.sort) === sortKey(tile, view.sort)) {
        const i = this.indexOf(tile.id);
        this.tiles[i] = tile;
        this.#byId.set(tile.id, tile);
        result.updated += 1;
      } else {
        drop.add(tile.id); // it moved: out here, back in at its new place
        add.set(tile.id, tile);
      }
    }
    for (const id of changes.removed) {
      add.delete(id); // removal wins over an earlier change in the same answer
      if (this.#byId.has(id)) drop.add(id);
    }
    let moved = 0;
    for (const id of add.keys()) if (drop.has(id)) moved += 1;
    result.inserted = add.size - moved;
    result.removed = drop.size - moved;
    result.updated += moved;
    if (drop.size > 0) this.#removeIds(drop);
    if (add.size > 0) this.#insertSorted([...add.values()]);
    return result;
  }

  #removeIds(ids: Set<number>): void {
    this.tiles = this.tiles.filter((t) => !ids.has(t.id));
    for (const id of ids) this.#byId.delete(id);
  }

  #insertSorted(incoming: TileDto[]): void {
    const view = this.#view;
    incoming.sort((a, b) => compareTiles(a, b, view));
    for (const tile of incoming) this.#byId.set(tile.id, tile);
    if (incoming.length <= 8) {
      for (const tile of incoming) {
        this.tiles.splice(upperBound(this.tiles, sortKey(tile, view.sort), tile.id, view), 0, tile);
      }
      return;
    }
    const old = this.tiles;
    const merged: TileDto[] = new Array(old.length + incoming.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < old.length && j < incoming.length) {
      const a = old[i] as TileDto;
      const b = incoming[j] as TileDto;
      merged[k++] = compareTiles(a, b, view) <= 0 ? (i++, a) : (j++, b);
    }
    while (i < old.length) merged[k++] = old[i++] as TileDto;
    while (j < incoming.length) merged[k++] = incoming[j++] as TileDto;
    this.tiles = merged;
  }
}
