import { describe, expect, it } from 'vitest';
import { PhotoSelection, type TileAt } from './selection.svelte';

/** Tiles 0..n-1 with id 100+i, key "k<i>"; `missing` ones are not loaded yet. */
function tiles(n: number, missing: number[] = []): TileAt {
  return {
    at: (i) => (i >= 0 && i < n && !missing.includes(i) ? { id: 100 + i, sha256: `k${i}` } : undefined),
  };
}

describe('PhotoSelection', () => {
  it('toggles single photos with Ctrl/Cmd-click', () => {
    const s = new PhotoSelection();
    const t = tiles(10);
    s.toggle(2, t);
    s.toggle(5, t);
    expect(s.keys()).toEqual(['k2', 'k5']);
    s.toggle(2, t);
    expect(s.keys()).toEqual(['k5']);
    expect(s.has(105) && !s.has(102)).toBe(true);
  });

  it('extends a range from the last picked photo with Shift-click, either way', () => {
    const s = new PhotoSelection();
    const t = tiles(10, [4]);
    s.toggle(6, t);
    s.extend(2, t);
    // Tile 4 is not loaded yet: a range takes what is known.
    expect(s.keys().sort()).toEqual(['k2', 'k3', 'k5', 'k6']);
    s.extend(8, t);
    expect(s.size).toBe(6);
  });

  it('starts a range at the clicked photo when nothing was picked', () => {
    const s = new PhotoSelection();
    s.extend(3, tiles(10));
    expect(s.keys()).toEqual(['k3']);
  });

  it('selects every loaded photo with Ctrl/Cmd-A and clears', () => {
    const s = new PhotoSelection();
    s.selectAll(5, tiles(10, [1]));
    expect(s.keys()).toEqual(['k0', 'k2', 'k3', 'k4']);
    s.clear();
    expect(s.size).toBe(0);
    s.extend(7, tiles(10));
    expect(s.keys()).toEqual(['k7']);
  });
});
