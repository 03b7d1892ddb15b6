// Cameras sending over FTP: the receiver's settings and status, the camera
// accounts (one per body) and what each camera did. Read at start and again on
// every `cameras_changed` notice (a camera connected, sent or failed; the
// receiver started or stopped), so the activity panel's Cameras block and the
// settings dialog show the same thing. It talks to the shell only through
// `CamerasApi`, so tests hand it the real wrappers over a mocked IPC.
import { errorMessage, type Api } from './api';
import type { CameraAccountDto } from './bindings/CameraAccountDto';
import type { EngineNotice } from './bindings/EngineNotice';
import type { FtpSettingsDto } from './bindings/FtpSettingsDto';
import type { FtpStatusDto } from './bindings/FtpStatusDto';
import type { LiveStats } from './bindings/LiveStats';
import type { NewCameraAccount } from './bindings/NewCameraAccount';
import { throttle, type Throttled } from './throttle';

export type CamerasApi = Pick<Api, 'ftpStatus' | 'setFtpSettings' | 'addCameraAccount' | 'removeCameraAccount'>;

/** Re-reads after notices run at most this often (a camera sending a burst). */
export const CAMERAS_REFRESH_MS = 500;

/** The engine's rule for an account name (it is also the photos' folder name). */
const ACCOUNT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const ACCOUNT_NAME_RULE = '1 to 64 letters, digits, - or _ (no spaces), for example nikon-z9 or body_2';

/** Why `name` cannot be an account name, or null when it can. */
export function accountNameProblem(name: string): string | null {
  if (name.length === 0) return 'Type a name for the camera first.';
  if (!ACCOUNT_NAME.test(name)) return `“${name}” cannot be an account name: use ${ACCOUNT_NAME_RULE}.`;
  return null;
}

/** What the photographer typed in the receiver's form (ports as typed). */
export interface FtpForm {
  enabled: boolean;
  port: string;
  passiveFirst: string;
  passiveLast: string;
  ftps: boolean;
  /** Empty: the default folder. */
  dir: string;
  /** Empty: the active event. */
  event: string;
}

export function formOf(s: FtpSettingsDto): FtpForm {
  return {
    enabled: s.enabled,
    port: String(s.port),
    passiveFirst: String(s.passive_first),
    passiveLast: String(s.passive_last),
    ftps: s.ftps,
    dir: s.dir ?? '',
    event: s.event ?? '',
  };
}

function portOf(text: string, what: string): number | string {
  const t = text.trim();
  const n = Number(t);
  if (!/^\d+$/.test(t) || n < 1 || n > 65535) return `The ${what} must be a number from 1 to 65535, not “${t}”.`;
  return n;
}

/** The form as the engine's settings, or why it cannot be saved. */
export function settingsOf(form: FtpForm): FtpSettingsDto | string {
  const port = portOf(form.port, 'port');
  if (typeof port === 'string') return port;
  const first = portOf(form.passiveFirst, 'first passive port');
  if (typeof first === 'string') return first;
  const last = portOf(form.passiveLast, 'last passive port');
  if (typeof last === 'string') return last;
  if (first > last) return `The passive port range ends (${last}) before it starts (${first}).`;
  if (port >= first && port <= last) return `The port ${port} is inside the passive range ${first}-${last}: pick another.`;
  const dir = form.dir.trim();
  const event = form.event.trim();
  return {
    enabled: form.enabled,
    port,
    passive_first: first,
    passive_last: last,
    ftps: form.ftps,
    dir: dir === '' ? null : dir,
    event: event === '' ? null : event,
  };
}

/** Where a photo came from, as the activity panel names it. */
export const SOURCE_LABELS: Record<string, string> = {
  ftp: 'FTP',
  watch: 'watched folder',
  card: 'card',
  import: 'import',
};

/** Shutter to guest of one source with photos. */
export interface SourceLine {
  source: string;
  label: string;
  photos: number;
  p50: number;
  p95: number;
}

/** The sources that have figures, FTP first (live sources before the rest). */
export function liveSources(live: LiveStats): SourceLine[] {
  const lines: SourceLine[] = [];
  for (const source of ['ftp', 'watch', 'card', 'import'] as const) {
    const s = live[source];
    if (s.photos > 0 && s.latency_p50_ms !== null && s.latency_p95_ms !== null) {
      const label = SOURCE_LABELS[source] ?? source;
      lines.push({ source, label: label.charAt(0).toUpperCase() + label.slice(1), photos: s.photos, p50: s.latency_p50_ms, p95: s.latency_p95_ms });
    }
  }
  return lines;
}

/** One line of a setup sheet: the camera menu's field and what to type there. */
export interface SheetRow {
  key: string;
  label: string;
  value: string;
  /** Worth a copy button (typed text, not a switch). */
  copy: boolean;
}

/**
 * What the photographer types into the camera's FTP menu for `account`: the
 * server (each address of this computer), port, user, password, passive mode,
 * FTPS, and the destination folder ("/": the receiver files photos itself).
 */
export function setupSheet(status: FtpStatusDto, account: { user: string; password: string }): SheetRow[] {
  const port = status.port ?? status.settings.port;
  const hosts: SheetRow[] =
    status.addresses.length > 0
      ? status.addresses.map((a, i) => ({
          key: `host-${i}`,
          label: status.addresses.length > 1 ? `Server (address ${i + 1})` : 'Server',
          value: a,
          copy: true,
        }))
      : [{ key: 'host', label: 'Server', value: "this computer's address", copy: false }];
  return [
    ...hosts,
    { key: 'port', label: 'Port', value: String(port), copy: true },
    { key: 'user', label: 'User name', value: account.user, copy: true },
    { key: 'password', label: 'Password', value: account.password, copy: true },
    { key: 'passive', label: 'Passive mode', value: 'On', copy: false },
    {
      key: 'ftps',
      label: 'Security (FTPS)',
      value: status.settings.ftps ? 'On: explicit FTPS (FTPES); accept the certificate' : 'Off: plain FTP',
      copy: false,
    },
    { key: 'folder', label: 'Destination folder', value: '/', copy: true },
  ];
}

export class Cameras {
  status = $state<FtpStatusDto | null>(null);
  /** True once the first read answered. */
  loaded = $state(false);
  busy = $state(false);
  /** The last error, in words for the photographer (cleared by the next action). */
  error = $state<string | null>(null);
  /** What the last action did. */
  notice = $state<string | null>(null);
  /** The account just made: its setup sheet is shown open. */
  added = $state<NewCameraAccount | null>(null);
  /** The account whose revocation is being asked. */
  revoking = $state<string | null>(null);

  readonly #api: CamerasApi;
  readonly #refresh: Throttled<'status'>;

  constructor(api: CamerasApi, refreshMs = CAMERAS_REFRESH_MS) {
    this.#api = api;
    this.#refresh = throttle<'status'>(refreshMs, async () => {
      await this.load();
    });
  }

  get accounts(): CameraAccountDto[] {
    return this.status?.accounts ?? [];
  }

  /** Reads the receiver's status; returns it (null when it could not be read). */
  async load(): Promise<FtpStatusDto | null> {
    try {
      this.status = await this.#api.ftpStatus();
      return this.status;
    } catch (err) {
      this.error = `Could not read the camera receiver: ${errorMessage(err)}`;
      return null;
    } finally {
      this.loaded = true;
    }
  }

  handleEngineNotices(batch: EngineNotice[]): void {
    if (batch.some((n) => n.type === 'cameras_changed')) this.#refresh.request('status');
  }

  /** Runs a pending re-read now (tests). */
  flush(): Promise<void> {
    return this.#refresh.flush();
  }

  stop(): void {
    this.#refresh.cancel();
  }

  /** Saves the receiver's settings; it restarts with them. Returns the status, or null. */
  async save(form: FtpForm): Promise<FtpStatusDto | null> {
    const settings = settingsOf(form);
    if (typeof settings === 'string') {
      this.error = settings;
      this.notice = null;
      return null;
    }
    const status = await this.#run('Could not save the camera receiver settings', () =>
      this.#api.setFtpSettings(settings),
    );
    if (!status) return null;
    this.status = status;
    if (status.running) this.notice = `Saved. Cameras can send to port ${status.port ?? settings.port} now.`;
    else if (settings.enabled) this.notice = null; // the status says why it is not running
    else this.notice = 'Saved. The receiver is off: cameras cannot send.';
    return status;
  }

  /** Makes an account for one camera body. */
  async add(name: string): Promise<NewCameraAccount | null> {
    const trimmed = name.trim();
    const problem = accountNameProblem(trimmed);
    if (problem) {
      this.error = problem;
      this.notice = null;
      return null;
    }
    const made = await this.#run(`Could not add the camera ${trimmed}`, () => this.#api.addCameraAccount(trimmed));
    if (!made) return null;
    this.added = made;
    this.notice = `Added ${made.user}: type its setup sheet into the camera's FTP settings.`;
    await this.load();
    return made;
  }

  askRevoke(user: string): void {
    this.revoking = user;
  }

  cancel(): void {
    this.revoking = null;
  }

  /** Revokes the account asked about: the camera can no longer send (its photos stay). */
  async revoke(): Promise<boolean> {
    const user = this.revoking;
    if (!user) return false;
    this.revoking = null;
    const done = await this.#run(`Could not revoke ${user}`, async () => {
      await this.#api.removeCameraAccount(user);
      return true;
    });
    if (!done) return false;
    if (this.added?.user === user) this.added = null;
    this.notice = `Revoked ${user}: that camera can no longer send. Its photos stay.`;
    await this.load();
    return true;
  }

  /** Runs one command: its answer, or undefined with `error` set (prefixed with what failed). */
  async #run<T>(what: string, action: () => Promise<T>): Promise<T | undefined> {
    this.busy = true;
    this.error = null;
    this.notice = null;
    try {
      return await action();
    } catch (err) {
      this.error = `${what}: ${errorMessage(err)}`;
      return undefined;
    } finally {
      this.busy = false;
    }
  }
}
