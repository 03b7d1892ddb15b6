// A whole event in the real window, with no CLI driving the app: create an event
// matched on this computer, add three participants with their selfies, watch the
// camera folder, see the right names on the faces, filter the gallery by a
// participant, connect the reference event server from the settings screen and see
// the photos arrive there (issue 15, "Tests that must exist"); open guest
// registration from the events panel and see a guest who signs up on its link
// counted there (issue 16); switch the FTP receiver on, add a camera, and see a
// frame it sends over FTP (curl) join the event, reach the server and be counted
// in the activity panel's Cameras and shutter-to-guest blocks (issue 17).
//
// The event server's own admin commands make its event and photographer token (the
// server's administrator's part, not the app's); everything the photographer does
// goes through the window.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { By, Key, until } from 'selenium-webdriver';
import {
  ARTIFACTS,
  bounded,
  devsetFace,
  eventServerAdmin,
  launchApp,
  modelsDir,
  startEventServer,
  tempDir,
} from './harness.js';

const WAIT_MS = 90_000;
/** The first match loads the face model; a loaded 2-core CI runner is slow at it. */
const MATCH_WAIT_MS = 180_000;
const byTestId = (id) => By.css(`[data-testid="${id}"]`);

const EVENT = { id: 'gala', name: 'Gala 2026' };
// Selfies from the dev set (tests/studio/local_matching.rs says who is in which photo).
// Tom Cruise's photo has exactly one face, and he is in none of the photos.
const PEOPLE = [
  { name: 'Barack Obama', selfie: 'face_recognition/obama.jpg' },
  { name: 'Joe Biden', selfie: 'face_recognition/biden.jpg' },
  { name: 'Tom Cruise', selfie: 'dlib/Tom_Cruise_avp_2014_4.jpg' },
];
// The camera folder: every photo has a participant in it (whatever the publishing
// rule, each one is pushed).
const SHOTS = [
  { file: 'IMG_0001.jpg', from: 'face_recognition/obama2.jpg', people: ['Barack Obama'] },
  { file: 'IMG_0002.jpg', from: 'face_recognition/obama3.jpg', people: ['Barack Obama'] },
  { file: 'IMG_0003.jpg', from: 'face_recognition/biden.jpg', people: ['Joe Biden'] },
];
const photosOf = (name) => SHOTS.filter((s) => s.people.includes(name)).map((s) => s.file);

let app;
let dataDir;
let cardDir;
let serverDir;
let server;

before(async () => {
  dataDir = tempDir('findme-e2e-data-');
  cardDir = tempDir('findme-e2e-card-');
  serverDir = tempDir('findme-e2e-server-');
  app = await launchApp({
    FINDME_DATA_DIR: dataDir,
    // On-device matching (no AWS configuration decides for it), with the model of
    // this checkout whatever tree the binary was built from.
    FINDME_MATCH_BACKEND: 'local',
    FINDME_MODELS_DIR: modelsDir(),
    // The event server is set up in the window, not from the environment.
    FINDME_SERVER_URL: '',
    FINDME_SYNC_EVENT: '',
    FINDME_TOKEN: '',
    RUST_LOG: process.env.RUST_LOG ?? 'info',
  });
});

after(async () => {
  await app?.stop();
  await server?.stop();
  for (const dir of [dataDir, cardDir, serverDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Saves a screenshot for people to look at (bounded: see studio.test.js). */
async function screenshot(name) {
  const png = await bounded(app.driver.takeScreenshot(), 15_000, `the ${name} screenshot`);
  const path = join(ARTIFACTS, `${name}.png`);
  writeFileSync(path, png, 'base64');
  return path;
}

/**
 * The text of the first element with `testId` (null if none), whitespace collapsed:
 * its textContent, so clipped or scrolled-away text counts too.
 */
async function text(testId, root = app.driver) {
  const elements = await root.findElements(byTestId(testId));
  return elements.length > 0 ? (await elements[0].getAttribute('textContent')).replace(/\s+/g, ' ').trim() : null;
}

/**
 * Waits until `probe()` (async, in Node) returns a value `ok` accepts; returns it.
 * The failure names `what` and the last value seen.
 */
async function waitFor(what, probe, ok, timeoutMs = WAIT_MS) {
  let last;
  try {
    await app.driver.wait(async () => {
      last = await probe();
      return ok(last);
    }, timeoutMs);
  } catch (err) {
    throw new Error(`${what} (last: ${JSON.stringify(last)}): ${err.message}`);
  }
  return last;
}

const waitForText = (testId, ok, what, timeoutMs) => waitFor(what, () => text(testId), ok, timeoutMs);

/** Each tile's file name → the names on its "people" badge, and whether it is pushed. */
const TILES = `
  return [...document.querySelectorAll('[data-testid="tile"]')].map((t) => ({
    name: t.getAttribute('title'),
    people: (t.querySelector('[data-testid="badge-people"]')?.getAttribute('title') ?? '')
      .split(', ').filter((p) => p !== ''),
    pushed: t.querySelector('[data-testid="badge-pushed"]') !== null,
  }));`;
const tiles = () => app.driver.executeScript(TILES);
const names = (list) => list.map((t) => t.name).sort();

async function openEvents() {
  await app.driver.findElement(byTestId('open-events')).click();
  return app.driver.wait(until.elementLocated(byTestId('events-panel')), WAIT_MS);
}

async function closePanel(closeTestId, panelTestId) {
  await app.driver.findElement(byTestId(closeTestId)).click();
  await app.driver.wait(async () => (await app.driver.findElements(byTestId(panelTestId))).length === 0, WAIT_MS);
}

/**
 * The participant rows of the events panel: [{ id, name, indexed, photos, selfie, boxes }]
 * (selfie: its thumbnail loaded through the app's protocol; boxes: face boxes drawn on it).
 */
const PARTICIPANT_ROWS = `
  return [...document.querySelectorAll('[data-testid="participant-row"]')].map((r) => ({
    id: r.getAttribute('data-id'),
    name: r.querySelector('[data-testid="participant-row-name"]').textContent.trim(),
    selfie: (() => {
      const img = r.querySelector('[data-testid="participant-selfie-image"] img');
      return img !== null && img.complete && img.naturalWidth > 0;
    })(),
    boxes: r.querySelectorAll('[data-testid^="selfie-face-"]').length,
    indexed: r.querySelector('[data-testid="participant-indexed"]').textContent.trim(),
    photos: r.querySelector('[data-testid="participant-photos"]').textContent.trim(),
  }));`;

/** Picks a participant (by id; '' = anyone) in the gallery's filter. */
async function filterBy(id) {
  const select = await app.driver.findElement(byTestId('filter-participant'));
  await select.findElement(By.css(`option[value="${id}"]`)).click();
  await waitFor('the participant filter to show the choice', () => select.getAttribute('value'), (v) => v === id);
}

/** A TCP port nobody listens on now (the OS picks it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** `jpeg` with a COM segment holding `note`: the same pixels, other bytes (another photo). */
function withComment(jpeg, note) {
  const body = Buffer.from(note);
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), segment, body, jpeg.subarray(2)]);
}

/** GET the event's stats on the event server with the photographer token. */
async function serverStats(url, token) {
  const res = await fetch(`${url}/api/v1/events/${EVENT.id}/stats`, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) return { status: res.status };
  return res.json();
}

test('a whole event: participants, matching, gallery filter, and the photos on the event server', async (t) => {
  const { driver } = app;
  const ids = {};
  // The steps build on each other: after one fails, the rest are skipped.
  let broken = null;
  const step = (name, fn) =>
    t.test(name, { skip: broken ? `"${broken}" failed` : false }, async (st) => {
      try {
        await fn(st);
      } catch (err) {
        broken = name;
        throw err;
      }
    });

  try {
    await step('create an event matched on this computer', async () => {
      await driver.wait(until.elementLocated(byTestId('empty-state')), WAIT_MS);
      await openEvents();
      await driver.wait(until.elementLocated(byTestId('events-empty')), WAIT_MS);
      await driver.findElement(byTestId('new-event-id')).sendKeys(EVENT.id);
      await driver.findElement(byTestId('new-event-name')).sendKeys(EVENT.name);
      const local = await driver.findElement(byTestId('new-event-local'));
      await local.click();
      assert.ok(await local.isSelected(), '"On this computer" is chosen');
      await driver.findElement(byTestId('new-event-create')).click();
      const row = await driver.wait(until.elementLocated(By.css(`[data-testid="event-row"][data-id="${EVENT.id}"]`)), WAIT_MS);
      await waitFor('the new event to be the active one', () => text('event-state', row), (s) => s === 'Active');
      assert.equal(await text('event-matcher', row), 'On this computer');
      assert.equal(await text('event-threshold', row), '0.40');
      await driver.wait(until.elementLocated(byTestId('participants-empty')), WAIT_MS);
    });

    await step('add three participants with their selfies', async () => {
      for (const [i, person] of PEOPLE.entries()) {
        await driver.findElement(byTestId('participant-name')).sendKeys(person.name);
        await driver.findElement(byTestId('participant-selfie-path')).sendKeys(devsetFace(person.selfie));
        await driver.findElement(byTestId('participant-add')).click();
        const rows = await waitFor(
          `${person.name} to be listed`,
          () => driver.executeScript(PARTICIPANT_ROWS),
          (r) => r.length === i + 1 && r.some((p) => p.name === person.name),
        );
        ids[person.name] = rows.find((p) => p.name === person.name).id;
        // The form is cleared for the next one.
        await waitFor('the form to clear', () => driver.findElement(byTestId('participant-name')).getAttribute('value'), (v) => v === '');
      }
      assert.deepEqual(ids, { 'Barack Obama': 'barack-obama', 'Joe Biden': 'joe-biden', 'Tom Cruise': 'tom-cruise' });
      assert.equal(await text('events-error'), null, 'no error in the events panel');
      await closePanel('events-close', 'events-panel');
    });

    await step('watching the camera folder brings its photos into the event', async () => {
      for (const shot of SHOTS) copyFileSync(devsetFace(shot.from), join(cardDir, shot.file));
      const choice = await driver.findElement(byTestId('folder-event-choice'));
      assert.equal(
        (await choice.findElement(By.css('option:checked')).getAttribute('textContent')).trim(),
        `${EVENT.name} (the active event)`,
      );
      await driver.findElement(byTestId('folder-path-input')).sendKeys(cardDir);
      await driver.findElement(byTestId('watch-folder-button')).click();
      const folder = await driver.wait(until.elementLocated(byTestId('watched-folder')), WAIT_MS);
      assert.ok((await folder.getAttribute('textContent')).includes(cardDir), 'the watched folder is listed');
      assert.equal(await text('folder-event', folder), EVENT.name);
      await waitForText('photo-count', (n) => n === String(SHOTS.length), `photo-count to reach ${SHOTS.length}`);
    });

    await step('the gallery names the people in each photo', async () => {
      const want = Object.fromEntries(SHOTS.map((s) => [s.file, s.people]));
      await waitFor(
        'every tile to name its people',
        tiles,
        (list) => list.length === SHOTS.length && list.every((tile) => JSON.stringify(tile.people) === JSON.stringify(want[tile.name])),
        MATCH_WAIT_MS,
      );
    });

    await step("the detail view labels each face with the participant's name", async () => {
      for (const shot of SHOTS) {
        await driver.findElement(By.css(`[data-testid="tile"][title="${shot.file}"]`)).click();
        const detail = await driver.wait(until.elementLocated(byTestId('photo-detail')), WAIT_MS);
        await waitFor(
          `the preview of ${shot.file} to decode`,
          () =>
            driver.executeScript(
              `const img = document.querySelector('[data-testid="detail-preview"]');
               return img && img.complete ? img.naturalWidth : 0;`,
            ),
          (width) => width > 0,
        );
        await waitFor(
          `the face labels of ${shot.file}`,
          () =>
            driver.executeScript(
              `return [...document.querySelectorAll('[data-testid="photo-detail"] [data-testid="face-box"]')].map((b) => b.textContent.trim());`,
            ),
          (labels) => JSON.stringify(labels) === JSON.stringify(shot.people),
        );
        for (const box of await detail.findElements(byTestId('face-box'))) {
          assert.ok(await box.isDisplayed(), `the face box on ${shot.file} is shown`);
        }
        if (shot.file === 'IMG_0003.jpg') await screenshot('event-detail');
        await detail.sendKeys(Key.ESCAPE);
        await driver.wait(async () => (await driver.findElements(byTestId('photo-detail'))).length === 0, WAIT_MS);
      }
    });

    await step('the events panel counts each participant’s photos', async () => {
      // The panel reads the participants when it opens.
      await openEvents();
      const rows = await waitFor(
        'the participants indexed with their photo counts',
        () => driver.executeScript(PARTICIPANT_ROWS),
        (r) =>
          r.length === PEOPLE.length &&
          r.every((p) => p.indexed === 'Yes' && p.photos === String(photosOf(p.name).length) && p.selfie && p.boxes === 1),
      );
      t.diagnostic(`participants: ${JSON.stringify(rows)}`);
      await closePanel('events-close', 'events-panel');
    });

    await step('filtering the gallery by a participant shows only their photos', async () => {
      for (const person of PEOPLE) {
        const want = photosOf(person.name);
        await filterBy(ids[person.name]);
        if (want.length === 0) {
          await driver.wait(until.elementLocated(byTestId('gallery-empty')), WAIT_MS);
          assert.match(await text('gallery-empty'), /No photos match this filter\./);
          assert.deepEqual(await tiles(), []);
        } else {
          const shown = await waitFor(
            `only ${person.name}'s photos`,
            async () => ({ count: await text('gallery-count'), tiles: names(await tiles()) }),
            (v) => v.count === `${want.length} photo${want.length === 1 ? '' : 's'} match` && JSON.stringify(v.tiles) === JSON.stringify(want),
          );
          assert.deepEqual(shown.tiles, want);
        }
      }
      await filterBy('');
      await waitFor('every photo again', async () => names(await tiles()), (v) => v.length === SHOTS.length);
    });

    await step("a participant's photo count in the events panel shows their photos", async () => {
      const person = PEOPLE.find((p) => photosOf(p.name).length > 0);
      const want = photosOf(person.name);
      await openEvents();
      const row = await waitFor(
        `${person.name}'s row`,
        async () => (await driver.findElements(By.css(`[data-testid="participant-row"][data-id="${ids[person.name]}"]`)))[0],
        (r) => r !== undefined,
      );
      // The dialog scrolls (guest registration sits above the participants) and a
      // notice may cover its bottom edge: bring the link to the middle first.
      const show = await row.findElement(byTestId('participant-photos-show'));
      await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' });", show);
      await show.click();
      await driver.wait(async () => (await driver.findElements(byTestId('events-panel'))).length === 0, WAIT_MS);
      await waitFor(
        `only ${person.name}'s photos`,
        async () => names(await tiles()),
        (v) => JSON.stringify(v) === JSON.stringify(want),
      );
      await driver.findElement(byTestId('filter-all')).click();
      await waitFor('every photo again', async () => names(await tiles()), (v) => v.length === SHOTS.length);
    });

    let url;
    let token;
    await step('connect the event server from the settings screen', async () => {
      // The server's administrator makes the event and the photographer's token.
      const created = eventServerAdmin(serverDir, ['create-event', '--id', EVENT.id, '--name', EVENT.name]);
      assert.equal(created.event, EVENT.id);
      token = created.photographer_token;
      server = await startEventServer(serverDir);
      url = server.url;
      assert.deepEqual(await serverStats(url, token), { photos: 0, matched: 0, participants: 0, last_push_ms: null });

      await driver.findElement(byTestId('open-sync')).click();
      await driver.wait(until.elementLocated(byTestId('sync-panel')), WAIT_MS);
      await waitForText('sync-running', (s) => s !== null && s.includes('Not running'), 'the sync status to load');
      await driver.findElement(byTestId('sync-server')).sendKeys(url);
      await driver.findElement(byTestId('sync-event')).sendKeys(EVENT.id);
      await driver.findElement(byTestId('sync-token-input')).sendKeys(token);
      await driver.findElement(byTestId('sync-save')).click();
      await waitForText(
        'sync-running',
        (s) => s !== null && s.includes('Running') && !s.includes('Not running') && s.includes(url),
        'sync to run with the server',
      );
      assert.equal(await text('sync-error'), null, 'no error saving the settings');
      await closePanel('sync-close', 'sync-panel');
    });

    await step('the photos are pushed: the app says so and the server shows them', async () => {
      await waitFor(
        'the activity panel to count every photo pushed',
        async () => ({ pushed: await text('sync-pushed'), pending: await text('sync-pending'), failed: await text('sync-failed') }),
        (v) => v.pushed === String(SHOTS.length) && v.pending === '0' && v.failed === '0',
      );
      await waitFor('every tile to show "pushed"', tiles, (list) => list.length === SHOTS.length && list.every((tile) => tile.pushed));
      const stats = await waitFor(
        'the event server to show every photo',
        () => serverStats(url, token),
        (s) => s.photos === SHOTS.length,
      );
      assert.equal(stats.matched, SHOTS.length, `every photo has a matched face on the server: ${JSON.stringify(stats)}`);
      await screenshot('event-pushed');
    });

    await step('guests sign up on the link the events panel shows, and the panel counts them', async () => {
      await openEvents();
      await driver.wait(until.elementLocated(byTestId('registration-open')), WAIT_MS);
      const link = await driver.findElement(byTestId('registration-link')).getAttribute('value');
      assert.equal(link, `${url}/e/${EVENT.id}`);
      await waitFor(
        'the QR code to show',
        () => driver.executeScript(`const i = document.querySelector('[data-testid="registration-qr"]'); return !!i && i.complete && i.naturalWidth > 0;`),
        (shown) => shown === true,
      );
      await waitForText('registration-state', (s) => s !== null && s.startsWith('Closed'), 'registration to start closed');
      const openSwitch = await driver.findElement(byTestId('registration-open'));
      await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' });", openSwitch);
      await openSwitch.click();
      await waitForText('registration-state', (s) => s !== null && s.startsWith('Open'), 'registration to open');
      // A guest signs up on that link, as the page's form posts it (Tom is in no photo).
      const form = new FormData();
      form.set('name', 'Tom');
      form.set('consent', 'yes');
      form.set('selfie', new Blob([readFileSync(devsetFace(PEOPLE[2].selfie))], { type: 'image/jpeg' }), 'selfie.jpg');
      const signedUp = await fetch(`${link}/register`, { method: 'POST', body: form, redirect: 'manual' });
      assert.equal(signedUp.status, 303, await signedUp.text());
      await waitForText('registration-count', (n) => n === '1', 'the panel to count the guest');
      await closePanel('events-close', 'events-panel');
    });

    await step('a camera sends a frame over FTP: it joins the event, is pushed, and the panel counts it', async () => {
      await driver.findElement(byTestId('open-cameras')).click();
      await driver.wait(until.elementLocated(byTestId('cameras-panel')), WAIT_MS);
      await waitForText('ftp-running', (s) => s !== null && s.includes('Not running'), 'the receiver to start off');
      const port = await freePort();
      for (const [id, value] of [['ftp-port', port], ['ftp-passive-first', 51100], ['ftp-passive-last', 51119]]) {
        const input = await driver.findElement(byTestId(id));
        await input.clear();
        await input.sendKeys(String(value));
      }
      await driver.findElement(byTestId('ftp-enabled')).click();
      await driver.findElement(byTestId('ftp-save')).click();
      await waitForText('ftp-running', (s) => s !== null && s.includes(`port ${port}`), 'the receiver to run');
      await driver.findElement(byTestId('account-name')).sendKeys('z9');
      await driver.findElement(byTestId('account-add')).click();
      const sheet = await driver.wait(until.elementLocated(byTestId('setup-sheet')), WAIT_MS);
      // Each row is the value and its Copy button.
      const value = async (key) => (await text(`sheet-${key}`, sheet)).split(' ')[0];
      const user = await value('user');
      const password = await value('password');
      assert.equal(user, 'z9');
      assert.equal(await value('port'), String(port));
      await closePanel('cameras-close', 'cameras-panel');

      // The camera: curl, sending a new frame of Obama (same pixels as IMG_0001, other bytes).
      const frame = withComment(readFileSync(devsetFace(SHOTS[0].from)), 'frame sent by the z9');
      const local = join(tempDir('findme-e2e-ftp-'), 'DSC_0001.JPG');
      writeFileSync(local, frame);
      const sent = spawnSync('curl', ['-sS', '--max-time', '60', '--user', `${user}:${password}`, '-T', local, `ftp://127.0.0.1:${port}/DSC_0001.JPG`]);
      assert.equal(sent.status, 0, `curl: ${sent.stderr}`);
      await waitForText('photo-count', (n) => n === String(SHOTS.length + 1), 'the frame to join the gallery');
      const camera = await driver.wait(until.elementLocated(byTestId('camera-z9')), WAIT_MS);
      await waitFor('the Cameras block to count the frame', () => text('camera-received', camera), (n) => n === '1');
      assert.ok((await text('camera-last', camera)).includes('DSC_0001.JPG'));
      await waitFor('the event server to show the frame', () => serverStats(url, token), (s) => s.photos === SHOTS.length + 1, MATCH_WAIT_MS);
      await waitForText('last-live', (s) => s !== null && s.includes('(FTP)'), 'the panel to say how long the frame took to go live', MATCH_WAIT_MS);
      await screenshot('event-ftp');
    });

    await step('disconnecting forgets the server and its token', async () => {
      // Also takes the token out of the keyring this run stored it in.
      await driver.findElement(byTestId('open-sync')).click();
      await driver.wait(until.elementLocated(byTestId('sync-panel')), WAIT_MS);
      await driver.wait(until.elementIsEnabled(await driver.findElement(byTestId('sync-disconnect'))), WAIT_MS);
      await driver.findElement(byTestId('sync-disconnect')).click();
      await driver.wait(until.elementLocated(byTestId('sync-confirm-ok')), WAIT_MS).click();
      await waitForText('sync-running', (s) => s !== null && s.includes('Not running'), 'sync to stop');
      await waitForText('sync-token', (s) => s === 'None stored', 'the token to be forgotten');
      await closePanel('sync-close', 'sync-panel');
    });
  } finally {
    const shot = await screenshot('event-end').catch((err) => `no screenshot: ${err.message}`);
    t.diagnostic(`screenshot: ${shot}`);
  }
});
