// The gallery's data: keyset pages loaded progressively in the background from the
// first one, then kept live by merging the engine's change feed. Tiles live in a plain
// TileStore; components re-read the few they show when `version` changes, so 20,000
// tiles are never 20,000 reactive proxies.
import { errorMessage, type Api } from './api';
import type { TileChanges } from './bindings/TileChanges';
import type { TileCursor } from './bindings/TileCursor';
import type { TileQuery } from './bindings/TileQuery';
import { firstThumbPainted, markOnce } from './perf';
import { PhotoSelection } from './selection.svelte';
import { DEFAULT_VIEW, TileStore, type MergeResult, type View } from './tiles';

/** The first page is small so the first paint does not wait for a big answer. */
export const FIRST_PAGE = 300;
export const PAGE_SIZE = 1000;
/**
 * After the app's first page, background pages wait for the first thumbnail to be
 * painted (or this long): on two cores a 1000-tile page costs the engine a few
 * hundred ms, which the visible thumbnails should not queue behind.
 */
export const FIRST_PAINT_WAIT_MS = 800;
/** Guard against a change feed that never settles (each answer is a full batch). */
const MAX_CHANGE_ROUNDS = 200;

export function tileQuery(view: View, after: TileCursor | null, limit: number): TileQuery {
  return { after, limit, sort: view.sort, newest_first: view.newestFirst, filter: view.filter };
}

export class Gallery {
  view = $state.raw<View>(DEFAULT_VIEW);
  /** Bumped after every change to the tiles (pages, merges, reloads). */
  version = $state(0);
  /** Photos under the current filter (loaded tiles + placeholders for the rest). */
  total = $state(0);
  /** Tiles loaded so far (the rest are placeholders). */
  loaded = $state(0);
  /** The first page of the current view has arrived. */
  ready = $state(false);
  /** Pages are still coming. */
  loading = $state(false);
  error = $state<string | null>(null);
  /** Bumped by every reload (a new view starts at the top). */
  generation = $state(0);

  readonly store = new TileStore();
  /** Photos picked for "Add to event…" / "Remove from event" (cleared by a new view). */
  readonly selection = new PhotoSelection();
  readonly #api: Api;
  #generation = 0;
  /** Change sequence to ask `tile_changes` from; null until the first page. */
  #seq: number | null = null;
  /** Next page's cursor; null when everything is loaded. */
  #next: TileCursor | null = null;
  #pageTotal = 0;
  #delta = 0;
  /** Pages and change merges run one at a time, in order. */
  #queue: Promise<unknown> = Promise.resolve();
  #reloadWanted = false;
  /** Called after each change-feed merge (e.g. to keep the scroll position). */
  onMerge: ((result: MergeResult) => void) | null = null;
  /**
   * Resolves once the app's first page is in and its first thumbnail painted (or
   * `firstPaintWaitMs` passed, or there was nothing to paint): what the photographer
   * waits for, so other startup reads go after it.
   */
  readonly firstPaint: Promise<void>;
  #firstPainted: () => void = () => {};
  /** Resolves once the app's first page is in the store (or its load failed). */
  readonly firstPage: Promise<void>;
  #firstPageIn: () => void = () => {};
  readonly #firstPaintWaitMs: number;

  constructor(api: Api, options: { firstPaintWaitMs?: number } = {}) {
    this.#api = api;
    this.#firstPaintWaitMs = options.firstPaintWaitMs ?? 0;
    this.firstPaint = new Promise((resolve) => (this.#firstPainted = resolve));
    this.firstPage = new Promise((resolve) => (this.#firstPageIn = resolve));
  }

  get complete(): boolean {
    return this.ready && this.#next === null;
  }

  /** Changes the sort or filter and reloads from the first page. */
  setView(view: Partial<View>): Promise<void> {
    this.view = { ...this.view, ...view };
    this.selection.clear();
    return this.reload();
  }

  /** Loads the current view from its first page; resolves when every page is in. */
  reload(): Promise<void> {
    const generation = ++this.#generation;
    this.generation = generation;
    const view = this.view;
    this.store.reset(view);
    this.#seq = null;
    this.#next = null;
    this.#pageTotal = 0;
    this.#delta = 0;
    this.ready = false;
    this.loading = true;
    this.error = null;
    this.total = 0;
    this.loaded = 0;
    this.version += 1;
    return this.#loadPages(generation, view);
  }

  async #loadPages(generation: number, view: View): Promise<void> {
    let after: TileCursor | null = null;
    let limit = FIRST_PAGE;
    try {
      for (;;) {
        const query = tileQuery(view, after, limit);
        const more = await this.#exclusive(async () => {
          if (generation !== this.#generation) return false;
          const page = await this.#api.tiles(query);
          if (generation !== this.#generation) return false;
          this.store.appendPage(page.tiles);
          this.#seq ??= page.seq;
          this.#next = page.next;
          // Counted on the first page only; the merged changes keep it current.
          if (page.total !== null) {
            this.#pageTotal = page.total;
            this.#delta = 0;
          }
          this.ready = true;
          this.#publish();
          markOnce('gallery-first-page');
          this.#firstPageIn();
          return page.next !== null;
        });
        if (limit === FIRST_PAGE) await this.#waitForFirstPaint();
        if (!more || this.#next === null) break;
        after = this.#next;
        limit = PAGE_SIZE;
        // Let the webview paint and handle input between pages.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } catch (err) {
      if (generation === this.#generation) this.error = `Could not read the gallery: ${errorMessage(err)}`;
    } finally {
      if (generation === this.#generation) this.loading = false;
      this.#firstPageIn();
      this.#firstPainted();
    }
    if (generation === this.#generation && this.#reloadWanted) {
      this.#reloadWanted = false;
      await this.reload();
    }
  }

  /**
   * Reads the change feed from the last known sequence (looping while the engine says
   * there is more) and merges it. Callers coalesce: this is one round trip per call
   * when nothing piled up.
   */
  syncChanges(): Promise<void> {
    const generation = this.#generation;
    return this.#exclusive(async () => {
      if (generation !== this.#generation || this.#seq === null) return;
      const total: MergeResult = { inserted: 0, removed: 0, updated: 0, unknown: 0 };
      let rounds = 0;
      let changes: TileChanges;
      do {
        changes = await this.#api.tileChanges(this.#seq);
        if (generation !== this.#generation) return;
        const result = this.store.applyChanges(changes, this.#next === null ? null : this.store.lastCursor());
        total.inserted += result.inserted;
        total.removed += result.removed;
        total.updated += result.updated;
        total.unknown += result.unknown;
        this.#seq = changes.seq;
      } while (changes.more && ++rounds < MAX_CHANGE_ROUNDS);
      this.#delta += total.inserted - total.removed;
      if (total.inserted + total.removed + total.updated > 0) {
        this.onMerge?.(total);
        this.#publish();
      }
      if (total.unknown > 0) this.#reloadWanted = true;
    }).then(
      () => {
        if (this.#reloadWanted && !this.loading) {
          this.#reloadWanted = false;
          return this.reload();
        }
      },
      (err: unknown) => {
        this.error = `Could not update the gallery: ${errorMessage(err)}`;
      },
    );
  }

  async #waitForFirstPaint(): Promise<void> {
    const wait = this.#firstPaintWaitMs;
    if (wait > 0 && this.store.length > 0) {
      await Promise.race([firstThumbPainted(), new Promise((resolve) => setTimeout(resolve, wait))]);
    }
    this.#firstPainted();
  }

  #publish(): void {
    this.loaded = this.store.length;
    this.total =
      this.#next === null ? this.store.length : Math.max(this.store.length, this.#pageTotal + this.#delta);
    this.version += 1;
  }

  #exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job, job);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
