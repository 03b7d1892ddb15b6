// Keyboard movement across the grid, as index math (no DOM).

export const NAV_KEYS = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown'] as const;
export type NavKey = (typeof NAV_KEYS)[number];

export function isNavKey(key: string): key is NavKey {
  return (NAV_KEYS as readonly string[]).includes(key);
}

/**
 * Where the focus goes from `index` on `key`, in a grid of `count` tiles laid out in
 * `columns` columns starting `offset` cells in; `pageRows` rows per PageUp/PageDown.
 * A focus of -1 (none yet) lands on `fallback` (e.g. the first visible tile).
 */
export function nextIndex(
  key: NavKey,
  index: number,
  count: number,
  columns: number,
  pageRows: number,
  offset = 0,
  fallback = 0,
): number {
  if (count <= 0) return -1;
  const last = count - 1;
  if (index < 0 || index > last) return Math.min(Math.max(fallback, 0), last);
  const rowOf = (i: number) => Math.floor((i + offset) / columns);
  switch (key) {
    case 'ArrowLeft':
      return Math.max(0, index - 1);
    case 'ArrowRight':
      return Math.min(last, index + 1);
    case 'ArrowUp':
      return index - columns >= 0 ? index - columns : index;
    case 'ArrowDown':
      if (index + columns <= last) return index + columns;
      // No tile right below: go to the last one if it is on a lower row.
      return rowOf(last) > rowOf(index) ? last : index;
    case 'Home':
      return 0;
    case 'End':
      return last;
    case 'PageUp':
      return Math.max(0, index - pageRows * columns);
    case 'PageDown':
      return Math.min(last, index + pageRows * columns);
  }
}
