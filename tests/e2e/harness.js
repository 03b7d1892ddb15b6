// Starts tauri-driver (which starts FindMe Studio through WebKitWebDriver) and opens a
// WebDriver session on the real window. Used by the *.test.js files here.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Builder } from 'selenium-webdriver';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DRIVER_PORT = Number(process.env.TAURI_DRIVER_PORT ?? 4444);
const NATIVE_DRIVER = process.env.WEBKIT_WEBDRIVER ?? '/usr/bin/WebKitWebDriver';

const TARGET_DIR = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(REPO, 'target');
export const APP = process.env.FINDME_STUDIO_BIN ?? join(TARGET_DIR, 'debug', 'findme-studio');
/** The reference event server (crates/event-server), built beside the app. */
export const EVENT_SERVER = process.env.FINDME_EVENT_SERVER_BIN ?? join(TARGET_DIR, 'debug', 'findme-event-server');
/** The headless `findme` CLI (the same engine as the app), built beside it. */
export const CLI = process.env.FINDME_BIN ?? join(TARGET_DIR, 'debug', 'findme');
export const ARTIFACTS = process.env.E2E_ARTIFACTS ?? join(REPO, 'target', 'e2e-artifacts');

const DEVSET = process.env.FINDME_DEVSET || join(REPO, '.cache', 'devset');

/** `count` JPEGs with distinct content from the devset's camera-jpeg folder. */
export function devsetJpegs(count) {
  const dir = join(DEVSET, 'camera-jpeg');
  if (!existsSync(dir)) {
    throw new Error(
      `No devset photos at ${dir}. Set FINDME_DEVSET to a folder with camera-jpeg/ (locally /work/cache/devset) or put one at ${join(REPO, '.cache', 'devset')}.`,
    );
  }
  const seen = new Set();
  const picked = [];
  for (const name of readdirSync(dir).sort()) {
    if (!/\.jpe?g$/i.test(name)) continue;
    const path = join(dir, name);
    const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
    if (seen.has(hash)) continue;
    seen.add(hash);
    picked.push(path);
    if (picked.length === count) return picked;
  }
  throw new Error(`${dir} has only ${picked.length} distinct JPEGs; the test needs ${count}.`);
}

/** The file's SHA-256 (hex): the catalog's key for its photo and its thumbnails. */
export function sha256File(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * A JPEG's stored width and height, from its first SOF marker (what the renderer
 * sizes from; the long edge is the same whichever way EXIF turns it).
 */
export function jpegSize(path) {
  const b = readFileSync(path);
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) throw new Error(`${path}: no JPEG marker at ${i}`);
    const marker = b[i + 1];
    const length = b.readUInt16BE(i + 2);
    // SOF0-SOF15, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    i += 2 + length;
  }
  throw new Error(`${path}: no SOF marker`);
}

/** A photo of the devset's faces/ folder (scripts/devset.sh), e.g. `face_recognition/obama.jpg`. */
export function devsetFace(relative) {
  const path = join(DEVSET, 'faces', relative);
  if (!existsSync(path)) {
    throw new Error(`No devset face photo at ${path}: run scripts/devset.sh, or set FINDME_DEVSET to a dev set with faces/.`);
  }
  return path;
}

/**
 * The on-device face model's folder, as the Rust tests find it (findme_testkit::models_dir):
 * FINDME_MODELS_DIR, else <repo>/.cache/models (scripts/models.sh).
 */
export function modelsDir() {
  const dir = process.env.FINDME_MODELS_DIR || join(REPO, '.cache', 'models');
  for (const name of ['face_detection_yunet_2023mar.onnx', 'face_recognition_sface_2021dec.onnx']) {
    if (!existsSync(join(dir, name))) throw new Error(`No face model ${name} in ${dir}: run scripts/models.sh.`);
  }
  return dir;
}

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

function portOpen(port) {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.end();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

async function waitForPort(port, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`tauri-driver exited with ${child.exitCode}`);
    if (await portOpen(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on ${port} within ${timeoutMs} ms`);
}

/**
 * `promise`, or a rejection naming `what` after `ms`: a bound on WebDriver calls
 * that WebKitWebDriver has been seen to leave unanswered (a screenshot, the
 * session's end) so teardown and artifacts cannot hang the suite. Not a wait for
 * a condition: the tests wait for conditions with their own deadlines.
 */
export function bounded(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Names the app processes one launch started (the app inherits the driver's env). */
const RUN_MARKER = 'FINDME_E2E_RUN';

/** Pids of running processes of `exe` whose environment holds `marker=value`. */
function processesOf(exe, marker, value) {
  const wanted = `${marker}=${value}`;
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/exe`) !== exe) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(wanted)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids;
}

/**
 * Ends the app processes of this launch that outlived the session: WebKitWebDriver
 * does not always close the app when the session ends (seen under load: the app
 * kept running with init as its parent, holding the test runner's output open so
 * that `node --test` never exited). SIGTERM (the app shuts its engine down), then
 * SIGKILL if it is still there after `graceMs`.
 */
async function endLeftoverApps(marker, graceMs = 30_000) {
  const exe = realpathSync(APP);
  const left = processesOf(exe, RUN_MARKER, marker);
  if (left.length === 0) return;
  process.stderr.write(`# the app outlived its WebDriver session (pid ${left.join(', ')}): ending it\n`);
  for (const pid of left) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (processesOf(exe, RUN_MARKER, marker).length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const pid of processesOf(exe, RUN_MARKER, marker)) process.kill(pid, 'SIGKILL');
}

/**
 * `bin args` run in a new session keyring of their own (what `keyctl session - …`
 * does, and what a desktop login gets from pam_keyinit), through python3 when it
 * is there. The app keeps the event server token in the OS keyring; without a
 * Secret Service (CI, containers) that is the kernel keyring, and the keyring
 * crate's kernel store fails in a process started without a session keyring: the
 * first token saved on each thread is refused ("No matching entry found in secure
 * storage"). The token then lives in this throwaway keyring, not the user's.
 */
function withSessionKeyring(bin, args) {
  const keyctl = { x64: 250, arm64: 219 }[process.arch];
  const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
  if (process.platform !== 'linux' || keyctl === undefined || python === undefined) return [bin, args];
  const script = [
    'import ctypes, os, sys',
    'libc = ctypes.CDLL(None, use_errno=True)',
    // keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL): a new anonymous session keyring.
    `if libc.syscall(${keyctl}, 1, None) < 0: sys.stderr.write('# no session keyring: %s\\n' % os.strerror(ctypes.get_errno()))`,
    'os.execv(sys.argv[1], sys.argv[1:])',
  ].join('\n');
  return [python, ['-c', script, bin, ...args]];
}

/**
 * Starts tauri-driver with `env` (the app inherits it) and opens a session on the app.
 * Returns { driver, stop }; stop() quits the session, ends tauri-driver with
 * SIGTERM (SIGKILL would orphan WebKitWebDriver and the app), and then ends any
 * app process of this launch still running.
 */
export async function launchApp(env) {
  if (!existsSync(APP)) throw new Error(`No app binary at ${APP}: run scripts/e2e.sh (it builds it).`);
  if (await portOpen(DRIVER_PORT)) throw new Error(`Port ${DRIVER_PORT} is busy: is another tauri-driver running?`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const bin = process.env.TAURI_DRIVER ?? join(REPO, '.tools', 'bin', 'tauri-driver');
  if (!existsSync(bin)) throw new Error(`No tauri-driver at ${bin}: run scripts/e2e.sh (it installs it).`);
  const marker = randomUUID();
  const [command, args] = withSessionKeyring(bin, ['--port', String(DRIVER_PORT), '--native-driver', NATIVE_DRIVER]);
  const child = spawn(command, args, {
    env: { ...process.env, ...env, [RUN_MARKER]: marker },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const stopDriver = () =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  try {
    await waitForPort(DRIVER_PORT, child, 30_000);
    const driver = await new Builder()
      .usingServer(`http://127.0.0.1:${DRIVER_PORT}/`)
      .withCapabilities({ browserName: 'wry', 'tauri:options': { application: APP } })
      .build();
    const stop = async () => {
      try {
        // WebKitWebDriver has left a session's DELETE unanswered (the app's
        // page stuck): give up on it after a while and end the processes.
        await bounded(driver.quit(), 30_000, 'ending the WebDriver session');
      } finally {
        await stopDriver();
        await endLeftoverApps(marker);
      }
    };
    return { driver, stop };
  } catch (err) {
    await stopDriver();
    await endLeftoverApps(marker);
    throw err;
  }
}

/** Runs an admin subcommand of the event server on `dataDir` with --json; returns its JSON. */
export function eventServerAdmin(dataDir, args) {
  if (!existsSync(EVENT_SERVER)) throw new Error(`No event server binary at ${EVENT_SERVER}: run scripts/e2e.sh (it builds it).`);
  const out = execFileSync(EVENT_SERVER, ['--data-dir', dataDir, '--json', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 60_000,
  });
  return JSON.parse(out);
}

/**
 * Starts the reference event server on 127.0.0.1 with a free port (it binds port 0
 * and prints the address it got). Returns { url, stop }; stop() ends it with
 * SIGTERM (it finishes in-flight requests), then SIGKILL after `graceMs`.
 */
export async function startEventServer(dataDir, timeoutMs = 30_000) {
  if (!existsSync(EVENT_SERVER)) throw new Error(`No event server binary at ${EVENT_SERVER}: run scripts/e2e.sh (it builds it).`);
  const child = spawn(EVENT_SERVER, ['--data-dir', dataDir, '--listen', '127.0.0.1:0', '--json'], {
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = (graceMs = 10_000) =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(kill);
        done();
      });
      child.kill('SIGTERM');
    });
  try {
    const url = await bounded(
      new Promise((found, failed) => {
        let buffered = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk) => {
          buffered += chunk;
          for (const line of buffered.split('\n').slice(0, -1)) {
            try {
              const listening = JSON.parse(line).listening;
              if (listening) found(listening);
            } catch {
              // Not the address line.
            }
          }
          buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
        });
        child.once('exit', (code, signal) => failed(new Error(`the event server exited (${code ?? signal}) before listening`)));
        child.once('error', failed);
      }),
      timeoutMs,
      'the event server saying where it listens',
    );
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
