// The gallery's selection: photos picked with Ctrl/Cmd-click (toggle), Shift-click
// (a range from the last picked one) or Ctrl/Cmd-A (every loaded tile), for "Add to
// event…" and "Remove from event". Kept by photo id, so it survives tiles moving
// when new photos arrive; tiles that leave the view leave the selection.

/** What a tile's position answers: its photo id and key, if loaded. */
export interface TileAt {
  at(index: number): { id: number; sha256: string } | undefined;
}

export class PhotoSelection {
  /** Selected photo ids → their SHA-256 (what the engine's commands take). */
  picked = $state.raw<Map<number, string>>(new Map());
  /** Index of the last tile picked alone: where a Shift-click range starts. */
  #anchor: number | null = null;

  get size(): number {
    return this.picked.size;
  }

  has(id: number): boolean {
    return this.picked.has(id);
  }

  /** The SHA-256s of the selected photos. */
  keys(): string[] {
    return [...this.picked.values()];
  }

  /** Ctrl/Cmd-click: the tile joins or leaves the selection. */
  toggle(index: number, tiles: TileAt): void {
    const tile = tiles.at(index);
    if (!tile) return;
    const next = new Map(this.picked);
    if (next.has(tile.id)) next.delete(tile.id);
    else next.set(tile.id, tile.sha256);
    this.picked = next;
    this.#anchor = index;
  }

  /** Shift-click: every loaded tile from the anchor to `index` joins. */
  extend(index: number, tiles: TileAt): void {
    if (this.#anchor === null) {
      this.toggle(index, tiles);
      return;
    }
    const [from, to] = this.#anchor <= index ? [this.#anchor, index] : [index, this.#anchor];
    const next = new Map(this.picked);
    for (let i = from; i <= to; i++) {
      const tile = tiles.at(i);
      if (tile) next.set(tile.id, tile.sha256);
    }
    this.picked = next;
  }

  /** Ctrl/Cmd-A: every tile loaded so far (`count` tiles from the top). */
  selectAll(count: number, tiles: TileAt): void {
    const next = new Map<number, string>();
    for (let i = 0; i < count; i++) {
      const tile = tiles.at(i);
      if (tile) next.set(tile.id, tile.sha256);
    }
    this.picked = next;
    this.#anchor = null;
  }

  clear(): void {
    if (this.picked.size > 0) this.picked = new Map();
    this.#anchor = null;
  }
}
