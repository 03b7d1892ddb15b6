import { describe, expect, it } from 'vitest';
import { nextIndex } from './keynav';
import {
  anchorAfterShift,
  cellOf,
  firstVisibleIndex,
  gridFor,
  rowCount,
  rowsPerPage,
  scrollHeight,
  scrollToReveal,
  visibleRange,
} from './layout';

describe('grid geometry', () => {
  it('fits as many columns of at least the minimum tile as the width allows', () => {
    expect(gridFor(1000, 168, 6)).toEqual({ columns: 5, tile: 195, gap: 6, rowHeight: 201 });
    expect(gridFor(100, 168, 6).columns).toBe(1);
    expect(gridFor(0, 168, 6).columns).toBe(1);
  });

  it('sizes the scroll area from the count, not from the DOM', () => {
    const grid = gridFor(1000, 168, 6);
    expect(rowCount(20_000, 0, 5)).toBe(4000);
    expect(scrollHeight(20_000, 0, grid)).toBe(4000 * 201 - 6);
    expect(rowCount(20_000, 3, 5)).toBe(4001);
    expect(scrollHeight(0, 0, grid)).toBe(0);
  });

  it('renders only the rows in view plus overscan', () => {
    const grid = gridFor(1000, 168, 6); // 5 columns, 201 px rows
    const { first, end } = visibleRange(201 * 100 + 50, 700, 20_000, 0, grid, 2);
    expect(first).toBe(98 * 5);
    expect(end).toBe(106 * 5); // rows 98..105
    expect(end - first).toBeLessThan(400);
    expect(visibleRange(0, 700, 3, 0, grid)).toEqual({ first: 0, end: 3 });
    expect(visibleRange(0, 700, 0, 0, grid)).toEqual({ first: 0, end: 0 });
    // With two blank cells first, row 0 holds indexes 0..2.
    expect(visibleRange(0, 150, 20, 2, grid, 0)).toEqual({ first: 0, end: 3 });
  });

  it('finds the first visible tile and places indexes in cells', () => {
    const grid = gridFor(1000, 168, 6);
    expect(firstVisibleIndex(201 * 10 + 100, 20_000, 0, grid)).toBe(50);
    expect(firstVisibleIndex(201 * 10, 20_000, 2, grid)).toBe(48);
    expect(cellOf(7, 0, 5)).toEqual({ row: 1, col: 2 });
    expect(cellOf(7, 3, 5)).toEqual({ row: 2, col: 0 });
  });
});

describe('scroll anchoring', () => {
  const columns = 5;
  const rowHeight = 201;

  it('keeps the anchor tile in the same cell when whole rows are inserted above', () => {
    const r = anchorAfterShift(500, 510, 0, 100 * rowHeight + 40, columns, rowHeight);
    expect(r).toEqual({ offset: 0, scrollTop: 102 * rowHeight + 40 });
  });

  it('keeps it in the same cell for any number of inserts, with blank leading cells', () => {
    for (const inserted of [1, 2, 3, 4, 7, 500]) {
      const oldIndex = 500;
      const scrollTop = 100 * rowHeight + 40;
      const r = anchorAfterShift(oldIndex, oldIndex + inserted, 0, scrollTop, columns, rowHeight);
      const before = cellOf(oldIndex, 0, columns);
      const after = cellOf(oldIndex + inserted, r.offset, columns);
      expect(after.col).toBe(before.col);
      // Same position on screen: row top minus scrollTop unchanged.
      expect(after.row * rowHeight - r.scrollTop).toBe(before.row * rowHeight - scrollTop);
      expect(r.offset).toBeGreaterThanOrEqual(0);
      expect(r.offset).toBeLessThan(columns);
    }
  });

  it('works the other way when tiles above are removed', () => {
    const scrollTop = 100 * rowHeight;
    const r = anchorAfterShift(500, 497, 0, scrollTop, columns, rowHeight);
    expect(cellOf(497, r.offset, columns).col).toBe(cellOf(500, 0, columns).col);
    expect(cellOf(497, r.offset, columns).row * rowHeight - r.scrollTop).toBe(100 * rowHeight - scrollTop);
  });

  it('reveals a focused tile by scrolling as little as possible', () => {
    const grid = gridFor(1000, 168, 6);
    expect(scrollToReveal(0, 0, 500, 600, grid)).toBe(0);
    expect(scrollToReveal(12, 0, 0, 600, grid)).toBe(0); // row 2 ends at 597
    expect(scrollToReveal(15, 0, 0, 600, grid)).toBe(3 * 201 + 195 - 600);
    expect(rowsPerPage(600, grid)).toBe(3);
  });
});

describe('keyboard navigation', () => {
  const key = (k: Parameters<typeof nextIndex>[0], i: number, count = 23, offset = 0) => nextIndex(k, i, count, 5, 3, offset);

  it('moves by one across and by a row up and down', () => {
    expect(key('ArrowRight', 0)).toBe(1);
    expect(key('ArrowLeft', 0)).toBe(0);
    expect(key('ArrowRight', 22)).toBe(22);
    expect(key('ArrowDown', 2)).toBe(7);
    expect(key('ArrowUp', 7)).toBe(2);
    expect(key('ArrowUp', 2)).toBe(2);
  });

  it('goes to the last tile when there is none right below on the last row', () => {
    expect(key('ArrowDown', 19)).toBe(22); // row 3 -> the short last row
    expect(key('ArrowDown', 21)).toBe(21); // already on the last row
  });

  it('jumps with Home/End and a page of rows with PageUp/PageDown', () => {
    expect(key('Home', 12)).toBe(0);
    expect(key('End', 0)).toBe(22);
    expect(key('PageDown', 1)).toBe(16);
    expect(key('PageDown', 16)).toBe(22);
    expect(key('PageUp', 16)).toBe(1);
    expect(key('PageUp', 3)).toBe(0);
  });

  it('starts from the fallback (first visible tile) when nothing is focused', () => {
    expect(nextIndex('ArrowRight', -1, 100, 5, 3, 0, 40)).toBe(40);
    expect(nextIndex('ArrowRight', -1, 0, 5, 3)).toBe(-1);
  });

  it('counts rows with the blank leading cells', () => {
    // offset 3: row 0 = [_, _, _, 0, 1], row 1 = [2..6]
    expect(key('ArrowDown', 0, 23, 3)).toBe(5);
    expect(key('ArrowUp', 5, 23, 3)).toBe(0);
    expect(key('ArrowUp', 2, 23, 3)).toBe(2);
  });
});
