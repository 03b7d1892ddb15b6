// The photographer's first minutes, in the real window: empty catalog, watch the
// card folder by path, see the photos counted, new photos arrive live.
import assert from 'node:assert/strict';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { By, until } from 'selenium-webdriver';
import { ARTIFACTS, devsetJpegs, launchApp, tempDir } from './harness.js';

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

async function screenshot(name) {
  const png = await app.driver.takeScreenshot();
  const path = join(ARTIFACTS, `${name}.png`);
  writeFileSync(path, png, 'base64');
  return path;
}

async function text(testId) {
  const elements = await app.driver.findElements(byTestId(testId));
  return elements.length > 0 ? (await elements[0].getText()).trim() : null;
}

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

    await t.test('two more photos in the folder are picked up live', async () => {
      for (const src of jpegs.slice(3, 5)) copyFileSync(src, join(cardDir, basename(src)));
      await waitForPhotoCount(5);
      await driver.wait(until.elementLocated(byTestId('photo-row')), WAIT_MS);
      const rows = await driver.findElements(byTestId('photo-row'));
      assert.equal(rows.length, 5);
      const names = (await Promise.all(rows.map((r) => r.getText()))).join('\n');
      for (const src of jpegs) assert.ok(names.includes(basename(src)), `${basename(src)} listed`);
    });
  } finally {
    const shot = await screenshot('studio-watch-folder').catch((err) => `no screenshot: ${err.message}`);
    t.diagnostic(`screenshot: ${shot}`);
  }
});
