// The guests' side of the reference event server in Debian's Chromium (headless,
// Playwright): a phone and a desktop guest register at /e/{event} with real face
// photos, the app (the `findme` CLI: the same engine, on-device matching) pulls
// them from the roster, matches and pushes, and each guest's page fills in without
// reload; download one and all; a second guest sees none of the first's photos;
// withdrawal deletes. Every refusal shows its message in the page.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { CLI, devsetFace, eventServerAdmin, modelsDir, startEventServer, tempDir } from './harness.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** Waits are for conditions, bounded just under the runner's per-test timeout. */
const WAIT_MS = 240_000;
const EVENT = 'wed';
const CODE = 'GARDEN';

let browser;
let server;
let serverData;
let appData;
let photographerToken;
const shots = {};

/** Runs the app's CLI on the test's data folder; returns its JSON. */
function findme(args) {
  const out = execFileSync(CLI, [...args, '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
    env: {
      ...process.env,
      FINDME_DATA_DIR: appData,
      FINDME_MODELS_DIR: modelsDir(),
      FINDME_TOKEN: photographerToken,
    },
  });
  return JSON.parse(out);
}

/** What the app does when the server is reachable: pull the roster, match, push. */
function appRound() {
  const pulled = findme(['sync', '--server', server.url, '--event', EVENT]);
  findme(['match', '--event', EVENT]);
  const pushed = findme(['sync', '--server', server.url, '--event', EVENT]);
  return { roster: pulled.roster, pushed: pulled.pushed + pushed.pushed };
}

/** Photos the event server shows guests (the photographer's stats). */
async function visiblePhotos() {
  const response = await fetch(`${server.url}/api/v1/events/${EVENT}/stats`, {
    headers: { Authorization: `Bearer ${photographerToken}` },
  });
  return (await response.json()).photos;
}

before(async () => {
  serverData = tempDir('findme-guest-server-');
  appData = tempDir('findme-guest-app-');
  server = await startEventServer(serverData);
  photographerToken = eventServerAdmin(serverData, ['create-event', '--id', EVENT, '--name', 'Garden wedding'])
    .photographer_token;
  // The photographer's day: two photos of one guest, one of another.
  const shootDir = tempDir('findme-guest-shots-');
  for (const [name, face] of [
    ['IMG_0001.jpg', 'face_recognition/obama2.jpg'],
    ['IMG_0002.jpg', 'face_recognition/obama3.jpg'],
    ['IMG_0003.jpg', 'face_recognition/biden.jpg'],
  ]) {
    writeFileSync(join(shootDir, name), readFileSync(devsetFace(face)));
    shots[name] = join(shootDir, name);
  }
  findme(['events', 'create', '--id', EVENT, '--name', 'Garden wedding', '--backend', 'local']);
  findme(['import', '--event', EVENT, shootDir]);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  for (const dir of [serverData, appData]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 };
const DESKTOP = { viewport: { width: 1280, height: 800 } };

async function guestPage(device) {
  const context = await browser.newContext({ ...device, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // HTTP refusals the test provokes show up as "Failed to load resource": not errors of the page.
  page.on('console', (m) => m.type() === 'error' && !/Failed to load resource/.test(m.text()) && errors.push(m.text()));
  return { context, page, errors };
}

async function fillForm(page, { name, selfie, code, consent }) {
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.locator('input[type=file]').setInputFiles(selfie);
  if (code !== undefined) await page.getByLabel('Event code').fill(code);
  if (consent) await page.locator('input[type=checkbox]').check();
  await page.getByRole('button', { name: 'Find my photos' }).click();
}

async function register(page, name, selfie) {
  await page.goto(`${server.url}/e/${EVENT}`);
  await fillForm(page, { name, selfie, code: CODE.toLowerCase(), consent: true });
  await page.waitForURL(`${server.url}/e/${EVENT}/me`);
}

/** The grid's image URLs once it holds `count` loaded images. */
async function gridImages(page, count) {
  const grid = page.getByTestId('my-photos');
  await page.waitForFunction(
    (n) => {
      const imgs = [...document.querySelectorAll('[data-testid=my-photos] img')];
      return imgs.length === n && imgs.every((i) => i.complete && i.naturalWidth > 0);
    },
    count,
    { timeout: WAIT_MS },
  );
  return grid.locator('img').evaluateAll((imgs) => imgs.map((i) => i.src));
}

test('registration refusals: closed, wrong code, no consent, not an image', async () => {
  const { context, page, errors } = await guestPage(DESKTOP);
  await page.goto(`${server.url}/e/${EVENT}`);
  await page.getByText('Registration for this event is closed').waitFor();
  assert.equal(await page.locator('form#register').count(), 0);

  eventServerAdmin(serverData, ['registration', '--event', EVENT, '--open', '--code', CODE]);
  await page.goto(`${server.url}/e/${EVENT}`);
  const checkbox = page.locator('input[type=checkbox]');
  assert.equal(await checkbox.isChecked(), false, 'consent starts unticked');
  const error = page.getByRole('alert');
  const selfie = devsetFace('face_recognition/obama.jpg');
  await fillForm(page, { name: 'Mallory', selfie, code: 'WRONG', consent: true });
  await error.getByText('That event code is not right').waitFor();
  await checkbox.uncheck();
  await fillForm(page, { name: 'Mallory', selfie, code: CODE, consent: false });
  await error.getByText('Please tick the box').waitFor();
  const notPhoto = join(tempDir('findme-guest-bad-'), 'selfie.jpg');
  writeFileSync(notPhoto, 'this is a text file with a .jpg name');
  await fillForm(page, { name: 'Mallory', selfie: notPhoto, code: CODE, consent: true });
  await error.getByText('This file is not a photo we can use').waitFor();
  assert.equal(page.url(), `${server.url}/e/${EVENT}`, 'still on the form');
  const roster = findme(['sync', '--server', server.url, '--event', EVENT]).roster;
  assert.equal(roster.added, 0, 'nobody was registered');
  assert.deepEqual(errors, []);
  await context.close();
});

test('guests register, watch their photos arrive, download, stay apart, and withdraw', async () => {
  eventServerAdmin(serverData, ['registration', '--event', EVENT, '--open', '--code', CODE]);
  const phone = await guestPage(PHONE);
  await register(phone.page, 'Barack', devsetFace('face_recognition/obama.jpg'));
  await phone.page.getByText('Your photos appear here as the photographer finds you').waitFor();
  assert.ok(!phone.page.url().includes('k='), 'no token in the address bar');
  assert.equal(await phone.page.locator('#download-all').isVisible(), false, 'nothing to download yet');
  const link = await phone.page.locator('output#link').textContent();
  assert.match(link, new RegExp(`^${server.url}/e/${EVENT}/me\\?k=fma_[0-9a-f]{64}$`), 'the personal link to keep');

  const desktop = await guestPage(DESKTOP);
  await register(desktop.page, 'Joe', devsetFace('face_recognition/biden.jpg'));

  // The app pulls both guests, indexes their selfies, matches and pushes.
  const round = appRound();
  assert.equal(round.roster.added, 2, JSON.stringify(round));
  assert.equal(await visiblePhotos(), 3, 'the three matched photos are online');

  // Each page fills in by itself: no reload.
  const barack = await gridImages(phone.page, 2);
  const joe = await gridImages(desktop.page, 1);
  await phone.page.locator('#empty').waitFor({ state: 'hidden' });
  for (const src of [...barack, ...joe]) assert.ok(!/token|fma_|fms_/.test(src), src);
  assert.ok(barack.every((src) => src.endsWith('?size=grid')));
  assert.equal(barack.filter((src) => joe.includes(src)).length, 0);

  // Joe cannot see Barack's photos by guessing their URLs (with his own cookie).
  for (const src of barack) {
    const full = src.replace('?size=grid', '');
    for (const url of [src, full, `${full}?download=1`]) {
      assert.equal((await desktop.page.request.get(url)).status(), 404, url);
    }
  }
  // Nor with no session at all.
  assert.equal((await browser.newPage().then((p) => p.request.get(barack[0]))).status(), 401);

  // Full view: swipe / arrows, and download of one.
  await phone.page.getByTestId('my-photos').locator('a').first().click();
  const viewer = phone.page.locator('#viewer-image');
  await phone.page.waitForFunction(() => document.getElementById('viewer-image').naturalWidth > 0);
  const first = await viewer.getAttribute('src');
  await phone.page.keyboard.press('ArrowRight');
  await phone.page.waitForFunction((s) => document.getElementById('viewer-image').getAttribute('src') !== s, first);
  const [one] = await Promise.all([
    phone.page.waitForEvent('download'),
    phone.page.locator('#viewer-download').click(),
  ]);
  const oneBytes = readFileSync(await one.path());
  assert.deepEqual([...oneBytes.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG');
  await phone.page.locator('#viewer-close').click();

  // Download of all: a zip with both photos.
  const [all] = await Promise.all([
    phone.page.waitForEvent('download'),
    phone.page.locator('#download-all').click(),
  ]);
  const zip = readFileSync(await all.path());
  const entries = zip.toString('latin1').split('PK\x01\x02').length - 1;
  assert.equal(entries, 2, 'one zip entry per photo');

  // Joe's own personal link, opened in a fresh browser, shows only Joe's photo.
  // (The box is already open right after registering: it showed the first link.)
  await desktop.page.locator('details.link').evaluate((d) => (d.open = true));
  await desktop.page.getByRole('button', { name: 'Show my personal link' }).click();
  await desktop.page.waitForFunction(() => document.getElementById('link').textContent.includes('k=fma_'));
  const joeLink = await desktop.page.locator('output#link').textContent();
  const elsewhere = await guestPage(PHONE);
  await elsewhere.page.goto(joeLink);
  await elsewhere.page.waitForURL(`${server.url}/e/${EVENT}/me`);
  assert.deepEqual(await gridImages(elsewhere.page, 1), joe);

  // Barack withdraws: confirmed, then his data is gone at once.
  await phone.page.getByRole('button', { name: 'Delete my data' }).click();
  await phone.page.getByRole('button', { name: 'Yes, delete my data' }).click();
  await phone.page.getByText('Your data was deleted').waitFor();
  assert.equal((await phone.page.request.get(barack[0])).status(), 401);
  await phone.page.goto(`${server.url}/e/${EVENT}/me`);
  assert.equal(await phone.page.getByTestId('my-photos').count(), 0);
  // The app acts on the tombstone: his matches go, and so do the photos only he was in.
  const after = appRound();
  assert.equal(after.roster.removed, 1, JSON.stringify(after));
  assert.equal(await visiblePhotos(), 1, 'only Joe\'s photo is still online');
  assert.deepEqual(await gridImages(desktop.page, 1), joe, 'Joe keeps his photo');

  for (const g of [phone, desktop, elsewhere]) {
    assert.deepEqual(g.errors, []);
    await g.context.close();
  }
});
