// The built gallery in Debian's Chromium (headless), with the Tauri shell faked in
// the page: 20,000 tiles, bounded DOM while scrolling, progressive loading, filters,
// keyboard navigation, the detail view, and a live insert above the viewport.
//
//   npm run test:browser        (builds ui/dist first)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { installFakeShell } from './mock-tauri.js';
import { serve } from './server.js';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const COUNT = 20_000;
const MAX_TILE_ELEMENTS = 400;
/**
 * How long a test waits for a condition: just under the runner's 120 s per-test
 * timeout (package.json), so a miss fails with what was awaited and what the grid
 * showed instead of a bare timeout. Never wait for time or frames: wait for this.
 */
const WAIT_MS = 100_000;

let server;
let context;
let profile;

before(async () => {
  server = await serve(DIST);
  profile = mkdtempSync(join(tmpdir(), 'findme-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function openGallery({ count = COUNT, pageDelayMs = 15, holdPages = false } = {}) {
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.addInitScript(installFakeShell, { count, thumbBase: server.url, pageDelayMs, holdPages });
  await page.goto(server.url);
  await page.waitForSelector('[data-testid="tile"]');
  return { page, errors };
}

/**
 * Waits until `condition(arg)`, run in the page on every frame, returns a truthy
 * value, and returns that value. On a miss it throws `what` with the grid's state.
 */
async function until(page, what, condition, arg) {
  try {
    const handle = await page.waitForFunction(condition, arg);
    return await handle.jsonValue();
  } catch (err) {
    const seen = await page.evaluate(gridState).catch((e) => `unreadable: ${e.message}`);
    throw new Error(`${what}; the grid showed ${JSON.stringify(seen)}: ${err.message}`);
  }
}

/** What the grid shows, in short, for failure messages (runs in the page). */
function gridState() {
  const g = document.querySelector('[data-testid="gallery"]');
  const focused = g?.querySelector('[aria-selected="true"]');
  return g && {
    count: g.dataset.count,
    loaded: g.dataset.loaded,
    scrollTop: g.scrollTop,
    focused: focused ? { index: focused.dataset.index, tile: focused.dataset.testid } : null,
    detail: document.querySelector('[data-testid="photo-detail"]')?.dataset.id ?? null,
  };
}

/** Waits until the focus ring is on the loaded tile at `index`; returns its index. */
async function focusOn(page, index) {
  const seen = await until(
    page,
    `the focus ring never reached tile ${index}`,
    (i) => (document.querySelector(`[data-testid="tile"][aria-selected="true"][data-index="${i}"]`) ? { index: i } : null),
    index,
  );
  return seen.index;
}

/**
 * Waits until the focus ring is on a loaded tile past `index`; returns that index
 * (for keys whose destination depends on the window's size, like PageDown).
 */
async function focusPast(page, index) {
  const seen = await until(
    page,
    `the focus ring never moved past tile ${index}`,
    (i) => {
      const t = document.querySelector('[data-testid="tile"][aria-selected="true"]');
      return t && Number(t.dataset.index) > i ? { index: Number(t.dataset.index) } : null;
    },
    index,
  );
  return seen.index;
}

/**
 * True once the grid's cells (tiles or placeholders) cover the scroller's view from
 * top to bottom (or to the end of the grid): it has rendered its scroll position.
 * Runs in the page.
 */
function viewCovered() {
  const g = document.querySelector('[data-testid="gallery"]');
  const box = g.getBoundingClientRect();
  const end = Math.min(box.bottom, g.firstElementChild.getBoundingClientRect().bottom);
  const rects = [...g.querySelectorAll('[data-testid="tile"], [data-testid="tile-placeholder"]')].map((c) =>
    c.getBoundingClientRect(),
  );
  return (
    rects.length > 0 &&
    Math.min(...rects.map((r) => r.top)) <= box.top + 1 &&
    Math.max(...rects.map((r) => r.bottom)) >= end - 1
  );
}

function grid(page) {
  return page.evaluate(() => {
    const g = document.querySelector('[data-testid="gallery"]');
    const box = g.getBoundingClientRect();
    const tiles = [...g.querySelectorAll('[data-testid="tile"]')].map((t) => {
      const r = t.getBoundingClientRect();
      return { id: Number(t.dataset.id), index: Number(t.dataset.index), top: r.top, left: r.left, bottom: r.bottom };
    });
    const inView = tiles
      .filter((t) => t.top >= box.top - 0.5 && t.bottom <= box.bottom + 0.5)
      .sort((a, b) => a.top - b.top || a.left - b.left);
    return {
      scrollTop: g.scrollTop,
      scrollHeight: g.scrollHeight,
      clientHeight: g.clientHeight,
      tiles: tiles.length,
      cells: tiles.length + g.querySelectorAll('[data-testid="tile-placeholder"]').length,
      nodes: g.querySelectorAll('*').length,
      count: Number(g.dataset.count),
      loaded: Number(g.dataset.loaded),
      first: inView[0] ?? null,
      inView: inView.map((t) => t.id),
    };
  });
}

/** Scrolls the grid to `top` and waits until it has rendered the cells there. */
async function scrollTo(page, top) {
  await page.evaluate((y) => {
    document.querySelector('[data-testid="gallery"]').scrollTop = y;
  }, top);
  await until(page, `the grid never rendered its view at scrollTop ${top}`, viewCovered);
}

describe('gallery in Chromium with 20,000 tiles', () => {
  test('first paint does not wait for every page; tiles keep loading in the background', async () => {
    // The pages after the first are held back until the first paint has been looked at.
    const { page, errors } = await openGallery({ pageDelayMs: 0, holdPages: true });
    const first = await grid(page);
    assert.equal(first.count, COUNT, 'the scroll area is sized for all photos at once');
    assert.ok(first.loaded > 0 && first.loaded < COUNT, `first paint after ${first.loaded} tiles, not all ${COUNT}`);
    assert.ok(first.scrollHeight > 100 * first.clientHeight, 'scroll height computed from the count');
    await page.evaluate(() => window.__fake.releasePages());
    await until(
      page,
      `the background pages never loaded all ${COUNT} tiles`,
      (n) => Number(document.querySelector('[data-testid="gallery"]').dataset.loaded) === n,
      COUNT,
    );
    const pages = await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === 'tiles').map((c) => c.args.query));
    assert.equal(pages[0].after, null);
    assert.ok(pages.length >= 2 && pages.slice(1).every((q) => q.after !== null && q.limit === 1000));
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the DOM stays bounded while scrolling from top to bottom, and the bottom renders', async () => {
    const { page, errors } = await openGallery({ pageDelayMs: 0 });
    const start = await grid(page);
    const steps = 40;
    let maxCells = 0;
    let maxNodes = 0;
    for (let i = 1; i <= steps; i++) {
      await scrollTo(page, ((start.scrollHeight - start.clientHeight) * i) / steps);
      const g = await grid(page);
      maxCells = Math.max(maxCells, g.cells);
      maxNodes = Math.max(maxNodes, g.nodes);
      assert.ok(g.cells < MAX_TILE_ELEMENTS, `step ${i}: ${g.cells} tile elements`);
    }
    // At the bottom the last tiles are real tiles (loaded progressively), not placeholders.
    await until(page, 'the last tile never loaded', (i) => document.querySelector(`[data-testid="tile"][data-index="${i}"]`), COUNT - 1);
    await until(page, 'no thumbnail at the bottom ever decoded', () =>
      [...document.querySelectorAll('[data-testid="tile"] img')].some((img) => img.complete && img.naturalWidth > 0),
    );
    const end = await grid(page);
    assert.ok(end.inView.length > 0);
    // Thumbnails in view load at once; the overscan rows' lazily (not requested yet).
    const loading = await page.evaluate(() => {
      const box = document.querySelector('[data-testid="gallery"]').getBoundingClientRect();
      const out = { inView: new Set(), outside: new Set() };
      for (const img of document.querySelectorAll('[data-testid="tile"] img')) {
        const r = img.getBoundingClientRect();
        (r.bottom > box.top && r.top < box.bottom ? out.inView : out.outside).add(img.loading);
      }
      return { inView: [...out.inView], outside: [...out.outside] };
    });
    assert.deepEqual(loading.inView, ['eager']);
    assert.deepEqual(loading.outside, ['lazy']);
    assert.equal(end.cells, end.tiles, 'no placeholders left at the bottom');
    process.stdout.write(`# at most ${maxCells} tile elements and ${maxNodes} nodes in the grid while scrolling\n`);
    assert.ok(maxNodes < 2500, `${maxNodes} DOM nodes under the grid`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('filters change what is shown, and an empty filter says so', async () => {
    const { page } = await openGallery({ pageDelayMs: 0 });
    await page.click('[data-testid="filter-failed"]');
    await until(page, 'the failed filter never applied', () =>
      document.querySelector('[data-testid="gallery"]')?.dataset.count === String(Math.floor(20000 / 97)),
    );
    const failed = await page.$$eval('[data-testid="tile"]', (tiles) => tiles.map((t) => !!t.querySelector('[data-testid="badge-failed"]')));
    assert.ok(failed.length > 0 && failed.every(Boolean), 'only failed tiles are shown');
    const title = await page.getAttribute('[data-testid="tile"]', 'title');
    assert.match(title, /card was removed/);

    await page.click('[data-testid="filter-not_pushed"]');
    await until(page, 'the not-pushed filter never applied', () =>
      document.querySelector('[data-testid="gallery"]')?.dataset.count === String(20000 - Math.floor(20000 / 3)),
    );
    const ids = await page.$$eval('[data-testid="tile"]', (tiles) => tiles.map((t) => Number(t.dataset.id)));
    assert.ok(ids.every((id) => id % 3 !== 0), 'pushed photos are hidden');

    await page.selectOption('[data-testid="sort-select"]', 'imported');
    await page.uncheck('[data-testid="newest-first"]');
    await page.click('[data-testid="filter-all"]');
    await until(page, 'the all filter never applied', () => document.querySelector('[data-testid="gallery"]')?.dataset.count === '20000');
    const last = await page.evaluate(() => window.__fake.calls.filter((c) => c.cmd === 'tiles').at(-1).args.query);
    assert.deepEqual({ sort: last.sort, newest_first: last.newest_first, filter: last.filter }, {
      sort: 'imported',
      newest_first: false,
      filter: { kind: 'all' },
    });
    assert.equal(await page.isDisabled('[data-testid="filter-participant"]'), true);
    await page.close();
  });

  test('the keyboard moves a focus ring; Enter opens the detail view, arrows step, Esc closes', async () => {
    const { page } = await openGallery({ pageDelayMs: 0 });
    await page.focus('[data-testid="gallery"]');
    await page.keyboard.press('Home');
    assert.equal(await focusOn(page, 0), 0);
    await page.keyboard.press('ArrowRight');
    assert.equal(await focusOn(page, 1), 1);
    const columns = await page.evaluate(() => {
      const tops = [...document.querySelectorAll('[data-testid="tile"]')].map((t) => t.getBoundingClientRect().top);
      return tops.filter((t) => t === tops[0]).length;
    });
    assert.ok(columns > 1, `${columns} columns at 1280 px`);
    await page.keyboard.press('ArrowDown');
    assert.equal(await focusOn(page, 1 + columns), 1 + columns);
    await page.keyboard.press('PageDown');
    const afterPage = await focusPast(page, 1 + columns);
    assert.ok(afterPage > 1 + columns, `PageDown moved to ${afterPage}`);
    // The end of a 20,000-photo grid is on a page that may still be loading: the
    // focus ring is on a placeholder until that tile arrives.
    await page.keyboard.press('End');
    assert.equal(await focusOn(page, COUNT - 1), COUNT - 1);
    const g = await grid(page);
    assert.ok(g.scrollTop > 0 && g.inView.length > 0, 'the focused tile was scrolled into view');
    const focusedVisible = await page.$eval('[data-testid="tile"][aria-selected="true"]', (t) => {
      const r = t.getBoundingClientRect();
      const box = document.querySelector('[data-testid="gallery"]').getBoundingClientRect();
      return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
    });
    assert.ok(focusedVisible, 'End scrolled the last tile into view');
    const lastId = await page.$eval('[data-testid="tile"][aria-selected="true"]', (t) => t.dataset.id);

    await page.keyboard.press('Enter');
    const detail = await page.waitForSelector('[data-testid="photo-detail"]');
    assert.equal(await detail.getAttribute('data-id'), lastId);
    await page.waitForSelector('[data-testid="detail-path"]');
    await until(page, 'the preview never decoded', () => document.querySelector('[data-testid="detail-preview"]')?.naturalWidth > 0);
    await page.keyboard.press('ArrowLeft');
    await until(page, 'ArrowLeft never stepped the detail view', (id) => document.querySelector('[data-testid="photo-detail"]')?.dataset.id !== id, lastId);
    assert.equal(await focusOn(page, COUNT - 2), COUNT - 2, 'the grid focus follows the detail view');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid="photo-detail"]', { state: 'detached' });
    const focusBack = await until(page, 'the keyboard focus never went back to the grid', () =>
      document.activeElement?.dataset.testid === 'gallery' ? 'gallery' : null,
    );
    assert.equal(focusBack, 'gallery');
    await page.close();
  });

  test('the detail view draws named face boxes over the preview and lists every file', async () => {
    const { page } = await openGallery({ pageDelayMs: 0 });
    // Photo 20000 is a multiple of 5: it has people (and faces) in the fake catalog.
    await page.click('[data-testid="tile"][data-id="20000"]');
    await page.waitForSelector('[data-testid="face-box"]');
    const faces = await page.$$eval('[data-testid="face-box"]', (boxes) => boxes.map((b) => b.textContent.trim()));
    assert.deepEqual(faces, window_people(20000));
    const inside = await page.evaluate(() => {
      const img = document.querySelector('[data-testid="detail-preview"]').getBoundingClientRect();
      return [...document.querySelectorAll('[data-testid="face-box"]')].every((b) => {
        const r = b.getBoundingClientRect();
        return r.left >= img.left - 1 && r.right <= img.right + 1 && r.top >= img.top - 1 && r.bottom <= img.bottom + 1;
      });
    });
    assert.ok(inside, 'face boxes are scaled to the displayed image');
    const paths = await page.$$eval('[data-testid="detail-path"]', (p) => p.map((x) => x.textContent));
    assert.equal(paths.length, 2);
    await page.close();
  });

  test('a live insert above the viewport does not move the visible tiles', async () => {
    const { page } = await openGallery({ pageDelayMs: 0 });
    await until(page, 'the background pages never loaded every tile', () =>
      document.querySelector('[data-testid="gallery"]')?.dataset.loaded === '20000',
    );
    const start = await grid(page);
    await scrollTo(page, Math.round(start.scrollHeight / 2) + 37);
    const before = await grid(page);
    assert.ok(before.first, 'a tile is in view');
    for (const added of [1, 3, 7, 500]) {
      await page.evaluate((n) => {
        const top = window.__fake.tile(20000).taken_ms;
        const base = (window.__nextId ??= 100_000);
        window.__nextId += n;
        window.__fake.add(Array.from({ length: n }, (_, i) => ({ id: base + i, taken_ms: top + 60_000 + i * 1000 })));
        window.__fake.emit('notices', [{ type: 'photos_changed' }]);
      }, added);
      // The merge has been rendered once the first visible tile has moved on by the
      // number inserted; where it is on screen is then the assertion.
      await until(
        page,
        `the grid never merged ${added} new photos`,
        ({ id, index, count }) =>
          document.querySelector('[data-testid="gallery"]').dataset.count === String(count) &&
          document.querySelector(`[data-testid="tile"][data-id="${id}"]`)?.dataset.index === String(index),
        { id: before.first.id, index: before.first.index + added, count: before.count + added },
      );
      const now = await grid(page);
      before.count += added;
      assert.equal(now.first?.id, before.first.id, `after ${added} inserted: same first visible tile`);
      assert.ok(Math.abs(now.first.top - before.first.top) < 1, `after ${added} inserted: it did not move`);
      assert.ok(Math.abs(now.first.left - before.first.left) < 1);
      assert.deepEqual(now.inView, before.inView, 'every visible tile stayed');
      assert.equal(now.first.index, before.first.index + added);
      before.first.index = now.first.index;
    }
    await page.close();
  });
});

/** The names the fake catalog gives photo `id` (see mock-tauri.js). */
function window_people(id) {
  return ['Ana', 'Ben', 'Chloé', 'Dara', 'Emil'].slice(0, 1 + (id % 3));
}
