// The fake shell's filters against the engine's own answers: the engine writes a
// catalog with a photo in each state a filter tells apart, and what each filter
// keeps, to filter-cases.json (crates/engine/src/gallery_filter_cases.rs); the fake
// loaded with those tiles must keep exactly the same photos, in the same order.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { installFakeShell } from './mock-tauri.js';

const fixture = JSON.parse(readFileSync(new URL('./filter-cases.json', import.meta.url), 'utf8'));

test('the fake shell filters the gallery as the engine does', async () => {
  globalThis.window = {};
  installFakeShell({ count: 0, thumbBase: 'http://127.0.0.1:1', tiles: fixture.tiles });
  const invoke = (cmd, args) => window.__TAURI_INTERNALS__.invoke(cmd, args);
  assert.ok(fixture.cases.length >= 7, 'every filter has its case');
  for (const { filter, ids } of fixture.cases) {
    const query = { after: null, limit: 2000, sort: 'captured', newest_first: false, filter };
    const page = await invoke('tiles', { query });
    assert.deepEqual(
      page.tiles.map((t) => t.id),
      ids,
      `filter ${JSON.stringify(filter)}`,
    );
    assert.equal(page.total, ids.length);
    for (const tile of page.tiles) assert.equal(tile.facts, undefined, 'facts never leave the fake');
  }
});
