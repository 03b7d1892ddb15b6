import { mount } from 'svelte';
import App from './App.svelte';
import type { Api } from './lib/api';
import { FIRST_PAINT_WAIT_MS } from './lib/gallery.svelte';
import { Studio } from './lib/studio.svelte';

/** How long the window may stay empty waiting for the gallery's first page. */
export const MOUNT_WAIT_MS = 300;

/**
 * Starts the app, then mounts its UI once the gallery's first page is in (or after
 * `mountWaitMs`). The webview's first frame then already holds the tiles, and their
 * thumbnails are requested with it. Mounted first, that frame (styles, fonts, the
 * compositor: ~100 ms in a new WebKitGTK web process) held back the page's reply
 * and the tiles came a frame later (docs/benchmarks.md, first paint).
 */
export async function boot(
  target: HTMLElement,
  options: { api?: Api; mountWaitMs?: number; firstPaintWaitMs?: number } = {},
): Promise<{ app: ReturnType<typeof mount>; start: Promise<() => void> }> {
  const studio = new Studio(options.api, undefined, options.firstPaintWaitMs ?? FIRST_PAINT_WAIT_MS);
  const start = studio.start();
  // The App reports a failed start once it is mounted.
  start.catch(() => undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.mountWaitMs ?? MOUNT_WAIT_MS)));
  await Promise.race([studio.gallery.firstPage, timeout]);
  clearTimeout(timer);
  const app = mount(App, { target, props: { started: { studio, start } } });
  return { app, start };
}
