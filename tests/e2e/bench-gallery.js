// Gallery timing benchmark (prints a table; not a test, not run in CI):
// time from navigation start (the window's page load) to the first thumbnail
// painted in the viewport, on a 20,000-photo catalog, in the real window.
//
//   cd tests/e2e && xvfb-run -a npm run bench:gallery   (after scripts/e2e.sh built the app)
//
// Photos: 20,000 small JPEGs made from the ones in <repo>/.cache/bench/small10k
// (`cargo bench --bench ingest` makes them), each with a JPEG comment segment naming
// it added after SOI so that every file has distinct bytes (small10k repeats content).
// The catalog is imported once with the CLI (`findme --data-dir D import ...`) and
// kept in .cache/bench/gallery20k/. Runs:
//   cold     a fresh copy of the catalog without its rendition files (data/cache/):
//            the visible thumbnails are made on demand
//   settled  a copy on which the app has made every thumbnail (the queue is empty):
//            what opening yesterday's event looks like; each settled run then loads
//            the reference page (floor.js) and the gallery again in the same window
// The UI marks 'gallery-first-page' and 'first-thumb' (ui/src/lib/perf.ts).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IN_VIEW_THUMBS_SCRIPT, startFloor } from './floor.js';
import { launchApp, REPO, tempDir } from './harness.js';

const SOURCE = process.env.FINDME_BENCH_SMALL ?? join(REPO, '.cache', 'bench', 'small10k');
const WORK = process.env.FINDME_BENCH_GALLERY ?? join(REPO, '.cache', 'bench', 'gallery20k');
const WANT = Number(process.env.FINDME_BENCH_PHOTOS ?? 20_000);
const COLD_RUNS = Number(process.env.COLD_RUNS ?? 2);
const SETTLED_RUNS = Number(process.env.SETTLED_RUNS ?? 3);
const TIMEOUT_MS = 120_000;
const SETTLE_TIMEOUT_MS = Number(process.env.SETTLE_TIMEOUT_MS ?? 15 * 60_000);

function jpegsUnder(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...jpegsUnder(path));
    else if (/\.jpe?g$/i.test(entry.name)) out.push(path);
  }
  return out.sort();
}

/** The same JPEG with a COM segment after SOI: still valid, different bytes. */
function withComment(jpeg, text) {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  const body = Buffer.from(text, 'latin1');
  const segment = Buffer.alloc(4 + body.length);
  segment.set([0xff, 0xfe, (body.length + 2) >> 8, (body.length + 2) & 0xff]);
  body.copy(segment, 4);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

function makePhotos(dir) {
  const done = join(dir, '.complete');
  if (existsSync(done)) return;
  if (!existsSync(SOURCE)) throw new Error(`No ${SOURCE}: run scripts/devset.sh / the ingest benchmark first, or set FINDME_BENCH_SMALL.`);
  const originals = jpegsUnder(SOURCE);
  const copies = Math.ceil(WANT / originals.length);
  let n = 0;
  for (let c = 0; c < copies && n < WANT; c++) {
    for (const src of originals) {
      if (n === WANT) break;
      const sub = join(dir, `copy${c}`, String(Math.floor(n / 1000)).padStart(3, '0'));
      mkdirSync(sub, { recursive: true });
      const bytes = readFileSync(src);
      // small10k repeats content: a comment naming the file makes every one distinct.
      writeFileSync(join(sub, `IMG_${String(n).padStart(5, '0')}.JPG`), withComment(bytes, `findme bench photo ${n}`));
      n += 1;
    }
  }
  writeFileSync(done, `${n}\n`);
}

function cli() {
  if (process.env.FINDME_CLI) return process.env.FINDME_CLI;
  execFileSync('cargo', ['build', '--quiet', '--bin', 'findme'], { cwd: REPO, stdio: 'inherit' });
  return join(process.env.CARGO_TARGET_DIR ?? join(REPO, 'target'), 'debug', 'findme');
}

function catalogTemplate() {
  const photos = join(WORK, 'photos');
  const data = join(WORK, 'catalog');
  const done = join(data, '.imported');
  if (existsSync(done)) return data;
  mkdirSync(photos, { recursive: true });
  console.log(`bench: making ${WANT} photos in ${photos}`);
  makePhotos(photos);
  rmSync(data, { recursive: true, force: true });
  console.log('bench: importing them with the CLI (once)');
  const started = Date.now();
  const out = execFileSync(cli(), ['--data-dir', data, 'import', '--json', photos], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const report = JSON.parse(out);
  console.log(`bench: imported ${report.imported} (${report.duplicates} duplicates) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (report.imported + report.duplicates + report.unchanged < WANT) throw new Error(`only ${report.imported} photos imported`);
  writeFileSync(done, `${report.imported}\n`);
  return data;
}

/** The engine's activity, read through the page's own IPC. */
function activity(driver) {
  return driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    window.__TAURI_INTERNALS__.invoke('activity').then(done, (e) => done({ error: String(e) }));`);
}

/** Polls the page's performance marks until 'first-thumb' is set; returns them. */
async function firstThumbMarks(driver) {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const marks = await driver.executeScript(`
      const at = (n) => performance.getEntriesByName(n)[0]?.startTime ?? null;
      const nav = performance.getEntriesByType('navigation')[0];
      return { start: at('studio-start'), page: at('gallery-first-page'), tiles: at('first-tiles-rendered'), thumb: at('first-thumb'),
               dom: nav ? nav.domContentLoadedEventEnd : null,
               count: Number(document.querySelector('[data-testid="gallery"]')?.dataset.count ?? 0) };`);
    if (marks.thumb !== null) return marks;
    if (Date.now() > deadline) throw new Error(`no thumbnail painted within ${TIMEOUT_MS} ms (${JSON.stringify(marks)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function pendingThumbnails(driver) {
  const queue = (await activity(driver)).queues?.find((q) => q.kind === 'thumbnail');
  return queue ? queue.stats.pending + queue.stats.running : null;
}

/**
 * Launches the app on `dataDir` and measures its first paint. With `reference`, the
 * same window then loads the floor page (floor.js) with the thumbnails the gallery had
 * in view, and then the gallery again: both in a web process that has already started,
 * so compare them with each other, and the launch with both.
 */
async function measure(dataDir, { reference = false } = {}) {
  const app = await launchApp({ FINDME_DATA_DIR: dataDir, RUST_LOG: process.env.RUST_LOG ?? 'warn' });
  try {
    const launch = await firstThumbMarks(app.driver);
    const row = { ...launch, pending: await pendingThumbnails(app.driver) };
    if (!reference) return row;
    const galleryUrl = await app.driver.getCurrentUrl();
    const thumbs = await app.driver.executeScript(IN_VIEW_THUMBS_SCRIPT);
    const floor = await startFloor(dataDir, thumbs);
    try {
      await app.driver.get(floor.url);
      row.floor = (await firstThumbMarks(app.driver)).thumb;
    } finally {
      await floor.close();
    }
    await app.driver.get(galleryUrl);
    row.reload = (await firstThumbMarks(app.driver)).thumb;
    row.inView = thumbs.length;
    return row;
  } finally {
    await app.stop();
  }
}

/** Runs the app on `dataDir` until its thumbnail queue is empty. */
async function settle(dataDir) {
  const app = await launchApp({ FINDME_DATA_DIR: dataDir, RUST_LOG: process.env.RUST_LOG ?? 'warn' });
  const started = Date.now();
  try {
    for (;;) {
      if ((await pendingThumbnails(app.driver)) === 0) break;
      if (Date.now() - started > SETTLE_TIMEOUT_MS) throw new Error(`thumbnails still pending after ${SETTLE_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  } finally {
    await app.stop();
  }
  console.log(`bench: the app made every thumbnail in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

const ms = (v) => (v === null || v === undefined ? '—' : `${Math.round(v)} ms`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const template = catalogTemplate();
const rows = [];
const scratch = [];
try {
  for (let i = 0; i < COLD_RUNS; i++) {
    const dir = tempDir('findme-bench-gallery-');
    scratch.push(dir);
    cpSync(template, dir, { recursive: true });
    rmSync(join(dir, 'cache'), { recursive: true, force: true });
    rows.push({ kind: 'cold', ...(await measure(dir)) });
  }
  if (SETTLED_RUNS > 0) {
    const dir = tempDir('findme-bench-gallery-');
    scratch.push(dir);
    cpSync(template, dir, { recursive: true });
    await settle(dir);
    for (let i = 0; i < SETTLED_RUNS; i++) rows.push({ kind: 'settled', ...(await measure(dir, { reference: true })) });
  }
} finally {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
}

const size = statSync(join(template, 'catalog.sqlite')).size;
console.log(`\nGallery first paint, ${rows[0]?.count.toLocaleString('en-US')} photos (catalog ${(size / 1e6).toFixed(1)} MB), real window under Xvfb`);
console.log('times from navigation start; "pending" = thumbnails still queued when the first one was painted;');
console.log('"floor" = the same window then loading a static page with only the thumbnails in view (floor.js), "reload" = the gallery loaded again after it');
console.log('| run | catalog | DOM ready | UI started | first tile page | tiles rendered | first thumbnail painted | pending | floor | reload |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
rows.forEach((r, i) =>
  console.log(
    `| ${i + 1} | ${r.kind} | ${ms(r.dom)} | ${ms(r.start)} | ${ms(r.page)} | ${ms(r.tiles)} | ${ms(r.thumb)} | ${r.pending ?? '—'} | ${ms(r.floor)} | ${ms(r.reload)} |`,
  ),
);
for (const kind of ['cold', 'settled']) {
  const xs = rows.filter((r) => r.kind === kind).map((r) => r.thumb);
  if (xs.length > 0) console.log(`median first thumbnail, ${kind}: ${ms(median(xs))} (target < 300 ms)`);
}
const settled = rows.filter((r) => r.floor !== undefined);
if (settled.length > 0) {
  console.log(`median floor (static page, ${settled[0].inView} thumbnails, warm web process): ${ms(median(settled.map((r) => r.floor)))}`);
  console.log(`median gallery reloaded (warm web process): ${ms(median(settled.map((r) => r.reload)))}`);
}
