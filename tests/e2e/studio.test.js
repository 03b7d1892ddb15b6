// The photographer's first minutes, in the real window: empty catalog, watch the
// card folder by path, see the photos counted with real thumbnails (decoded through
// the thumb:// scheme), new photos arrive live, the detail view opens and closes.
import assert from 'node:assert/strict';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { By, Key, until } from 'selenium-webdriver';
import { ARTIFACTS, bounded, devsetJpegs, launchApp, tempDir } from './harness.js';

const WAIT_MS = 90_000;
const byTestId = (id) => By.css(`[data-testid="${id}"]`);

let app;
let dataDir;
let cardDir;

before(async () => {
  dataDir = tempDir('findme-e2e-data-');
  cardDir = tempDir('findme-e2e-card-');
  app = await launchApp({ FINDME_DATA_DIR: dataDir, RUST_LOG: process.env.RUST_LOG ?? 'info' });
});

after(async () => {
  await app?.stop();
  for (const dir of [dataDir, cardDir]) if (dir) rmSync(dir, { recursive: true, force: true });
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
  const jpegs = devsetJpegs(5);
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
      const width = await waitInPage(FIRST_THUMB_DECODED, 'the first tile thumbnail never decoded');
      assert.ok(width > 0 && width <= 400, `thumbnail ${width} px wide`);
      const src = await driver.executeScript(`return document.querySelector('[data-testid="tile"] img').getAttribute('src')`);
      assert.match(src, /^(thumb:\/\/localhost|http:\/\/thumb\.localhost)\/[0-9a-f]{64}\/thumb$/);
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
         return img && img.complete && img.naturalWidth > 0 ? img.naturalWidth : 0;`,
        'the preview never decoded',
      );
      assert.ok(preview > 0, `preview ${preview} px wide`);
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
  } finally {
    const shot = await screenshot('studio-watch-folder').catch((err) => `no screenshot: ${err.message}`);
    t.diagnostic(`screenshot: ${shot}`);
  }
});
