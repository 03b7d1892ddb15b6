import { waitFor } from '@testing-library/svelte';
import { unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { boot } from './boot';
import { api as tauriApi, type Api } from './lib/api';
import { fakeShell, stats, tiles } from './tests/fixtures';

let target: HTMLElement | null = null;

afterEach(() => {
  target?.remove();
  target = null;
});

function newTarget(): HTMLElement {
  target = document.createElement('div');
  document.body.append(target);
  return target;
}

describe('boot', () => {
  it('mounts the UI with the first page already in, so the first frame holds the tiles', async () => {
    fakeShell({ stats: stats(3), tiles: tiles(3) });
    const into = newTarget();
    // A wait far longer than any test: only the page's arrival can end it.
    const { app, start } = await boot(into, { mountWaitMs: 60_000, firstPaintWaitMs: 0 });
    // Right after mounting, before anything else has run: no waitFor.
    expect(into.querySelectorAll('[data-testid="tile"]')).toHaveLength(3);
    await start;
    await unmount(app);
  });

  it('mounts anyway when the first page is late, and shows its tiles when it comes', async () => {
    fakeShell({ stats: stats(3), tiles: tiles(3) });
    let release: () => void = () => {};
    const late = new Promise<void>((resolve) => (release = resolve));
    const slow: Api = { ...tauriApi, tiles: (query) => late.then(() => tauriApi.tiles(query)) };
    const into = newTarget();
    const { app, start } = await boot(into, { api: slow, mountWaitMs: 10, firstPaintWaitMs: 0 });
    expect(into.querySelector('[data-testid="photo-count"]')).not.toBeNull();
    expect(into.querySelectorAll('[data-testid="tile"]')).toHaveLength(0);
    release();
    await waitFor(() => expect(into.querySelectorAll('[data-testid="tile"]')).toHaveLength(3));
    await start;
    await unmount(app);
  });
});
