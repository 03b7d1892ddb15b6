// The reference for the gallery's first paint: the least a page can do to show the
// same thumbnails in the same webview. bench-gallery.js navigates the app's window to
// this page after the gallery has painted, so the webview, the window size and the
// thumbnail bytes are the same as the gallery's; only the UI is gone. The page is
// static HTML: one absolutely placed <img> per thumbnail the gallery had in view, at
// the gallery's own positions and sizes, the JPEGs read from the catalog's cache
// folder and served from 127.0.0.1. It marks 'first-thumb' exactly as the UI does
// (ui/src/lib/perf.ts: load event, then the next animation frame, inside the viewport).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

/** Geometry and source of every thumbnail in view, read from the gallery page. */
export const IN_VIEW_THUMBS_SCRIPT = `
  return [...document.querySelectorAll('[data-testid="tile"] img')]
    .map((img) => { const r = img.getBoundingClientRect();
      return { x: r.left, y: r.top, w: r.width, h: r.height, src: img.getAttribute('src') ?? '' }; })
    .filter((t) => t.y < window.innerHeight && t.y + t.h > 0 && t.x < window.innerWidth && t.x + t.w > 0);`;

/** The cached thumbnail a `thumb://` URL names (cache/renditions/<first two hex>/<sha256>.thumb.jpg). */
function thumbnailFile(dataDir, src) {
  const sha = /[0-9a-f]{64}/.exec(src)?.[0];
  if (!sha) throw new Error(`no SHA-256 in thumbnail URL ${src}`);
  return join(dataDir, 'cache', 'renditions', sha.slice(0, 2), `${sha}.thumb.jpg`);
}

function page(thumbs) {
  const tiles = thumbs
    .map(
      (t, i) =>
        `<div class="t" style="left:${t.x}px;top:${t.y}px;width:${t.w}px;height:${t.h}px">` +
        `<img src="/t/${i}.jpg" decoding="async" onload="loaded(this)"></div>`,
    )
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>first-paint floor</title>
<style>
  html, body { margin: 0; height: 100%; overflow: hidden; background: #15171a; }
  .t { position: absolute; border-radius: 6px; overflow: hidden; background: #23262b; contain: strict; }
  .t img { width: 100%; height: 100%; object-fit: contain; display: block; }
</style>
<script>
  let marked = false;
  function loaded(img) {
    requestAnimationFrame(() => {
      if (marked || img.naturalWidth === 0) return;
      const r = img.getBoundingClientRect();
      if (r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth) {
        marked = true;
        performance.mark('first-thumb');
      }
    });
  }
</script></head>
<body>
${tiles}
</body></html>`;
}

/**
 * Serves the floor page for `thumbs` (from IN_VIEW_THUMBS_SCRIPT) on 127.0.0.1.
 * Returns { url, close }.
 */
export async function startFloor(dataDir, thumbs) {
  if (thumbs.length === 0) throw new Error('the gallery had no thumbnail in view');
  const images = thumbs.map((t) => readFileSync(thumbnailFile(dataDir, t.src)));
  const html = page(thumbs);
  const server = createServer((req, res) => {
    const image = /^\/t\/(\d+)\.jpg$/.exec(req.url ?? '');
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
    } else if (image && images[Number(image[1])]) {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'no-store' });
      res.end(images[Number(image[1])]);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', done);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}
