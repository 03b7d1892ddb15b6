// The UI's state: what the catalog holds, the watched folders, and what the
// photographer is told (toasts, progress). Components read it and call its actions;
// it talks to the shell only through `Api`, so tests hand it a fake.
import { Activity } from './activity.svelte';
import { Cameras } from './cameras.svelte';
import { ACTIVE_EVENT, api as tauriApi, errorMessage, isKind, type Api } from './api';
import type { EventChoiceDto } from './bindings/EventChoiceDto';
import type { EngineNotice } from './bindings/EngineNotice';
import type { FailureDto } from './bindings/FailureDto';
import type { ParticipantDto } from './bindings/ParticipantDto';
import type { ImportReport } from './bindings/ImportReport';
import type { Stats } from './bindings/Stats';
import type { WatchedFolderDto } from './bindings/WatchedFolderDto';
import { plural, summarizeReport } from './format';
import { Gallery } from './gallery.svelte';
import { markOnce } from './perf';
import { throttle, type Throttled } from './throttle';

/** Re-fetches after engine events run at most this often. */
export const REFRESH_INTERVAL_MS = 300;
const TOAST_MS = 6000;
const ERROR_TOAST_MS = 12000;
/** A toast with an action (Undo) stays long enough to reach for it. */
export const ACTION_TOAST_MS = 15000;

export type ToastKind = 'info' | 'success' | 'error';
/** A button in a toast ("Undo"); the toast closes when it is used. */
export interface ToastAction {
  label: string;
  run: () => Promise<unknown> | void;
}
export interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
  action?: ToastAction;
}

/** What a coalesced re-fetch covers: counters and problems, the tiles, the folders. */
type Part = 'photos' | 'tiles' | 'folders';

export class Studio {
  stats = $state<Stats | null>(null);
  folders = $state<WatchedFolderDto[]>([]);
  failures = $state<FailureDto[]>([]);
  /** The active event's participants, for the gallery's participant filter. */
  participants = $state<ParticipantDto[]>([]);
  /** The last card import's report (shown until dismissed). */
  cardReport = $state<ImportReport | null>(null);
  toasts = $state<Toast[]>([]);
  /** True once the first load finished (avoids flashing the empty state). */
  loaded = $state(false);
  busy = $state(false);

  readonly gallery: Gallery;
  readonly activity: Activity;
  /** The FTP receiver and the cameras' accounts (activity panel, Cameras dialog). */
  readonly cameras: Cameras;
  readonly #api: Api;
  readonly #refresh: Throttled<Part>;
  #nextToast = 1;
  #photosSeq = 0;
  #foldersSeq = 0;

  /**
   * `firstPaintWaitMs`: how long the startup reads (and the gallery's background
   * pages) may wait for the first thumbnail (see Gallery.firstPaint); 0 in tests.
   */
  constructor(api: Api = tauriApi, refreshIntervalMs = REFRESH_INTERVAL_MS, firstPaintWaitMs = 0) {
    this.#api = api;
    this.gallery = new Gallery(api, { firstPaintWaitMs });
    this.activity = new Activity(api, refreshIntervalMs);
    this.cameras = new Cameras(api, refreshIntervalMs);
    this.#refresh = throttle<Part>(refreshIntervalMs, (parts) => this.#reload(parts));
  }

  /** The shell's commands (the detail view reads through it). */
  get api(): Api {
    return this.#api;
  }

  /** Nothing catalogued and nothing watched: the first-run state. */
  get isEmpty(): boolean {
    return (
      this.loaded &&
      this.folders.length === 0 &&
      (this.stats?.catalog.photos ?? 0) === 0 &&
      this.gallery.total === 0
    );
  }

  /**
   * Listens to engine events, then loads everything: the gallery's first page and
   * first thumbnails first; its other pages keep coming in the background after this
   * resolves. Returns the cleanup.
   */
  async start(): Promise<() => void> {
    markOnce('studio-start');
    // The gallery first: its first page is what the photographer waits for. Its
    // change feed starts at that page's sequence number, so nothing is missed even
    // though the listener is added meanwhile.
    void this.gallery.reload();
    const unlisten = await this.#api.onEngineNotices((batch) => this.handleEngineNotices(batch));
    // Counters, folders and queues are not what the photographer waits for.
    await this.gallery.firstPaint;
    void this.activity.start();
    void this.cameras.load();
    await this.#reload(new Set<Part>(['photos', 'folders']));
    this.loaded = true;
    return () => {
      this.#refresh.cancel();
      this.activity.stop();
      this.cameras.stop();
      unlisten();
    };
  }

  handleEngineNotices(batch: EngineNotice[]): void {
    for (const event of batch) {
      switch (event.type) {
        case 'photos_changed':
          this.#refresh.request('photos', 'tiles');
          break;
        case 'queue_changed':
          // Thumbnails made, matches found, pushes done: the tiles show it.
          this.#refresh.request('tiles');
          break;
        case 'folders_changed':
          this.#refresh.request('folders');
          break;
        case 'import_progress':
        case 'cameras_changed':
          break;
      }
    }
    this.activity.handleEngineNotices(batch);
    this.cameras.handleEngineNotices(batch);
  }

  /** Runs pending re-fetches now (tests; also after an action the user waits on). */
  flushRefresh(): Promise<void> {
    return this.#refresh.flush();
  }

  /**
   * After the events panel changed an event or a participant: reads the participant
   * filter (and the counters and tiles, whose matches may have gone) now. A filter
   * on a participant who is no longer listed goes back to everyone.
   */
  async eventsChanged(): Promise<void> {
    this.#refresh.request('photos', 'tiles');
    await this.#refresh.flush();
    const filter = this.gallery.view.filter;
    if (filter.kind === 'participant' && !this.participants.some((p) => p.id === filter.id)) {
      void this.gallery.setView({ filter: { kind: 'all' } });
    }
  }

  /** Watches a folder; its photos join `event` (default: the active event). */
  async addFolder(path: string, poll: boolean, event: EventChoiceDto = ACTIVE_EVENT): Promise<boolean> {
    const trimmed = path.trim();
    if (trimmed.length === 0) {
      this.notify('error', 'Type or paste the path of a folder first.');
      return false;
    }
    try {
      const folder = await this.#api.addWatchedFolder(trimmed, poll, event);
      const joins = folder.event ? `its photos join ${folder.event}` : 'its photos are catalogued only';
      this.notify('success', `Watching ${folder.path}: ${joins}`);
      this.#refresh.request('folders', 'photos', 'tiles');
      return true;
    } catch (err) {
      this.notify('error', `Could not watch ${trimmed}: ${errorMessage(err)}`);
      return false;
    }
  }

  async addFolders(paths: string[], poll: boolean, event: EventChoiceDto = ACTIVE_EVENT): Promise<void> {
    for (const path of paths) await this.addFolder(path, poll, event);
  }

  async removeFolder(path: string): Promise<void> {
    try {
      await this.#api.removeWatchedFolder(path);
      this.folders = this.folders.filter((f) => f.path !== path);
      this.notify('info', `Stopped watching ${path}`);
      this.#refresh.request('folders');
    } catch (err) {
      if (isKind(err, 'not_found')) {
        // Already not watched (another window, the CLI): show the list as it is.
        this.folders = this.folders.filter((f) => f.path !== path);
        this.notify('info', `${path} was not watched any more`);
        this.#refresh.request('folders');
        return;
      }
      this.notify('error', `Could not stop watching ${path}: ${errorMessage(err)}`);
    }
  }

  /** Adds photos to an event from the gallery's selection; true when done. */
  async assignPhotos(event: string, name: string, keys: string[]): Promise<boolean> {
    try {
      const done = await this.#api.assignPhotos(event, keys);
      const already = done.already > 0 ? ` (${done.already} ${done.already === 1 ? 'was' : 'were'} in it already)` : '';
      this.notify('success', `${plural(done.added, 'photo')} added to ${name}${already}`);
      this.#refresh.request('photos', 'tiles');
      return true;
    } catch (err) {
      this.notify('error', `Could not add the photos to ${name}: ${errorMessage(err)}`);
      return false;
    }
  }

  /**
   * Removes photos from an event: that event's faces (here and at AWS) and matches of
   * them go, and its server withdraws them. True when done.
   */
  async unassignPhotos(event: string, name: string, keys: string[]): Promise<boolean> {
    try {
      const done = await this.#api.unassignPhotos(event, keys);
      const note = done.removed > 0 ? ': their faces and matches there are deleted, and its server withdraws them' : '';
      this.notify('success', `${plural(done.removed, 'photo')} removed from ${name}${note}`);
      this.#refresh.request('photos', 'tiles');
      return true;
    } catch (err) {
      this.notify('error', `Could not remove the photos from ${name}: ${errorMessage(err)}`);
      return false;
    }
  }

  /**
   * Unpublishes photos from an event's server (withdrawn, never sent there again)
   * or publishes them again; their matches stay. True when done.
   */
  async setPublished(event: string, name: string, keys: string[], published: boolean): Promise<boolean> {
    try {
      const changed = await this.#api.setPublished(event, keys, published);
      const what = published ? `published again to ${name}'s server` : `unpublished from ${name}'s server`;
      this.notify('success', `${plural(changed, 'photo')} ${what}`);
      this.#refresh.request('photos', 'tiles');
      return true;
    } catch (err) {
      const what = published ? 'publish the photos again' : 'unpublish the photos';
      this.notify('error', `Could not ${what} (${name}): ${errorMessage(err)}`);
      return false;
    }
  }

  /** Imports what was dropped on the window, in place. */
  async importDropped(paths: string[]): Promise<ImportReport | null> {
    if (paths.length === 0) return null;
    this.busy = true;
    this.notify('info', `Importing ${paths.length === 1 ? '1 item' : `${paths.length} items`}…`);
    try {
      const report = await this.#api.importPaths(paths);
      const event = report.event;
      const joined = report.joined_photos;
      // The drop joined the active event: one click takes the photos out again.
      const undo =
        event && joined.length > 0
          ? { label: 'Undo', run: () => this.unassignPhotos(event, event, joined) }
          : undefined;
      this.notify(report.failed > 0 ? 'error' : 'success', summarizeReport(report), undo);
      this.#refresh.request('photos', 'tiles');
      return report;
    } catch (err) {
      this.notify('error', `Import failed: ${errorMessage(err)}`);
      return null;
    } finally {
      this.busy = false;
      this.activity.importFinished();
    }
  }

  /** Copies a card into the library and keeps the report on screen. */
  async importCard(
    sources: string[],
    destination: string,
    backup: string | null,
    event: EventChoiceDto = ACTIVE_EVENT,
  ): Promise<ImportReport | null> {
    this.busy = true;
    try {
      const report = await this.#api.importCard(sources, destination, backup, event);
      this.cardReport = report;
      this.#refresh.request('photos', 'tiles');
      return report;
    } catch (err) {
      this.notify('error', `Card import failed: ${errorMessage(err)}`);
      return null;
    } finally {
      this.busy = false;
      this.activity.importFinished();
    }
  }

  dismissCardReport(): void {
    this.cardReport = null;
  }

  notify(kind: ToastKind, text: string, action?: ToastAction): void {
    const id = this.#nextToast++;
    this.toasts = [...this.toasts, action ? { id, kind, text, action } : { id, kind, text }];
    const ms = action ? ACTION_TOAST_MS : kind === 'error' ? ERROR_TOAST_MS : TOAST_MS;
    setTimeout(() => this.dismiss(id), ms);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  async #reload(parts: Set<Part>): Promise<void> {
    const jobs: Promise<void>[] = [];
    if (parts.has('photos')) jobs.push(this.#loadPhotos());
    if (parts.has('tiles')) jobs.push(this.gallery.syncChanges());
    if (parts.has('folders')) jobs.push(this.#loadFolders());
    await Promise.all(jobs);
  }

  /** The counters and the unreadable files (the tiles come from the gallery). */
  async #loadPhotos(): Promise<void> {
    const seq = ++this.#photosSeq;
    try {
      const [stats, failures] = await Promise.all([this.#api.stats(), this.#api.failures()]);
      if (seq !== this.#photosSeq) return; // a newer load already answered
      this.stats = stats;
      this.failures = failures;
    } catch (err) {
      this.notify('error', `Could not read the catalog: ${errorMessage(err)}`);
    }
    try {
      const participants = await this.#api.participants();
      if (seq !== this.#photosSeq) return;
      this.participants = participants;
    } catch (err) {
      this.notify('error', `Could not read the participants: ${errorMessage(err)}`);
    }
  }

  async #loadFolders(): Promise<void> {
    const seq = ++this.#foldersSeq;
    try {
      const folders = await this.#api.watchedFolders();
      if (seq !== this.#foldersSeq) return;
      this.folders = folders;
    } catch (err) {
      this.notify('error', `Could not read the watched folders: ${errorMessage(err)}`);
    }
  }
}
