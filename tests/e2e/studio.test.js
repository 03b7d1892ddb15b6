// The photographer's first minutes, in the real window: empty catalog, watch the
// card folder by path, see the photos counted with real thumbnails (decoded through
// the thumb:// scheme, keyed by the photo's SHA-256, 320 px on the long edge), new
// photos arrive live, the detail view opens with its 2048 px preview and closes,
// and a card is copied, verified and catalogued from the import dialog.
// (Matching, its results on the tiles and the participant filter: event.test.js.)
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { By, Key, until } from 'selenium-webdriver';
import { ARTIFACTS, bounded, devsetJpegs, jpegSize, launchApp, sha256File, tempDir } from './harness.js';

const WAIT_MS = 90_000;
const byTestId = (id) => By.css(`[data-testid="${id}"]`);

let app;
let dataDir;
let cardDir;
let sdCard;
let library;

/** The renditions' long edges (crates/thumbs: never upscaled). */
const THUMB_EDGE = 320;
const PREVIEW_EDGE = 2048;

/** The long edge a rendition of `path` must have. */
function expectedEdge(path, edge) {
  const { width, height } = jpegSize(path);
  return Math.min(edge, Math.max(width, height));
}

before(async () => {
  dataDir = tempDir('findme-e2e-data-');
  cardDir = tempDir('findme-e2e-card-');
  sdCard = tempDir('findme-e2e-sd-');
  library = tempDir('findme-e2e-library-');
  app = await launchApp({ FINDME_DATA_DIR: dataDir, RUST_LOG: process.env.RUST_LOG ?? 'info' });
});

after(async () => {
  await app?.stop();
  for (const dir of [dataDir, cardDir, sdCard, library]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Saves a screenshot for people to look at (nothing is asserted on one). Bounded:
 * WebKitWebDriver once never answered a screenshot of a page that had not changed
 * since the last one, and the suite hung to its timeout (docs/decisions.md).
 */
async function screenshot(name) {
  const png = await bounded(app.driver.takeScreenshot(), 15_000, `the ${name} screenshot`);
  const path = join(ARTIFACTS, `${name}.png`);
  writeFileSync(path, png, 'base64');
  return path;
}

async function text(testId) {
  const elements = await app.driver.findElements(byTestId(testId));
  return elements.length > 0 ? (await elements[0].getText()).trim() : null;
}

/** Waits until `script` (run in the page) returns a truthy value; returns it. */
async function waitInPage(script, what, ...args) {
  let last;
  try {
    await app.driver.wait(async () => {
      last = await app.driver.executeScript(script, ...args);
      return Boolean(last);
    }, WAIT_MS);
  } catch (err) {
    throw new Error(`${what} (last: ${JSON.stringify(last)}): ${err.message}`);
  }
  return last;
}

const FIRST_THUMB_DECODED = `
  const img = document.querySelector('[data-testid="tile"] img');
  return img && img.complete && img.naturalWidth > 0 ? img.naturalWidth : 0;`;

async function waitForPhotoCount(expected) {
  let last = null;
  try {
    await app.driver.wait(async () => {
      last = await text('photo-count');
      return last === String(expected);
    }, WAIT_MS);
  } catch (err) {
    throw new Error(`photo-count stayed at ${last} instead of ${expected}: ${err.message}`);
  }
}

test('watch a folder, see its photos counted, and new ones arrive live', async (t) => {
  const { driver } = app;
  const all = devsetJpegs(7);
  const jpegs = all.slice(0, 5);
  const onCard = all.slice(5);
  for (const src of jpegs.slice(0, 3)) copyFileSync(src, join(cardDir, basename(src)));

  try {
    await t.test('first run shows what to do', async () => {
      const empty = await driver.wait(until.elementLocated(byTestId('empty-state')), WAIT_MS);
      assert.match(await empty.getText(), /Choose the folder your camera or card reader writes to, or drop photos here\./);
      assert.equal(await text('photo-count'), '0');
    });

    await t.test('watching the folder catalogues its 3 photos', async () => {
      await driver.findElement(byTestId('folder-path-input')).sendKeys(cardDir);
      await driver.findElement(byTestId('watch-folder-button')).click();
      const folder = await driver.wait(until.elementLocated(byTestId('watched-folder')), WAIT_MS);
      // textContent: the visible text of an ellipsized path can be clipped.
      assert.ok((await folder.getAttribute('textContent')).includes(cardDir), 'the watched folder is listed');
      await waitForPhotoCount(3);
    });

    await t.test('tiles show real thumbnails from the thumb scheme', async () => {
      await waitInPage(FIRST_THUMB_DECODED, 'the first tile thumbnail never decoded');
      // Every tile: its thumb:// key is its file's SHA-256, and the decoded
      // thumbnail is 320 px on the long edge (or the photo's own size).
      const tiles = await waitInPage(
        `const t = [...document.querySelectorAll('[data-testid="tile"]')].map((e) => {
           const img = e.querySelector('img');
           return img && img.complete && img.naturalWidth > 0
             ? { name: e.getAttribute('title'), src: img.getAttribute('src'), w: img.naturalWidth, h: img.naturalHeight }
             : null;
         });
         return t.length === 3 && t.every(Boolean) ? t : null;`,
        'the 3 tiles never all showed their thumbnails',
      );
      for (const tile of tiles) {
        const file = join(cardDir, tile.name);
        const key = tile.src.match(/^(?:thumb:\/\/localhost|http:\/\/thumb\.localhost)\/([0-9a-f]{64})\/thumb$/);
        assert.ok(key, `thumbnail URL ${tile.src}`);
        assert.equal(key[1], sha256File(file), `${tile.name}: the thumbnail's key is the photo's SHA-256`);
        assert.equal(Math.max(tile.w, tile.h), expectedEdge(file, THUMB_EDGE), `${tile.name}: thumbnail ${tile.w}×${tile.h}`);
      }
    });

    await t.test('two more photos in the folder are picked up live', async () => {
      for (const src of jpegs.slice(3, 5)) copyFileSync(src, join(cardDir, basename(src)));
      await waitForPhotoCount(5);
      const titles = await waitInPage(
        `const t = [...document.querySelectorAll('[data-testid="tile"]')].map((e) => e.getAttribute('title'));
         return t.length === 5 ? t : null;`,
        'the grid never showed 5 tiles',
      );
      for (const src of jpegs) assert.ok(titles.includes(basename(src)), `${basename(src)} has a tile`);
    });

    await t.test('the detail view shows the preview and the file, and Esc closes it', async () => {
      const tile = await driver.findElement(byTestId('tile'));
      const name = await tile.getAttribute('title');
      await tile.click();
      const detail = await driver.wait(until.elementLocated(byTestId('photo-detail')), WAIT_MS);
      const preview = await waitInPage(
        `const img = document.querySelector('[data-testid="detail-preview"]');
         return img && img.complete && img.naturalWidth > 0 ? [img.naturalWidth, img.naturalHeight] : null;`,
        'the preview never decoded',
      );
      const edge = expectedEdge(join(cardDir, name), PREVIEW_EDGE);
      assert.equal(Math.max(...preview), edge, `${name}: preview ${preview.join('×')}, long edge ${edge} wanted`);
      const path = await driver.wait(until.elementLocated(byTestId('detail-path')), WAIT_MS);
      assert.equal(await path.getAttribute('textContent'), join(cardDir, name));
      await screenshot('detail');
      await detail.sendKeys(Key.ESCAPE);
      await driver.wait(async () => (await driver.findElements(byTestId('photo-detail'))).length === 0, WAIT_MS);
      await waitInPage(FIRST_THUMB_DECODED, 'the grid lost its thumbnails');
      // A record for people: it may still show the dialog's last frame.
      const shot = await screenshot('gallery');
      t.diagnostic(`gallery screenshot: ${shot}`);
    });

    await t.test('a card is copied, verified, said safe to format and catalogued', async () => {
      for (const src of onCard) copyFileSync(src, join(sdCard, basename(src)));
      const onCardNow = () => onCard.map((src) => sha256File(join(sdCard, basename(src))));
      const cardBefore = onCardNow();
      await driver.findElement(By.xpath("//button[normalize-space()='Import from card…']")).click();
      await driver.wait(until.elementLocated(By.id('card-sources')), WAIT_MS).sendKeys(sdCard);
      await driver.findElement(By.id('card-destination')).sendKeys(library);
      await driver.findElement(By.xpath("//button[normalize-space()='Copy and verify']")).click();
      const verdict = await driver.wait(until.elementLocated(byTestId('card-verdict')), WAIT_MS);
      assert.match(await verdict.getText(), /Safe to format/);
      assert.equal((await driver.findElements(byTestId('not-copied'))).length, 0, 'nothing left on the card only');
      await waitForPhotoCount(7);
      // The library holds a byte-identical copy of each (layout {date}/{name}).
      const copies = await waitInPage(
        `const t = [...document.querySelectorAll('[data-testid="tile"]')].map((e) => e.getAttribute('title'));
         return t.length === 7 ? t : null;`,
        'the grid never showed 7 tiles',
      );
      for (const src of onCard) assert.ok(copies.includes(basename(src)), `${basename(src)} has a tile`);
      const copied = readdirSync(library, { recursive: true })
        .map((rel) => join(library, rel))
        .filter((path) => /\.jpe?g$/i.test(path));
      assert.deepEqual(
        copied.map((path) => sha256File(path)).sort(),
        onCard.map((path) => sha256File(path)).sort(),
        'every card photo is in the library, byte for byte',
      );
      assert.deepEqual(onCardNow(), cardBefore, 'the card is only read');
      await driver.findElement(By.xpath("//button[normalize-space()='Done']")).click();
      await driver.wait(async () => (await driver.findElements(byTestId('card-report'))).length === 0, WAIT_MS);
    });
  } finally {
    const shot = await screenshot('studio-watch-folder').catch((err) => `no screenshot: ${err.message}`);
    t.diagnostic(`screenshot: ${shot}`);
  }
});
