// Geometry of the virtualized square-tile grid, as pure functions.
//
// A tile's cell is its index plus `offset` (0 <= offset < columns): blank cells at
// the very start of the grid. Inserting k tiles above the viewport moves every tile
// k cells on; changing the offset by -k (mod columns) and scrolling by whole rows
// puts every visible tile back exactly where it was on screen (see `anchorAfterShift`).

export interface Grid {
  columns: number;
  /** Edge of a square tile, px. */
  tile: number;
  gap: number;
  /** tile + gap. */
  rowHeight: number;
}

export const MIN_TILE = 168;
export const GAP = 6;

/** Columns and tile edge for a container `width` px wide. */
export function gridFor(width: number, minTile = MIN_TILE, gap = GAP): Grid {
  const usable = Math.max(width, minTile);
  const columns = Math.max(1, Math.floor((usable + gap) / (minTile + gap)));
  const tile = Math.floor((usable - gap * (columns - 1)) / columns);
  return { columns, tile, gap, rowHeight: tile + gap };
}

export function rowCount(count: number, offset: number, columns: number): number {
  return count === 0 ? 0 : Math.ceil((count + offset) / columns);
}

export function scrollHeight(count: number, offset: number, grid: Grid): number {
  const rows = rowCount(count, offset, grid.columns);
  return rows === 0 ? 0 : rows * grid.rowHeight - grid.gap;
}

export function cellOf(index: number, offset: number, columns: number): { row: number; col: number } {
  const cell = index + offset;
  return { row: Math.floor(cell / columns), col: cell % columns };
}

/** Indexes [first, end) to render for a viewport, with `overscan` extra rows each side. */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  count: number,
  offset: number,
  grid: Grid,
  overscan = 2,
): { first: number; end: number } {
  if (count === 0) return { first: 0, end: 0 };
  const rows = rowCount(count, offset, grid.columns);
  const top = Math.max(0, Math.floor(scrollTop / grid.rowHeight) - overscan);
  const bottom = Math.min(rows, Math.ceil((scrollTop + viewportHeight) / grid.rowHeight) + overscan);
  const first = Math.max(0, top * grid.columns - offset);
  const end = Math.min(count, Math.max(first, bottom * grid.columns - offset));
  return { first, end };
}

/** Index of the first tile whose row is at least partly in view. */
export function firstVisibleIndex(scrollTop: number, count: number, offset: number, grid: Grid): number {
  if (count === 0) return -1;
  const row = Math.floor(scrollTop / grid.rowHeight);
  return Math.min(count - 1, Math.max(0, row * grid.columns - offset));
}

/**
 * The anchor tile moved from `oldIndex` to `newIndex` (tiles were inserted or removed
 * before it). Returns the offset and scrollTop that keep it, and every tile after it
 * up to the next change, at the same place on screen.
 */
export function anchorAfterShift(
  oldIndex: number,
  newIndex: number,
  offset: number,
  scrollTop: number,
  columns: number,
  rowHeight: number,
): { offset: number; scrollTop: number } {
  const cell = oldIndex + offset;
  const newOffset = (((cell - newIndex) % columns) + columns) % columns;
  const oldRow = Math.floor(cell / columns);
  const newRow = Math.floor((newIndex + newOffset) / columns);
  return { offset: newOffset, scrollTop: Math.max(0, scrollTop + (newRow - oldRow) * rowHeight) };
}

/** scrollTop that brings the row of `index` fully into view (unchanged if it is). */
export function scrollToReveal(
  index: number,
  offset: number,
  scrollTop: number,
  viewportHeight: number,
  grid: Grid,
): number {
  const { row } = cellOf(index, offset, grid.columns);
  const top = row * grid.rowHeight;
  const bottom = top + grid.tile;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return scrollTop;
}

/** Whole rows that fit in the viewport (PageUp/PageDown step), at least 1. */
export function rowsPerPage(viewportHeight: number, grid: Grid): number {
  return Math.max(1, Math.floor((viewportHeight + grid.gap) / grid.rowHeight));
}
