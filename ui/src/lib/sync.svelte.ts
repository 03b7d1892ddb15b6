// The event server settings' state: what the engine says is set up, the last
// connection test, and the disconnect question. It talks to the shell only through
// `SyncApi`, so tests hand it the real wrappers over a mocked IPC.
//
// The token is deliberately NOT part of this state: the panel keeps what was typed
// in its own field, passes it to `save`/`test` once, and clears it after a save.
// Nothing here stores it (no localStorage, no field), and the engine only ever
// answers `has_token`.
import { errorMessage, type Api, type SyncInput } from './api';
import type { ConnectionTestDto } from './bindings/ConnectionTestDto';
import type { SyncSettingsDto } from './bindings/SyncSettingsDto';

export type SyncApi = Pick<
  Api,
  'syncSettings' | 'saveSyncSettings' | 'clearSyncSettings' | 'testSyncConnection' | 'pullRosterNow'
>;

/** What the photographer typed. */
export interface SyncForm {
  serverUrl: string;
  event: string;
  /** Empty: keep the stored token. */
  token: string;
  /** Accept a plain http:// server on another computer (tokens and photos in clear). */
  allowPlainHttp?: boolean;
}

/** Why a plain http:// server on another computer is refused unless allowed. */
export const PLAIN_HTTP_WARNING =
  "Over plain http:// the photographer token and every photo cross the venue's network unencrypted: anyone " +
  'on that network can read them. Use https, or allow it only on a network you trust.';

/** The address is plain http:// (the engine decides whether it is this computer). */
export function isPlainHttp(serverUrl: string): boolean {
  return /^http:\/\//i.test(serverUrl.trim());
}

/** The input the engine gets: trimmed, and no `token` at all when none was typed. */
export function syncInput(form: SyncForm): SyncInput {
  const input: SyncInput = { server_url: form.serverUrl.trim(), event: form.event.trim() };
  const token = form.token.trim();
  if (token !== '') input.token = token;
  if (form.allowPlainHttp) input.allow_plain_http = true;
  return input;
}

/** Where the running sync's settings came from, in the photographer's words. */
export function sourceLabel(source: string): string {
  if (source === 'environment') return 'the environment (FINDME_SERVER_URL)';
  if (source === 'settings') return 'saved in this app';
  return 'not set up';
}

export class SyncSettings {
  settings = $state<SyncSettingsDto | null>(null);
  /** True once the first read answered (avoids flashing "not set up"). */
  loaded = $state(false);
  /** An action runs: the buttons wait. */
  busy = $state(false);
  /** The last error, in words for the photographer (cleared by the next action). */
  error = $state<string | null>(null);
  /** The last connection test's answer (cleared by the next action). */
  test = $state<ConnectionTestDto | null>(null);
  /** What the last action did ("Saved…", "Pulling the guest list…"). */
  notice = $state<string | null>(null);
  /** The disconnect question is asked. */
  confirming = $state(false);

  readonly #api: SyncApi;
  readonly #onChanged: () => Promise<void> | void;

  constructor(api: SyncApi, onChanged: () => Promise<void> | void = () => {}) {
    this.#api = api;
    this.#onChanged = onChanged;
  }

  /** Reads what is set up; returns it (null when it could not be read). */
  async load(): Promise<SyncSettingsDto | null> {
    try {
      this.settings = await this.#api.syncSettings();
      return this.settings;
    } catch (err) {
      this.error = `Could not read the event server settings: ${errorMessage(err)}`;
      return null;
    } finally {
      this.loaded = true;
    }
  }

  /** Checks server, event and token (typed, else stored) without saving anything. */
  async testConnection(form: SyncForm): Promise<ConnectionTestDto | null> {
    const input = this.#checked(form);
    if (!input) return null;
    const answer = await this.#run('Could not test the connection', () => this.#api.testSyncConnection(input));
    if (answer) this.test = answer;
    return answer ?? null;
  }

  /** Saves and starts syncing. Returns the new settings, or null when it failed. */
  async save(form: SyncForm): Promise<SyncSettingsDto | null> {
    const input = this.#checked(form);
    if (!input) return null;
    const saved = await this.#run('Could not save the event server settings', () =>
      this.#api.saveSyncSettings(input),
    );
    if (!saved) return null;
    this.settings = saved;
    this.notice = saved.running
      ? `Saved. Syncing with event ${saved.event ?? input.event} on ${saved.server_url ?? input.server_url}.`
      : 'Saved, but sync is not running.';
    await this.#onChanged();
    return saved;
  }

  askDisconnect(): void {
    this.confirming = true;
  }

  cancel(): void {
    this.confirming = false;
  }

  /** Does what the disconnect question asked. Returns the settings after it, or null. */
  async disconnect(): Promise<SyncSettingsDto | null> {
    if (!this.confirming) return null;
    this.confirming = false;
    const cleared = await this.#run('Could not disconnect', () => this.#api.clearSyncSettings());
    if (!cleared) return null;
    this.settings = cleared;
    this.notice = 'Disconnected: nothing is sent to an event server now.';
    await this.#onChanged();
    return cleared;
  }

  /** Asks the running sync to pull the guest list now (it also does every 30 s). */
  async pull(): Promise<boolean> {
    const started = await this.#run('Could not pull the guest list', () => this.#api.pullRosterNow());
    if (started) this.notice = 'Pulling the guest list now: new guests show up in Events… in a moment.';
    else if (started === false) this.error = 'Sync is not running: save the settings first.';
    return started === true;
  }

  /** The form as the engine's input, or null (and `error` set) when it is incomplete. */
  #checked(form: SyncForm): SyncInput | null {
    const input = syncInput(form);
    this.notice = null;
    this.test = null;
    if (input.server_url === '') {
      this.error = 'Type the event server address first (for example https://photos.example.com).';
      return null;
    }
    if (input.event === '') {
      this.error = 'Type the event id the server gave you first.';
      return null;
    }
    return input;
  }

  /** Runs one command: its answer, or undefined with `error` set (prefixed with what failed). */
  async #run<T>(what: string, action: () => Promise<T>): Promise<T | undefined> {
    this.busy = true;
    this.error = null;
    this.notice = null;
    this.test = null;
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
